"""A mailing-list manager's own refusal of a post: not a DSN, and no MTA wrote it.

When our mail goes to a list, the list manager may send it back with a
notice of its own: the poster is not a member, the list is moderated, the
message is too big, a loop was detected. The failing "recipient" is the list:
the address the notice names, else the list address behind the notice's From
(list managers write from the list's administrative address). Nothing here
is hard: a list that refuses us says nothing about a person's mailbox.

Wordings, from each manager's source or templates:

* GNU Mailman 2: Handlers/Moderate.py's rejection notices ("You are not
  allowed to post to this mailing list", "Your message has been rejected,
  probably because you are not subscribed"), templates/en/refuse.txt ("has
  been rejected by the list moderator"), Handlers/Hold.py's reasons ("Post by
  non-member to a members-only list", "Message body is too big"); its
  postheld.txt ("Is being held until the list moderator can review it") is a
  notice, not a refusal.
* GNU Mailman 3: chains/reject.py ("Your message to the X mailing-list was
  rejected for the following reasons"), the moderation rules' reasons ("The
  message is not from a list member", "... larger than the N KB maximum
  size").
* FML, as sisimai's Lhost/FML.pm reads it, in its text or else its subject:
  "You are not a member of this mailing list <list>", "NOT MEMBER article
  from", "reject mail from" (rejected), "Duplicated Message-ID in <list>",
  "Loop Alert", "Loop Back Warning", "fml system error message"
  (systemerror), "Security alert" (securityerror).
* ezmlm-idx: ezmlmrc's "Sorry, only subscribers may post" and "I've been told
  to reject your posts" (usually the text of a qmail bounce, which the
  sections reader reads first); text/mod-reject ("your message (enclosed)
  was not accepted by the moderator") and text/mod-timeout ("the list
  moderators ... have failed to act on your post").
* mlmmj: listtexts/en subonlypost ("only subscribers may post"), access and
  notintocc ("could not be delivered to the list"), maxmailsize ("rejected
  due to the size limit"), each under the list's address on a line of its
  own; moderation-poster ("queued for approval") is a notice.
* Sympa: mail_tt2/report.tt2's authorization refusals of a post ("Message
  distribution in the list is restricted to list subscribers", "... in this
  list is not allowed"), from its robot's address; the older "You are not
  allowed to send messages to list" as it is quoted. What Sympa sends as a
  DSN (delivery_status_notification.tt2) classify reads before any reader.
* LISTSERV: "You are not authorized to send mail to the X list", as it is
  quoted of it (no source at hand).

The reason is carried by an RFC 3463 status chosen for it (the diagnostic is
the notice's own sentence): X.7.1 "delivery not authorized, message refused"
(sisimai's rejected), X.3.4 "message too big for system" (mesgtoobig), X.2.4
"mailing list expansion problem" (systemerror, as sisimai reads FML's loops),
X.7.0 "other security status" (securityerror).
"""

from __future__ import annotations

import re

from ..lazyrx import LazyRx
from . import Bounce, Failure
from .addresses import find

MAX_PROSE = 16 * 1024      # a list notice says what it has to say near the top
MAX_DIAGNOSTIC = 400

# Each paragraph is read as one line: the templates wrap wherever the line ran out.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# The notice is about a post that waits for a moderator: no failure (yet).
# Mailman 2/3's postheld template, mlmmj's moderation-poster ("the post has been
# queued for approval"), Sympa's "has been forwarded to the moderator(s)".
_HELD = LazyRx(
    r"is being held until the list moderator|awaits? moderator approval"
    r"|(?:held|queued) for (?:moderator )?(?:approval|moderation|review)"
    r"|forwarded to the (?:list )?(?:moderator|editor)")
# Refusals of the poster (sisimai's rejected).
_REFUSED = LazyRx(
    r"not allowed to post to this (?:mailing )?list|rejected, probably because you are not subscribed"
    r"|has been rejected by the list moderator|post by non-member to a members-only list"
    r"|mailing-list was rejected for the following|message is not from a list member"
    r"|message comes from a moderated member"
    r"|not a member of this (?:mailing )?list|not member article from|reject mail from|reject spammers:"
    r"|header may cause mail loop|\bare not member\b|spam mail from a spammer is rejected"
    r"|only subscribers (?:may|can) post|(?:i've|i have) been told to reject your posts"
    r"|was not accepted by the moderator|have failed to act on your post"
    r"|could not be delivered to the list"
    r"|not allowed to send messages to (?:the )?list|not authori[sz]ed to send mail to the .{1,80}? list"
    r"|message distribution (?:in|for) (?:the|this) list is (?:restricted|not allowed)")
