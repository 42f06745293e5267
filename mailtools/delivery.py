"""Deliver one claimed message: suppression, VERP, transport, per-recipient outcome.

The outcome is recorded per recipient (2xx sent, 4xx deferred with backoff,
5xx dropped with the server's reply), so one refused recipient never blocks
the others and a message whose recipients end differently keeps each state.
"""

from __future__ import annotations

import sqlite3

from . import state, verp
from .config import Config
from .envelope import DEFERRED, DROPPED, PENDING, SENT, Envelope, Recipient
from .errors import DataError
from .log import get_logger
from .message import domain_of
from .record import Record
from .secret import load_secret
from .spool import Claim, Spool
from .transport.base import Reply
from .transport.sendmail import SendmailTransport
from .transport.smtp import SmtpTransport

log = get_logger("mailtools.flush")
SUPPRESSED = "suppressed: address disabled after repeated hard bounces (bounce-enable re-enables it)"


class Summary(Record):
    sent: int = 0
    deferred: int = 0
    dropped: int = 0
    suppressed: int = 0
    messages: int = 0

    def to_json(self) -> dict[str, int]:
        return {"sent": self.sent, "deferred": self.deferred, "dropped": self.dropped,
                "suppressed": self.suppressed}


def backoff(config: Config, attempts: int) -> float:
    """Postfix-like: min_backoff, doubling per attempt, capped at max_backoff."""
    retry = config.retry
    return min(retry.max_backoff, retry.min_backoff * 2 ** max(0, attempts - 1))


class Deliverer:
    """Holds what one mq-flush run reuses: connections, the DB, the secret."""

    def __init__(self, config: Config, spool: Spool) -> None:
        self.config, self.spool = config, spool
        self.summary = Summary()
        self.secret = load_secret(spool.root)
        self.db: sqlite3.Connection = state.connect(spool.root)
        self.transports: dict[str, SmtpTransport | SendmailTransport] = {}

    def transport_for(self, sender: str) -> SmtpTransport | SendmailTransport:
        account = self.config.senders.get(sender) or self.config.senders.get(sender.lower())
        key = sender.lower() if account and account.host else ""
        if key not in self.transports:
            base = self.config.transport
            if account and account.host:
                self.transports[key] = SmtpTransport(
                    account.host, account.port or base.port, account.starttls or base.starttls, base.timeout,
                    account.username, account.password_file)
            elif base.kind == "sendmail":
                self.transports[key] = SendmailTransport(base.sendmail_path, base.timeout)
            else:
                self.transports[key] = SmtpTransport(base.host, base.port, base.starttls, base.timeout,
                                                     base.username, base.password_file)
        return self.transports[key]

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
        self.db.close()

    def deliver(self, claim: Claim, now: float) -> str:
        """Try every waiting recipient of a claimed message; settle it; return its new state."""
        try:
            queue_file = self.spool.load(claim.path)
        except DataError as exc:
            log.error("%s: damaged queue file, held for a person to look at: %s", claim.id, exc)
            self.spool.settle(claim, "held")
            return "held"
        envelope, message = queue_file.envelope, queue_file.message
        waiting = self._apply_suppression(envelope, now)
        if waiting:
            self._send(envelope, message, waiting, now)
            envelope.attempts += 1
        target = self._settle_state(envelope, now)
        self.spool.rewrite(claim, envelope, message)
        self.spool.settle(claim, target)
        sent = [r.address for r in waiting if r.state == SENT]
        if sent:
            state.mark_sent(self.db, sent, now)
        self.summary.messages += 1
        return target

    def _apply_suppression(self, envelope: Envelope, now: float) -> list[Recipient]:
        waiting = envelope.waiting
        if envelope.bypass_suppression or not waiting:
            return waiting
        disabled = state.disabled_addresses(self.db, [r.address for r in waiting])
        for recipient in waiting:
            if recipient.address.lower() in disabled:
                self._outcome(envelope, recipient, DROPPED, SUPPRESSED, now)
                self.summary.suppressed += 1
        return [r for r in waiting if r.state not in (DROPPED, SENT)]

    def _send(self, envelope: Envelope, message: bytes, waiting: list[Recipient], now: float) -> None:
        bounce = self.config.bounce
        domain = bounce.domain or domain_of(envelope.sender)
        addresses = [verp.make(self.secret, bounce.prefix, domain, envelope.user_id, envelope.package_id,
                               envelope.message_id or "", r.address) for r in waiting]
        # The send log is written before the first byte leaves: a bounce can
        # come back within a second and must find its row.
        state.record_sends(self.db, [
            (a.hash, r.address.lower(), envelope.message_id, envelope.user_id, envelope.package_id,
             envelope.sender, envelope.id, now) for a, r in zip(addresses, waiting, strict=True)])
        transport = self.transport_for(envelope.sender)
        data = message.replace(b"\n", b"\r\n") if isinstance(transport, SmtpTransport) else message
        for address, recipient in zip(addresses, waiting, strict=True):
            reply = transport.send(address.address, recipient.address, data)
            self._record_reply(envelope, recipient, reply, now)

    def _record_reply(self, envelope: Envelope, recipient: Recipient, reply: Reply, now: float) -> None:
        kind = reply.kind
        if kind == SENT:
            self._outcome(envelope, recipient, SENT, None, now)
            self.summary.sent += 1
        elif kind == DROPPED:
            self._outcome(envelope, recipient, DROPPED, str(reply), now)
            self.summary.dropped += 1
        else:
            self._outcome(envelope, recipient, DEFERRED, str(reply), now)
        log.info("%s: to=<%s> status=%s reply=%s", envelope.id, recipient.address, kind, reply)

    @staticmethod
    def _outcome(envelope: Envelope, recipient: Recipient, new_state: str, error: str | None, now: float) -> None:
        recipient.state, recipient.error, recipient.time = new_state, error, now

    def _settle_state(self, envelope: Envelope, now: float) -> str:
        retry = self.config.retry
        deferred = [r for r in envelope.recipients if r.state in (DEFERRED, PENDING)]
        if deferred:
            give_up = None
            if now - envelope.created >= retry.max_age_days * 86400:
                give_up = f"gave up: queued longer than {retry.max_age_days:g} days (retry.max_age_days)"
            elif envelope.attempts >= retry.max_attempts:
                give_up = f"gave up after {envelope.attempts} attempts (retry.max_attempts)"
            if give_up is None:
                envelope.next_attempt = now + backoff(self.config, envelope.attempts)
                self.summary.deferred += len(deferred)
                return "deferred"
            for recipient in deferred:
                self._outcome(envelope, recipient, DROPPED, f"{give_up}; last error: {recipient.error}", now)
                self.summary.dropped += 1
        envelope.next_attempt = None
        envelope.done_at = now
        return "sent" if any(r.state == SENT for r in envelope.recipients) else "dropped"
