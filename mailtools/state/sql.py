"""The state layer's SQL, written once for both backends.

``SQLState`` holds every table and statement; a backend (sqlite.py,
postgres.py) only connects, begins and ends transactions, turns its driver's
errors into the library's, and writes the placeholders its driver wants.
Statements use ``?`` and ``:name`` (SQLite's); the PostgreSQL backend rewrites
them to ``%s`` and ``%(name)s``. So they are written in the common part of
both dialects: ON CONFLICT upserts, UPDATE ... FROM, RETURNING, window
functions, ``CASE`` instead of the scalar MIN/MAX that only SQLite has,
``CAST(? AS TEXT)`` where PostgreSQL must know a parameter's type, and every
INSERT with its column list.

A new method is written here, once, and both backends have it; a new table
goes into ``SCHEMA`` (and into ``COPIED`` so ``mailtools-db copy`` moves it).
"""

from __future__ import annotations

import functools
import json
import os
from contextlib import contextmanager

from ..errors import MailtoolsError
from ..signing import GoneToken  # a used re-enable token: its web page answers 410 (a DataError, 65)
from .base import (
    ALL_MAIL,
    REASONS,
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

TYPE_CHECKING = False  # typing costs the pipe ~3 ms of start-up; only checkers need it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, TypeVar

    T = TypeVar("T")

# {serial} is each backend's auto-numbered key; times are DOUBLE PRECISION
# (PostgreSQL's REAL is 4 bytes: seconds since 1970 would lose minutes).
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS sendlog (
        hash TEXT PRIMARY KEY,       -- the VERP hash: identifies one recipient of one message
        recipient TEXT NOT NULL, message_id TEXT, user_id TEXT, package_id TEXT,
        sender TEXT, queue_id TEXT, time DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sendlog_time ON sendlog(time)",
    # A complaint that quotes only the original's Message-ID is found by it (issue 14).
    "CREATE INDEX IF NOT EXISTS sendlog_message_id ON sendlog(message_id)",
    # The daily policy's working state per address. ``disabled`` is the
    # policy's own flag (notices and tokens key on it); the suppressions table
    # says, for every reason, whether mail goes out. Both change in one transaction.
    """CREATE TABLE IF NOT EXISTS addresses (
        address TEXT PRIMARY KEY, user_id TEXT,
        hard_bounces INTEGER NOT NULL DEFAULT 0, soft_bounces INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0, disabled_at DOUBLE PRECISION,
        first_bounce DOUBLE PRECISION, last_bounce DOUBLE PRECISION, last_sent DOUBLE PRECISION,
        quiet_since DOUBLE PRECISION,  -- first mail sent after the last bounce (the Forget rule)
        notices_sent INTEGER NOT NULL DEFAULT 0, last_notice DOUBLE PRECISION)""",
    "CREATE INDEX IF NOT EXISTS addresses_disabled ON addresses(disabled) WHERE disabled = 1",
    # Partial indexes keep the sweep's Forget and Disable rules to the few rows that can match.
    "DROP INDEX IF EXISTS addresses_bounced",
    "CREATE INDEX IF NOT EXISTS addresses_quiet ON addresses(quiet_since) WHERE last_bounce IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS addresses_hard ON addresses(hard_bounces) WHERE disabled = 0 AND hard_bounces > 0",
    # dsn_key UNIQUE is the dedupe: Postfix redelivers a bounce after a 75.
    # soft_pending = 1 while a soft bounce still counts toward its (address, sending_domain) counter.
    """CREATE TABLE IF NOT EXISTS events (
        id {serial}, dsn_key TEXT NOT NULL UNIQUE, address TEXT NOT NULL,
        user_id TEXT, package_id TEXT, sending_domain TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL, status TEXT, hard INTEGER NOT NULL,
        time DOUBLE PRECISION NOT NULL, message_id TEXT, bounce_file TEXT,
        soft_pending INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT 'bounce',
        diagnostic TEXT)  -- what the bounce said (bounce-status --events)""",
    "CREATE INDEX IF NOT EXISTS events_time ON events(time)",
    "CREATE INDEX IF NOT EXISTS events_address ON events(address, time)",
    "CREATE INDEX IF NOT EXISTS events_soft ON events(time) WHERE soft_pending = 1",
    """CREATE TABLE IF NOT EXISTS soft_counters (
        address TEXT NOT NULL, sending_domain TEXT NOT NULL,
        count INTEGER NOT NULL, last_soft DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (address, sending_domain))""",
    # One row per (address, scope): scope '' is all mail, else a package id
    # (an unsubscribe from one package's mail).
    """CREATE TABLE IF NOT EXISTS suppressions (
        address TEXT NOT NULL, scope TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL, origin TEXT NOT NULL, since DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (address, scope))""",
    "CREATE INDEX IF NOT EXISTS suppressions_reason ON suppressions(reason)",
    """CREATE TABLE IF NOT EXISTS tokens_used (
        mac TEXT PRIMARY KEY, address TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL,
        used_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS callbacks (
        id {serial},
        kind TEXT NOT NULL, target TEXT NOT NULL,   -- bounce|disable|enable; command|webhook
        package_id TEXT, sending_domain TEXT, address TEXT NOT NULL, payload TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, next_try DOUBLE PRECISION NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        given_up DOUBLE PRECISION)  -- a dead letter since then (issue 15)""",
    "CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(next_try)",
    # Running figures for mailtools-metrics (issue 15): counters that must keep
    # counting when the events they count are purged, and the last sweep's time.
    # labels: a JSON object of a few bounded values ({"hard": "true", "kind": "bounce"});
    # '{{}}' is '{}' once the statement is formatted with the backend's {serial}.
    """CREATE TABLE IF NOT EXISTS figures (
        name TEXT NOT NULL, labels TEXT NOT NULL DEFAULT '{{}}', value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (name, labels))""",
    """CREATE TABLE IF NOT EXISTS notice_intents (
        address TEXT PRIMARY KEY, queue_id TEXT NOT NULL,
        notices_sent INTEGER NOT NULL, planned_at DOUBLE PRECISION NOT NULL)""",
    # Who runs the daily sweep now (bounce-sweep on one host at a time): a
    # row for people and for the second sweep's message; the lock itself is
    # each backend's (an advisory lock, a file lock) so a dead holder frees it.
    """CREATE TABLE IF NOT EXISTS sweep_runner (
        name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, since DOUBLE PRECISION NOT NULL)""",
    # What `mailtools-db copy` took from each source (a digest of its file or host:port/db,
    # manage.source_identity): the key (a JSON list of COPIED's columns) of every row a
    # finished batch looked at. A rerun from the same source
    # skips those keys, so a row the target has since deleted (a lifted suppression, a
    # delivered callback) is not brought back; rows the source gained since are taken.
    """CREATE TABLE IF NOT EXISTS copied_keys (
        source TEXT NOT NULL, tbl TEXT NOT NULL, row_key TEXT NOT NULL, PRIMARY KEY (source, tbl, row_key))""",
)
# Columns that databases made by older versions lack: (table, column, declaration).
# Each backend adds the missing ones when it migrates.
ADDED_COLUMNS = (("addresses", "quiet_since", "DOUBLE PRECISION"),
                 ("events", "kind", "TEXT NOT NULL DEFAULT 'bounce'"),
                 ("callbacks", "given_up", "DOUBLE PRECISION"),
                 ("events", "diagnostic", "TEXT"))
# Where a complaint or unsubscribe came from when a person made it now (mailtools_bounces_total
# counts these; a list imported with bounce-disable is no event of today).
LIVE_ORIGINS = ("arf", "mailto", "one-click", "web")
# Addresses the daily policy disabled before suppressions had their own table.
BACKFILL_SUPPRESSIONS = (
    "INSERT INTO suppressions(address, scope, reason, origin, since)"
    " SELECT address, '', 'bounce', 'bounce-sweep', COALESCE(disabled_at, 0) FROM addresses"
    " WHERE disabled = 1 ON CONFLICT(address, scope) DO NOTHING")
TEMP = ("CREATE TEMP TABLE IF NOT EXISTS sweep_ids (id BIGINT PRIMARY KEY, address TEXT, domain TEXT,"
        " escalate INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS sweep_addresses (address TEXT PRIMARY KEY)")
# What `mailtools-db copy` moves, in an order that keeps references whole:
# (table, the columns that say "this row is already there"). Events are
# matched by their dedupe key and numbered anew by the target; the outbox
# keeps its ids (a webhook's "id" field is one: a receiver dedupes on it).
COPIED = (("sendlog", ("hash",)), ("addresses", ("address",)), ("events", ("dsn_key",)),
          ("soft_counters", ("address", "sending_domain")), ("suppressions", ("address", "scope")),
          ("tokens_used", ("mac",)), ("callbacks", ("id",)), ("notice_intents", ("address",)),
          ("figures", ("name", "labels")))
RENUMBERED = {"events"}  # tables whose id the target gives anew
# Tables whose rows keep their id unless the target gave that id to another row
# meanwhile (its own outbox after the switch-over), and the column that tells two
# rows apart: such a row (a late one from the old host) is numbered anew, not lost.
CLASHING = {"callbacks": "payload"}

RETRIES = 3  # attempts of a call whose transaction the server rolled back to break a deadlock


def translated(method: Callable[..., T]) -> Callable[..., T]:
    """The driver's errors of the disk, the network or the server become TempFailure naming the database."""

    @functools.wraps(method)
    def wrapper(self: SQLState, *args: Any, **kwargs: Any) -> T:
        for attempt in range(1, RETRIES + 1):
            commits = self.commits
            try:
                return method(self, *args, **kwargs)
            except MailtoolsError:
                raise
            except Exception as exc:
                # A deadlock or serialization failure rolled the call's transaction back: when
                # it had committed nothing before, running it again is running it once (two
                # hosts' flushers on one PostgreSQL meet here).
                if (attempt < RETRIES and self._retryable(exc) and self.commits == commits
                        and not self._in_transaction()):
                    continue
                failure = self._failure(exc)
                if failure is None:
                    raise  # a bug of ours (a constraint, a syntax error): retrying would not help, so not 75
                raise failure from exc
        raise AssertionError("unreachable")  # the last attempt returns or raises

    return wrapper


def _used(address: str) -> GoneToken:
    return GoneToken(f"this re-enable token for {address} has already been used", used=True)


def lower(addresses: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(a.strip().lower() for a in addresses))


def marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def _earliest(column: str, new: str) -> str:
    """The earlier of two times, either may be NULL (SQLite has scalar MIN, PostgreSQL LEAST: CASE is both)."""
    return f"CASE WHEN {column} IS NULL OR {new} < {column} THEN {new} ELSE {column} END"


def _latest(column: str, new: str) -> str:
    return f"CASE WHEN {column} IS NULL OR {new} > {column} THEN {new} ELSE {column} END"


class SQLState:
    """Every statement of the state layer; a subclass supplies the connection and the dialect."""

    url: str
    where: str  # what a message names: the file, or host:port/database (never a password)
    found_version: int  # the schema version found on opening (0: none), before any upgrade
    conn: Any

    # -- what a backend supplies ---------------------------------------
    def execute(self, sql: str, params: Any = ()) -> Any:
        """Run one statement; return a cursor (rowcount, fetchone, fetchall, iteration)."""
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Any]) -> None:
        raise NotImplementedError

    def _begin(self, durable: bool = True) -> None:
        """Begin a write transaction (SQLite: take the write lock before reading anything).

        ``durable=False``: bookkeeping that a later run redoes or that costs at
        most a repeated notice if lost; PostgreSQL then does not wait for its
        commit to reach the disk (lost only if the server's machine loses
        power: the guarantee SQLite's synchronous=NORMAL gives every commit).
        """
        raise NotImplementedError

    def _in_transaction(self) -> bool:
        raise NotImplementedError

    def _end(self, commit: bool) -> None:
        """COMMIT or ROLLBACK; a rollback on a connection that is gone does nothing."""
        raise NotImplementedError

    def _failure(self, exc: Exception) -> MailtoolsError | None:
        """The library's error for a driver's one (TempFailure for what a retry may mend), or None."""
        raise NotImplementedError

    commits = 0  # transactions this store committed: a call that committed none may be run again

    def _retryable(self, exc: Exception) -> bool:
        """Whether the server rolled the transaction back only to let another one through."""
        return False

    @translated
    def close(self) -> None:
        self.conn.close()

    # -- transactions ---------------------------------------------------
    @contextmanager
    def _write(self, durable: bool = True) -> Iterator[None]:
        """One write transaction; inside a dry run, a part of the one that is rolled back."""
        if self._in_transaction():
            yield
            return
        self._begin(durable)
        try:
            yield
            self._end(commit=True)
            self.commits += 1
        except BaseException:
            # Also when COMMIT itself fails (a full disk): a connection left inside
            # a transaction would hold the write lock for the next caller.
            if self._in_transaction():
                self._end(commit=False)
            raise

    @contextmanager
    def dry_run(self) -> Iterator[None]:
        """Every write inside shares one transaction that is rolled back."""
        translated(type(self)._begin)(self)
        try:
            yield
        finally:
            translated(type(self)._end)(self, commit=False)

    def _one(self, sql: str, params: Any = ()) -> Any:
        return self.execute(sql, params).fetchone()

    # -- the send log --------------------------------------------------
    @translated
    def add_sends(self, rows: Iterable[SendRecord]) -> None:
        with self._write():
            self.executemany(
                "INSERT INTO sendlog(hash, recipient, message_id, user_id, package_id, sender, queue_id, time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET"
                " recipient = excluded.recipient, message_id = excluded.message_id, user_id = excluded.user_id,"
                " package_id = excluded.package_id, sender = excluded.sender, queue_id = excluded.queue_id,"
                " time = excluded.time",
                # Sorted, as mark_sent's: two hosts writing the same rows lock them in one order.
                sorted((r.hash.lower(), r.recipient.lower(), r.message_id, r.user_id, r.package_id, r.sender,
                        r.queue_id, r.time) for r in rows))

    @translated
    def lookup_send(self, digest: str) -> SendRecord | None:
        row = self._one("SELECT hash, recipient, message_id, user_id, package_id, sender, queue_id, time"
                        " FROM sendlog WHERE hash = ?", (digest.lower(),))
        return SendRecord(*row) if row else None

    @translated
    def mark_sent(self, addresses: Iterable[str], now: float) -> None:
        """Remember when mail last reached each address, and the first mail after its last bounce.

        The Forget rule counts its quiet days from that first mail: with the
        latest mail instead, an address mailed every day would never be forgiven.
        Sorted: two hosts marking the same addresses lock their rows in one order.
        """
        with self._write(durable=False):
            self.executemany(
                "INSERT INTO addresses(address, last_sent) VALUES (?, ?) "
                "ON CONFLICT(address) DO UPDATE SET last_sent = excluded.last_sent, "
                "quiet_since = COALESCE(addresses.quiet_since, CASE WHEN addresses.last_bounce < excluded.last_sent"
                " THEN excluded.last_sent END)",
                [(a, now) for a in sorted(lower(addresses))])

    # -- suppression ---------------------------------------------------
    @translated
    def is_suppressed(self, addresses: Iterable[str], package_id: str | None = None) -> dict[str, str]:
        """{address: reason} for those of ``addresses`` no mail (or no mail of ``package_id``) may reach."""
        scopes = [ALL_MAIL] if package_id is None else [ALL_MAIL, str(package_id)]
        found: dict[str, str] = {}
        for chunk in chunks(lower(addresses)):
            for address, scope, reason in self.execute(
                    f"SELECT address, scope, reason FROM suppressions WHERE address IN ({marks(chunk)})"
                    f" AND scope IN ({marks(scopes)})", chunk + scopes):
                if scope == ALL_MAIL or address not in found:  # all mail's reason wins over a package's
                    found[address] = reason
        return found

    @translated
    def suppress(self, address: str, reason: str, origin: str, now: float,
                 package_id: str | None = None) -> bool:
        """Suppress ``address`` (for all mail, or for ``package_id``'s); False if it already was."""
        if reason not in REASONS:
            raise ValueError(f"unknown suppression reason {reason!r}")
        with self._write():
            return self._suppress(address.strip().lower(), reason, origin, now, package_id) > 0

    def _suppress(self, address: str, reason: str, origin: str, now: float, package_id: str | None) -> int:
        # A suppressed address has a record that bounce-status shows, bounced or not.
        self.execute("INSERT INTO addresses(address) VALUES (?) ON CONFLICT(address) DO NOTHING", (address,))
        return self.execute(
            "INSERT INTO suppressions(address, scope, reason, origin, since) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(address, scope) DO NOTHING",
            (address, ALL_MAIL if package_id is None else str(package_id), reason, origin, now)).rowcount

    @translated
    def lift_suppression(self, address: str, reason: str | None = None, package_id: str | None = None) -> int:
        """Lift ``address``'s suppression (only of ``reason`` when given); return how many were lifted."""
        scope = ALL_MAIL if package_id is None else str(package_id)
        with self._write():
            return self.execute("DELETE FROM suppressions WHERE address = ? AND scope = ?"
                                " AND (CAST(? AS TEXT) IS NULL OR reason = ?)",
                                (address.strip().lower(), scope, reason, reason)).rowcount

    @translated
    def suppressions(self, reason: str | None = None) -> list[Suppression]:
        rows = self.execute("SELECT address, reason, origin, since, scope FROM suppressions"
                            " WHERE (CAST(? AS TEXT) IS NULL OR reason = ?) ORDER BY address, scope",
                            (reason, reason)).fetchall()
        return [Suppression(a, r, o, s, scope or None) for a, r, o, s, scope in rows]

    # -- bounces -------------------------------------------------------
    @translated
    def record_bounce(self, event: BounceEvent, callbacks: list[CallbackTarget], payload: dict[str, Any]) -> bool:
        """Append the event, count it and queue its callbacks, in one transaction.

        Returns False, changing nothing, when ``event.dsn_key`` was recorded before.
        """
        address = event.address.strip().lower()
        domain = (event.sending_domain or "").lower()
        hard = 1 if event.hard else 0
        with self._write():
            cursor = self.execute(
                "INSERT INTO events(dsn_key, address, user_id, package_id, sending_domain, reason, status,"
                " hard, time, message_id, bounce_file, soft_pending, diagnostic)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dsn_key) DO NOTHING",
                (event.dsn_key, address, event.user_id, event.package_id, domain, event.reason, event.status,
                 hard, event.time, event.message_id, event.bounce_file, 1 - hard, event.diagnostic))
            if cursor.rowcount == 0:
                return False
            # Bounces may be ingested out of order (a Maildir read late): min/max, not "latest wins".
            self.execute(
                "INSERT INTO addresses(address, user_id, hard_bounces, soft_bounces, first_bounce, last_bounce)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET"
                " user_id = COALESCE(excluded.user_id, addresses.user_id),"
                " hard_bounces = addresses.hard_bounces + excluded.hard_bounces,"
                " soft_bounces = addresses.soft_bounces + excluded.soft_bounces,"
                f" first_bounce = {_earliest('addresses.first_bounce', 'excluded.first_bounce')},"
                f" last_bounce = {_latest('addresses.last_bounce', 'excluded.last_bounce')},"
                # a mail that a later bounce answered did not stay quiet
                " quiet_since = CASE WHEN addresses.quiet_since < excluded.last_bounce THEN NULL"
                " ELSE addresses.quiet_since END",
                (address, event.user_id, hard, 1 - hard, event.time, event.time))
            if not hard:
                self.execute(
                    "INSERT INTO soft_counters(address, sending_domain, count, last_soft) VALUES (?, ?, 1, ?)"
                    " ON CONFLICT(address, sending_domain) DO UPDATE SET count = soft_counters.count + 1,"
                    f" last_soft = {_latest('soft_counters.last_soft', 'excluded.last_soft')}",
                    (address, domain, event.time))
            self._queue("bounce", address, payload, callbacks, event.time)
            self._add_count("bounces", {"kind": "bounce", "hard": "true" if hard else "false"}, 1)
        return True

    def _queue(self, kind: str, address: str, payload: dict[str, Any], callbacks: list[CallbackTarget],
               now: float) -> None:
        # Every event carries an id of its own, so a receiver can tell a retried delivery from a new event.
        text = json.dumps({"id": os.urandom(16).hex(), **payload}, sort_keys=True)
        self.executemany(
            "INSERT INTO callbacks(kind, target, package_id, sending_domain, address, payload, created, next_try)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(kind, c.target, c.package_id, c.sending_domain, address, text, now, now) for c in callbacks])

    _STATUS = ("address, user_id, hard_bounces, soft_bounces, disabled, first_bounce, last_bounce,"
               " notices_sent, last_notice, disabled_at, last_sent")

    @translated
    def address_status(self, addresses: list[str] | None, disabled_only: bool = False) -> list[AddressStatus]:
        """What bounce-status prints: one row per address that has a record.

        An address has a record once a bounce was recorded for it (its counts
        may since have been forgotten or cleared: that is worth seeing), or a
        suppression. One that was only mailed (the flusher keeps its last_sent)
        has none. A listing without names shows only addresses with bounces
        counted, disabled, notified or suppressed; ``disabled_only`` the
        suppressed ones (for all mail, for any reason, or for some packages'
        mail: the whole list, so an export re-imports without losing anyone).
        """
        where = "(disabled = 1 OR address IN (SELECT address FROM suppressions))" \
            if disabled_only else ("(disabled = 1 OR hard_bounces > 0 OR soft_bounces > 0 OR notices_sent > 0"
                                   " OR address IN (SELECT address FROM suppressions))")
        if addresses is not None and not disabled_only:
            where = where[:-1] + " OR EXISTS (SELECT 1 FROM events e WHERE e.address = addresses.address))"
        if addresses is None:
            rows = self.execute(f"SELECT {self._STATUS} FROM addresses WHERE {where} ORDER BY address").fetchall()
        else:
            wanted = lower(addresses)
            rows = []
            for chunk in chunks(wanted):
                rows += self.execute(f"SELECT {self._STATUS} FROM addresses WHERE {where}"
                                     f" AND address IN ({marks(chunk)})", chunk).fetchall()
            order = {a: i for i, a in enumerate(wanted)}
            rows.sort(key=lambda r: order[r[0]])
        soft: dict[str, dict[str, int]] = {}
        suppressed: dict[str, tuple[str, float, str]] = {}
        packages: dict[str, list[dict[str, Any]]] = {}
        for chunk in chunks([r[0] for r in rows]):
            for address, domain, count in self.execute(
                    f"SELECT address, sending_domain, count FROM soft_counters WHERE address IN ({marks(chunk)})",
                    chunk).fetchall():
                soft.setdefault(address, {})[domain] = count
            for address, scope, reason, since, origin in self.execute(
                    f"SELECT address, scope, reason, since, origin FROM suppressions"
                    f" WHERE address IN ({marks(chunk)}) ORDER BY address, scope", chunk).fetchall():
                if scope == ALL_MAIL:
                    suppressed[address] = (reason, since, origin)
                else:
                    packages.setdefault(address, []).append({"package_id": scope, "origin": origin, "since": since})
        none = (None, None, None)
        return [AddressStatus(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8], r[9], r[10],
                              soft_by_domain=soft.get(r[0], {}),
                              suppressed=suppressed.get(r[0], none)[0],
                              suppressed_since=suppressed.get(r[0], none)[1],
                              unsubscribed_packages=[p["package_id"] for p in packages.get(r[0], [])],
                              origin=suppressed.get(r[0], none)[2],
                              package_unsubscribes=packages.get(r[0], [])) for r in rows]

    @translated
    def events(self, address: str) -> list[Event]:
        rows = self.execute("SELECT time, kind, reason, hard, status, message_id, package_id, diagnostic"
                            " FROM events WHERE address = ? ORDER BY time, id", (address.strip().lower(),)).fetchall()
        return [Event(t, k, r, bool(h), s, m, p, d) for t, k, r, h, s, m, p, d in rows]

    def _enable(self, address: str, now: float, callbacks: list[CallbackTarget], origin: str,
                reason: str | None = None) -> EnableResult:
        """Clear the counts and lift the suppressions (only of ``reason`` when given) of one address.

        A lift is an event too (kind ``enable``, its reason who lifted it), so
        ``bounce-status --events`` answers "why is this address mailed again?".
        """
        found = self._one("SELECT disabled, user_id FROM addresses WHERE address = ?", (address,))
        lifted = self.execute("DELETE FROM suppressions WHERE address = ? AND (CAST(? AS TEXT) IS NULL OR reason = ?)",
                              (address, reason, reason)).rowcount
        if found is None:
            return EnableResult(address, known=lifted > 0, was_disabled=lifted > 0, enabled=lifted > 0)
        self.execute(
            "UPDATE addresses SET disabled = 0, disabled_at = NULL, hard_bounces = 0, soft_bounces = 0,"
            " first_bounce = NULL, last_bounce = NULL, notices_sent = 0, last_notice = NULL"
            " WHERE address = ?", (address,))
        self.execute("DELETE FROM soft_counters WHERE address = ?", (address,))
        self.execute("UPDATE events SET soft_pending = 0 WHERE address = ? AND soft_pending = 1", (address,))
        was_disabled = bool(found[0]) or lifted > 0
        if was_disabled:
            event = {"event": "enable", "address": address, "user_id": found[1], "time": now}
            self._queue("enable", address, event, callbacks, now)
            self.execute("INSERT INTO events(dsn_key, address, user_id, reason, hard, time, kind)"
                         " VALUES (?, ?, ?, ?, 0, ?, 'enable') ON CONFLICT(dsn_key) DO NOTHING",
                         (f"enable:{origin}:{address}:{now!r}", address, found[1], origin, now))
        return EnableResult(address, known=True, was_disabled=was_disabled, enabled=True)

    @translated
    def enable(self, addresses: list[str], now: float, callbacks: list[CallbackTarget]) -> list[EnableResult]:
        """Lift every suppression and clear every count, in one transaction; queue on_enable callbacks."""
        with self._write():
            return [self._enable(address, now, callbacks, "bounce-enable") for address in lower(addresses)]

    @translated
    def enable_by_token(self, mac: str, address: str, expires: float, episode: int, now: float,
                        callbacks: list[CallbackTarget]) -> EnableResult:
        """Spend a (checked) token and enable its address in one transaction; DataError changes nothing."""
        address = address.strip().lower()
        with self._write():
            spent = self.execute("INSERT INTO tokens_used(mac, address, expires, used_at) VALUES (?, ?, ?, ?)"
                                 " ON CONFLICT(mac) DO NOTHING", (mac, address, expires, now)).rowcount
            if not spent:
                raise _used(address)
            self._check_episode(address, episode)  # raised inside the transaction: the token is not spent either
            # A notice's token lifts only the bounce suppression it was sent for (DESIGN "Suppression").
            return self._enable(address, now, callbacks, "token", reason="bounce")

    # -- complaints and unsubscribes (issue 14) ---------------------------
    @translated
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
        with self._write():
            for row in rows:
                address = row.address.strip().lower()
                scope = ALL_MAIL if row.scope is None else str(row.scope)
                if row.key is not None and not self._suppression_event(row, address, row.key):
                    results.append(False)
                    continue
                # The user id a verified report names (its VERP or send log row), as a bounce's does.
                self.execute("INSERT INTO addresses(address, user_id) VALUES (?, ?) ON CONFLICT(address) DO UPDATE"
                             " SET user_id = COALESCE(excluded.user_id, addresses.user_id)", (address, row.user_id))
                new = self.execute(
                    "INSERT INTO suppressions(address, scope, reason, origin, since) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(address, scope) DO UPDATE SET reason = excluded.reason, origin = excluded.origin,"
                    " since = excluded.since WHERE suppressions.reason = 'bounce'"
                    " AND excluded.reason IN ('complaint', 'unsubscribe')",
                    (address, scope, row.reason, row.origin, row.time)).rowcount > 0
                if row.key is None and not (new and self._suppression_event(
                        row, address, f"{row.reason}:{row.origin}:{scope}:{address}:{row.time!r}")):
                    results.append(False)
                    continue
                self._queue(row.reason, address, row.payload or {}, list(row.callbacks), row.time)
                if row.origin in LIVE_ORIGINS:  # a person's complaint or unsubscribe, not an imported list
                    self._add_count("bounces", {"kind": row.reason, "hard": "false"}, 1)
                results.append(new)
        return results

    def _suppression_event(self, row: SuppressionRecord, address: str, key: str) -> bool:
        return self.execute(
            "INSERT INTO events(dsn_key, address, user_id, package_id, sending_domain, reason, status, hard, time,"
            " message_id, kind) VALUES (?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?) ON CONFLICT(dsn_key) DO NOTHING",
            (key, address, row.user_id, row.package_id, (row.sending_domain or "").lower(),
             row.detail or row.origin, row.time, row.message_id, row.reason)).rowcount > 0

    @translated
    def sends_for_message(self, message_id: str) -> list[SendRecord]:
        """The send-log rows of one message (a complaint that quotes only its Message-ID)."""
        bare = message_id.strip().strip("<>").strip()
        rows = self.execute("SELECT hash, recipient, message_id, user_id, package_id, sender, queue_id, time"
                            " FROM sendlog WHERE message_id IN (?, ?) ORDER BY hash", (bare, f"<{bare}>"))
        return [SendRecord(*row) for row in rows.fetchall()]

    @translated
    def check_reenable(self, mac: str, address: str, episode: int) -> None:
        """GoneToken when a re-enable token could not act now (its page answers 410 before anyone
        clicks): spent already, or sent with an earlier notice than the address's disablement."""
        address = address.strip().lower()
        if self._one("SELECT 1 FROM tokens_used WHERE mac = ?", (mac,)) is not None:
            raise _used(address)
        self._check_episode(address, episode)

    def _check_episode(self, address: str, episode: int) -> None:
        """A notice's token names the disablement it was sent for (disabled_at); 0: any."""
        row = self._one("SELECT disabled, disabled_at FROM addresses WHERE address = ?", (address,))
        if episode and (row is None or not row[0] or int(row[1] or 0) != episode):
            raise GoneToken(f"this re-enable token for {address} belongs to an earlier notice: "
                            "the address is not disabled by it (already re-enabled?)", used=True)

    # -- the daily sweep -------------------------------------------------
    def _temp(self, table: str) -> None:
        for statement in TEMP:
            self.execute(statement)
        self.execute(f"DELETE FROM {table}")

    @translated
    def sweep_forget(self, now: float, max_days: float) -> int:
        """Delete the counts of addresses quiet for ``max_days`` since the first mail after their last bounce."""
        with self._write():
            self._temp("sweep_addresses")
            self.execute("INSERT INTO sweep_addresses(address) SELECT address FROM addresses"
                         " WHERE last_bounce IS NOT NULL AND quiet_since <= ? AND quiet_since > last_bounce",
                         (now - max_days * 86400.0,))
            reset = self.execute("UPDATE addresses SET hard_bounces = 0, soft_bounces = 0, first_bounce = NULL,"
                                 " last_bounce = NULL, quiet_since = NULL"
                                 " WHERE address IN (SELECT address FROM sweep_addresses)").rowcount
            self.execute("DELETE FROM soft_counters WHERE address IN (SELECT address FROM sweep_addresses)")
            self.execute("UPDATE events SET soft_pending = 0 WHERE soft_pending = 1"
                         " AND address IN (SELECT address FROM sweep_addresses)")
            return reset

    @translated
    def sweep_escalate(self, now: float, window: float, threshold: int) -> int:
        """Every ``threshold`` soft bounces of one run of one (address, sending domain) become one hard bounce.

        A soft bounce more than ``window`` seconds after the previous starts a
        new run. In each run the oldest multiple of the threshold is consumed;
        what is left keeps counting while its run can grow, and expires once
        it cannot. Returns the hard bounces added.
        """
        with self._write():
            self._temp("sweep_ids")
            self.execute(
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
                " INSERT INTO sweep_ids(id, address, domain, escalate)"
                " SELECT id, address, sending_domain, CASE WHEN rn <= used THEN 1 ELSE 0 END FROM"
                " (SELECT *, CASE WHEN :threshold >= 1 THEN (n / :threshold) * :threshold ELSE 0 END AS used"
                "  FROM numbered) AS counted"
                " WHERE rn <= used OR run < last_run OR run_end <= :now - :window",
                {"window": window, "threshold": threshold, "now": now})
            per = max(threshold, 1)
            added = self._one("SELECT count(*) FROM sweep_ids WHERE escalate = 1")[0] // per
            self.execute("UPDATE addresses SET hard_bounces = hard_bounces + e.added FROM"
                         " (SELECT address, count(*) / ? AS added FROM sweep_ids WHERE escalate = 1"
                         " GROUP BY address) AS e WHERE addresses.address = e.address", (per,))
            self.execute("UPDATE soft_counters SET count = count - s.n FROM"
                         " (SELECT address, domain, count(*) AS n FROM sweep_ids GROUP BY address, domain) AS s"
                         " WHERE soft_counters.address = s.address AND soft_counters.sending_domain = s.domain")
            # Only this rule lowers a counter, so one at or below zero is spent, whoever left it.
            # No join: PostgreSQL, whose statistics had no such rows yet, planned the join with
            # sweep_ids as a nested loop (57M comparisons, 4.9 s of 6 at 1M addresses).
            self.execute("DELETE FROM soft_counters WHERE count <= 0")
            self.execute("UPDATE events SET soft_pending = 0 WHERE id IN (SELECT id FROM sweep_ids)")
            return added

    @translated
    def sweep_disable(self, now: float, max_bounce_count: int,
                      callbacks: list[CallbackTarget]) -> list[tuple[str, int]]:
        """Disable (suppress, reason bounce) addresses with more than ``max_bounce_count`` hard bounces.

        Returns (address, hard bounces) of each, for the log line every suppression gets.
        """
        with self._write():
            rows = self.execute(
                "UPDATE addresses SET disabled = 1, disabled_at = ?, notices_sent = 0, last_notice = NULL"
                " WHERE disabled = 0 AND hard_bounces > 0 AND hard_bounces > ?"
                " RETURNING address, user_id, hard_bounces", (now, max_bounce_count)).fetchall()
            for address, user_id, hard in rows:
                self._suppress(address, "bounce", "bounce-sweep", now, None)
                event = {"event": "disable", "address": address, "user_id": user_id, "hard_bounces": hard,
                         "time": now}
                self._queue("disable", address, event, callbacks, now)
            return [(address, hard) for address, _, hard in rows]

    _DUE = ("FROM addresses WHERE disabled = 1 AND notices_sent < ? AND (last_notice IS NULL OR last_notice <= ?)"
            " AND EXISTS (SELECT 1 FROM suppressions s WHERE s.address = addresses.address AND s.scope = ''"
            " AND s.reason = 'bounce')")

    @translated
    def notices_due(self, now: float, max_count: int, interval: float) -> list[NoticeDue]:
        """Bounce-suppressed addresses owed a notice: none yet, or the last one ``interval`` seconds ago."""
        rows = self.execute(f"SELECT address, user_id, hard_bounces, notices_sent, disabled_at {self._DUE}"
                            " ORDER BY address", (max_count, now - interval)).fetchall()
        return [NoticeDue(*row) for row in rows]

    @translated
    def count_notices_due(self, now: float, max_count: int, interval: float) -> int:
        return self._one(f"SELECT count(*) {self._DUE}", (max_count, now - interval))[0]

    @translated
    def last_bounce(self, address: str) -> tuple[str, str | None, float] | None:
        """(reason, status, time) that says best why mail stopped: the latest hard bounce, else the latest."""
        row = self._one("SELECT reason, status, time FROM events WHERE address = ? AND kind <> 'enable'"
                        " ORDER BY hard DESC, time DESC LIMIT 1", (address.lower(),))
        return tuple(row) if row else None

    @translated
    def notice_intents(self) -> list[NoticeIntent]:
        rows = self.execute("SELECT address, queue_id, notices_sent, planned_at FROM notice_intents").fetchall()
        return [NoticeIntent(*row) for row in rows]

    @translated
    def plan_notice(self, intent: NoticeIntent) -> None:
        with self._write(durable=False):
            self.execute("INSERT INTO notice_intents(address, queue_id, notices_sent, planned_at)"
                         " VALUES (?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET"
                         " queue_id = excluded.queue_id, notices_sent = excluded.notices_sent,"
                         " planned_at = excluded.planned_at",
                         (intent.address, intent.queue_id, intent.notices_sent, intent.planned_at))

    @translated
    def drop_notice_intent(self, address: str) -> None:
        with self._write(durable=False):
            self.execute("DELETE FROM notice_intents WHERE address = ?", (address,))

    @translated
    def count_notice(self, address: str, notices_sent: int, when: float) -> int:
        """Count a queued notice and forget its intent, in one transaction.

        Guarded on ``notices_sent``: an enable in between, or a second sweep, does not count twice.
        """
        with self._write(durable=False):
            counted = self.execute("UPDATE addresses SET notices_sent = notices_sent + 1, last_notice = ?"
                                   " WHERE address = ? AND notices_sent = ?", (when, address, notices_sent)).rowcount
            self.execute("DELETE FROM notice_intents WHERE address = ?", (address,))
            return counted

    @translated
    def purge(self, sends_before: float, events_before: float, now: float) -> int:
        """Delete send-log rows and events older than given, and used tokens that expired."""
        with self._write():
            purged = self.execute("DELETE FROM sendlog WHERE time < ?", (sends_before,)).rowcount
            purged += self.execute("DELETE FROM events WHERE time < ?", (events_before,)).rowcount
            self.execute("DELETE FROM tokens_used WHERE expires <= ?", (now,))
            return purged

    # -- the callback/webhook outbox -----------------------------------
    @translated
    def due_callbacks(self, now: float) -> list[Callback]:
        rows = self.execute(f"SELECT {self._CALLBACK} FROM callbacks WHERE next_try <= ? AND given_up IS NULL"
                            " ORDER BY next_try, id", (now,)).fetchall()
        return [Callback(*row) for row in rows]

    _CALLBACK = ("id, kind, target, package_id, sending_domain, address, payload, next_try, attempts, last_error,"
                 " created, given_up")

    @translated
    def claim_callback(self, callback_id: int, now: float, lease_until: float) -> bool:
        """Take a due callback for a while: two runners never run one twice; a dead runner's lease runs out."""
        with self._write():
            return self.execute("UPDATE callbacks SET next_try = ? WHERE id = ? AND next_try <= ?",
                                (lease_until, callback_id, now)).rowcount > 0

    @translated
    def callback_done(self, callback_id: int) -> None:
        self.drop_callback(callback_id)

    @translated
    def drop_callback(self, callback_id: int) -> None:
        with self._write():
            self.execute("DELETE FROM callbacks WHERE id = ?", (callback_id,))

    @translated
    def callback_failed(self, callback_id: int, next_try: float, error: str) -> None:
        with self._write():
            self.execute("UPDATE callbacks SET attempts = attempts + 1, next_try = ?, last_error = ? WHERE id = ?",
                         (next_try, error[:500], callback_id))

    # -- outbox admin and metrics (issue 15) ----------------------------
    @translated
    def outbox(self) -> list[Callback]:
        """Every callback waiting or given up (bounce-status --outbox)."""
        rows = self.execute(f"SELECT {self._CALLBACK} FROM callbacks ORDER BY id").fetchall()
        return [Callback(*row) for row in rows]

    @translated
    def give_up_callback(self, callback_id: int, now: float, error: str) -> None:
        """Keep a callback as a dead letter: never tried again unless replayed."""
        with self._write():
            self.execute("UPDATE callbacks SET attempts = attempts + 1, given_up = ?, last_error = ? WHERE id = ?",
                         (now, error[:500], callback_id))

    @translated
    def replay_callbacks(self, callback_ids: list[int] | None, now: float) -> list[int]:
        """Put dead letters (those of ``callback_ids``, or all) back, due now with a fresh count; their ids."""
        if callback_ids == []:
            return []
        which = "" if callback_ids is None else f" AND id IN ({marks(callback_ids)})"
        with self._write():
            return sorted(row[0] for row in self.execute(
                f"UPDATE callbacks SET given_up = NULL, attempts = 0, next_try = ? WHERE given_up IS NOT NULL{which}"
                " RETURNING id", [now, *(callback_ids or [])]).fetchall())

    def _add_count(self, name: str, labels: dict[str, str], n: float) -> None:
        self.execute("INSERT INTO figures(name, labels, value) VALUES (?, ?, ?) ON CONFLICT(name, labels)"
                     " DO UPDATE SET value = figures.value + excluded.value",
                     (name, json.dumps(labels, sort_keys=True), n))

    @translated
    def add_counts(self, name: str, counts: Iterable[tuple[dict[str, str], float]]) -> None:
        """Add to the persistent counter ``name``, one value per set of labels, in one transaction."""
        with self._write(durable=False):
            # In one order of labels: two flushers adding "sent" and "deferred" in turn deadlocked.
            for labels, n in sorted(counts, key=lambda c: json.dumps(c[0], sort_keys=True)):
                self._add_count(name, labels, n)

    @translated
    def set_figure(self, name: str, value: float) -> None:
        with self._write():
            self.execute("INSERT INTO figures(name, labels, value) VALUES (?, '{}', ?) ON CONFLICT(name, labels)"
                         " DO UPDATE SET value = excluded.value", (name, value))

    @translated
    def figures(self) -> Figures:
        """The stored figures, suppressed addresses per reason, the outbox per state: three small GROUP BYs."""
        stored = [(name, json.loads(labels), value) for name, labels, value in
                  self.execute("SELECT name, labels, value FROM figures ORDER BY 1, 2").fetchall()]
        suppressed = dict(self.execute(
            "SELECT reason, count(*) FROM suppressions WHERE scope = '' GROUP BY reason").fetchall())
        outbox = dict(self.execute(
            "SELECT CASE WHEN given_up IS NOT NULL THEN 'dead' WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END,"
            " count(*) FROM callbacks GROUP BY 1").fetchall())
        return Figures(stored, suppressed, outbox)

    # -- who sweeps ------------------------------------------------------
    @translated
    def note_sweeper(self, host: str, pid: int, now: float) -> None:
        """Write down who holds the sweep lock (the lock itself is the backend's)."""
        with self._write():
            self.execute("INSERT INTO sweep_runner(name, host, pid, since) VALUES ('sweep', ?, ?, ?)"
                         " ON CONFLICT(name) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
                         " since = excluded.since", (host, pid, now))

    @translated
    def sweeper(self) -> tuple[str, int, float] | None:
        """(host, pid, since) of the sweep that holds (or last held) the lock."""
        row = self._one("SELECT host, pid, since FROM sweep_runner WHERE name = 'sweep'")
        return tuple(row) if row else None

    # -- whole tables (mailtools-db copy) ---------------------------------
    @translated
    def table_rows(self, table: str, batch: int = 5000) -> Iterator[tuple[list[str], list[tuple]]]:
        """(columns, rows) of ``table`` in batches, in key order; for copying an installation."""
        order = "id" if table in ("events", "callbacks") else ", ".join(dict(COPIED)[table])
        cursor = self.execute(f"SELECT * FROM {table} ORDER BY {order}")
        columns = [d[0] for d in cursor.description]
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield columns, [tuple(row) for row in rows]

    @translated
    def insert_missing(self, table: str, columns: list[str], rows: list[tuple], source: str) -> tuple[int, int]:
        """Insert the rows neither in the target nor taken from ``source`` before; (added, taken before).

        One transaction: the rows and the note of their keys (copied_keys) go
        in together, so an interrupted copy's unfinished batches are done again.
        """
        keys = dict(COPIED)[table]
        positions = [columns.index(key) for key in keys]
        keyed = [(json.dumps([row[i] for i in positions]), row) for row in rows]
        with self._write():
            taken: set[str] = set()
            for part in chunks([key for key, _ in keyed]):
                taken.update(row[0] for row in self.execute(
                    f"SELECT row_key FROM copied_keys WHERE source = ? AND tbl = ? AND row_key IN ({marks(part)})",
                    [source, table, *part]))
            fresh = [row for key, row in keyed if key not in taken]
            keep, anew = self._split_ids(table, columns, fresh)
            before = self.count_rows(table)
            self._insert_rows(table, columns, keep)
            self._after_copy(table)
            if anew:
                drop = columns.index("id")
                self._insert_rows(table, columns[:drop] + columns[drop + 1:], [r[:drop] + r[drop + 1:] for r in anew])
                self._after_copy(table)
            self.executemany("INSERT INTO copied_keys(source, tbl, row_key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                             [(source, table, key) for key, _ in keyed if key not in taken])
            return self.count_rows(table) - before, len(taken)

    def _split_ids(self, table: str, columns: list[str], rows: list[tuple]) -> tuple[list[tuple], list[tuple]]:
        """(the rows that keep their id, those the target numbers anew: RENUMBERED, or CLASHING with its own)."""
        if table in RENUMBERED:
            return [], rows
        if table not in CLASHING or not rows:
            return rows, []
        at, tell = columns.index("id"), columns.index(CLASHING[table])
        theirs: dict[Any, Any] = {}
        for part in chunks([row[at] for row in rows]):
            theirs.update(self.execute(f"SELECT id, {CLASHING[table]} FROM {table} WHERE id IN ({marks(part)})",
                                       part).fetchall())
        clash = {row[at] for row in rows if row[at] in theirs and theirs[row[at]] != row[tell]}
        return [r for r in rows if r[at] not in clash], [r for r in rows if r[at] in clash]

    def _insert_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        self.executemany(f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks(columns)})"
                         f" ON CONFLICT({', '.join(dict(COPIED)[table])}) DO NOTHING", rows)

    @translated
    def count_rows(self, table: str) -> int:
        return self._one(f"SELECT count(*) FROM {table}")[0]

    def _after_copy(self, table: str) -> None:
        """What a backend must do once ids were inserted by hand (PostgreSQL: move the sequence on)."""

    # -- the sweep lock (bounce-sweep on one host at a time) ----------------
    def try_lock_sweep(self, host: str, pid: int, now: float) -> tuple[str, int, float] | None:
        """Take the sweep lock and note who holds it; or, when another holds it, (host, pid, since) of that one.

        The lock is the backend's (a PostgreSQL session advisory lock, a file
        lock beside the SQLite file): the holder's death releases it, so a
        stale lock never needs cleaning. The row only tells people who holds it.
        """
        if not self._lock_sweep():
            return self.sweeper() or ("an unknown host", 0, 0.0)
        try:
            self.note_sweeper(host, pid, now)
        except BaseException:
            self.unlock_sweep()
            raise
        return None

    def _lock_sweep(self) -> bool:
        raise NotImplementedError

    def unlock_sweep(self) -> None:
        raise NotImplementedError
