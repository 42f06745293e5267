"""Decide one recipient's reason and hardness from status, reply code and text.

This is the only place that says what "hard" means. The rule in DESIGN.md: hard
only when the address itself is bad (userunknown, hostunknown, hasmoved, and
notaccept for a domain that accepts no mail), and only for a permanent failure.
A 5.x.x status alone is never enough: the enhanced code, the SMTP reply and the
diagnostic text are read together, and when they disagree the soft reading wins.
"""

from __future__ import annotations

from mailtools.bounces.textrules import (
    ACCOUNT_LOOKUP,
    DOMAIN_TAKES_NO_MAIL,
    WEAK_TEXT_REASONS,
    match_text,
    says_no_such_mailbox,
    smtp_command,
)

REASONS = frozenset({
    "userunknown", "hostunknown", "hasmoved", "notaccept", "mailboxfull", "exceedlimit",
    "mesgtoobig", "blocked", "badreputation", "requireptr", "spamdetected", "virusdetected",
    "policyviolation", "rejected", "filtered", "expired", "suspend", "systemerror",
    "systemfull", "networkerror", "norelaying", "securityerror", "authfailure",
    "failedstarttls", "contenterror", "notcompliantrfc", "syntaxerror", "toomanyconn",
    "speeding", "mailererror", "onhold", "undefined", "delivered", "vacation", "feedback",
})

HARD_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved", "notaccept"})

# RFC 3463 subject.detail -> reason, after sisimai's Sisimai::SMTP::Status
# table (x.2.3 "message length exceeds administrative limit" is exceedlimit,
# x.4.1 "no answer from host" expired, x.4.6 a routing loop networkerror). Codes that say nothing about the
# address map to soft reasons.
STATUS_REASONS: dict[str, str] = {
    "1.1": "userunknown", "1.3": "userunknown", "1.2": "hostunknown", "1.6": "hasmoved",
    "1.7": "rejected", "1.8": "rejected", "1.10": "notaccept",
    "2.0": "filtered", "2.1": "suspend", "2.2": "mailboxfull", "2.3": "exceedlimit",
    "2.4": "systemerror",
    "3.0": "systemerror", "3.1": "systemfull", "3.2": "notaccept", "3.3": "systemerror",
    "3.4": "mesgtoobig", "3.5": "systemerror",
    "4.0": "networkerror", "4.1": "expired", "4.2": "networkerror",
    "4.3": "networkerror", "4.4": "hostunknown", "4.5": "systemerror",
    "4.6": "networkerror", "4.7": "expired",
    "5.0": "syntaxerror", "5.1": "syntaxerror", "5.2": "syntaxerror", "5.3": "toomanyconn",
    "5.4": "syntaxerror", "5.5": "syntaxerror", "5.6": "syntaxerror",
    "6.0": "contenterror", "6.1": "contenterror", "6.2": "contenterror",
    "6.3": "contenterror", "6.4": "contenterror", "6.5": "contenterror",
    "6.6": "contenterror", "6.7": "contenterror", "6.8": "contenterror",
    "7.0": "securityerror", "7.1": "rejected", "7.2": "policyviolation",
    "7.3": "securityerror", "7.4": "securityerror", "7.5": "securityerror",
    "7.6": "securityerror", "7.7": "securityerror", "7.8": "securityerror",
    "7.9": "securityerror", "7.10": "failedstarttls", "7.11": "failedstarttls",
    "7.12": "securityerror", "7.13": "suspend", "7.14": "securityerror",
    "7.15": "securityerror", "7.16": "securityerror", "7.17": "hasmoved",
    "7.18": "hasmoved", "7.19": "securityerror", "7.20": "authfailure",
    "7.21": "authfailure", "7.22": "authfailure", "7.23": "authfailure",
    "7.24": "authfailure", "7.25": "requireptr", "7.26": "authfailure",
    "7.27": "rejected", "7.28": "speeding", "7.29": "authfailure", "7.30": "failedstarttls",
}

