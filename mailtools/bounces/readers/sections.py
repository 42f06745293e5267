"""Prose bounces that list failing recipients after a known opening: a table of MTA families.

Most non-DSN bounces share one shape: an opening sentence the MTA always
writes ("Hi. This is the qmail-send program", "The following address(es)
failed:", "----- Transcript of session follows -----"), then each failing
address on a line of its own, with the reason on that line or the lines
after it, then a copy of the original. What differs is the opening, and
where on its line an address stands. FAMILIES says that per MTA, from each
MTA's documented or source-code wording; one parser reads them all.

Where an address's own lines give no reason (Notes, Netscape and
MailMarshal state it above the list), the prose up to the end of the
section is its diagnostic. A section ends at the copy of the original, or
where another MTA's opening begins (a relay's report quoted below).
"""

from __future__ import annotations

import re

from ..lazyrx import LazyRx
from ..textrules import DELAY_WARNING_WORDS, find_reply_code, find_status, match_text
from . import Bounce, Failure
from .addresses import ADDRESS, HEADER_LINE, find

MAX_SECTION = 20_000       # characters of a recipient section we read
MAX_RECIPIENTS = 50

# Where on its line a failing address stands.
LEAD = "lead"      # first thing on the line ("  addr", "addr: 550 ...", ">>> addr", "Recipient: <addr>")
ANGLE = "angle"    # first thing on the line, in angle brackets ("<addr>:", qmail, Postfix, Yahoo)
ANY = "any"        # anywhere ("... delivering your mail to <addr>.", "550 <addr>... User unknown")