# The list's own size limit (mesgtoobig): Mailman 2's Hold.py, Mailman 3's
# max-size rule, mlmmj's maxmailsize.
_TOO_BIG = LazyRx(r"message body is too big|larger than the \d+ ?kb maximum size|rejected due to the size limit")
# A loop the list manager caught, or its own failure (systemerror, as sisimai reads FML's).
_SYSTEM = LazyRx(r"duplicated message-id|loop alert|loop back warning|detected a loop condition|unix from loop"
                 r"|fml system error message")

# FML's security alert (sisimai's securityerror).
_SECURITY = LazyRx(r"security alert")

_STATUS = (("5.3.4", _TOO_BIG), ("5.2.4", _SYSTEM), ("5.7.0", _SECURITY), ("5.7.1", _REFUSED))

# The administrative addresses a list manager writes from: Mailman's
# list-owner/-bounces/-request, FML's list-admin, ezmlm's list-help/-return,
# mlmmj's list+owner and list+bounces-help; LISTSERV and Sympa write from
# their robot's own address.
_ADMIN = re.compile(r"^(.+?)[-+](?:owner|admin|bounces?|request|help|return)(?:[-+=][^@]*)?@(.+)$")
_ROBOTS = frozenset({"listserv", "sympa"})


def read(bounce: Bounce) -> list[Failure]:
    sender = bounce.sender.lower()
    if not _list_manager(sender):
        return []
    prose = bounce.prose[:MAX_PROSE]
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(prose)]
    if any(_HELD.search(p) for p in paragraphs):
        return []
    for status, rx in _STATUS:
        for i, paragraph in enumerate(paragraphs):
            m = rx.search(paragraph)
            if m is not None:
                address = _named_list(paragraph, paragraphs[:i], bounce.ours) or _list_of(sender)
                return [Failure(address, _sentence(paragraph, m.start(), m.end()), "failed", status)]
    if sender.partition("@")[0].endswith("-admin"):
        # FML (which writes from list-admin@) may say it in Japanese, under an
        # English subject ("NOT MEMBER article from ...", "Loop Alert: ..."),
        # with the list on a line of its own in angle brackets, as FML.pm reads it.
        subject = " ".join(bounce.subject.split())
        for status, rx in _STATUS:
            if rx.search(subject):
                lowered = prose.lower()
                named = [a for a in find(prose, bounce.ours)
                         if f"<{a}>" in lowered and _may_be_list(a, prose, bounce.ours)]
                return [Failure(named[0] if named else _list_of(sender), subject[:MAX_DIAGNOSTIC], "failed", status)]
    return []


def _list_manager(sender: str) -> bool:
    local = sender.partition("@")[0]
    return local in _ROBOTS or _ADMIN.match(sender) is not None


def _sentence(paragraph: str, start: int, end: int) -> str:
    """The notice's own sentence, as the diagnostic.

    Only that: the rest of a paragraph may be a moderator's free text, whose
    words ("unknown user") would speak for a mailbox the list never had.
    """
    first = paragraph.rfind(". ", 0, start)
    last = paragraph.find(". ", end)
    return paragraph[first + 2 if first >= 0 else 0:last + 1 if last >= 0 else len(paragraph)][:MAX_DIAGNOSTIC]


def _named_list(paragraph: str, before: list[str], ours: frozenset[str]) -> str:
    """The list address the notice names: in the refusal's paragraph, or on a line of its own above it.

    FML names the list in its sentence, mlmmj on a line of its own at the
    top ("managing the mailinglist\n\nlist@host"). Administrative and robot
    addresses are not the list, and "your a@b address" is the poster.
    """
    candidates = [paragraph, *(p for p in before if _LONE_ADDRESS.fullmatch(p))]
    for text in candidates:
        for address in find(text, ours):
            if _may_be_list(address, text, ours):
                return address
    return ""


def _may_be_list(address: str, text: str, ours: frozenset[str]) -> bool:
    """Not ours, not an administrative or robot address, not "your a@b address" (the poster)."""
    return (address not in ours and _ADMIN.match(address) is None
            and address.partition("@")[0] not in _ROBOTS and not _poster(text, address))


_LONE_ADDRESS = re.compile(r"<?[^\s<>@]{1,64}@[^\s<>@]{1,255}>?")


def _poster(text: str, address: str) -> bool:
    return re.search(r"\byour (?:e-?mail )?(?:address )?<?" + re.escape(address), text, re.IGNORECASE) is not None


def _list_of(sender: str) -> str:
    """The list behind an administrative address (list-owner@ -> list@); a robot's own address else."""
    m = _ADMIN.match(sender)
    return f"{m.group(1)}@{m.group(2)}" if m else sender