# Bare SMTP replies, used only when there is neither text nor status to go on.
REPLY_REASONS: dict[str, str] = {
    "421": "systemerror", "450": "onhold", "451": "systemerror", "452": "systemfull",
    "552": "mailboxfull", "554": "onhold", "556": "notaccept",
}

# Evidence that a notaccept is the *domain* refusing all mail (null MX,
# RFC 7505), not a server under maintenance (5.3.2).
_DOMAIN_NOTACCEPT_STATUS = frozenset({"5.1.10"})

# Reasons a delay or an expiry keeps because they name a recipient-side cause.
_KEEP_ON_EXPIRY = frozenset({"mailboxfull", "suspend", "mesgtoobig", "exceedlimit"})

_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})


def status_reason(status: str | None) -> str | None:
    """The reason an enhanced status code alone points to, or None."""
    if not status:
        return None
    parts = status.split(".")
    if len(parts) != 3:
        return None
    if parts[0] == "2":
        return "delivered"
    return STATUS_REASONS.get(f"{parts[1]}.{parts[2]}")


def _subject(status: str | None) -> str:
    """The subject of an enhanced status code ("1" in "5.1.1"), or ""."""
    parts = (status or "").split(".")
    return parts[1] if len(parts) == 3 else ""


def _names_address(status: str | None) -> bool:
    """Whether a status is about the address (x.1.x, x.4.x) or says nothing either way (x.y.0).

    x.2.x is the mailbox's state (full, disabled, "other": sisimai's
    filtered): beside "unknown user" with no RCPT, a filter is speaking. A
    policy status (x.7.x) beside plain words does not count against them
    (DESIGN.md: 5.7.1 beside "no such user" is what the text says), nor does
    no status at all (a prose bounce: its words are all we have).
    """
    return _subject(status) != "2"


def _relayed_reply(status: str | None, reply_code: str | None, text: str | None, relayed: bool) -> bool:
    """Whether the words are a 5xx reply some server sent, with no status that names the address.

    A gateway or relay that quotes "550 unknown user" from the next hop
    without saying which command it answered (McAfee, MXLogic, MailFoundry
    appliances, DSNs with Status 5.0.0 or a policy 5.7.x) may be passing on a
    filter's refusal of the message: sisimai reads that as "filtered" unless
    the reply came at RCPT. Words a reporting MTA states itself, with no
    reply code ("Unknown user: a@b" from IMail, Notes, Exchange), are its own
    directory speaking and stay userunknown; so does a status about the
    address or the mail system (x.1.x, x.4.x, x.5.x), and a provider's reply
    about its own accounts (textrules.ACCOUNT_LOOKUP).

    A DSN's "Diagnostic-Code: smtp; ..." is such a reply by definition (RFC
    3464), reply code or not (*relayed*). Exchange 5.5-2003 NDRs say it their
    own way: an "MSEXCH:" line with the code "(000C05A6) Unknown Recipient"
    is the directory's verdict, one with no code is the connector passing on
    another server's refusal.
    """
    if _subject(status) not in ("", "0", "7") or ACCOUNT_LOOKUP.search(text or ""):
        return False
    if relayed or reply_code and reply_code.startswith("5"):
        return True
    lowered = (text or "").lower()
    return "msexch:" in lowered and "(000c05a6)" not in lowered


def is_temporary(action: str | None, status: str | None, reply_code: str | None) -> bool:
    """Whether what we know describes a temporary (4xx, delayed) condition."""
    return (
        action == "delayed"
        or bool(status and status.startswith("4."))
        or bool(reply_code and reply_code.startswith("4"))
    )


