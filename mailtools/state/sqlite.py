"""The SQLite backend of the state layer: one file in the spool, nothing to set up.

SQLite because a million tracked addresses must be swept in seconds and "is
this recipient suppressed?" answered by one index look-up, and because many
bounce-ingest processes write at once: every write is one ``BEGIN IMMEDIATE``
transaction (the lock taken before anything is read, so two processes never
both read "3" and both write "4"). WAL lets readers (mq-flush) go on while a
writer holds the lock.

The statements are written so PostgreSQL runs them too (ON CONFLICT upserts,
UPDATE ... FROM, RETURNING, window functions); only the placeholders (``?``)
and the connection set-up are SQLite's. Errors of the disk or the lock become
TempFailure naming the file, so no caller needs to know sqlite3.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import ConfigError, TempFailure
from ..signing import GoneToken  # a used re-enable token: its web page answers 410 (a DataError, 65)
from .base import (
    ALL_MAIL,
    REASONS,
    SCHEMA_VERSION,
    AddressStatus,
    BounceEvent,
    Callback,
    CallbackTarget,
    EnableResult,
    Event,
    Figures,
    NoticeDue,
    NoticeIntent,
    SendRecord,
    Suppression,
    SuppressionRecord,
    chunks,
)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS sendlog (
        hash TEXT PRIMARY KEY,       -- the VERP hash: identifies one recipient of one message
        recipient TEXT NOT NULL, message_id TEXT, user_id TEXT, package_id TEXT,
        sender TEXT, queue_id TEXT, time REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sendlog_time ON sendlog(time)",
    # A complaint that quotes only the original's Message-ID is found by it (issue 14).
    "CREATE INDEX IF NOT EXISTS sendlog_message_id ON sendlog(message_id)",
    # The daily policy's working state per address. ``disabled`` is the
    # policy's own flag (notices and tokens key on it); the suppressions table
    # says, for every reason, whether mail goes out. Both change in one transaction.
    """CREATE TABLE IF NOT EXISTS addresses (
        address TEXT PRIMARY KEY, user_id TEXT,
        hard_bounces INTEGER NOT NULL DEFAULT 0, soft_bounces INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0, disabled_at REAL,
        first_bounce REAL, last_bounce REAL, last_sent REAL,
        quiet_since REAL,            -- first mail sent after the last bounce (the Forget rule)
        notices_sent INTEGER NOT NULL DEFAULT 0, last_notice REAL)""",
    "CREATE INDEX IF NOT EXISTS addresses_disabled ON addresses(disabled) WHERE disabled = 1",
    # Partial indexes keep the sweep's Forget and Disable rules to the few rows that can match.
    "DROP INDEX IF EXISTS addresses_bounced",
    "CREATE INDEX IF NOT EXISTS addresses_quiet ON addresses(quiet_since) WHERE last_bounce IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS addresses_hard ON addresses(hard_bounces) WHERE disabled = 0 AND hard_bounces > 0",
    # dsn_key UNIQUE is the dedupe: Postfix redelivers a bounce after a 75.
    # soft_pending = 1 while a soft bounce still counts toward its (address, sending_domain) counter.
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY, dsn_key TEXT NOT NULL UNIQUE, address TEXT NOT NULL,
        user_id TEXT, package_id TEXT, sending_domain TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL, status TEXT, hard INTEGER NOT NULL,
        time REAL NOT NULL, message_id TEXT, bounce_file TEXT,
        soft_pending INTEGER NOT NULL DEFAULT 0, diagnostic TEXT)""",
    "CREATE INDEX IF NOT EXISTS events_time ON events(time)",
    "CREATE INDEX IF NOT EXISTS events_address ON events(address, time)",
    "CREATE INDEX IF NOT EXISTS events_soft ON events(time) WHERE soft_pending = 1",
    """CREATE TABLE IF NOT EXISTS soft_counters (
        address TEXT NOT NULL, sending_domain TEXT NOT NULL,
        count INTEGER NOT NULL, last_soft REAL NOT NULL,
        PRIMARY KEY (address, sending_domain))""",
    # One row per (address, scope): scope '' is all mail, else a package id
    # (an unsubscribe from one package's mail).
    """CREATE TABLE IF NOT EXISTS suppressions (
        address TEXT NOT NULL, scope TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL, origin TEXT NOT NULL, since REAL NOT NULL,
        PRIMARY KEY (address, scope))""",
    "CREATE INDEX IF NOT EXISTS suppressions_reason ON suppressions(reason)",
    """CREATE TABLE IF NOT EXISTS tokens_used (
        mac TEXT PRIMARY KEY, address TEXT NOT NULL, expires REAL NOT NULL, used_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS callbacks (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL, target TEXT NOT NULL,   -- bounce|disable|enable; command|webhook
        package_id TEXT, sending_domain TEXT, address TEXT NOT NULL, payload TEXT NOT NULL,
        created REAL NOT NULL, next_try REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)""",
    "CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(next_try)",
    # Running figures for mailtools-metrics (issue 15): counters that must keep
    # counting when the events they count are purged, and the last sweep's time.
    # labels: a JSON object of a few bounded values ({"hard": "true", "kind": "bounce"}).
    """CREATE TABLE IF NOT EXISTS figures (
        name TEXT NOT NULL, labels TEXT NOT NULL DEFAULT '{}', value REAL NOT NULL,
        PRIMARY KEY (name, labels))""",
    """CREATE TABLE IF NOT EXISTS notice_intents (
        address TEXT PRIMARY KEY, queue_id TEXT NOT NULL,
        notices_sent INTEGER NOT NULL, planned_at REAL NOT NULL)""",
)
# Columns that databases made by older versions lack: (table, column, declaration).
ADDED_COLUMNS = (("addresses", "quiet_since", "REAL"),
                 ("events", "kind", "TEXT NOT NULL DEFAULT 'bounce'"),
                 ("callbacks", "given_up", "REAL"),  # a dead letter since then (issue 15)
                 ("events", "diagnostic", "TEXT"))  # what a bounce said (bounce-status --events)
