"""Deliver one claimed message: suppression, VERP, transport, per-recipient outcome.

The outcome is recorded per recipient (2xx sent, 4xx deferred with backoff,
5xx dropped with the server's reply), so one refused recipient never blocks
the others and a message whose recipients end differently keeps each state.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from ..config import Config
from ..errors import DataError, MailtoolsError, TempFailure, UsageError
from ..fsutil import unlink_quietly
from ..log import dsn, event, get_logger
from ..secret import load_secret
from ..state import open_state
from ..state.base import SendRecord
from . import verp
from .envelope import DEFERRED, DROPPED, PENDING, SENT, Envelope, Recipient
from .message import domain_of
from .retry import backoff, give_up_reason
from .spool import Claim, Spool
from .transport.base import Reply
from .transport.pool import TransportPool
from .transport.smtp import SmtpTransport

TYPE_CHECKING = False  # concurrent.futures is imported only when a run sends over several connections
if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

log = get_logger(__name__)
DISK_MARGIN = 256 * 1024  # room kept for SQLite's journal and the directories
DELIVERY_STATUS = {"sent": "sent", "deferred": "deferred", "dropped": "bounced"}  # Postfix's words in the log
SUPPRESSED = "suppressed: address disabled after repeated hard bounces (bounce-enable re-enables it)"


@dataclass
class Summary:
    sent: int = 0
    deferred: int = 0
    dropped: int = 0
    suppressed: int = 0
    messages: int = 0
    stopped: bool = False  # a signal stopped the run: what was in flight is recorded, the rest waits

    def to_json(self) -> dict[str, int]:
        return {"sent": self.sent, "deferred": self.deferred, "dropped": self.dropped,
                "suppressed": self.suppressed}


@dataclass
class Job:
    """One claimed message on its way through a batch."""

    claim: Claim
    envelope: Envelope | None = None
    message: bytes = b""
    work: list = field(default_factory=list)  # [(Recipient, VerpAddress)] to send now
    replies: list = field(default_factory=list)
    target: str = ""


class Deliverer:
    """Holds what one mq-flush run reuses: connections (one per worker thread), the DB, the secret.

    Messages go through in batches: the send log of the whole batch is
    committed before its first byte leaves, the batch is sent over
    ``transport.connections`` parallel connections, and its outcomes are
    written with one filesystem sync instead of two fsyncs per message.
    """

    def __init__(self, config: Config, spool: Spool, stop: threading.Event | None = None) -> None:
        self.config, self.spool = config, spool
        # Set by mq-flush on SIGINT/SIGTERM: no new transaction starts; those in flight
        # end (within the transport's timeout) and are recorded (DESIGN spool rule 3).
        self.stop = stop or threading.Event()
        self.summary = Summary()
        self.waiting_for_space = 0  # messages not sent because their outcome could not be written
        self.secret = load_secret(spool.root, secret_file=config.secret_file)
        self.db = open_state(config)
        self.connections = max(1, config.transport.connections)
        self.transports = TransportPool(config)
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.transports.close()
        self.db.close()

    def deliver(self, claim: Claim, now: float) -> str:
        """One message alone (mq-send --now); returns its new state."""
        return self.deliver_batch([claim], now)[0]

    def deliver_batch(self, claims: list[Claim], now: float) -> list[str]:
        """Try every waiting recipient of each claimed message; settle them; return their states."""
        jobs: list[Job] = []
        try:
            jobs = [self._load(claim) for claim in claims]
            suppressed = self._suppressions(jobs)
            for job in jobs:
                self._prepare(job, suppressed, now)
            live = self._room_for([job for job in jobs if job.envelope is not None])
            self._send_all(live, now)
            live = self._give_back_untried(live)
            for job in live:
                self._record(job, now)
            self._write(live)
        except BaseException:
            # A full disk, a config error, a bug: give back every claim not yet
            # settled (a rename needs no space), so nothing waits in active/ for
            # crash recovery, which would count an attempt and hold after three.
            self._give_back(claims)
            raise
        sent = [r.address for job in live for r, _ in job.work if r.state == SENT]
        if sent:
            self._mark_sent(sent, now)
        self.summary.messages += len(jobs)
        return [job.target for job in jobs]

    def _mark_sent(self, sent: list[str], now: float) -> None:
        """Mark the recipients sent in the state database, once more if the connection was lost.

        The mail has gone and its files say so: nothing sends it again, so a
        mark lost here would stay lost. A connection dropped in the middle
        (PostgreSQL restarted, the session terminated) is opened again for a
        second try; the marks are idempotent. If that fails too, TempFailure.
        """
        try:
            self.db.mark_sent(sent, now)
        except TempFailure as exc:
            log.warning("marking %d recipient(s) sent: %s; trying once more", len(sent), exc)
            self.db.mark_sent(sent, now)

    def _room_for(self, jobs: list[Job]) -> list[Job]:
        """The jobs whose outcome the disk can still record; the others go back unsent.

        Recording an outcome rewrites the whole message: sending one that
        cannot then be recorded would send it again on every run while the
        disk is full. What does not fit waits (unchanged, no attempt counted).
        """
        try:
            stat = os.statvfs(self.spool.root)
        except OSError:
            return jobs
        free = stat.f_bavail * stat.f_frsize - DISK_MARGIN
        fits = []
        for job in jobs:
            assert job.envelope is not None  # the caller passes only loaded jobs
            need = len(job.message) + 4096 * (1 + len(job.envelope.recipients) // 16)
            if need <= free:
                free -= need
                fits.append(job)
            else:
                log.warning("%s: not enough disk space to record its delivery; it waits", job.claim.id)
                self.waiting_for_space += 1
                self._give_back([job.claim])
                job.target = job.claim.came_from
        return fits

    def _give_back_untried(self, jobs: list[Job]) -> list[Job]:
        """After a stop: messages whose transactions never started go back as they were.

        No attempt is counted and nothing is rewritten: the claim is renamed back
        to where it came from, so the next run (or another flusher) takes it up.
        """
        untried = [job for job in jobs if job.work and not job.replies]
        if not untried:
            return jobs
        self._give_back([job.claim for job in untried])
        for job in untried:
            job.target = job.claim.came_from
        return [job for job in jobs if not (job.work and not job.replies)]

    def _give_back(self, claims: list[Claim]) -> None:
        for claim in claims:
            if not os.path.exists(claim.path):
                continue  # settled before the failure
            target = "deferred" if claim.came_from == "active" else claim.came_from
            try:
                self.spool.settle(claim, target, sync=False)
            except MailtoolsError as exc:
                log.error("%s: could not give back its claim (%s); the next run recovers it", claim.id, exc)

    def _send_all(self, live: list[Job], now: float) -> None:
        rows: list[SendRecord] = []
        for j in live:
            envelope = j.envelope
            assert envelope is not None  # live jobs are loaded ones
            rows += [SendRecord(a.hash, r.address.lower(), envelope.message_id, envelope.user_id,
                                envelope.package_id, envelope.sender, envelope.id, now)
                     for r, a in j.work if a.hash]
        if rows:
            # The send log is committed before the first byte leaves: a bounce
            # can come back within a second and must find its row.
            self.db.add_sends(rows)
        sending = [job for job in live if job.work]
        if self.connections > 1 and len(sending) > 1:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.connections, thread_name_prefix="smtp")
            list(self._pool.map(self._send, sending))
        else:
            for job in sending:
                self._send(job)

    def _load(self, claim: Claim) -> Job:
        job = Job(claim)
        try:
            queue_file = self.spool.load(claim.path)
        except DataError as exc:
            log.error("%s: damaged queue file, held for a person to look at: %s", claim.id, exc)
            self.spool.settle(claim, "held")
            job.target = "held"
            return job
        job.envelope, job.message = queue_file.envelope, queue_file.message
        return job

    def _suppressions(self, jobs: list[Job]) -> dict[str | None, dict[str, str]]:
        """Who of the whole batch is suppressed: one query per package, not one per message.

        On PostgreSQL each query is a round trip to another host; a batch of
        a hundred one-recipient messages must not make a hundred.
        """
        wanted: dict[str | None, set[str]] = {}
        for job in jobs:
            if job.envelope is not None and not job.envelope.bypass_suppression:
                wanted.setdefault(job.envelope.package_id, set()).update(r.address for r in job.envelope.waiting)
        return {package: self.db.is_suppressed(sorted(addresses), package)
                for package, addresses in wanted.items() if addresses}

    def _prepare(self, job: Job, suppressed: dict[str | None, dict[str, str]], now: float) -> None:
        if job.envelope is None:
            return  # held: its file could not be read
        waiting = self._apply_suppression(job.envelope, suppressed.get(job.envelope.package_id, {}), now)
        bounce = self.config.bounce
        domain = bounce.domain or domain_of(job.envelope.sender)
        try:
            job.work = [(r, verp.NullSender() if not job.envelope.sender else
                         verp.make(self.secret, bounce.prefix, domain, job.envelope.user_id,
                                   job.envelope.package_id, job.envelope.message_id or "", r.address))
                        for r in waiting]
        except UsageError as exc:
            # Ids queued before mq-send checked them (or a longer prefix since):
            # no bounce address can be made, so the message cannot be sent.
            for recipient in waiting:
                self._outcome(recipient, DROPPED, f"cannot make a bounce address: {exc}", now)
                self.summary.dropped += 1
            job.work = []

    def _apply_suppression(self, envelope: Envelope, suppressed: dict[str, str], now: float) -> list[Recipient]:
        waiting = envelope.waiting
        if envelope.bypass_suppression or not waiting:
            return waiting
        for recipient in waiting:
            reason = suppressed.get(recipient.address.lower())
            if reason is not None:
                why = SUPPRESSED if reason == "bounce" else f"suppressed: {reason} (bounce-enable lifts it)"
                self._outcome(recipient, DROPPED, why, now)
                event(log, envelope.id, to=recipient.address, status="suppressed", detail=why)
                self.summary.suppressed += 1
        return [r for r in waiting if r.state not in (DROPPED, SENT)]

    def _send(self, job: Job) -> None:
        """In a worker thread: one transaction per recipient on this thread's connection.

        A failure here belongs to this job alone (a sender account whose
        password_file is missing, a bug): its unsent recipients are deferred
        with the reason, and the other jobs of the batch, some already
        delivered, are recorded as usual instead of being given back and sent
        again by the next run.
        """
        assert job.envelope is not None  # only loaded jobs are sent
        try:
            transport = self.transports.for_sender(job.envelope.sender)
            data = job.message.replace(b"\n", b"\r\n") if isinstance(transport, SmtpTransport) else job.message
            for recipient, address in job.work:
                if self.stop.is_set():
                    break  # stopping: the recipients left keep their state for the next run
                if job.envelope.unsubscribe == "per-recipient":  # its own List-Unsubscribe, signed (issue 14)
                    data = self._personal(job, recipient.address, address.hash, transport)
                job.replies.append(transport.send(address.address, recipient.address, data))
        except Exception as exc:  # noqa: BLE001 - contained to this message, logged, retried later
            known = isinstance(exc, MailtoolsError)
            text = str(exc) if known else f"internal error: {exc!r}"
            log.error("%s: %s", job.envelope.id, text, exc_info=not known)
            job.replies += [Reply(451, text)] * (len(job.work) - len(job.replies))
        if job.replies and self.stop.is_set() and len(job.replies) < len(job.work):
            log.info("%s: stopping after %d of %d recipients; the rest is tried by the next run",
                     job.envelope.id, len(job.replies), len(job.work))

    def _personal(self, job: Job, recipient: str, verp_hash: str, transport: object) -> bytes:
        from .list_unsubscribe import for_recipient

        assert job.envelope is not None  # only loaded jobs are sent
        data = for_recipient(self.config, self.secret, job.envelope, job.message, recipient, verp_hash)
        return data.replace(b"\n", b"\r\n") if isinstance(transport, SmtpTransport) else data

    def _record(self, job: Job, now: float) -> None:
        envelope = job.envelope
        assert envelope is not None  # only loaded jobs are recorded
        for (recipient, address), reply in zip(job.work, job.replies, strict=False):  # fewer replies after a stop
            self._record_reply(envelope, recipient, reply, now)
            event(log, envelope.id, to=recipient.address, relay=self.transports.relay(envelope.sender),
                  from_=address.address, delay=now - envelope.created, dsn=dsn(reply.code, reply.text),
                  status=DELIVERY_STATUS[reply.kind], detail=str(reply))
        if job.work:
            envelope.attempts += 1
        job.target = self._settle_state(envelope, now)
        if len(job.replies) < len(job.work) and job.target == "deferred":
            envelope.next_attempt = now  # stopped half way: the untried recipients are due at once

    def _write(self, jobs: list[Job]) -> None:
        """Outcomes to disk: every file complete and synced before any rename publishes it."""
        staged: list[tuple[Job, str]] = []
        try:
            for job in jobs:
                assert job.envelope is not None  # only loaded jobs are written
                staged.append((job, self.spool.stage(job.envelope, job.message)))
            if staged:
                self.spool.sync()
        except BaseException:
            for _, tmp in staged:
                unlink_quietly(tmp)
            raise
        for job, tmp in staged:
            self.spool.publish(job.claim, tmp, job.target)
        for target in {job.target for job in jobs}:
            self.spool.sync_dir(target)

    def _record_reply(self, envelope: Envelope, recipient: Recipient, reply: Reply, now: float) -> None:
        recipient.attempts += 1
        kind = reply.kind
        if kind == SENT:
            self._outcome(recipient, SENT, None, now)
            self.summary.sent += 1
        elif kind == DROPPED:
            self._outcome(recipient, DROPPED, str(reply), now)
            self.summary.dropped += 1
        else:
            self._outcome(recipient, DEFERRED, str(reply), now)

    @staticmethod
    def _outcome(recipient: Recipient, new_state: str, error: str | None, now: float) -> None:
        recipient.state, recipient.error, recipient.time = new_state, error, now

    def _settle_state(self, envelope: Envelope, now: float) -> str:
        deferred = [r for r in envelope.recipients if r.state in (DEFERRED, PENDING)]
        if deferred:
            give_up = give_up_reason(self.config.retry, envelope, now)
            if give_up is None:
                envelope.next_attempt = now + backoff(self.config.retry, envelope.attempts)
                self.summary.deferred += len(deferred)
                return "deferred"
            for recipient in deferred:
                self._outcome(recipient, DROPPED, f"{give_up}; last error: {recipient.error}", now)
                event(log, envelope.id, to=recipient.address, status="bounced", detail=recipient.error)
                self.summary.dropped += 1
        envelope.next_attempt = None
        envelope.done_at = now
        return "sent" if any(r.state == SENT for r in envelope.recipients) else "dropped"