# (family, opening, where the address stands), most specific first.
FAMILIES: list[tuple[str, LazyRx, str]] = [
    # qmail-send(8) bounce text, and qmail-derived ones (Yahoo, vpopmail, netqmail), and the
    # qmail clones that rewrote its opening but kept its "<addr>:" entries (sisimai's "Unknown
    # MTA #4" lists these openings).
    ("qmail", LazyRx(r"this is the qmail-send program|wasn't able to deliver your message to the following addresses"
                     r"|unable to deliver your message to the following address"
                     r"|this is the machine generated message from mail service|this is the mail delivery agent at"
                     r"|your mail was not delivered to the following address|su mensaje no pudo ser entregado"
                     r"|your (?:mail )?message to the following address"), ANGLE),
    # Exim's bounce_message_text and its delay warning (Exim 3: "to all of its recipients"),
    # wrapped wherever the line ran out.
    ("exim", LazyRx(r"the\s+following address(?:\(es\)|es)?\s+failed"
                    r"|could not be delivered to (?:one or more|all) of\s+its\s+recipients"
                    r"|has not yet been delivered to (?:one or more|all) of its\s+recipients"
                    r"|recipient addresses that were\s+incorrectly constructed"), LEAD),
    # A gateway's summary (sisimai's "Unknown MTA #1"): "---The following addresses had
    # delivery errors---", then "addr [reason]" per recipient.
    ("x1", LazyRx(r"-{2,} ?the following addresses had delivery errors"), LEAD),
    # Sendmail's DSN prose (also v5/v8 without MIME), and look-alikes (GroupWise GWIA, ActiveHunter).
    ("sendmail", LazyRx(r"-{2,} ?the following address(?:es)? had"
                        r" (?:permanent fatal|transient non-fatal) (?:errors|problems)"
                        r"|-{2,} ?the following address(?:es)? had delivery problems"
                        r"|-{2,} ?transcript of session follows"), ANY),
    # OpenSMTPD's bounce.c notices (error, delay, success).
    ("opensmtpd", LazyRx(r"an error has occurred while attempting to deliver a message"
                         r"|a message is delayed for more than .{1,40} for the following"
                         r"|this is the mailer-daemon, please do not reply"), LEAD),
    # DragonFly's dma: "There was an error delivering your mail to <addr>."
    ("dma", LazyRx(r"this is the dragonfly mail agent"), ANY),
    # Postfix's bounce(8) template when the MIME structure was lost.
    ("postfix", LazyRx(r"this is the (?:mail system|postfix program) at host"), ANGLE),
    # Exchange 5.5/2000/2003: "The following recipient(s) could not be reached:".
    ("exchange2003", LazyRx(r"the following recipient\(s\) could not be reached"
                            r"|did not reach the following recipient\(s\)"), ANY),
    # Exchange 2007 and later, Office 365: the NDR's text part. A localised
    # server writes its own words above "Diagnostic information for
    # administrators" (German, French, Spanish, Portuguese, Italian, Dutch
    # below) and the same "#550 5.1.1 RESOLVER..." lines after it.
    ("exchange", LazyRx(r"delivery has failed to these recipients or (?:groups|distribution lists)"
                        r"|your message to .{1,200} couldn't be delivered|your message wasn't delivered to"
                        r"|diagnostic information for administrators|diagnoseinformationen f(?:ü|ue)r administratoren"
                        r"|informations de diagnostic pour les administrateurs"
                        r"|informaci(?:ó|o)n de diagn(?:ó|o)stico para administradores"
                        r"|informa(?:çõ|co)es de diagn(?:ó|o)stico para administradores"
                        r"|informazioni di diagnostica per gli amministratori"
                        r"|diagnostische gegevens voor beheerders"), ANY),
    # Sun Java System / Oracle Communications Messaging Server (and PMDF before it), when its
    # report reaches us as text: "Recipient address: a@b" / "Original address:" / "Reason:" /
    # "Diagnostic code: smtp;550 ..." per recipient, under the original's header fields.
    ("messagingserver", LazyRx(r"this report relates to a message you sent"), ANY),
    # The notice sisimai calls "Unknown MTA #6": "SMTP Server <mx> rejected recipient <a@b>
    # (Error following RCPT command). It responded as follows: [550 ...]".
    ("x6", LazyRx(r"we had trouble delivering your message"), ANY),
    # smail 3: " <a@b> ... reason" lines between its "Failed addresses follow:" and
    # "Message text follows:" rules.
    ("smail", LazyRx(r"-{3,} ?failed addresses follow:"), LEAD),
    # Lotus Notes / Domino: "was not delivered to:" and the older "Failure Reasons" block.
    ("domino", LazyRx(r"was not delivered to:|-{3,} ?failure reasons *-{3,}"), LEAD),
    # Novell GroupWise.
    ("groupwise", LazyRx(r"the attached file had the following undeliverable recipient"), LEAD),
    # Trend Micro InterScan MSS, Marshal (MailMarshal), McAfee, Courier.
    ("interscan", LazyRx(r"interscan messaging security suite"), ANY),
    ("mailmarshal", LazyRx(r"could not be delivered because of"), LEAD),
    # amavis's non-delivery notice, SurfControl's transcript.
    ("amavis", LazyRx(r"the message was not relayed to:|this nondelivery report was generated by the amavis"), ANY),
    ("surfcontrol", LazyRx(r"a transcript of the attempts to send the message follows"), ANY),
    ("courier", LazyRx(r"running the courier mail server"), ANY),
    # CommuniGate Pro: "Failed to deliver to '<addr>'" / "SMTP module(domain x) reports:".
    ("communigate", LazyRx(r"failed to deliver to '|\bmodule\(domain [^)\n]{1,255}\) reports:"), ANY),
    # Apache James's notify/bounce mailets: the error above "Message details:", the
    # recipients as "RCPT TO: <addr>" lines among the original's envelope and header fields.
    ("james", LazyRx(r"error message below:"), LEAD),
    # Kerio Connect: "Could not deliver message to the following recipient(s):" then
    # "Failed Recipient: <addr>" and "Reason: Remote host said: ..." per recipient.
    ("kerio", LazyRx(r"could not deliver message to the following recipient"), ANY),
    # Japanese gateways and carriers (m-FILTER, au/KDDI, ezweb, docomo, SoftBank).
    ("japanese", LazyRx(r"以下のメールアドレスへの送信に失敗しました|以下の宛先へのメール配信に失敗しました"
                        r"|以下のアドレスにメールを配信できませんでした"), LEAD),
    ("carrier", LazyRx(r"each of the following recipients was rejected by a remote|the user\(s\) account is disabled"
                       r"|could not be delivered to:|following recipients did not receive this message"), ANY),
    # What many others say ("Unable to deliver message to:", "The following addresses failed", ...).
    ("generic", LazyRx(r"unable to deliver (?:the |this |your )?(?:message|mail) to"
                       r"|(?:message|mail) could not be delivered to"
                       r"|the following (?:recipients?|address(?:es)?|destinations?)(?: \(\w+\))?"
                       r" (?:failed|had|was|were|could not|did not|is|are|has)"
                       r"|undeliverable to the following|delivery (?:to the following recipients? )?failed"
                       r"|(?:was|were) not delivered to|permanent(?:ly)? (?:fatal )?error"
                       r"|not able to be\s+delivered|could not be sent"), ANY),
]

# Families whose entries pass on what some server answered without the SMTP
# command it answered ("addr [User unknown]"): as with a DSN's smtp-type
# Diagnostic-Code, "unknown user" there may be a content filter's refusal
# (sisimai's "filtered"), not the mailbox's absence.
RELAYING = frozenset({"x1"})

