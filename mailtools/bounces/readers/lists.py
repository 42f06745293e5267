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
* FML, as sisimai's Lhost/FML.pm reads it: "You are not a member of this
  mailing list <list>", "NOT MEMBER article from", "reject mail from" (rejected),
  "Duplicated Message-ID in <list>", "Loop Alert", "Loop Back Warning"
  (systemerror), "Security alert" (securityerror).
* ezmlm-idx: ezmlmrc's "Sorry, only subscribers may post" and "I've been told
  to reject your posts" (usually the text of a qmail bounce, which the
  sections reader reads first).
* mlmmj: listtexts/en subonlypost ("only subscribers may post"), access and
  notintocc ("could not be delivered to the list"), maxmailsize ("rejected
  due to the size limit"), each under the list's address on a line of its
  own; moderation-poster ("queued for approval") is a notice.
* Older Sympa ("You are not allowed to send messages to list") and LISTSERV
  ("You are not authorized to send mail to the X list"), as the wording is
  quoted of them. Sympa 6.2 sends a DSN (delivery_status_notification.tt2),
  which classify reads before any reader.

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
    r"|header may cause mail loop"
    r"|only subscribers (?:may|can) post|(?:i've|i have) been told to reject your posts"
    r"|could not be delivered to the list"
    r"|not allowed to send messages to (?:the )?list|not authori[sz]ed to send mail to the .{1,80}? list")
# The list's own size limit (mesgtoobig): Mailman 2's Hold.py, Mailman 3's
# max-size rule, mlmmj's maxmailsize.
_TOO_BIG = LazyRx(r"message body is too big|larger than the \d+ ?kb maximum size|rejected due to the size limit")
# A loop the list manager caught (systemerror, as sisimai reads FML's).
_LOOP = LazyRx(r"duplicated message-id|loop alert|loop back warning|detected a loop condition|unix from loop")

# FML's security alert (sisimai's securityerror).
_SECURITY = LazyRx(r"security alert")

_STATUS = (("5.3.4", _TOO_BIG), ("5.2.4", _LOOP), ("5.7.0", _SECURITY), ("5.7.1", _REFUSED))

# The administrative addresses a list manager writes from: Mailman's
# list-owner/-bounces/-request, FML's list-admin, Majordomo's owner-list,
# ezmlm's list-help/-return, mlmmj's list+owner and list+bounces-help, and the
# managers' robots.
_ADMIN_SUFFIX = re.compile(r"^(.+?)[-+](?:owner|admin|bounces?|request|help|return)(?:[-+=][^@]*)?@(.+)$")
_ADMIN_PREFIX = re.compile(r"^owner-(.+)@(.+)$")
_ROBOTS = frozenset({"majordomo", "listserv", "sympa", "mailman", "ezmlm", "fml", "mlmmj", "listproc"})


def read(bounce: Bounce) -> list[Failure]:
    sender = bounce.sender.lower()
    if not _list_manager(sender):
        return []
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(bounce.prose[:MAX_PROSE])]
    if any(_HELD.search(p) for p in paragraphs):
        return []
    for status, rx in _STATUS:
        for i, paragraph in enumerate(paragraphs):
            if rx.search(paragraph):
                address = _named_list([paragraph, *paragraphs[:i]], bounce.ours) or _list_of(sender)
                return [Failure(address, paragraph[:MAX_DIAGNOSTIC], "failed", status)]
    return []


def _list_manager(sender: str) -> bool:
    local = sender.partition("@")[0]
    return bool(local) and (local in _ROBOTS or _admin(sender) is not None)


def _admin(address: str) -> re.Match[str] | None:
    return _ADMIN_SUFFIX.match(address) or _ADMIN_PREFIX.match(address)


def _named_list(paragraphs: list[str], ours: frozenset[str]) -> str:
    """The first address the refusal's paragraph names, else the paragraphs before it, not an administrative one.

    FML names the list in its sentence, mlmmj on a line of its own above it
    ("managing the mailinglist\n\nlist@host"); the poster's address, which
    they name too, is ours.
    """
    for paragraph in paragraphs:
        for address in find(paragraph, ours):
            if _admin(address) is None and address.partition("@")[0] not in _ROBOTS:
                return address
    return ""


def _list_of(sender: str) -> str:
    """The list behind an administrative address (list-owner@ -> list@); a robot's own address else."""
    m = _admin(sender)
    return f"{m.group(1)}@{m.group(2)}" if m else sender
