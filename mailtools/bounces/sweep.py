"""The daily policy (DESIGN.md "The daily policy, exactly"): forget, escalate, disable, notify, purge.

Each rule is one transaction of set-based SQL, so a million tracked
addresses take seconds, and a sweep killed half way leaves every rule either
done or not begun: the rerun finishes the job. Each rule is also idempotent
(a second sweep at the same ``now`` changes nothing), because every rule's
condition is false once its change is made. A lock file in the spool keeps
two sweeps from running at once.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import state
from ..config import Config
from ..errors import TempFailure
from ..log import event as log_event
from ..outbound.envelope import parse_envelope
from ..outbound.spool import Spool
from . import callbacks, notices, records, tokens

log = logging.getLogger("mailtools.sweep")
DAY = 86400.0
BOUNCE_DIRS = ("processed", "unrecognized")
TEMP = ("CREATE TEMP TABLE IF NOT EXISTS sweep_ids (id INTEGER PRIMARY KEY, address TEXT, domain TEXT,"
        " escalate INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS sweep_addresses (address TEXT PRIMARY KEY)")


@contextmanager
def sweep_lock(spool: Spool) -> Iterator[None]:
    """Hold ``db/sweep.lock``; TempFailure (75) if another sweep holds it.

    flock(2): the kernel drops it when the holder dies, even by SIGKILL, so a
    stale lock never needs cleaning; Linux maps it to a POSIX lock on NFS.
    Not lockf: a POSIX lock belongs to the process, so a second sweep in the
    same process (a test, a daemon) would take it again.
    """
    path = os.path.join(os.path.dirname(state.db_path(spool.root)), "sweep.lock")
    try:
        os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
    except OSError as exc:
        raise TempFailure(f"cannot open the sweep lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK):
                raise TempFailure(f"cannot lock {path}: {exc.strerror}") from None
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise TempFailure(f"another bounce-sweep (pid {holder}) is running; try again later") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def _step(conn: sqlite3.Connection, name: str, dry_run: bool) -> Iterator[None]:
    """One rule = one transaction; in a dry run, all of them share the one that is rolled back."""
    started = time.monotonic()
    if dry_run:
        yield
    else:
        with records.immediate(conn):
            yield
    log.debug("sweep: %s took %.2f s", name, time.monotonic() - started)


def forget(conn: sqlite3.Connection, config: Config, now: float) -> int:
    """Delete the counts of addresses quiet for max_days_to_bounce since the first mail after their last bounce."""
    conn.execute("DELETE FROM sweep_addresses")
    conn.execute("INSERT INTO sweep_addresses SELECT address FROM addresses WHERE last_bounce IS NOT NULL"
                 " AND quiet_since <= ? AND quiet_since > last_bounce",
                 (now - config.bounce.max_days_to_bounce * DAY,))
    reset = conn.execute("UPDATE addresses SET hard_bounces = 0, soft_bounces = 0, first_bounce = NULL,"
                         " last_bounce = NULL, quiet_since = NULL"
                         " WHERE address IN (SELECT address FROM sweep_addresses)").rowcount
    conn.execute("DELETE FROM soft_counters WHERE address IN (SELECT address FROM sweep_addresses)")
    conn.execute("UPDATE events SET soft_pending = 0 WHERE soft_pending = 1"
                 " AND address IN (SELECT address FROM sweep_addresses)")
    return reset


def escalate(conn: sqlite3.Connection, config: Config, now: float) -> int:
    """Every soft_threshold soft bounces of one (address, sending domain) become one hard bounce.

    Soft bounces count in runs: one more than max_days_to_bounce after the
    previous starts a new run, so a mailbox full every day escalates (the
    acceptance's "6 soft count as at least one") while five soft bounces
    spread over months never do. In each run the oldest multiple of the
    threshold is consumed (the counter is reset); what is left over keeps
    counting while its run can still grow, and expires once it cannot.
    Returns the hard bounces added.
    """
    window = config.bounce.max_days_to_bounce * DAY
    threshold = config.bounce.soft_threshold
    conn.execute("DELETE FROM sweep_ids")
    conn.execute(
        "WITH ordered AS ("
        " SELECT id, address, sending_domain, time, CASE WHEN LAG(time) OVER w IS NULL"
        "  OR time - LAG(time) OVER w > :window THEN 1 ELSE 0 END AS starts"
        " FROM events WHERE soft_pending = 1"
        " WINDOW w AS (PARTITION BY address, sending_domain ORDER BY time, id)),"
        " chained AS (SELECT *, SUM(starts) OVER (PARTITION BY address, sending_domain ORDER BY time, id"
        "  ROWS UNBOUNDED PRECEDING) AS run FROM ordered),"
        " numbered AS (SELECT *,"
        "  ROW_NUMBER() OVER (PARTITION BY address, sending_domain, run ORDER BY time, id) AS rn,"
        "  COUNT(*) OVER (PARTITION BY address, sending_domain, run) AS n,"
        "  MAX(run) OVER (PARTITION BY address, sending_domain) AS last_run,"
        "  MAX(time) OVER (PARTITION BY address, sending_domain, run) AS run_end FROM chained)"
        " INSERT INTO sweep_ids SELECT id, address, sending_domain, rn <= used FROM"
        " (SELECT *, CASE WHEN :threshold >= 1 THEN (n / :threshold) * :threshold ELSE 0 END AS used"
        "  FROM numbered)"
        " WHERE rn <= used OR run < last_run OR run_end <= :now - :window",
        {"window": window, "threshold": threshold, "now": now})
    added = conn.execute("SELECT count(*) FROM sweep_ids WHERE escalate = 1").fetchone()[0] // max(threshold, 1)
    conn.execute("UPDATE addresses SET hard_bounces = hard_bounces + e.added FROM"
                 " (SELECT address, count(*) / ? AS added FROM sweep_ids WHERE escalate = 1 GROUP BY address) AS e"
                 " WHERE addresses.address = e.address", (max(threshold, 1),))
    conn.execute("UPDATE soft_counters SET count = count - s.n FROM"
                 " (SELECT address, domain, count(*) AS n FROM sweep_ids GROUP BY address, domain) AS s"
                 " WHERE soft_counters.address = s.address AND soft_counters.sending_domain = s.domain")
    conn.execute("DELETE FROM soft_counters WHERE count <= 0 AND (address, sending_domain) IN"
                 " (SELECT address, domain FROM sweep_ids)")
    conn.execute("UPDATE events SET soft_pending = 0 WHERE id IN (SELECT id FROM sweep_ids)")
    return added


def disable(conn: sqlite3.Connection, config: Config, now: float) -> int:
    """Disable addresses with more than max_bounce_count hard bounces; queue on_disable callbacks."""
    rows = conn.execute(
        "UPDATE addresses SET disabled = 1, disabled_at = ?1, notices_sent = 0, last_notice = NULL"
        " WHERE disabled = 0 AND hard_bounces > 0 AND hard_bounces > ?2 RETURNING address, user_id, hard_bounces",
        (now, config.bounce.max_bounce_count)).fetchall()
    for address, user_id, hard in rows:
        event = {"event": "disable", "address": address, "user_id": user_id, "hard_bounces": hard, "time": now}
        callbacks.queue(conn, config, "disable", address, event, None, None)
        log_event(log, "suppressed", to=address, reason="bounce", hard_bounces=hard)
    return len(rows)


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


def purge(conn: sqlite3.Connection, config: Config, spool: Spool, now: float, dry_run: bool) -> int:
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
    with _step(conn, "purge", dry_run):
        purged += conn.execute("DELETE FROM sendlog WHERE time < ?", (now - sendlog_days * DAY,)).rowcount
        purged += conn.execute("DELETE FROM events WHERE time < ?", (now - event_days * DAY,)).rowcount
        tokens.purge_used(conn, now)
    return purged


def sweep(config: Config, spool: Spool, now: float, dry_run: bool = False,
          callback_budget: float = 300) -> dict[str, int]:
    """Run the daily policy at ``now``; return {"reset", "disabled", "notified", "purged"}."""
    with sweep_lock(spool):
        conn = state.connect(spool.root)
        try:
            records.ensure_schema(conn)
            for statement in TEMP:
                conn.execute(statement)
            if dry_run:
                conn.execute("BEGIN IMMEDIATE")  # one transaction for every rule, rolled back at the end
            try:
                with _step(conn, "forget", dry_run):
                    reset = forget(conn, config, now)
                with _step(conn, "escalate", dry_run):
                    escalated = escalate(conn, config, now)
                with _step(conn, "disable", dry_run):
                    disabled = disable(conn, config, now)
                log.info("sweep: reset %d, escalated %d soft to hard, disabled %d", reset, escalated, disabled)
                started = time.monotonic()
                notified = notices.notify(conn, config, spool, now, dry_run)
                log.info("sweep: notified %d", notified)
                log.debug("sweep: notify took %.2f s", time.monotonic() - started)
                started = time.monotonic()
                purged = purge(conn, config, spool, now, dry_run)
                log.info("sweep: purged %d", purged)
                log.debug("sweep: purge with files took %.2f s", time.monotonic() - started)
            finally:
                if dry_run:
                    conn.execute("ROLLBACK")
            if not dry_run:
                ran = callbacks.run_pending(conn, config, now, callback_budget)
                log.info("sweep: ran %d callbacks", ran)
        finally:
            conn.close()
    return {"reset": reset, "disabled": disabled, "notified": notified, "purged": purged}
