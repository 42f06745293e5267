"""The bounce record store: events appended, counters kept per address.

Postfix starts one bounce-ingest per bounce, so many processes write at once.
Every change is one ``BEGIN IMMEDIATE`` transaction: the write lock is taken
before anything is read, so two processes never both read "3" and both write
"4". The sweep (``sweep.py``) reads these tables with set-based SQL, which is
why the indexes below are chosen for its queries, not for ours.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from ..config import Config
from ..errors import DataError, UsageError
from ..log import event as log_event
from ..record import Record
from . import callbacks

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need it
if TYPE_CHECKING:
    from typing import Any

SCHEMA = (
    # dsn_key UNIQUE is the dedupe: Postfix redelivers a bounce after a 75.
    # soft_pending = 1 while a soft bounce still counts toward its
    # (address, sending_domain) counter; escalation and forgetting clear it.
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY,
        dsn_key TEXT NOT NULL UNIQUE,
        address TEXT NOT NULL,
        user_id TEXT, package_id TEXT, sending_domain TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL, status TEXT, hard INTEGER NOT NULL,
        time REAL NOT NULL, message_id TEXT, bounce_file TEXT,
        soft_pending INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS events_time ON events(time)",
    "CREATE INDEX IF NOT EXISTS events_address ON events(address, time)",
    "CREATE INDEX IF NOT EXISTS events_soft ON events(time) WHERE soft_pending = 1",
    # The per-(address, sending domain) soft counter: soft bounces not yet
    # escalated, forgotten or expired. Equal to the count of soft_pending events.
    """CREATE TABLE IF NOT EXISTS soft_counters (
        address TEXT NOT NULL, sending_domain TEXT NOT NULL,
        count INTEGER NOT NULL, last_soft REAL NOT NULL,
        PRIMARY KEY (address, sending_domain)) WITHOUT ROWID""",
    # Partial indexes keep the sweep's Forget and Disable rules to the few
    # rows that can match, not a scan of a million addresses; mq-flush's
    # mark_sent touches the first only for addresses that bounced.
    "DROP INDEX IF EXISTS addresses_bounced",
    "CREATE INDEX IF NOT EXISTS addresses_quiet ON addresses(quiet_since) WHERE last_bounce IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS addresses_hard ON addresses(hard_bounces) WHERE disabled = 0 AND hard_bounces > 0",
)


SCHEMA_VERSION = 2  # PRAGMA user_version once these tables exist (state.py's migration is 1)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create our tables (never executescript: it would commit the caller's transaction).

    Every record and status call comes through here; one PRAGMA read says the
    tables exist, instead of ~15 CREATE ... IF NOT EXISTS per bounce in a batch.
    """
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    for statement in SCHEMA:
        conn.execute(statement)
    callbacks.ensure_schema(conn)
    from . import tokens  # its table lives here too; the module itself is only for enable

    tokens.ensure_schema(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, the lock taken up front so no update is lost."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # Also when COMMIT itself fails (a full disk): a connection left inside
        # a transaction would hold the write lock for the next caller.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class BounceEvent(Record):
    address: str
    user_id: str | None
    package_id: str | None
    sending_domain: str | None  # domain of the original sender (the soft counter is per address and domain)
    reason: str
    status: str | None
    hard: bool
    time: float
    message_id: str | None  # the original message's Message-ID
    dsn_key: str  # dedupe key (DSN Message-ID or digest + recipient)
    bounce_file: str | None  # path of the stored raw bounce

    def to_json(self) -> dict[str, Any]:
        data = self.to_dict()
        data["event"] = "bounce"
        data["address"] = self.address.lower()
        return data


def record_bounce(conn: sqlite3.Connection, event: BounceEvent, config: Config) -> bool:
    """Append the event, count it and queue its callbacks, in one transaction.

    Returns False, changing nothing, when ``event.dsn_key`` was recorded before.
    """
    ensure_schema(conn)
    address = event.address.strip().lower()
    domain = (event.sending_domain or "").lower()
    hard = 1 if event.hard else 0
    with immediate(conn):
        cursor = conn.execute(
            "INSERT OR IGNORE INTO events(dsn_key, address, user_id, package_id, sending_domain, reason, status,"
            " hard, time, message_id, bounce_file, soft_pending) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (event.dsn_key, address, event.user_id, event.package_id, domain, event.reason, event.status,
             hard, event.time, event.message_id, event.bounce_file, 1 - hard))
        if cursor.rowcount == 0:
            return False
        # Bounces may be ingested out of order (a Maildir read late): min/max, not "latest wins".
        conn.execute(
            "INSERT INTO addresses(address, user_id, hard_bounces, soft_bounces, first_bounce, last_bounce)"
            " VALUES (?1, ?2, ?3, 1 - ?3, ?4, ?4) ON CONFLICT(address) DO UPDATE SET"
            " user_id = COALESCE(excluded.user_id, user_id),"
            " hard_bounces = hard_bounces + excluded.hard_bounces,"
            " soft_bounces = soft_bounces + excluded.soft_bounces,"
            " first_bounce = MIN(COALESCE(first_bounce, excluded.first_bounce), excluded.first_bounce),"
            " last_bounce = MAX(COALESCE(last_bounce, excluded.last_bounce), excluded.last_bounce),"
            # a mail that a later bounce answered did not stay quiet
            " quiet_since = CASE WHEN quiet_since < excluded.last_bounce THEN NULL ELSE quiet_since END",
            (address, event.user_id, hard, event.time))
        if not hard:
            conn.execute(
                "INSERT INTO soft_counters VALUES (?, ?, 1, ?) ON CONFLICT(address, sending_domain) DO UPDATE SET"
                " count = count + 1, last_soft = MAX(last_soft, excluded.last_soft)",
                (address, domain, event.time))
        callbacks.queue(conn, config, "bounce", address, event.to_json(), event.package_id, domain or None)
    return True