_INTERSCAN_UNDELIVERABLE = LazyRx(r"unable to deliver message to <")

# Where a recipient section ends: the copy of the original, or the MTA's
# trailer (more MTAs than textrules.ORIGINAL_MARKERS, which cuts the prose).
# MailMarshal's "Additional Information" heading stands on a line of its own:
# hMailServer's "Additional information: ..." is a detail of one recipient.
END = LazyRx(r"^[ \t]*-*[ \t]*(?:below this line is a copy|below is a copy of the original|message headers follow"
             r"|(?:original|unsent|returned) message(?: follows| headers?:?)?[ \t]*-*[ \t]*$"
             r"|additional information[ \t]*$|-+ ?original mail info|enclosed are the original headers"
             r"|original message headers|the header and top \d+ lines of the message follows)"
             r"|^\|-{3,} ?message (?:text|header) follows",
             re.IGNORECASE | re.MULTILINE)

# What the opening says about all the recipients listed: still trying, or delivered.
# (A notice's own words for "a warning, still trying" anywhere in it, and the openings of
# the MTAs' delay notices that say it of the list they head.)
DELAYED = LazyRx("|".join(DELAY_WARNING_WORDS + (
    r"transient non-fatal errors", r"a message is delayed for more than", r"will (?:continue to )?(?:re)?try",
    r"you do not need to re-?send", r"is still awaiting delivery", r"delivery is delayed to these recipients",
    r"delivery will continue to be attempted", r"delivery to the following recipients has been delayed")))
DELIVERED = LazyRx(r"was successfully delivered to these recipients|your message was relayed to these recipients"
                   r"|has been delivered to the following recipients")
# sendmail reports on every recipient it was asked about in one notice, each
# kind under a boxed heading of its own (savemail.c's errbody: "----- The
# following addresses had permanent fatal errors -----", "... transient
# non-fatal errors ...", "... successful delivery notifications ..."): an
# address takes the action of the heading above it, not the notice's first.
_HEADING = re.compile(r"^[ \t]*-{3,}[^\n]*?-{3,}[ \t]*$", re.MULTILINE)
_HEADING_ACTIONS = (("successful delivery", "delivered"), ("transient", "delayed"), ("permanent", "failed"))

# Exchange 5.5's Internet Mail Service ends each recipient's entry with its own
# code: "MSEXCH:IMS:<site>:<server> 0 (000C0595) Ambiguous Recipient". Codes that
# say why on their own (as sisimai's Exchange2003 module reads them) stand in
# for the status the notice does not give; the others (000B099C, 000B09AA,
# 000B09B6: a remote MTA's refusal follows) leave it to the words.
_MSEXCH_CODE = re.compile(r"msexch:[^()\n]{0,200}\(([0-9a-f]{8})\)", re.IGNORECASE)
_MSEXCH_STATUS = {
    "000c05a6": "5.1.1",    # Unknown Recipient
    "000c0595": "5.2.0",    # Ambiguous Recipient: filtered, not a missing mailbox
    "00120270": "5.4.6",    # Too Many Hops
    "00050311": "5.6.0",    # Conversion to Internet format failed
    "000502cc": "5.6.0",
    "000b0981": "5.7.0",    # the next hop does not support AUTH
    "00010256": "5.3.0",    # too many recipients
    "000d06b5": "5.3.0",    # no proxy address for the recipient
}

_LINE = {
    LEAD: re.compile(r"^\s*(?:[>*\-]+\s*|recipient:\s*|to:\s*|rcpt to:\s*)?[<\"]?" + ADDRESS.pattern, re.IGNORECASE),
    ANGLE: re.compile(r"^\s*<" + ADDRESS.pattern + ">"),
}


def read(bounce: Bounce) -> list[Failure]:
    """Recipients after the MTA's opening: the first one in the prose, generic wording last.

    The opening nearest the top is the reporting MTA's own; one further down
    is usually quoted from a relay before it.
    """
    found = []
    for family, opening, where in FAMILIES:
        if family == "generic" and not bounce.notice:
            continue
        m = opening.search(bounce.prose)
        if m is not None:
            found.append((family == "generic", m.start(), where, family))
    # A section ends where another MTA's opening begins (a relay's report quoted below).
    openings = sorted(start for generic, start, _, _ in found if not generic)
    for _, start, where, family in sorted(found):
        later = [o for o in openings if o > start]
        failures = _read_section(bounce, start, where, later[0] if later else len(bounce.prose), family)
        if failures:
            return failures
    return []


_REPEATS_PER_RECIPIENT = frozenset({"domino"})