TEMP = ("CREATE TEMP TABLE IF NOT EXISTS sweep_ids (id INTEGER PRIMARY KEY, address TEXT, domain TEXT,"
        " escalate INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS sweep_addresses (address TEXT PRIMARY KEY)")

T = TypeVar("T")


def _translated(method: Callable[..., T]) -> Callable[..., T]:
    """sqlite3's errors of the disk, the lock or the file become TempFailure naming the file."""

    @functools.wraps(method)
    def wrapper(self: SQLiteState, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a bug of ours: retrying would not help, so not 75
        except sqlite3.DatabaseError as exc:  # OperationalError (locked, full, I/O) and a damaged file
            raise TempFailure(f"state database {self.path}: {exc}") from exc

    return wrapper


def _lower(addresses: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(a.strip().lower() for a in addresses))


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


class SQLiteState:
    """The state database in one SQLite file."""

    def __init__(self, path: str, readonly: bool = False, create: bool = True) -> None:
        self.path = path
        self.url = "sqlite:///" + path
        self.readonly = readonly
        if (readonly or not create) and not os.path.exists(path):
            raise TempFailure(f"no state database at {path} (wrong --spool or [database] url?)")
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError as exc:
            raise TempFailure(f"cannot open the state database {path}: {exc}") from None
        except OSError as exc:
            raise TempFailure(f"cannot create {os.path.dirname(path)}: {exc.strerror}") from None

    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            from urllib.parse import quote  # only readers need it: not on the pipe's path

            uri = f"file:{quote(self.path)}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
        else:
            os.makedirs(os.path.dirname(self.path), mode=0o750, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 60000")
        version = _version(conn)
        if version > SCHEMA_VERSION:
            conn.close()
            raise ConfigError(f"the state database {self.path} has schema version {version}, newer than this"
                              f" program's {SCHEMA_VERSION}: upgrade mailtools")
        if version < SCHEMA_VERSION:
            if self.readonly:
                conn.close()
                raise TempFailure(f"the state database {self.path} has schema version {version}; a command"
                                  " that writes (mq-flush, bounce-sweep) upgrades it to"
                                  f" {SCHEMA_VERSION}: try again after one ran")
            _migrate(conn)
        if not self.readonly:
            conn.execute("PRAGMA synchronous = NORMAL")  # per connection
        return conn

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; inside a dry run, a part of the one that is rolled back."""
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
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

    @contextmanager
    def dry_run(self) -> Iterator[None]:
        """Every write inside shares one transaction that is rolled back."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    # -- the send log --------------------------------------------------
    @_translated
    def add_sends(self, rows: Iterable[SendRecord]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO sendlog VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET"
                " recipient = excluded.recipient, message_id = excluded.message_id, user_id = excluded.user_id,"
                " package_id = excluded.package_id, sender = excluded.sender, queue_id = excluded.queue_id,"
                " time = excluded.time",
                ((r.hash.lower(), r.recipient.lower(), r.message_id, r.user_id, r.package_id, r.sender,
                  r.queue_id, r.time) for r in rows))

    @_translated
    def lookup_send(self, digest: str) -> SendRecord | None:
        row = self.conn.execute("SELECT hash, recipient, message_id, user_id, package_id, sender, queue_id, time"
                                " FROM sendlog WHERE hash = ?", (digest.lower(),)).fetchone()
        return SendRecord(*row) if row else None

    @_translated
    def mark_sent(self, addresses: Iterable[str], now: float) -> None:
        """Remember when mail last reached each address, and the first mail after its last bounce.

        The Forget rule counts its quiet days from that first mail: with the
        latest mail instead, an address mailed every day would never be forgiven.
        """
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO addresses(address, last_sent) VALUES (?, ?) "
                "ON CONFLICT(address) DO UPDATE SET last_sent = excluded.last_sent, "
                "quiet_since = COALESCE(addresses.quiet_since, CASE WHEN addresses.last_bounce < excluded.last_sent"
                " THEN excluded.last_sent END)",
                ((a, now) for a in _lower(addresses)))

    # -- suppression ---------------------------------------------------
    @_translated
    def is_suppressed(self, addresses: Iterable[str], package_id: str | None = None) -> dict[str, str]:
        """{address: reason} for those of ``addresses`` no mail (or no mail of ``package_id``) may reach."""
        scopes = [ALL_MAIL] if package_id is None else [ALL_MAIL, str(package_id)]
        found: dict[str, str] = {}
        for chunk in chunks(_lower(addresses)):
            for address, scope, reason in self.conn.execute(
                    f"SELECT address, scope, reason FROM suppressions WHERE address IN ({_marks(chunk)})"
                    f" AND scope IN ({_marks(scopes)})", chunk + scopes):
                if scope == ALL_MAIL or address not in found:  # all mail's reason wins over a package's
                    found[address] = reason
        return found

    @_translated
    def suppress(self, address: str, reason: str, origin: str, now: float,
                 package_id: str | None = None) -> bool:
        """Suppress ``address`` (for all mail, or for ``package_id``'s); False if it already was."""
        if reason not in REASONS:
            raise ValueError(f"unknown suppression reason {reason!r}")
        with self._write() as conn:
            return self._suppress(conn, address.strip().lower(), reason, origin, now, package_id) > 0

    @staticmethod
    def _suppress(conn: sqlite3.Connection, address: str, reason: str, origin: str, now: float,
                  package_id: str | None) -> int:
        # A suppressed address has a record that bounce-status shows, bounced or not.
        conn.execute("INSERT INTO addresses(address) VALUES (?) ON CONFLICT(address) DO NOTHING", (address,))
        return conn.execute(
            "INSERT INTO suppressions(address, scope, reason, origin, since) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(address, scope) DO NOTHING",
            (address, ALL_MAIL if package_id is None else str(package_id), reason, origin, now)).rowcount

    @_translated
    def lift_suppression(self, address: str, reason: str | None = None, package_id: str | None = None) -> int:
        """Lift ``address``'s suppression (only of ``reason`` when given); return how many were lifted."""
        scope = ALL_MAIL if package_id is None else str(package_id)
        with self._write() as conn:
            return conn.execute("DELETE FROM suppressions WHERE address = ? AND scope = ?"
                                " AND (? IS NULL OR reason = ?)",
                                (address.strip().lower(), scope, reason, reason)).rowcount

    @_translated
    def suppressions(self, reason: str | None = None) -> list[Suppression]:
        rows = self.conn.execute("SELECT address, reason, origin, since, scope FROM suppressions"
                                 " WHERE (? IS NULL OR reason = ?) ORDER BY address, scope", (reason, reason))
        return [Suppression(a, r, o, s, scope or None) for a, r, o, s, scope in rows]

    # -- bounces -------------------------------------------------------
    @_translated
    def record_bounce(self, event: BounceEvent, callbacks: list[CallbackTarget], payload: dict[str, Any]) -> bool:
        """Append the event, count it and queue its callbacks, in one transaction.

        Returns False, changing nothing, when ``event.dsn_key`` was recorded before.
        """
        address = event.address.strip().lower()
        domain = (event.sending_domain or "").lower()
        hard = 1 if event.hard else 0
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO events(dsn_key, address, user_id, package_id, sending_domain, reason, status,"
                " hard, time, message_id, bounce_file, soft_pending, diagnostic)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dsn_key) DO NOTHING",
                (event.dsn_key, address, event.user_id, event.package_id, domain, event.reason, event.status,
                 hard, event.time, event.message_id, event.bounce_file, 1 - hard, event.diagnostic))
            if cursor.rowcount == 0:
                return False
            # Bounces may be ingested out of order (a Maildir read late): min/max, not "latest wins".
            conn.execute(
                "INSERT INTO addresses(address, user_id, hard_bounces, soft_bounces, first_bounce, last_bounce)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET"
                " user_id = COALESCE(excluded.user_id, addresses.user_id),"
                " hard_bounces = addresses.hard_bounces + excluded.hard_bounces,"
                " soft_bounces = addresses.soft_bounces + excluded.soft_bounces,"
                " first_bounce = MIN(COALESCE(addresses.first_bounce, excluded.first_bounce), excluded.first_bounce),"
                " last_bounce = MAX(COALESCE(addresses.last_bounce, excluded.last_bounce), excluded.last_bounce),"
                # a mail that a later bounce answered did not stay quiet
                " quiet_since = CASE WHEN addresses.quiet_since < excluded.last_bounce THEN NULL"
                " ELSE addresses.quiet_since END",
                (address, event.user_id, hard, 1 - hard, event.time, event.time))
            if not hard:
                conn.execute(
                    "INSERT INTO soft_counters VALUES (?, ?, 1, ?) ON CONFLICT(address, sending_domain) DO UPDATE"
                    " SET count = soft_counters.count + 1,"
                    " last_soft = MAX(soft_counters.last_soft, excluded.last_soft)",
                    (address, domain, event.time))
            self._queue(conn, "bounce", address, payload, callbacks, event.time)
            self._add_count(conn, "bounces", {"kind": "bounce", "hard": "true" if hard else "false"}, 1)
        return True

    @staticmethod
    def _queue(conn: sqlite3.Connection, kind: str, address: str, payload: dict[str, Any],
               callbacks: list[CallbackTarget], now: float) -> None:
        # Every event carries an id of its own, so a receiver can tell a retried delivery from a new event.
        text = json.dumps({"id": os.urandom(16).hex(), **payload}, sort_keys=True)
        conn.executemany(
            "INSERT INTO callbacks(kind, target, package_id, sending_domain, address, payload, created, next_try)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(kind, c.target, c.package_id, c.sending_domain, address, text, now, now) for c in callbacks])

    _STATUS = ("address, user_id, hard_bounces, soft_bounces, disabled, first_bounce, last_bounce,"
               " notices_sent, last_notice, disabled_at, last_sent")

    @_translated
    def address_status(self, addresses: list[str] | None, disabled_only: bool = False) -> list[AddressStatus]:
        """What bounce-status prints: one row per address that has a record.

        An address has a record once a bounce was recorded for it (its counts
        may since have been forgotten or cleared: that is worth seeing), or a
        suppression. One that was only mailed (the flusher keeps its last_sent)
        has none. A listing without names shows only addresses with bounces
        counted, disabled, notified or suppressed; ``disabled_only`` those
        no mail reaches (suppressed for all mail, for any reason).
        """
        where = "(disabled = 1 OR address IN (SELECT address FROM suppressions WHERE scope = ''))" \
            if disabled_only else ("(disabled = 1 OR hard_bounces > 0 OR soft_bounces > 0 OR notices_sent > 0"
                                   " OR address IN (SELECT address FROM suppressions))")
        if addresses is not None and not disabled_only:
            where = where[:-1] + " OR EXISTS (SELECT 1 FROM events e WHERE e.address = addresses.address))"
        conn = self.conn
        if addresses is None:
            rows = conn.execute(f"SELECT {self._STATUS} FROM addresses WHERE {where} ORDER BY address").fetchall()
        else:
            wanted = _lower(addresses)
            rows = []
            for chunk in chunks(wanted):
                rows += conn.execute(f"SELECT {self._STATUS} FROM addresses WHERE {where}"
                                     f" AND address IN ({_marks(chunk)})", chunk).fetchall()
            order = {a: i for i, a in enumerate(wanted)}
            rows.sort(key=lambda r: order[r[0]])
        soft: dict[str, dict[str, int]] = {}
        suppressed: dict[str, tuple[str, float, str]] = {}
        packages: dict[str, list[str]] = {}
        for chunk in chunks([r[0] for r in rows]):
            for address, domain, count in conn.execute(
                    f"SELECT address, sending_domain, count FROM soft_counters WHERE address IN ({_marks(chunk)})",
                    chunk):
                soft.setdefault(address, {})[domain] = count
            for address, scope, reason, since, origin in conn.execute(
                    f"SELECT address, scope, reason, since, origin FROM suppressions"
                    f" WHERE address IN ({_marks(chunk)}) ORDER BY address, scope", chunk):
                if scope == ALL_MAIL:
                    suppressed[address] = (reason, since, origin)
                else:
                    packages.setdefault(address, []).append(scope)
        none = (None, None, None)
        return [AddressStatus(*r[:4], bool(r[4]), *r[5:], soft_by_domain=soft.get(r[0], {}),
                              suppressed=suppressed.get(r[0], none)[0],
                              suppressed_since=suppressed.get(r[0], none)[1],
                              unsubscribed_packages=packages.get(r[0], []),
                              origin=suppressed.get(r[0], none)[2]) for r in rows]

    @_translated
    def events(self, address: str) -> list[Event]:
        rows = self.conn.execute("SELECT time, kind, reason, hard, status, message_id, package_id, diagnostic"
                                 " FROM events WHERE address = ? ORDER BY time, id", (address.strip().lower(),))
        return [Event(t, k, r, bool(h), s, m, p, d) for t, k, r, h, s, m, p, d in rows]

    def _enable(self, conn: sqlite3.Connection, address: str, now: float, callbacks: list[CallbackTarget],
                reason: str | None = None) -> EnableResult:
        """Clear the counts and lift the suppressions (only of ``reason`` when given) of one address."""
        found = conn.execute("SELECT disabled, user_id FROM addresses WHERE address = ?", (address,)).fetchone()
        lifted = conn.execute("DELETE FROM suppressions WHERE address = ? AND (? IS NULL OR reason = ?)",
                              (address, reason, reason)).rowcount
        if found is None:
            return EnableResult(address, known=lifted > 0, was_disabled=lifted > 0, enabled=lifted > 0)
        conn.execute(
            "UPDATE addresses SET disabled = 0, disabled_at = NULL, hard_bounces = 0, soft_bounces = 0,"
            " first_bounce = NULL, last_bounce = NULL, notices_sent = 0, last_notice = NULL"
            " WHERE address = ?", (address,))
        conn.execute("DELETE FROM soft_counters WHERE address = ?", (address,))
        conn.execute("UPDATE events SET soft_pending = 0 WHERE address = ? AND soft_pending = 1", (address,))
        was_disabled = bool(found[0]) or lifted > 0
        if was_disabled:
            event = {"event": "enable", "address": address, "user_id": found[1], "time": now}
            self._queue(conn, "enable", address, event, callbacks, now)
        return EnableResult(address, known=True, was_disabled=was_disabled, enabled=True)

    @_translated
    def enable(self, addresses: list[str], now: float, callbacks: list[CallbackTarget]) -> list[EnableResult]:
        """Lift every suppression and clear every count, in one transaction; queue on_enable callbacks."""
        with self._write() as conn:
            return [self._enable(conn, address, now, callbacks) for address in _lower(addresses)]

    @_translated
    def enable_by_token(self, mac: str, address: str, expires: float, episode: int, now: float,
                        callbacks: list[CallbackTarget]) -> EnableResult:
        """Spend a (checked) token and enable its address in one transaction; DataError changes nothing."""
        address = address.strip().lower()
        with self._write() as conn:
            try:
                conn.execute("INSERT INTO tokens_used VALUES (?, ?, ?, ?)", (mac, address, expires, now))
            except sqlite3.IntegrityError:
                raise GoneToken(f"this re-enable token for {address} has already been used", used=True) from None
            row = conn.execute("SELECT disabled, disabled_at FROM addresses WHERE address = ?",
                               (address,)).fetchone()
            if episode and (row is None or not row[0] or int(row[1] or 0) != episode):
                # Raised inside the transaction: the token is not spent either.
                raise GoneToken(f"this re-enable token for {address} belongs to an earlier notice: "
                                "the address is not disabled by it (already re-enabled?)", used=True)
            # A notice's token lifts only the bounce suppression it was sent for (DESIGN "Suppression").
            return self._enable(conn, address, now, callbacks, reason="bounce")

    # -- complaints and unsubscribes (issue 14) ---------------------------
    @_translated
    def record_suppressions(self, rows: list[SuppressionRecord]) -> list[bool]:
        """Suppress each address, record the event, queue its callbacks; all in one transaction.

        Per row, True when it was newly suppressed. A row with a ``key`` (a
        complaint or mailto unsubscribe, keyed by the report) is recorded once:
        the same report again changes nothing; its event and callbacks are
        recorded even when the address was suppressed already (a complaint is
        worth hearing of). A row without one records an event and callbacks only
        when it suppressed something, so a second click changes nothing.
        A person's complaint or unsubscribe takes over a ``bounce`` suppression:
        no disable notice goes to someone who asked for no mail.
        """
        results = []
        with self._write() as conn:
            for row in rows:
                address = row.address.strip().lower()
                scope = ALL_MAIL if row.scope is None else str(row.scope)
                if row.key is not None and not self._suppression_event(conn, row, address, row.key):
                    results.append(False)
                    continue
                conn.execute("INSERT INTO addresses(address) VALUES (?) ON CONFLICT(address) DO NOTHING", (address,))
                new = conn.execute(
                    "INSERT INTO suppressions(address, scope, reason, origin, since) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(address, scope) DO UPDATE SET reason = excluded.reason, origin = excluded.origin,"
                    " since = excluded.since WHERE suppressions.reason = 'bounce'"
                    " AND excluded.reason IN ('complaint', 'unsubscribe')",
                    (address, scope, row.reason, row.origin, row.time)).rowcount > 0
                if row.key is None and not (new and self._suppression_event(
                        conn, row, address, f"{row.reason}:{row.origin}:{scope}:{address}:{row.time!r}")):
                    results.append(False)
                    continue
                self._queue(conn, row.reason, address, row.payload or {}, list(row.callbacks), row.time)
                results.append(new)
        return results

    @staticmethod
    def _suppression_event(conn: sqlite3.Connection, row: SuppressionRecord, address: str, key: str) -> bool:
        return conn.execute(
            "INSERT INTO events(dsn_key, address, user_id, package_id, sending_domain, reason, status, hard, time,"
            " message_id, kind) VALUES (?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?) ON CONFLICT(dsn_key) DO NOTHING",
            (key, address, row.user_id, row.package_id, (row.sending_domain or "").lower(),
             row.detail or row.origin, row.time, row.message_id, row.reason)).rowcount > 0

    @_translated
    def sends_for_message(self, message_id: str) -> list[SendRecord]:
        """The send-log rows of one message (a complaint that quotes only its Message-ID)."""
        bare = message_id.strip().strip("<>").strip()
        rows = self.conn.execute("SELECT hash, recipient, message_id, user_id, package_id, sender, queue_id, time"
                                 " FROM sendlog WHERE message_id IN (?, ?) ORDER BY hash", (bare, f"<{bare}>"))
        return [SendRecord(*row) for row in rows.fetchall()]

    @_translated
    def token_used(self, mac: str) -> bool:
        """Whether a re-enable token was spent (its page answers 410 before anyone clicks)."""
        return self.conn.execute("SELECT 1 FROM tokens_used WHERE mac = ?", (mac,)).fetchone() is not None
    # -- end of complaints and unsubscribes (issue 14) ----------------------

    # -- the daily sweep -------------------------------------------------
    def _temp(self, conn: sqlite3.Connection, table: str) -> None:
        for statement in TEMP:
            conn.execute(statement)
        conn.execute(f"DELETE FROM {table}")

    @_translated
    def sweep_forget(self, now: float, max_days: float) -> int:
        """Delete the counts of addresses quiet for ``max_days`` since the first mail after their last bounce."""
        with self._write() as conn:
            self._temp(conn, "sweep_addresses")
            conn.execute("INSERT INTO sweep_addresses SELECT address FROM addresses WHERE last_bounce IS NOT NULL"
                         " AND quiet_since <= ? AND quiet_since > last_bounce", (now - max_days * 86400.0,))
            reset = conn.execute("UPDATE addresses SET hard_bounces = 0, soft_bounces = 0, first_bounce = NULL,"
                                 " last_bounce = NULL, quiet_since = NULL"
                                 " WHERE address IN (SELECT address FROM sweep_addresses)").rowcount
            conn.execute("DELETE FROM soft_counters WHERE address IN (SELECT address FROM sweep_addresses)")
            conn.execute("UPDATE events SET soft_pending = 0 WHERE soft_pending = 1"
                         " AND address IN (SELECT address FROM sweep_addresses)")
            return reset

    @_translated
    def sweep_escalate(self, now: float, window: float, threshold: int) -> int:
        """Every ``threshold`` soft bounces of one run of one (address, sending domain) become one hard bounce.

        A soft bounce more than ``window`` seconds after the previous starts a
        new run. In each run the oldest multiple of the threshold is consumed;
        what is left keeps counting while its run can grow, and expires once
        it cannot. Returns the hard bounces added.
        """
        with self._write() as conn:
            self._temp(conn, "sweep_ids")
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
            per = max(threshold, 1)
            added = conn.execute("SELECT count(*) FROM sweep_ids WHERE escalate = 1").fetchone()[0] // per
            conn.execute("UPDATE addresses SET hard_bounces = hard_bounces + e.added FROM"
                         " (SELECT address, count(*) / ? AS added FROM sweep_ids WHERE escalate = 1"
                         " GROUP BY address) AS e WHERE addresses.address = e.address", (per,))
            conn.execute("UPDATE soft_counters SET count = count - s.n FROM"
                         " (SELECT address, domain, count(*) AS n FROM sweep_ids GROUP BY address, domain) AS s"
                         " WHERE soft_counters.address = s.address AND soft_counters.sending_domain = s.domain")
            conn.execute("DELETE FROM soft_counters WHERE count <= 0 AND (address, sending_domain) IN"
                         " (SELECT address, domain FROM sweep_ids)")
            conn.execute("UPDATE events SET soft_pending = 0 WHERE id IN (SELECT id FROM sweep_ids)")
            return added

    @_translated
    def sweep_disable(self, now: float, max_bounce_count: int, callbacks: list[CallbackTarget]) -> int:
        """Disable (suppress, reason bounce) addresses with more than ``max_bounce_count`` hard bounces."""
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE addresses SET disabled = 1, disabled_at = ?, notices_sent = 0, last_notice = NULL"
                " WHERE disabled = 0 AND hard_bounces > 0 AND hard_bounces > ?"
                " RETURNING address, user_id, hard_bounces", (now, max_bounce_count)).fetchall()
            for address, user_id, hard in rows:
                self._suppress(conn, address, "bounce", "bounce-sweep", now, None)
                event = {"event": "disable", "address": address, "user_id": user_id, "hard_bounces": hard,
                         "time": now}
                self._queue(conn, "disable", address, event, callbacks, now)
            return len(rows)

    _DUE = ("FROM addresses WHERE disabled = 1 AND notices_sent < ? AND (last_notice IS NULL OR last_notice <= ?)"
            " AND EXISTS (SELECT 1 FROM suppressions s WHERE s.address = addresses.address AND s.scope = ''"
            " AND s.reason = 'bounce')")

    @_translated
    def notices_due(self, now: float, max_count: int, interval: float) -> list[NoticeDue]:
        """Bounce-suppressed addresses owed a notice: none yet, or the last one ``interval`` seconds ago."""
        rows = self.conn.execute(f"SELECT address, user_id, hard_bounces, notices_sent, disabled_at {self._DUE}"
                                 " ORDER BY address", (max_count, now - interval)).fetchall()
        return [NoticeDue(*row) for row in rows]

    @_translated
    def count_notices_due(self, now: float, max_count: int, interval: float) -> int:
        return self.conn.execute(f"SELECT count(*) {self._DUE}", (max_count, now - interval)).fetchone()[0]

    @_translated
    def last_bounce(self, address: str) -> tuple[str, str | None, float] | None:
        """(reason, status, time) that says best why mail stopped: the latest hard bounce, else the latest."""
        return self.conn.execute("SELECT reason, status, time FROM events WHERE address = ?"
                                 " ORDER BY hard DESC, time DESC LIMIT 1", (address.lower(),)).fetchone()

    @_translated
    def notice_intents(self) -> list[NoticeIntent]:
        rows = self.conn.execute("SELECT address, queue_id, notices_sent, planned_at FROM notice_intents")
        return [NoticeIntent(*row) for row in rows.fetchall()]

    @_translated
    def plan_notice(self, intent: NoticeIntent) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO notice_intents VALUES (?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET"
                         " queue_id = excluded.queue_id, notices_sent = excluded.notices_sent,"
                         " planned_at = excluded.planned_at",
                         (intent.address, intent.queue_id, intent.notices_sent, intent.planned_at))

    @_translated
    def drop_notice_intent(self, address: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM notice_intents WHERE address = ?", (address,))

    @_translated
    def count_notice(self, address: str, notices_sent: int, when: float) -> int:
        """Count a queued notice and forget its intent, in one transaction.

        Guarded on ``notices_sent``: an enable in between, or a second sweep, does not count twice.
        """
        with self._write() as conn:
            counted = conn.execute("UPDATE addresses SET notices_sent = notices_sent + 1, last_notice = ?"
                                   " WHERE address = ? AND notices_sent = ?", (when, address, notices_sent)).rowcount
            conn.execute("DELETE FROM notice_intents WHERE address = ?", (address,))
            return counted

    @_translated
    def purge(self, sends_before: float, events_before: float, now: float) -> int:
        """Delete send-log rows and events older than given, and used tokens that expired."""
        with self._write() as conn:
            purged = conn.execute("DELETE FROM sendlog WHERE time < ?", (sends_before,)).rowcount
            purged += conn.execute("DELETE FROM events WHERE time < ?", (events_before,)).rowcount
            conn.execute("DELETE FROM tokens_used WHERE expires <= ?", (now,))
            return purged

    # -- the callback/webhook outbox -----------------------------------
    @_translated
    def due_callbacks(self, now: float) -> list[Callback]:
        rows = self.conn.execute(f"SELECT {self._CALLBACK} FROM callbacks WHERE next_try <= ? AND given_up IS NULL"
                                 " ORDER BY next_try, id", (now,))
        return [Callback(*row) for row in rows.fetchall()]

    _CALLBACK = ("id, kind, target, package_id, sending_domain, address, payload, next_try, attempts, last_error,"
                 " created, given_up")

    @_translated
    def claim_callback(self, callback_id: int, now: float, lease_until: float) -> bool:
        """Take a due callback for a while: two runners never run one twice; a dead runner's lease runs out."""
        with self._write() as conn:
            return conn.execute("UPDATE callbacks SET next_try = ? WHERE id = ? AND next_try <= ?",
                                (lease_until, callback_id, now)).rowcount > 0

    @_translated
    def callback_done(self, callback_id: int) -> None:
        self.drop_callback(callback_id)

    @_translated
    def drop_callback(self, callback_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM callbacks WHERE id = ?", (callback_id,))

    @_translated
    def callback_failed(self, callback_id: int, next_try: float, error: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE callbacks SET attempts = attempts + 1, next_try = ?, last_error = ? WHERE id = ?",
                         (next_try, error[:500], callback_id))

    # -- outbox admin and metrics (issue 15) ----------------------------
    @_translated
    def outbox(self) -> list[Callback]:
        """Every callback waiting or given up (bounce-status --outbox)."""
        rows = self.conn.execute(f"SELECT {self._CALLBACK} FROM callbacks ORDER BY id")
        return [Callback(*row) for row in rows.fetchall()]

    @_translated
    def give_up_callback(self, callback_id: int, now: float, error: str) -> None:
        """Keep a callback as a dead letter: never tried again unless replayed."""
        with self._write() as conn:
            conn.execute("UPDATE callbacks SET attempts = attempts + 1, given_up = ?, last_error = ? WHERE id = ?",
                         (now, error[:500], callback_id))

    @_translated
    def replay_callbacks(self, callback_ids: list[int] | None, now: float) -> list[int]:
        """Put dead letters (those of ``callback_ids``, or all) back, due now with a fresh count; their ids."""
        if callback_ids == []:
            return []
        with self._write() as conn:
            return sorted(row[0] for row in conn.execute(
                "UPDATE callbacks SET given_up = NULL, attempts = 0, next_try = ? WHERE given_up IS NOT NULL"
                f" AND {'1 = 1' if callback_ids is None else f'id IN ({_marks(callback_ids)})'} RETURNING id",
                [now, *(callback_ids or [])]).fetchall())

    @staticmethod
    def _add_count(conn: sqlite3.Connection, name: str, labels: dict[str, str], n: float) -> None:
        conn.execute("INSERT INTO figures VALUES (?, ?, ?) ON CONFLICT(name, labels) DO UPDATE"
                     " SET value = figures.value + excluded.value",
                     (name, json.dumps(labels, sort_keys=True), n))

    @_translated
    def add_counts(self, name: str, counts: Iterable[tuple[dict[str, str], float]]) -> None:
        """Add to the persistent counter ``name``, one value per set of labels, in one transaction."""
        with self._write() as conn:
            for labels, n in counts:
                self._add_count(conn, name, labels, n)

    @_translated
    def set_figure(self, name: str, value: float) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO figures VALUES (?, '{}', ?) ON CONFLICT(name, labels) DO UPDATE"
                         " SET value = excluded.value", (name, value))

    @_translated
    def figures(self) -> Figures:
        """The stored figures, suppressed addresses per reason, the outbox per state: three small GROUP BYs."""
        conn = self.conn
        stored = [(name, json.loads(labels), value)
                  for name, labels, value in conn.execute("SELECT name, labels, value FROM figures ORDER BY 1, 2")]
        suppressed = dict(conn.execute("SELECT reason, count(*) FROM suppressions WHERE scope = '' GROUP BY reason"))
        outbox = dict(conn.execute(
            "SELECT CASE WHEN given_up IS NOT NULL THEN 'dead' WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END,"
            " count(*) FROM callbacks GROUP BY 1"))
        return Figures(stored, suppressed, outbox)


def _version(conn: sqlite3.Connection) -> int:
    """The schema version; 0 for a new file, 1 or 2 for one made before the version table."""
    try:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.OperationalError:  # no such table: new, or older than this package
        return min(conn.execute("PRAGMA user_version").fetchone()[0], SCHEMA_VERSION - 1)
    return int(row[0]) if row else 0


def _migrate(conn: sqlite3.Connection) -> None:
    """Create the tables, or bring a database of an older version up to SCHEMA_VERSION.

    One transaction, the version checked again under the write lock: many
    processes may open a new database at once, and a migration killed half way
    leaves the old version for the next one to do again.
    """
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")  # persists in the file; cannot change inside a transaction
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _version(conn) < SCHEMA_VERSION:
            for statement in SCHEMA:
                conn.execute(statement)
            for table, column, declaration in ADDED_COLUMNS:
                if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            # Addresses the daily policy disabled before suppressions had their own table.
            conn.execute("INSERT INTO suppressions(address, scope, reason, origin, since)"
                         " SELECT address, '', 'bounce', 'bounce-sweep', COALESCE(disabled_at, 0) FROM addresses"
                         " WHERE disabled = 1 ON CONFLICT(address, scope) DO NOTHING")
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
