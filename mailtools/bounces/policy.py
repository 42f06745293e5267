"""The daily policy (DESIGN.md "The daily policy, exactly"): forget, escalate, disable, notify, purge.

Each rule is one transaction of set-based SQL, so a million tracked
addresses take seconds, and a sweep killed half way leaves every rule either
done or not begun: the rerun finishes the job. Each rule is also idempotent
(a second sweep at the same ``now`` changes nothing), because every rule's
condition is false once its change is made. A lock in the state database keeps
the hosts that share it to one sweep at a time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..config import Config
from ..errors import SweepElsewhere
from ..log import event, get_logger
from ..metrics import LAST_SWEEP
from ..outbound.envelope import parse_envelope
from ..outbound.spool import Spool
from ..secret import load_secret
from ..state import open_state
from ..state.base import StateStore
from . import callbacks, notices

log = get_logger(__name__)
DAY = 86400.0
HOST = os.uname().nodename  # who sweeps, in the second sweep's message
BOUNCE_DIRS = ("processed", "unrecognized")
@contextmanager
def sweep_lock(state: StateStore, now: float) -> Iterator[None]:
    """Hold the sweep lock of the state database; SweepElsewhere (exit 0) while another sweep holds it.

    The lock is in the database, not the spool: hosts that share one
    PostgreSQL database run one sweep between them (PostgreSQL: a session
    advisory lock; SQLite: flock on a file beside it). The holder's death
    releases it, so a stale lock never needs cleaning.
    """
    holder = state.try_lock_sweep(HOST, os.getpid(), now)
    if holder is not None:
        host, pid, since = holder
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since)) if since else "a while"
        raise SweepElsewhere(f"the sweep runs on {host} (pid {pid}, since {started}); nothing to do here",
                             host, pid, since)
    try:
        yield
    finally:
        state.unlock_sweep()


@contextmanager
def _timed(name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    log.debug("sweep: %s took %.2f s", name, time.monotonic() - started)


def forget(state: StateStore, config: Config, now: float) -> int:
    """Delete the counts of addresses quiet for max_days_to_bounce since the first mail after their last bounce."""
    with _timed("forget"):
        return state.sweep_forget(now, config.bounce.max_days_to_bounce)


def escalate(state: StateStore, config: Config, now: float) -> int:
    """Every soft_threshold soft bounces of one (address, sending domain) become one hard bounce.

    Soft bounces count in runs: one more than max_days_to_bounce after the
    previous starts a new run, so a mailbox full every day escalates (the
    acceptance's "6 soft count as at least one") while five soft bounces
    spread over months never do. Returns the hard bounces added.
    """
    with _timed("escalate"):
        return state.sweep_escalate(now, config.bounce.max_days_to_bounce * DAY, config.bounce.soft_threshold)


def disable(state: StateStore, config: Config, now: float) -> int:
    """Disable (suppress, reason bounce) addresses with more than max_bounce_count hard bounces; queue on_disable."""
    with _timed("disable"):
        disabled = state.sweep_disable(now, config.bounce.max_bounce_count, callbacks.targets(config, "disable"))
    for address, hard in disabled:
        event(log, "suppressed", to=address, reason="bounce", hard_bounces=hard)
    return len(disabled)


def _done_at(path: str) -> float:
    """When a sent/dropped message got there: its envelope's done_at, else the file's mtime."""
    head = b""
    with open(path, "rb") as handle:
        while b"\n}\n" not in head:
            chunk = handle.read(16384)
            if not chunk:
                break
            head += chunk
    end = head.find(b"\n}\n")
    try:
        if end >= 0:
            done_at = parse_envelope(head[:end + 2]).done_at
            if done_at is not None:
                return float(done_at)
    except Exception:  # a damaged envelope is aged by its mtime, like any other file
        log.debug("sweep: %s: unreadable envelope, aging by mtime", path)
    return os.stat(path).st_mtime


def _purge_files(paths: Iterator[tuple[str, float]], dry_run: bool) -> int:
    count = 0
    for path, _ in paths:
        if not dry_run:
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue  # an admin or another sweep got there first
        count += 1
    return count


def _old_messages(spool: Spool, state_name: str, cutoff: float) -> Iterator[tuple[str, float]]:
    for name in spool.names(state_name):
        path = spool.path(state_name, name)
        try:
            when = _done_at(path)
        except OSError:
            continue
        if when <= cutoff:
            yield path, when


def _old_bounces(root: str, cutoff: float) -> Iterator[tuple[str, float]]:
    for top, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(top, name)
            try:
                when = os.lstat(path).st_mtime
            except OSError:
                continue
            if when <= cutoff:
                yield path, when


def purge(state: StateStore, config: Config, spool: Spool, now: float, dry_run: bool) -> int:
    """Remove what retention says is old: queue files, stored bounces, and old database rows.

    The send log is kept as long as the stored bounces (bounce_days) and never
    less than twice the longest queue life (retry.max_age_days): a bounce can
    come back that late (a remote queue holds it up to ~5 days after our last
    try), and a bounce whose send-log row is gone can no longer be verified.
    """
    retention = config.retention
    purged = _purge_files(_old_messages(spool, "sent", now - retention.sent_days * DAY), dry_run)
    purged += _purge_files(_old_messages(spool, "dropped", now - retention.drop_days * DAY), dry_run)
    for sub in BOUNCE_DIRS:
        purged += _purge_files(_old_bounces(os.path.join(spool.root, "bounces", sub),
                                            now - retention.bounce_days * DAY), dry_run)
    sendlog_days = max(retention.bounce_days, 2 * config.retry.max_age_days)
    # Events also carry the dedupe keys and the pending soft bounces: never shorter than those live.
    event_days = max(retention.bounce_days, config.bounce.max_days_to_bounce)
    with _timed("purge"):
        purged += state.purge(now - sendlog_days * DAY, now - event_days * DAY, now)
    return purged


def _rules(state: StateStore, config: Config, spool: Spool, now: float, dry_run: bool) -> dict[str, int]:
    reset = forget(state, config, now)
    escalated = escalate(state, config, now)
    disabled = disable(state, config, now)
    log.info("sweep: reset %d, escalated %d soft to hard, disabled %d", reset, escalated, disabled)
    with _timed("notify"):
        notified = notices.notify(state, config, spool, now, dry_run)
    log.info("sweep: notified %d", notified)
    with _timed("purge with files"):
        purged = purge(state, config, spool, now, dry_run)
    log.info("sweep: purged %d", purged)
    return {"reset": reset, "disabled": disabled, "notified": notified, "purged": purged}


def sweep(config: Config, spool: Spool, now: float, dry_run: bool = False,
          callback_budget: float = 300) -> dict[str, int]:
    """Run the daily policy at ``now``; return {"reset", "disabled", "notified", "purged"}.

    Each rule is its own transaction; a dry run shares one that is rolled back.
    A ``secret_file`` that is named but missing is ConfigError (78) before any
    rule runs: the notices need it, and a sweep that disabled addresses and then
    stopped would leave them disabled with no notice.
    """
    if config.secret_file:
        load_secret(config.spool, create=False, secret_file=config.secret_file)
    state = open_state(config)
    try:
        with sweep_lock(state, now):
            if dry_run:
                with state.dry_run():
                    return _rules(state, config, spool, now, dry_run)
            summary = _rules(state, config, spool, now, dry_run)
            state.set_figure(LAST_SWEEP, now)  # mailtools_last_sweep_timestamp_seconds
            ran = callbacks.run_pending(state, config, now, callback_budget)
            log.info("sweep: ran %d callbacks", ran)
            return summary
    finally:
        state.close()