def _blocks(section: str, family: str) -> list[int]:
    """Where each repetition of *family*'s opening starts in *section*, when it is there more than once.

    Domino writes its whole notice ("Your message ... was not delivered to: <addr>
    because: <reason>") once per failing recipient: each block's reason is its own.
    """
    if family not in _REPEATS_PER_RECIPIENT:
        return []   # others state one reason for a list, often below it (sendmail's transcript)
    opening = next((rx for name, rx, _ in FAMILIES if name == family), None)
    if opening is None:
        return []
    starts = [m.start() for m in opening.compiled().finditer(section)]
    return starts if len(starts) > 1 else []


def _read_section(bounce: Bounce, start: int, where: str, limit: int, family: str = "") -> list[Failure]:
    prose = bounce.prose
    line_start = prose.rfind("\n", 0, start) + 1
    end = END.search(prose, line_start)
    # The section ends at the start of the line where the next opening stands (or at the end).
    cut = len(prose) if limit >= len(prose) else prose.rfind("\n", 0, limit) + 1 or limit
    stop = min(end.start() if end else len(prose), cut)
    section = prose[line_start:stop][:MAX_SECTION]
    entries = _entries(section, where, bounce.ours)
    if not entries:
        return []
    head = prose[:line_start] + section[:200]
    action = "delivered" if DELIVERED.search(head) else "delayed" if DELAYED.search(head) else "failed"
    whole = " ".join(prose[max(0, stop - MAX_SECTION):stop].split())
    failures = []
    headings = _headings(section)
    blocks = _blocks(section, family)
    lowered = section.lower()
    for address, lines in list(entries.items())[:MAX_RECIPIENTS]:
        text = " ".join(" ".join(lines).split())
        code = _MSEXCH_CODE.search(text)
        status = _MSEXCH_STATUS.get(code.group(1).lower()) if code else _implied_status(family, text)
        if status is None and match_text(text) is None and find_status(text) is None:
            # The reason is stated above the list or below it, not beside the address:
            # the whole section's, or the address's own block's where the notice repeats.
            text = whole
            at = lowered.find(address)
            if blocks and at >= 0:
                first = max((b for b in blocks if b <= at), default=0)
                last = min((b for b in blocks if b > at), default=len(section))
                text = " ".join(section[first:last].split())
        failures.append(Failure(address, text, _action_under(headings, section, address, action), status,
                                family in RELAYING))
    return failures


def _implied_status(family: str, text: str) -> str | None:
    """The status an MTA's fixed wording stands for where the entry quotes no reply, else None.

    InterScan MSS (Trend Micro) writes "Unable to deliver message to <addr>" when it has
    no SMTP reply to quote; sisimai's module for it (TrendMicro, once InterScanMSS)
    reads that as an unknown user.
    """
    if family == "interscan" and _INTERSCAN_UNDELIVERABLE.search(text) and find_status(text) is None \
            and find_reply_code(text) is None:
        return "5.1.1"
    return None


def _headings(section: str) -> list[tuple[int, str]]:
    """(offset, action) of each boxed heading in *section* that says what its list is."""
    found = []
    for m in _HEADING.finditer(section):
        words = m.group().lower()
        action = next((act for key, act in _HEADING_ACTIONS if key in words), None)
        if action is not None:
            found.append((m.start(), action))
    return found


def _action_under(headings: list[tuple[int, str]], section: str, address: str, default: str) -> str:
    """The action of the last heading above *address*'s first mention, else *default*."""
    if not headings:
        return default
    at = section.lower().find(address)
    above = [act for start, act in headings if start < at]
    return above[-1] if at >= 0 and above else default


def _entries(section: str, where: str, ours: frozenset[str]) -> dict[str, list[str]]:
    """Address -> the lines about it: its own line and the ones after, to a blank line or the next address."""
    entries: dict[str, list[str]] = {}
    current: str | None = None
    after = 0      # lines taken after the address's own line
    for line in section.splitlines():
        text = line.strip()
        if not text:
            if current is not None and after:
                current = None
            continue
        address = None if HEADER_LINE.match(line) else _address_on(line, where, ours)
        if address is not None:
            if address not in entries and len(entries) >= MAX_RECIPIENTS:
                break
            current, after = address, 0
            entries.setdefault(address, []).append(text)
        elif current is not None:
            entries[current].append(text)
            after += 1
    return entries


def _address_on(line: str, where: str, ours: frozenset[str]) -> str | None:
    if where == ANY:
        found = find(line, ours)
        return found[0] if found else None
    m = _LINE[where].match(line)
    if m is None:
        return None
    address = m.group(1).strip(".").lower()
    return None if address in ours else address
