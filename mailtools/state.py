"""The spool's database: the send log and what is known about each address.

SQLite in the spool (``db/state.sqlite``), because a million tracked addresses
must be swept in seconds and "is this recipient disabled?" answered by one
index look-up, and because many bounce-ingest processes run at once: SQLite's
transactions keep their updates from being lost. WAL lets readers (mq-flush)
go on while a writer holds the lock.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

from .fsutil import spool_error

SCHEMA = """
CREATE TABLE IF NOT EXISTS sendlog (
    hash TEXT PRIMARY KEY,       -- the VERP hash: identifies one recipient of one message
    recipient TEXT NOT NULL,
    message_id TEXT,
    user_id TEXT,
    package_id TEXT,
    sender TEXT,
    queue_id TEXT,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sendlog_time ON sendlog(time);
CREATE TABLE IF NOT EXISTS addresses (
    address TEXT PRIMARY KEY,
    user_id TEXT,
    hard_bounces INTEGER NOT NULL DEFAULT 0,
    soft_bounces INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    disabled_at REAL,
    first_bounce REAL,
    last_bounce REAL,
    last_sent REAL,
    quiet_since REAL,            -- first mail sent after the last bounce (the Forget rule)
    notices_sent INTEGER NOT NULL DEFAULT 0,
    last_notice REAL
);
CREATE INDEX IF NOT EXISTS addresses_disabled ON addresses(disabled) WHERE disabled = 1;
"""


def db_path(spool_root: str) -> str:
    return os.path.join(spool_root, "db", "state.sqlite")


def connect(spool_root: str, readonly: bool = False) -> sqlite3.Connection:
    """Open (and on first use create) the spool database."""
    path = db_path(spool_root)
    try:
        if not readonly:
            os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 60000")
        if not readonly:
            conn.execute("PRAGMA synchronous = NORMAL")  # per connection
            # WAL and the tables persist in the file: set up once, not on every
            # process start (bounce-ingest opens the database once per bounce).
            if conn.execute("PRAGMA user_version").fetchone()[0] < 1:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(SCHEMA)
                _migrate(conn)
    except sqlite3.OperationalError as exc:
        raise spool_error(OSError(13, str(exc)), path) from None
    except OSError as exc:
        raise spool_error(exc, path) from None
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a database made by an older version up to SCHEMA."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= 1:
        return
    columns = {row[1] for row in conn.execute("PRAGMA table_info(addresses)")}
    if "quiet_since" not in columns:
        conn.execute("ALTER TABLE addresses ADD COLUMN quiet_since REAL")
    conn.execute("PRAGMA user_version = 1")


def record_sends(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Add send-log rows: (hash, recipient, message_id, user_id, package_id, sender, queue_id, time)."""
    conn.executemany("INSERT OR REPLACE INTO sendlog VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def lookup_send(conn: sqlite3.Connection, digest: str) -> sqlite3.Row | None:
    conn.row_factory = sqlite3.Row
    return conn.execute("SELECT * FROM sendlog WHERE hash = ?", (digest.lower(),)).fetchone()


def mark_sent(conn: sqlite3.Connection, addresses: Iterable[str], when: float) -> None:
    """Remember when mail last reached each address, and the first mail after its last bounce.

    The Forget rule counts its quiet days from that first mail: with the
    latest mail instead, an address mailed every day would never be forgiven.
    """
    conn.executemany(
        "INSERT INTO addresses(address, last_sent) VALUES (?1, ?2) "
        "ON CONFLICT(address) DO UPDATE SET last_sent = excluded.last_sent, "
        "quiet_since = COALESCE(quiet_since, CASE WHEN last_bounce < excluded.last_sent "
        "THEN excluded.last_sent END)",
        ((a.lower(), when) for a in addresses))


def disabled_addresses(conn: sqlite3.Connection, addresses: Iterable[str]) -> set[str]:
    """Which of ``addresses`` are disabled (lower-cased)."""
    wanted = sorted({a.lower() for a in addresses})
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(row[0] for row in conn.execute(
            f"SELECT address FROM addresses WHERE disabled = 1 AND address IN ({marks})", chunk))
    return found