_FIELDS = ("address", "user_id", "hard_bounces", "soft_bounces", "disabled", "first_bounce", "last_bounce",
           "notices_sent", "last_notice", "disabled_at", "last_sent")


def _row(values: tuple, soft: dict[str, dict[str, int]]) -> dict[str, Any]:
    row = dict(zip(_FIELDS, values, strict=True))
    row["disabled"] = bool(row["disabled"])
    row["soft_by_domain"] = soft.get(row["address"], {})
    return row


def address_status(conn: sqlite3.Connection, addresses: list[str] | None,
                   disabled_only: bool = False) -> list[dict[str, Any]]:
    """What bounce-status prints: one dict per address that has a record.

    An address has a record once a bounce was recorded for it (its counts
    may since have been forgotten or cleared: that is worth seeing). One that
    was only mailed (the flusher keeps its last_sent) has none and prints
    nothing, as DESIGN.md says. A listing without names shows only addresses
    with bounces counted, disabled, or notified.
    """
    ensure_schema(conn)
    columns = ", ".join(_FIELDS)
    where = "disabled = 1" if disabled_only else \
        "(disabled = 1 OR hard_bounces > 0 OR soft_bounces > 0 OR notices_sent > 0)"
    if addresses is not None and not disabled_only:
        where = where[:-1] + " OR EXISTS (SELECT 1 FROM events e WHERE e.address = addresses.address))"
    if addresses is None:
        rows = conn.execute(f"SELECT {columns} FROM addresses WHERE {where} ORDER BY address").fetchall()
    else:
        wanted = list(dict.fromkeys(a.strip().lower() for a in addresses))
        rows = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows += conn.execute(f"SELECT {columns} FROM addresses WHERE {where} AND address IN ({marks})",
                                 chunk).fetchall()
        order = {a: i for i, a in enumerate(wanted)}
        rows.sort(key=lambda r: order[r[0]])
    soft: dict[str, dict[str, int]] = {}
    for start in range(0, len(rows), 500):
        chunk = [r[0] for r in rows[start:start + 500]]
        marks = ",".join("?" * len(chunk))
        for address, domain, count in conn.execute(
                f"SELECT address, sending_domain, count FROM soft_counters WHERE address IN ({marks})", chunk):
            soft.setdefault(address, {})[domain] = count
    return [_row(r, soft) for r in rows]


def _check_address(raw: str) -> str:
    address = raw.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        raise UsageError(f"not an address: {raw!r}")
    return address


def _enable(conn: sqlite3.Connection, config: Config, address: str, now: float) -> dict[str, Any]:
    found = conn.execute("SELECT disabled, user_id FROM addresses WHERE address = ?", (address,)).fetchone()
    if found is None:
        return {"address": address, "known": False, "was_disabled": False, "enabled": False}
    conn.execute(
        "UPDATE addresses SET disabled = 0, disabled_at = NULL, hard_bounces = 0, soft_bounces = 0,"
        " first_bounce = NULL, last_bounce = NULL, notices_sent = 0, last_notice = NULL"
        " WHERE address = ?", (address,))
    conn.execute("DELETE FROM soft_counters WHERE address = ?", (address,))
    conn.execute("UPDATE events SET soft_pending = 0 WHERE address = ? AND soft_pending = 1", (address,))
    if found[0]:
        event = {"event": "enable", "address": address, "user_id": found[1], "time": now}
        callbacks.queue(conn, config, "enable", address, event, None, None)
    return {"address": address, "known": True, "was_disabled": bool(found[0]), "enabled": True}


def enable_addresses(conn: sqlite3.Connection, config: Config, addresses: list[str],
                     now: float) -> list[dict[str, Any]]:
    """Clear the disabled flag and every count; queue on_enable callbacks (for those that were disabled).

    One transaction for all of them. Returns, per address, what was done:
    ``known`` (the spool had a record), ``was_disabled``, ``enabled``.
    """
    ensure_schema(conn)
    wanted = [_check_address(a) for a in addresses]  # all checked before anything changes
    with immediate(conn):
        results = [_enable(conn, config, address, now) for address in dict.fromkeys(wanted)]
    _log_lifted(results, "bounce-enable")
    return results


def enable_by_token(conn: sqlite3.Connection, config: Config, secret: bytes, token: str,
                    now: float) -> dict[str, Any]:
    """Enable the address a notice's token names; the token is spent in the same transaction.

    DataError (forged, expired, reused) leaves everything as it was.
    """
    ensure_schema(conn)
    with immediate(conn):
        from . import tokens

        address = tokens.check_token(secret, conn, token, now)
        episode = tokens.disabled_at_of(token)
        row = conn.execute("SELECT disabled, disabled_at FROM addresses WHERE address = ?", (address,)).fetchone()
        if episode and (row is None or not row[0] or int(row[1] or 0) != episode):
            # Raised inside the transaction: the token is not spent either.
            raise DataError(f"this re-enable token for {address} belongs to an earlier notice: "
                            "the address is not disabled by it (already re-enabled?)")
        result = _enable(conn, config, address, now)
    _log_lifted([result], "token")
    return result


def _log_lifted(results: list[dict[str, Any]], how: str) -> None:
    """One line per suppression lifted, once its transaction is committed."""
    for result in results:
        if result["was_disabled"]:
            log_event("mailtools.bounces.records", "enabled", to=result["address"], reason="bounce", by=how)
