"""Complaints (ARF feedback reports) and mailto unsubscribes that reach bounce-ingest.

Whose complaint it is comes from what we can verify, never from the report's
own words: the VERP address in the quoted original's Return-Path (verified by
the ingester like a bounce's), or else the original's Message-ID in the send
log, narrowed to one recipient. A mailto unsubscribe is verified by the MAC
of its address (mailtools.bounces.unsubscribe) and found in the send log by
its VERP hash. Either suppresses at once, records an event and queues the
hooks and webhook; nothing else is sent (no notice to someone who called our
mail spam). What cannot be verified changes nothing and is kept as
unrecognized with why (the ingester's ``why``).
"""

from __future__ import annotations

from ..log import get_logger
from . import unsubscribe

TYPE_CHECKING = False  # typing costs ~3 ms of start-up (one process per bounce)
if TYPE_CHECKING:
    from .ingest import Analysis, Ingester

log = get_logger("mailtools.bounces.complaints")
UNSUBSCRIBE = "unsubscribe"  # the kind of a mailto unsubscribe in the analysis (and --dry-run --json)
# Feedback reports that are no complaint: the person marked our mail "not spam"
# (RFC 5965 3.5), or a receiver reports an SPF/DKIM/DMARC failure (RFC 6591).
# They are kept as processed; suppressing the person for them would be wrong.
NOT_COMPLAINTS = frozenset({"not-spam", "auth-failure"})


def attribute(ingester: Ingester, analysis: Analysis, candidates: list[str]) -> bool:
    """For a message with no VERP address: is it a mailto unsubscribe, or a complaint by Message-ID?

    True when it was taken up here (``analysis`` filled in, ``why`` saying
    what failed, if anything); False leaves it to the ingester.
    """
    for address in candidates:
        found = unsubscribe.parse_mailto(address, ingester.prefix)
        if found is not None:
            analysis.verdict.kind = UNSUBSCRIBE
            analysis.why = _verify_mailto(ingester, analysis, address, *found)
            analysis.valid = analysis.why is None
            return True
    if analysis.verdict.kind == "feedback" and analysis.verdict.message_id:
        analysis.why = _by_message_id(ingester, analysis)
        analysis.valid = analysis.why is None
        return True
    return False


def _verify_mailto(ingester: Ingester, analysis: Analysis, address: str, verp_hash: str, mac: str) -> str | None:
    if ingester.state is None or ingester.secret is None:
        return "no send log or secret in this spool"
    if not unsubscribe.mailto_valid(ingester.secret, ingester.prefix, verp_hash, mac):
        return f"{address}: unsubscribe address does not verify (forged or from another installation)"
    row = ingester.state.lookup_send(verp_hash)
    if row is None:
        return f"{address}: no send-log entry for hash {verp_hash} (purged after retention.sent_days?)"
    analysis.send = row
    return None


def _by_message_id(ingester: Ingester, analysis: Analysis) -> str | None:
    """The one send-log row the report's quoted Message-ID and named recipient lead to."""
    message_id = analysis.verdict.message_id or ""
    if ingester.state is None:
        return "no send log in this spool"
    rows = ingester.state.sends_for_message(message_id)
    if not rows:
        return f"feedback report about Message-ID {message_id}: not in the send log (not ours, or purged)"
    if len(rows) > 1:
        named = {r.address.lower() for r in analysis.verdict.recipients}
        rows = [r for r in rows if r.recipient in named]
        if len(rows) != 1:
            return (f"feedback report about Message-ID {message_id}, a message to several recipients, "
                    "names none of them (redacted?)")
    analysis.send = rows[0]
    return None


def record(ingester: Ingester, analysis: Analysis, now: float) -> bool:
    """Suppress the recipient of a verified complaint or mailto unsubscribe; False if it changed nothing."""
    from .suppression import record as suppression

    send = analysis.send
    assert send is not None and ingester.state is not None
    complaint = analysis.kind == "feedback"
    if complaint and analysis.verdict.feedback_type in NOT_COMPLAINTS:
        log.info("feedback: to=<%s> type=%s: not a complaint, nothing suppressed", send.recipient,
                 analysis.verdict.feedback_type)
        return False
    sender = send.sender or ""
    package = send.package_id or None
    row = suppression(
        ingester.config, send.recipient, "complaint" if complaint else "unsubscribe",
        "arf" if complaint else "mailto", now,
        # A complaint stops all mail; an unsubscribe that package's (all mail when the mail had none).
        scope=None if complaint else package, package_id=package, user_id=send.user_id,
        message_id=send.message_id, sending_domain=sender.rpartition("@")[2] or None,
        # One report per recipient of one message: a redelivered report counts once.
        key=f"{'complaint' if complaint else 'unsubscribe'}:{send.hash}")
    new = ingester.state.record_suppressions([row])[0]
    log.info("%s: to=<%s> package=%s suppressed=%s", row.reason, row.address, package or "-",
             "new" if new else "already")
    return new