def decide(
    action: str | None, status: str | None, reply_code: str | None, text: str | None,
    command: str | None = None, relayed: bool = False,
) -> tuple[str, bool]:
    """Return (reason, hard) for one failing recipient.

    *text* is the diagnostic (or the bounce prose near the address for a
    non-DSN bounce). Text rules beat a generic status; a precise status beats
    the vaguer text rules (WEAK_TEXT_REASONS), except words that plainly say
    the mailbox does not exist. The SMTP command the reply answered (*command*:
    "HELO", "MAIL", "RCPT", "DATA", "" when none is known; None to read it
    from *text*) decides between the address and the sender or the content.
    *relayed* says *text* is a remote MTA's reply as a DSN's Diagnostic-Code
    (type smtp) carries it, even without a reply code.
    Never raises.
    """
    if action in _SUCCESS_ACTIONS or (status or "").startswith("2."):
        return "delivered", False

    by_text = match_text(text)
    by_status = status_reason(status)
    # x.y.0 is "other or undefined" within its class: the text knows better.
    generic_status = status is None or status.endswith(".0")
    plainly_unknown = by_text == "userunknown" and says_no_such_mailbox(text or "")

    if by_text and (generic_status or plainly_unknown or by_text not in WEAK_TEXT_REASONS or by_status is None):
        reason = by_text
        # Vague words ("mailbox unavailable") beside a security/policy status
        # (x.7.x): servers say them for any refusal. Trust the status.
        if reason == "userunknown" and not plainly_unknown and by_status and _subject(status) == "7":
            reason = by_status
    elif by_status:
        reason = by_status
    elif reply_code in REPLY_REASONS:
        reason = REPLY_REASONS[reply_code]
    elif action == "delayed":
        reason = "expired"
    elif text and text.strip():
        reason = "onhold"
    else:
        reason = "undefined"

    if command is None:
        command = smtp_command(text)
    if command == "HELO" and (by_text is None or by_text in WEAK_TEXT_REASONS):
        reason = "blocked"     # refused at the greeting or HELO: our host, before any address
    if reason in HARD_REASONS or by_text is None and command == "MAIL":
        if command == "MAIL" or by_status == "rejected" and _subject(status) == "1":
            # Refused at MAIL FROM, or x.1.7/x.1.8 (bad sender address): the
            # server refused *us*, whatever it said about domains or users.
            reason = "rejected"
        elif reason == "userunknown" and (command == "DATA" and by_status != "userunknown"
                                          and not ACCOUNT_LOOKUP.search(text or "")
                                          or command != "RCPT" and (
                not _names_address(status) or _relayed_reply(status, reply_code, text, relayed))):
            # "Unknown user" after the message was seen, or beside a mailbox
            # status (x.2.x), or quoted from a remote server's reply, with no
            # RCPT to tie it to the address: sisimai's "filtered", a content
            # or recipient filter speaking, not a mailbox that does not exist.
            reason = "filtered"

    temporary = is_temporary(action, status, reply_code)
    if temporary and action in ("failed", None) and status and status.startswith("4."):
        # A "failed" with a 4.x.x code is a message that timed out in the
        # queue (Postfix's "expired" DSN): the address was never refused.
        # What the last reply said (or a precise status) still names the
        # cause, when it names one.
        if by_text is None and generic_status and reason not in _KEEP_ON_EXPIRY:
            reason = "expired"
    if temporary and reason == "hostunknown":
        reason = "networkerror"     # a DNS lookup that failed for now

    return reason, is_hard(reason, action, status, reply_code, text, temporary)


def is_hard(
    reason: str, action: str | None, status: str | None, reply_code: str | None,
    text: str | None, temporary: bool | None = None,
) -> bool:
    """Whether a failure with this reason says the address itself is bad."""
    if reason not in HARD_REASONS:
        return False
    if temporary is None:
        temporary = is_temporary(action, status, reply_code)
    if temporary or action not in ("failed", None):
        return False
    if reason == "notaccept":
        return (
            status in _DOMAIN_NOTACCEPT_STATUS
            or reply_code == "556"
            or DOMAIN_TAKES_NO_MAIL.search(text or "") is not None
        )
    return True
