"""mq-flush: take in the maildrop, then deliver what is due.

Order: recover dead claims, maildrop, queued (oldest first), then deferred
whose time has come. Each message is claimed by one rename before it is
touched, so several flushers (here or on other hosts sharing the spool)
never send one message twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator

from ..config import Config
from ..errors import DataError, LeftForFlush, TempFailure
from ..fsutil import read_file
from ..log import get_logger
from ..metrics import count_deliveries
from .delivery import Deliverer, Summary
from .envelope import parse_envelope, split
from .maildrop import intake
from .spool import Spool

log = get_logger("mailtools.outbound.flush")
# Messages claimed per batch and connection: their outcomes share one filesystem
# sync; a crash re-sends at most one batch (at-least-once, never lost).
BATCH_PER_CONNECTION = 4


def flush(config: Config, spool: Spool, *, sender: str | None = None, ids: Iterable[str] = (),
          limit: int | None = None, max_time: float | None = None,
          progress: Callable[[int], None] | None = None, stop: threading.Event | None = None,
          clock: Callable[[], float]) -> Summary:
    """Deliver what is due; return counts of recipients sent, deferred, dropped, suppressed.

    ``clock`` (mailtools.clock.now) is read once for the run's decisions, and
    again as each message is claimed: a claim's lease starts when it is taken,
    not when a long run started.

    ``stop`` (set by mq-flush on SIGINT/SIGTERM): no message is claimed and no
    transaction started after it is set; the replies of those in flight are
    recorded, untried messages go back, and ``summary.stopped`` says so.
    """
    now = clock()
    stop = stop or threading.Event()
    spool.ensure()
    recovered = set(spool.recover(now))
    if recovered:
        log.warning("recovered %d message(s) from dead claims: %s", len(recovered), " ".join(sorted(recovered)))
    intake(config, spool, now)
    deliverer = Deliverer(config, spool, stop)
    started = time.monotonic()
    batch_size = max(BATCH_PER_CONNECTION * deliverer.connections, 1)
    claimed = 0
    try:
        batch = []
        for state, queue_id in candidates(spool, now, sender=sender, ids=list(ids)):
            if stop.is_set() or (limit is not None and claimed >= limit):
                break
            if max_time is not None and time.monotonic() - started >= max_time:
                log.info("stopping after --max-time %gs; the rest waits for the next run", max_time)
                break
            claim = spool.claim(state, queue_id, clock())
            if claim is None:
                continue  # another flusher took it first
            claimed += 1
            if queue_id in recovered:
                # A message back from a crashed claim goes alone: if it is what
                # kills the flusher, it must not take a batch of others with it
                # (three crashes hold a message).
                _run(deliverer, [claim], now, progress)
                continue
            batch.append(claim)
            if len(batch) >= batch_size:
                _run(deliverer, batch, now, progress)
                batch = []
        if batch:
            _run(deliverer, batch, now, progress)
    finally:
        count_deliveries(deliverer.db, deliverer.summary.to_json())  # mailtools_deliveries_total
        deliverer.close()
    summary = deliverer.summary
    if stop.is_set():
        summary.stopped = True
        log.warning("stopped: sent=%d deferred=%d dropped=%d suppressed=%d recorded; the rest waits for the "
                    "next run", summary.sent, summary.deferred, summary.dropped, summary.suppressed)
        return summary
    if deliverer.waiting_for_space:
        # What fitted was delivered; say so to cron (75: try again) all the same.
        raise TempFailure(f"disk full: {deliverer.waiting_for_space} message(s) wait for space in {spool.root}")
    log.info("flush done: sent=%d deferred=%d dropped=%d suppressed=%d messages=%d", summary.sent,
             summary.deferred, summary.dropped, summary.suppressed, summary.messages)
    return summary


def _run(deliverer: Deliverer, batch: list, now: float, progress: Callable[[int], None] | None) -> None:
    deliverer.deliver_batch(batch, now)
    if progress:
        progress(len(batch))


def candidates(spool: Spool, now: float, *, sender: str | None = None,
               ids: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """(state, id) pairs to try, streamed so a 50k queue is never held in memory twice."""
    if ids:
        # --id delivers now whatever the next-attempt time says (postqueue -i); held stays held.
        source: Iterable[tuple[str, str]] = ((s, i) for s, i in (_locate(spool, i) for i in ids) if s)
    else:
        source = spool.due(now)
    for state, queue_id in source:
        if sender and not _from_sender(spool, state, queue_id, sender):
            continue
        yield state, queue_id


def count_due(spool: Spool, now: float) -> int:
    return sum(1 for _ in spool.due(now))


def _locate(spool: Spool, queue_id: str) -> tuple[str | None, str]:
    state, _ = spool.find(queue_id)
    if state not in ("queued", "deferred"):
        log.warning("%s is %s, not queued or deferred: skipped", queue_id, state)
        return None, queue_id
    return state, queue_id


def _from_sender(spool: Spool, state: str, queue_id: str, sender: str) -> bool:
    try:
        head, _ = split(read_file(spool.path(state, queue_id)))
        return parse_envelope(head).sender.lower() == sender.lower()
    except (OSError, DataError):
        return False


def deliver_now(config: Config, spool: Spool, queue_id: str, now: float, stop: threading.Event | None = None) -> bool:
    """mq-send --now: one delivery attempt for one message; True if every recipient got it.

    A failure leaves the message queued or deferred, as OpenACS Mail Lite's
    send_immediately did: the caller still gets exit 0. A caller who may not
    write the queue (its message is in maildrop/) cannot deliver it either:
    LeftForFlush says why, and the next mq-flush delivers it.
    """
    refusal = spool.queue_refusal()
    if refusal is not None:
        raise LeftForFlush(f"{queue_id}: queued in maildrop/ for the next mq-flush, not delivered now: {refusal}")
    claim = spool.claim("queued", queue_id, now)
    if claim is None:
        return False  # a flusher got there first: it will deliver
    try:
        deliverer = Deliverer(config, spool, stop)
    except Exception:
        spool.settle(claim, "queued")
        raise
    try:
        return deliverer.deliver(claim, now) == "sent" and deliverer.summary.deferred == 0 \
            and deliverer.summary.dropped == 0 and deliverer.summary.suppressed == 0
    finally:
        count_deliveries(deliverer.db, deliverer.summary.to_json())  # mailtools_deliveries_total
        deliverer.close()
