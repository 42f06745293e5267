"""Classify one raw message that came back to a bounce address.

classify(raw) says what kind of message it is (bounce, delay, autoreply,
feedback, delivered, other) and, per failing recipient, a sisimai reason and
whether the failure is hard. It never raises: bounce-ingest runs it from a
Postfix pipe, where an exception would lose the message.

Start-up cost matters (one process per bounce), so this module imports only
the standard library at load time; flufl.bounce (~40 ms to import) is loaded
only for messages that are not standard DSNs.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser

from mailtools.bounces import dsn, mime, reasons, textrules
from mailtools.bounces.lazyrx import LazyRx

MAX_RAW = 1024 * 1024        # bytes of a message we parse at all
MAX_FLUFL_RAW = 128 * 1024  # flufl's detectors scan every line with regexes: feed them less
MAX_BOUNDARIES = 200         # more than this is hostile: the parser is quadratic

_SUCCESS = frozenset({"delivered", "relayed", "expanded"})
_BOUNDARY = re.compile(rb"boundary", re.IGNORECASE)
# Header fields of a bounce, and of the original it quotes, that name us or
# the original's sender: never a failing recipient, whatever the prose says.
_OUR_FIELDS = ("From", "To", "Return-Path", "Reply-To", "Sender")
_SENDER_FIELDS = ("From", "Sender", "Return-Path", "Reply-To")
# Where who wrote the notice or the reply says at which command the address
# was refused, though the words do not (as sisimai's modules for these hosts
# read them). Symantec Email Security.cloud (once MessageLabs) relays only
# what the next hop answered at RCPT. au/KDDI's servers name the address they
# refuse at RCPT ("550 <a@ezweb.ne.jp>: User unknown") and leave it out when a
# recipient's own filter refuses the sender ("550 : User unknown").
_RCPT_REPORTERS = re.compile(r"\bmessagelabs\.com\b", re.IGNORECASE)
_KDDI_HOSTS = re.compile(r"\b(?:ezweb\.ne\.jp|au\.com|kddi\.com)\b", re.IGNORECASE)
_ADDRESS_NAMED = re.compile(r"@[^\s<>]+>: user unknown", re.IGNORECASE)
# Google Groups refuses a post from a non-member (or to a group that is gone)
# with a notice in the poster's language: sisimai reads it as "rejected".
_GROUPS_HOST = "@googlegroups.com"
# Literals one of which a reply (or the hosts) holds before rhosts.py's provider
# tables are worth importing: each table's own marker is among them.
_PROVIDER_MARKERS = ("i.ua/err/", "aup#", "mimecast", "facebook", "cloudflare", "zoho", "messagelabs",
                     "vtext.com", "queue.expired", "5.4.310")
# Exchange and Exchange Online mark their NDRs so (and add "Auto-Submitted:
# auto-replied"); the subject is in the sender's language ("Onbestelbaar:") and the
# From a "MicrosoftExchange<hex>@" mailbox, so neither says it is a bounce.
_EXCHANGE_NDR = "X-MS-Exchange-Message-Is-Ndr"
# A person's reply or forward: a reply prefix on the subject (RFC 5322 3.6.5's
# "Re:" and the forwarding and localised ones mail clients write), from an
# author who is no mail system, without the marks MTAs put on notices. A
# failure notice it quotes or pastes ("I get this when I forward your mail:")
# may be about the person's own correspondents, and is hearsay even when it is
# about an address we sent to: never a reason to stop mailing anyone.
# Some gateways answer in kind: Verizon's "Re:<subject>" from post_master@.
_REPLY_SUBJECT = LazyRx(r"^\s*(?:re|fwd?|aw|wg|sv|vs|tr|rv|antw)\s*:")
_MAIL_SYSTEM = LazyRx(r"post_?master|mailer-daemon|mail delivery|\bmmdf\b|\bdaemon@")
_NOTICE_FIELDS = ("X-Failed-Recipients", "Auto-Submitted", _EXCHANGE_NDR)
# What a success notice (Exchange's "Delivered:"/"Relayed:", Postfix's success
# report, sendmail's return receipt, Courier's dsndelivered.txt/dsnrelayed.txt)
# says when no reader lists its recipients.
_SUCCESS_NOTICE = LazyRx("|".join((
    r"has been delivered to the following recipient", r"recipients or groups is complete",
    r"successfully delivered to the", r"had successful delivery notification", r"message delivered successfully",
    r"message delivered to a mail gateway",
)))
# Complaints that are not RFC 5965 reports, as sisimai reads them: Hotmail's
# JMRP mails from before it adopted ARF and SES's complaint mails (this subject,
# the original attached; Hotmail names the recipient in X-HmXmrOriginalRecipient).
_COMPLAINT_SUBJECT = "complaint about message from "
# Amazon SES's complaint notification (its JSON, as SNS mails it on, quotes
# escaped inside the envelope's "Message"): readers/ses.py reads bounces and
# deliveries only, and flufl's guess at the addresses in the JSON would make a
# complaint a failure.
_SES_COMPLAINT = LazyRx(r'notificationtype\\?"\s*:\s*\\?"complaint|eventtype\\?"\s*:\s*\\?"complaint')
_SES_COMPLAINED = LazyRx(r'emailaddress\\?"\s*:\s*\\?"([^"\\\s]{1,254}@[^"\\\s]{1,254})')


class RecipientVerdict:
    """What a message says about one recipient.

    A plain class, not a dataclass: the alias pipe classifies every bounce in
    a process of its own, and ``dataclasses`` costs it ~5 ms of start-up.
    """

    __slots__ = ("address", "action", "status", "reply_code", "reason", "hard", "diagnostic")

    def __init__(self, address: str, action: str | None, status: str | None, reply_code: str | None,
                 reason: str, hard: bool, diagnostic: str | None = None) -> None:
        self.address, self.action, self.status, self.reply_code = address, action, status, reply_code
        self.reason, self.hard, self.diagnostic = reason, hard, diagnostic

    def to_json(self) -> dict[str, object]:
        """The recipient as in `bounce-ingest --dry-run --json`."""
        return {"address": self.address, "action": self.action, "status": self.status,
                "reply_code": self.reply_code, "reason": self.reason, "hard": self.hard,
                "diagnostic": self.diagnostic}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecipientVerdict) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"RecipientVerdict({self.to_json()!r})"


class Verdict:
    """What kind of message this is and what it says per recipient."""

    __slots__ = ("kind", "recipients", "message_id", "original_return_path", "delivered_to", "problem",
                 "feedback_type")

    def __init__(self, kind: str, recipients: list[RecipientVerdict] | None = None, message_id: str | None = None,
                 original_return_path: str | None = None, delivered_to: list[str] | None = None,
                 problem: str | None = None, feedback_type: str | None = None) -> None:
        self.kind = kind
        self.recipients: list[RecipientVerdict] = recipients if recipients is not None else []
        self.message_id, self.original_return_path = message_id, original_return_path
        self.delivered_to: list[str] = delivered_to if delivered_to is not None else []
        self.problem = problem
        # An ARF report's Feedback-Type (RFC 5965 3.5, RFC 6591's auth-failure), lower-cased.
        self.feedback_type = feedback_type

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "recipients": [r.to_json() for r in self.recipients],
                "message_id": self.message_id, "original_return_path": self.original_return_path,
                "delivered_to": self.delivered_to, "problem": self.problem, "feedback_type": self.feedback_type}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verdict) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Verdict({self.to_json()!r})"


def classify(raw: bytes) -> Verdict:
    """Classify one raw message (as Postfix pipes it). Never raises."""
    try:
        return _classify(raw)
    except Exception as exc:  # noqa: BLE001 - any input must give a verdict
        return Verdict(kind="other", problem=f"could not be parsed: {type(exc).__name__}")


def _classify(raw: bytes) -> Verdict:
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return Verdict(kind="other", problem="input is not bytes")
    raw = bytes(raw[:MAX_RAW])
    if raw.startswith(b"From "):
        raw = raw.partition(b"\n")[2]   # mbox envelope line from local(8)
    if not raw.strip():
        return Verdict(kind="other", problem="empty message")
    if sum(1 for _ in zip(range(MAX_BOUNDARIES + 1), _BOUNDARY.finditer(raw), strict=False)) > MAX_BOUNDARIES:
        return Verdict(kind="other", problem="too many MIME parts or nested too deeply")
    raw = mime.fold_parameters(raw)
    msg = mime.repair_boundary(BytesParser().parsebytes(raw), raw)
    if not msg.keys():
        return Verdict(kind="other", problem="no header fields: not a mail message")

    parts = mime.walk(mime.attached_report(msg) or msg)   # a report passed on as an attachment: the report
    verdict = Verdict(kind="other", delivered_to=mime.delivered_to(msg))
    verdict.message_id, verdict.original_return_path = mime.original_ids(parts)

    ctypes = {p.get_content_type() for p, _ in parts}
    report_type = str(msg.get_param("report-type", "") or "").lower()
    if "message/feedback-report" in ctypes or report_type == "feedback-report" or (
            _COMPLAINT_SUBJECT in _header_text(msg.get("Subject")).lower()
            and ctypes & {"message/rfc822", "message/global"}):
        return _feedback(verdict, parts)
    if dsn.fold(msg.get("X-Apple-Unsubscribe", "")).lower() == "true":
        # Apple Mail's one-tap unsubscribe (to the List-Unsubscribe mailto): an
        # opt-out by the person in From, which sisimai counts as feedback.
        return _feedback_about(verdict, [a for a in (dsn.addr_spec(dsn.fold(msg.get("From", ""))),) if a])
    if ctypes & {"message/delivery-status", "message/global-delivery-status"}:
        if _from_dsn(verdict, parts):
            return _unless_hearsay(verdict, msg)   # a report a person forwarded as an attachment
    small = msg if len(raw) <= MAX_FLUFL_RAW else BytesParser().parsebytes(raw[:MAX_FLUFL_RAW])
    return _from_prose(verdict, msg, small, parts, report_type)


def _feedback(verdict: Verdict, parts: list[tuple[Message, bool]]) -> Verdict:
    addrs: list[str] = []
    for part, _ in parts:
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            text = mime.text_of(part) if not isinstance(payload, list) else payload
            for block in dsn.blocks_from_payload(text):
                if verdict.feedback_type is None and block.get("feedback-type"):
                    verdict.feedback_type = block["feedback-type"].strip().lower()
                for key in ("original-rcpt-to", "removal-recipient"):
                    addr = dsn.addr_spec(block.get(key))
                    if addr and addr not in addrs:
                        addrs.append(addr)
    original = mime.original_headers(parts) if not addrs else None   # message/rfc822 or text/rfc822-headers
    if original is not None:
        # Hotmail's pre-ARF complaints name the recipient in a header of their own.
        addr = dsn.addr_spec(dsn.fold(original.get("X-HmXmrOriginalRecipient") or original.get("To", "")))
        addrs += [addr] if addr else []
    _feedback_about(verdict, addrs)
    if not addrs:
        verdict.problem = "feedback report names no recipient"
    return verdict


def _feedback_about(verdict: Verdict, addrs: list[str]) -> Verdict:
    verdict.kind = "feedback"
    verdict.recipients = [RecipientVerdict(a, None, None, None, "feedback", False) for a in addrs]
    return verdict


def _from_dsn(verdict: Verdict, parts: list[tuple[Message, bool]]) -> bool:
    """Fill *verdict* from a delivery-status part; False when it has no recipient."""
    per_message: dict[str, str] = {}
    found: list[dsn.DsnRecipient] = []
    for part, inside in parts:
        if inside or part.get_content_type() not in (
                "message/delivery-status", "message/global-delivery-status"):
            continue
        pm, rcpts = dsn.dsn_recipients(dsn.blocks_from_payload(part.get_payload()))
        per_message = per_message or pm
        found.extend(rcpts)
    if not found:
        return False
    if verdict.original_return_path is None:
        sender = dsn.typed_value(per_message.get("x-postfix-sender"))[1]
        verdict.original_return_path = sender or None
    prose, _ = mime.prose(parts)
    reporter = per_message.get("reporting-mta", "")
    warning = bool(textrules.DELAY_WARNING.search(prose))
    seen: set[str] = set()
    for r in found:
        if r.address in seen:
            continue      # the same recipient reported twice (forwarding, retries)
        seen.add(r.address)
        text = r.diagnostic or _headline(prose) + mime.near(prose, r.address)
        status = r.status
        inner = _specific_status(text)
        if inner and (status is None or status.endswith(".0.0")) and inner[0] == (status or inner)[0]:
            status = inner    # "5.0.0" + "550 5.1.1 ..." says 5.1.1
        reply = dsn.clean_reply(text) or textrules.find_reply_code(text)
        action = r.action or _action_from_status(status)
        if action is None:
            continue      # neither Action nor Status says what happened
        if action == "failed" and warning:
            action = "delayed"    # the notice says it is a warning and will retry: its Action is wrong
        command = textrules.smtp_command(text) or _command_by_host(reporter, r.remote_mta, text)
        if command in (None, "RCPT") and _names_sender_only(text, r.address, verdict.original_return_path):
            # "550 5.1.1 <our sender>... User unknown": the remote refused the
            # envelope sender (MAIL FROM, or a sender check Postfix runs at
            # RCPT), whatever its status says about a mailbox.
            command = "MAIL"
        # A Diagnostic-Code of type smtp (or none) is the remote MTA's reply (RFC 3464).
        relayed = bool(r.diagnostic) and r.diagnostic_type in (None, "smtp")
        reason, hard = reasons.decide(action, status, reply, text, command or "", relayed)
        if command is None and (hard or reason in ("onhold", "filtered")):
            # Postfix's Diagnostic-Code leaves out "(in reply to ... command)":
            # its prose has it, and the command can change the verdict.
            command = (textrules.smtp_command(mime.near(prose, r.address))
                       or textrules.smtp_command(mime.refused_exchange(prose, r.address)))
            if command is not None:
                reason, hard = reasons.decide(action, status, reply, text, command, relayed)
        reason, hard = _by_provider(reason, hard, action, status, reply, text,
                                    " ".join((reporter, r.remote_mta, r.address)).lower())
        verdict.recipients.append(RecipientVerdict(
            r.address, action, status, reply, reason, hard, mime.trim(text)))
    if not verdict.recipients:
        return False
    actions = {r.action for r in verdict.recipients}
    if "failed" in actions:
        verdict.kind = "bounce"
    elif "delayed" in actions:
        verdict.kind = "delay"
    else:
        verdict.kind = "delivered"
    _no_hard_unless_bounce(verdict)
    return True


def _specific_status(text: str | None) -> str | None:
    """The first enhanced status code in *text*, or the first after it when that one is x.0.0.

    Exchange 2003 quotes the next hop's reply after its own generic code:
    "<mx.example #5.0.0 smtp;550 5.1.1 <a@b>... User unknown>".
    """
    found = textrules.find_status(text)
    if text and found and found.endswith(".0.0"):
        return textrules.find_status(text[text.find(found) + len(found):]) or found
    return found


def _headline(prose: str) -> str:
    """The reason a notice states above its list of recipients, with a space after it, or ""."""
    m = textrules.NOTICE_HEADLINE.search(prose)
    return m.group(0) + " " if m else ""


def _names_sender_only(text: str | None, recipient: str, sender: str | None) -> bool:
    """Whether *text* names the original envelope sender and not the recipient."""
    if not sender or not text:
        return False
    lowered = text.lower()
    return f"{sender.lower()}>" in lowered and recipient.lower() not in lowered


def _command_by_host(reporter: str, remote_mta: str, text: str | None) -> str | None:
    """"RCPT" when the reporting or the remote MTA is known to refuse addresses only at RCPT, else None."""
    if _RCPT_REPORTERS.search(reporter):
        return "RCPT"
    if remote_mta and _KDDI_HOSTS.search(remote_mta) and _ADDRESS_NAMED.search(text or ""):
        return "RCPT"
    return None


def _by_provider(reason: str, hard: bool, action: str | None, status: str | None, reply: str | None,
                 text: str | None, hosts: str) -> tuple[str, bool]:
    """(reason, hard), or what a provider's published code in *text* says instead (rhosts.py).

    *hosts*: the reporting and remote MTAs and the recipient's address, lower-cased.
    """
    if reason == "delivered" or not text:
        return reason, hard
    lowered = text.lower()
    if not any(m in lowered or m in hosts for m in _PROVIDER_MARKERS):
        return reason, hard
    # Only a provider's reply pays for importing its tables.
    from mailtools.bounces import rhosts
    found = rhosts.reason(text, reply, hosts)
    if found is None or found == reason:
        return reason, hard
    return found, reasons.is_hard(found, action, status, reply, text)


def _action_from_status(status: str | None) -> str | None:
    return {"2": "delivered", "4": "delayed", "5": "failed"}.get((status or " ")[0])


def _from_prose(verdict: Verdict, msg: Message, small: Message,
                parts: list[tuple[Message, bool]], report_type: str) -> Verdict:
    """Non-DSN messages: autoreplies, read receipts, and MTA prose bounces.

    *small* is *msg* parsed from at most MAX_FLUFL_RAW bytes, for flufl.bounce.
    """
    subject = _header_text(msg.get("Subject"))
    sender = dsn.fold(msg.get("From", ""))
    exchange_ndr = msg.get(_EXCHANGE_NDR) is not None
    bounce_subject = bool(textrules.BOUNCE_SUBJECT.search(subject))
    bouncey = bounce_subject or exchange_ndr or bool(textrules.BOUNCE_SENDER.search(sender))
    # MTAs mark their bounces auto-replied too (RFC 3834 asks them to), so a
    # bounce's sender or subject outranks the header; but a postmaster@ mailbox
    # has out-of-office replies of its own, and their subject says so.
    if not exchange_ndr and _is_autoreply(msg, subject) and (not bouncey or (
            not bounce_subject and textrules.AUTOREPLY_SUBJECT.search(subject))):
        return _autoreply(verdict, sender)
    if report_type == "disposition-notification" and not bouncey:
        verdict.problem = "read receipt (MDN), not a bounce"
        return verdict
    if len(parts) >= mime.MAX_PARTS:
        verdict.problem = "too many MIME parts to look for a bounce"
        return verdict
    from mailtools.bounces import readers  # only prose bounces pay for the readers
    from mailtools.bounces.heuristics import flufl_failures
    from mailtools.bounces.readers.original import read as read_original

    prose, full = mime.prose(parts)
    original = mime.original_headers(parts)
    ours = frozenset(mime.addresses(msg, _OUR_FIELDS) + mime.addresses(original, _SENDER_FIELDS)
                     + [a for a in (verdict.original_return_path,) if a])
    bounce = readers.Bounce(prose, full, ours, bouncey, dsn.addr_spec(sender) or "", subject)
    found = readers.read(bounce)
    if not found and _SES_COMPLAINT.search(full):
        addrs = dict.fromkeys(m.group(1).lower() for m in _SES_COMPLAINED.compiled().finditer(full[:MAX_FLUFL_RAW]))
        return _feedback_about(verdict, list(addrs)[:100])
    if not found and not bouncey and _auto_submitted(msg) in ("auto-generated", "auto-notified"):
        # RFC 3834's other automatic mail (ticket acknowledgements, challenge-
        # response requests, Exchange's out-of-office): an automatic reply unless
        # an MTA reader found failures in it. flufl's guesses are no reason.
        return _autoreply(verdict, sender)
    # flufl's detectors do not know who wrote the message: a person who pastes a
    # bounce about their own address into a reply is not a failing recipient.
    author = dsn.addr_spec(sender)
    found = found or [f for f in flufl_failures(small, prose) if f.address != author]
    if not found and bouncey:
        found = read_original(bounce, mime.addresses(original, ("To", "Cc")))
    delay_notice = bool(textrules.DELAY_SUBJECT.search(subject) or textrules.DELAY_WARNING.search(prose))
    success_notice = bool(_SUCCESS_NOTICE.search(prose))
    for failure in found:
        action = "delayed" if delay_notice and failure.action == "failed" else failure.action
        text = failure.diagnostic or None
        status = dsn.clean_status(failure.status) or _specific_status(text)
        reply = dsn.clean_reply(text) or textrules.find_reply_code(text)
        if action == "failed" and success_notice and _states_no_failure(status, reply, text):
            action = "delivered"    # a success notice's line ("delivered to mailbox", "250 2.0.0 Ok")
        reason, hard = reasons.decide(action, status, reply, text, None, failure.relayed)
        reason, hard = _by_provider(reason, hard, action, status, reply, text, failure.address)
        if reason in ("onhold", "undefined") and failure.address.endswith(_GROUPS_HOST):
            reason = "rejected"     # a group we may not post to (its notice is in the poster's language)
        verdict.recipients.append(RecipientVerdict(failure.address, action, status, reply, reason, hard,
                                                   mime.trim(text)))
    actions = {r.action for r in verdict.recipients}
    if "failed" in actions:
        verdict.kind = "bounce"
    elif "delayed" in actions:
        verdict.kind = "delay"
    elif "delivered" in actions:
        verdict.kind = "delivered"
    elif delay_notice and bouncey:
        verdict.kind, verdict.problem = "delay", "a delay warning that names no recipient we could read"
    elif bouncey and success_notice:
        verdict.kind, verdict.problem = "delivered", "a success notice that names no recipient we could read"
    elif bouncey:
        verdict.problem = "looks like a delivery failure, but no failing address was found"
    else:
        verdict.problem = "not a bounce, autoreply, feedback report or DSN"
    _no_hard_unless_bounce(verdict)
    return _unless_hearsay(verdict, msg)


def _unless_hearsay(verdict: Verdict, msg: Message) -> Verdict:
    """*verdict*, with nothing hard when a person wrote *msg* as a reply or a forward.

    What a person pastes or forwards may be about anyone: it is read, never acted on as hard.
    """
    if verdict.recipients and _persons_reply(msg, _header_text(msg.get("Subject")), dsn.fold(msg.get("From", ""))):
        verdict.problem = "a person's reply or forward quoting a failure notice"
        for r in verdict.recipients:
            r.hard = False
    return verdict


def _states_no_failure(status: str | None, reply: str | None, text: str | None) -> bool:
    """No 4xx/5xx code and no words of a failure reason beside a recipient."""
    if (status or "2")[0] != "2" or (reply or "2")[0] != "2":
        return False
    return textrules.match_text(text) is None


def _persons_reply(msg: Message, subject: str, sender: str) -> bool:
    """Whether a person wrote *msg* as a reply or a forward (see _REPLY_SUBJECT)."""
    if not _REPLY_SUBJECT.search(subject) or _MAIL_SYSTEM.search(sender):
        return False
    return all(msg.get(name) is None for name in _NOTICE_FIELDS)


def _autoreply(verdict: Verdict, sender: str) -> Verdict:
    verdict.kind = "autoreply"
    addr = dsn.addr_spec(sender)
    if addr:
        verdict.recipients = [RecipientVerdict(addr, None, None, None, "vacation", False)]
    return verdict


def _auto_submitted(msg: Message) -> str:
    """The RFC 3834 Auto-Submitted keyword, lower-cased, without its parameters or comment, or ""."""
    words = dsn.fold(msg.get("Auto-Submitted", "")).lower().replace(";", " ").replace("(", " ").split()
    return words[0] if words else ""     # "auto-replied (vacation)" (Sieve) is "auto-replied"


def _is_autoreply(msg: Message, subject: str) -> bool:
    if _auto_submitted(msg) == "auto-replied":
        return True
    if any(msg.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation")):
        return True
    if dsn.fold(msg.get("X-Apple-Action", "")).lower() == "vacation":
        return True     # iCloud's vacation responder
    if dsn.fold(msg.get("Precedence", "")).lower() == "auto_reply":
        return True
    return bool(textrules.AUTOREPLY_SUBJECT.search(subject))


def _header_text(value: object) -> str:
    """A header decoded from RFC 2047 where it can be, else as it came."""
    text = dsn.fold(value or "")
    if "=?" not in text:
        return text
    try:
        from email.header import decode_header, make_header
        return dsn.fold(make_header(decode_header(text)))
    except Exception:  # noqa: BLE001 - a broken encoded-word is just text
        return text


def _no_hard_unless_bounce(verdict: Verdict) -> None:
    # The last line of defence: only a bounce may disable an address.
    if verdict.kind != "bounce":
        for r in verdict.recipients:
            r.hard = False
