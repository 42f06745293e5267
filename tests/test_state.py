"""The state layer's interface, tested through StateStore only, on SQLite and on PostgreSQL
(``store`` takes conftest's ``backend`` param).

The SQLite-only parts (migrating files made by earlier versions, read-only
opening, a damaged file) are at the end; PostgreSQL's own (a server down, a
connection dropped) are in test_postgres.py.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BOTH_BACKENDS

from mailtools.errors import ConfigError, DataError, TempFailure
from mailtools.state import db_path, open_state
from mailtools.state.base import SCHEMA_VERSION, BounceEvent, CallbackTarget, NoticeIntent, SendRecord

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000.0
DAY = 86400.0


BACKENDS = BOTH_BACKENDS


@pytest.fixture
def store(state_url: str | None, tmp_path: Path):
    db = open_state(state_url or "sqlite:///" + db_path(str(tmp_path / "spool")))
    yield db
    db.close()


def bounce(address: str = "a@example.org", key: str = "k1", hard: bool = True, at: float = T0,
           domain: str = "shop.example", package: str | None = "7") -> BounceEvent:
    return BounceEvent(address, "42", package, domain, "userunknown" if hard else "mailboxfull",
                       "5.1.1" if hard else "4.2.2", hard, at, "<m@shop.example>", key, None)


# -- the send log ----------------------------------------------------------------------------------

def test_send_log_add_and_lookup(store) -> None:
    row = SendRecord("ABC123", "Ann@Example.org", "<m@x>", "42", "7", "app@x.example", "Q1", T0)
    store.add_sends([row])
    found = store.lookup_send("abc123")
    assert found == SendRecord("abc123", "ann@example.org", "<m@x>", "42", "7", "app@x.example", "Q1", T0)
    assert store.lookup_send("nothing") is None
    store.add_sends([SendRecord("abc123", "ann@example.org", "<m@x>", "42", "7", "app@x.example", "Q2", T0 + 1)])
    assert store.lookup_send("ABC123").queue_id == "Q2"  # a resend of the same hash replaces, never duplicates


def test_mark_sent_counts_quiet_from_the_first_mail_after_the_last_bounce(store) -> None:
    store.record_bounce(bounce(), [], {})
    store.mark_sent(["A@example.org"], T0 + 10)
    store.mark_sent(["a@example.org"], T0 + 20)
    assert store.sweep_forget(T0 + 10 + 3 * DAY - 1, 3) == 0
    assert store.sweep_forget(T0 + 10 + 3 * DAY, 3) == 1  # from T0 + 10, not the later mail
    assert store.address_status(["a@example.org"])[0].hard_bounces == 0


# -- suppression -----------------------------------------------------------------------------------

def test_suppress_and_is_suppressed_with_reason_origin_since(store) -> None:
    assert store.suppress("Ann@Example.org", "complaint", "bounce-ingest", T0) is True
    assert store.suppress("ann@example.org", "manual", "bounce-disable", T0 + 1) is False  # the first reason stays
    assert store.is_suppressed(["ANN@example.org", "bob@example.org"]) == {"ann@example.org": "complaint"}
    [row] = store.suppressions()
    assert (row.address, row.reason, row.origin, row.since, row.package_id) == (
        "ann@example.org", "complaint", "bounce-ingest", T0, None)
    assert store.suppressions("manual") == []
    with pytest.raises(ValueError):
        store.suppress("x@example.org", "bored", "test", T0)


def test_a_package_unsubscribe_suppresses_only_that_packages_mail(store) -> None:
    store.suppress("a@example.org", "unsubscribe", "mailtools-web", T0, package_id="forums")
    assert store.is_suppressed(["a@example.org"]) == {}
    assert store.is_suppressed(["a@example.org"], package_id="shop") == {}
    assert store.is_suppressed(["a@example.org"], package_id="forums") == {"a@example.org": "unsubscribe"}
    store.suppress("a@example.org", "manual", "bounce-disable", T0)
    assert store.is_suppressed(["a@example.org"], package_id="forums") == {"a@example.org": "manual"}
    [row] = store.address_status(["a@example.org"])  # suppressed, never bounced: still a record
    assert (row.suppressed, row.suppressed_since, row.unsubscribed_packages, row.disabled, row.hard_bounces) == (
        "manual", T0, ["forums"], False, 0)
    assert [r.address for r in store.address_status(None)] == ["a@example.org"]
    assert [r.address for r in store.address_status(None, disabled_only=True)] == ["a@example.org"]
    assert store.lift_suppression("a@example.org", package_id="forums") == 1
    assert store.lift_suppression("a@example.org", reason="complaint") == 0  # only the reason given
    assert store.is_suppressed(["a@example.org"]) == {"a@example.org": "manual"}
    assert store.address_status(["a@example.org"])[0].unsubscribed_packages == []


def test_is_suppressed_answers_for_more_addresses_than_one_query_takes(store) -> None:
    addresses = [f"u{i}@example.org" for i in range(1200)]
    for address in addresses[::100]:
        store.suppress(address, "manual", "test", T0)
    assert store.is_suppressed(addresses) == {a: "manual" for a in addresses[::100]}


# -- bounces, the sweep, enable ------------------------------------------------------------------------

def test_record_bounce_counts_once_and_queues_its_callbacks(store) -> None:
    targets = [CallbackTarget("command", "7"), CallbackTarget("webhook", None, "shop.example")]
    assert store.record_bounce(bounce(), targets, {"event": "bounce"}) is True
    assert store.record_bounce(bounce(at=T0 + 5), targets, {"event": "bounce"}) is False  # same dsn_key
    [row] = store.address_status(["a@example.org"])
    assert (row.hard_bounces, row.first_bounce, row.last_bounce) == (1, T0, T0)
    [event] = store.events("A@example.org")
    assert (event.kind, event.reason, event.hard, event.package_id) == ("bounce", "userunknown", True, "7")
    assert [(c.kind, c.target, c.package_id, c.sending_domain) for c in store.due_callbacks(T0)] == [
        ("bounce", "command", "7", None), ("bounce", "webhook", None, "shop.example")]


def test_disable_suppresses_with_reason_bounce_and_enable_lifts_it(store) -> None:
    for i in range(11):
        store.record_bounce(bounce(key=f"k{i}", at=T0 + i), [], {})
    assert len(store.sweep_disable(T0 + 100, 10, [CallbackTarget("command", "7")])) == 1
    assert store.sweep_disable(T0 + 100, 10, []) == []  # idempotent
    assert store.is_suppressed(["a@example.org"]) == {"a@example.org": "bounce"}
    [row] = store.address_status(None, disabled_only=True)
    assert (row.disabled, row.disabled_at, row.suppressed, row.suppressed_since) == (True, T0 + 100, "bounce",
                                                                                     T0 + 100)
    assert [n.address for n in store.notices_due(T0 + 100, 4, 7 * DAY)] == ["a@example.org"]
    assert store.count_notices_due(T0 + 100, 4, 7 * DAY) == 1
    assert store.last_bounce("a@example.org") == ("userunknown", "5.1.1", T0 + 10)
    [result] = store.enable(["a@example.org"], T0 + 200, [CallbackTarget("command", "7")])
    assert (result.known, result.was_disabled, result.enabled) == (True, True, True)
    assert store.is_suppressed(["a@example.org"]) == {}
    assert [c.kind for c in store.due_callbacks(T0 + 200)] == ["disable", "enable"]


def test_only_bounce_suppressions_get_notices(store) -> None:
    store.suppress("m@example.org", "manual", "bounce-disable", T0)
    store.suppress("c@example.org", "complaint", "bounce-ingest", T0)
    assert store.notices_due(T0, 4, 7 * DAY) == []


def test_escalate_makes_five_soft_bounces_one_hard(store) -> None:
    for i in range(6):
        store.record_bounce(bounce(key=f"s{i}", hard=False, at=T0 + i), [], {})
    assert store.sweep_escalate(T0 + 10, 3 * DAY, 5) == 1
    [row] = store.address_status(["a@example.org"])
    assert (row.hard_bounces, row.soft_by_domain) == (1, {"shop.example": 1})
    assert store.sweep_escalate(T0 + 10, 3 * DAY, 5) == 0


def test_a_dry_run_rolls_every_step_back(store) -> None:
    for i in range(11):
        store.record_bounce(bounce(key=f"k{i}", at=T0 + i), [], {})
    with store.dry_run():
        assert len(store.sweep_disable(T0 + 100, 10, [])) == 1
        assert store.is_suppressed(["a@example.org"]) == {"a@example.org": "bounce"}
    assert store.is_suppressed(["a@example.org"]) == {}
    assert store.address_status(["a@example.org"])[0].disabled is False


def test_token_use_is_once_and_a_refused_token_is_not_spent(store) -> None:
    for i in range(11):
        store.record_bounce(bounce(key=f"k{i}", at=T0 + i), [], {})
    store.sweep_disable(T0 + 100, 10, [])
    with pytest.raises(DataError, match="earlier notice"):
        store.enable_by_token("mac1", "a@example.org", T0 + DAY, int(T0), T0 + 200, [])
    result = store.enable_by_token("mac1", "a@example.org", T0 + DAY, int(T0 + 100), T0 + 200, [])
    assert result.enabled and store.is_suppressed(["a@example.org"]) == {}
    with pytest.raises(DataError, match="already been used"):
        store.enable_by_token("mac1", "a@example.org", T0 + DAY, int(T0 + 100), T0 + 300, [])


def test_notice_intents_and_counting(store) -> None:
    for i in range(11):
        store.record_bounce(bounce(key=f"k{i}", at=T0 + i), [], {})
    store.sweep_disable(T0 + 100, 10, [])
    store.plan_notice(NoticeIntent("a@example.org", "Q1", 0, T0 + 100))
    assert store.notice_intents() == [NoticeIntent("a@example.org", "Q1", 0, T0 + 100)]
    assert store.count_notice("a@example.org", 0, T0 + 100) == 1
    assert store.count_notice("a@example.org", 0, T0 + 100) == 0  # guarded: never counted twice
    assert store.notice_intents() == []
    assert store.address_status(["a@example.org"])[0].notices_sent == 1


def test_purge_by_age(store) -> None:
    store.add_sends([SendRecord("old", "x@example.org", None, None, None, None, None, T0 - 40 * DAY),
                     SendRecord("new", "x@example.org", None, None, None, None, None, T0)])
    store.record_bounce(bounce(key="old", at=T0 - 40 * DAY), [], {})
    store.record_bounce(bounce(key="new", at=T0), [], {})
    assert store.purge(T0 - 30 * DAY, T0 - 30 * DAY, T0) == 2
    assert store.lookup_send("old") is None and store.lookup_send("new") is not None
    assert [e.time for e in store.events("a@example.org")] == [T0]


def test_callback_outbox_claim_fail_done(store) -> None:
    store.record_bounce(bounce(), [CallbackTarget("command", "7")], {"event": "bounce"})
    [callback] = store.due_callbacks(T0)
    assert store.claim_callback(callback.id, T0, T0 + 310) is True
    assert store.claim_callback(callback.id, T0, T0 + 310) is False  # a second runner does not get it
    store.callback_failed(callback.id, T0 + 60, "exit 3")
    [again] = store.due_callbacks(T0 + 60)
    assert (again.attempts, again.next_try, again.last_error) == (1, T0 + 60, "exit 3")
    store.callback_done(callback.id)
    assert store.due_callbacks(float("inf")) == []


# -- SQLite: files made by earlier versions, read-only, damaged ------------------------------------

OLD_TABLES = (
    "CREATE TABLE sendlog (hash TEXT PRIMARY KEY, recipient TEXT NOT NULL, message_id TEXT, user_id TEXT,"
    " package_id TEXT, sender TEXT, queue_id TEXT, time REAL NOT NULL)",
    "CREATE TABLE addresses (address TEXT PRIMARY KEY, user_id TEXT, hard_bounces INTEGER NOT NULL DEFAULT 0,"
    " soft_bounces INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0, disabled_at REAL,"
    " first_bounce REAL, last_bounce REAL, last_sent REAL, quiet_since REAL,"
    " notices_sent INTEGER NOT NULL DEFAULT 0, last_notice REAL)",
)
OLD_BOUNCE_TABLES = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, dsn_key TEXT NOT NULL UNIQUE, address TEXT NOT NULL,"
    " user_id TEXT, package_id TEXT, sending_domain TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL, status TEXT,"
    " hard INTEGER NOT NULL, time REAL NOT NULL, message_id TEXT, bounce_file TEXT,"
    " soft_pending INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE soft_counters (address TEXT NOT NULL, sending_domain TEXT NOT NULL, count INTEGER NOT NULL,"
    " last_soft REAL NOT NULL, PRIMARY KEY (address, sending_domain)) WITHOUT ROWID",
    "CREATE TABLE callbacks (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, package_id TEXT,"
    " sending_domain TEXT, address TEXT NOT NULL, payload TEXT NOT NULL, created REAL NOT NULL,"
    " next_try REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)",
    "CREATE TABLE tokens_used (mac TEXT PRIMARY KEY, address TEXT NOT NULL, expires REAL NOT NULL,"
    " used_at REAL NOT NULL) WITHOUT ROWID",
)


def _old_database(path: str, version: int) -> None:
    """A database as the code before the state package left it (PRAGMA user_version 1 or 2)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for statement in OLD_TABLES + (OLD_BOUNCE_TABLES if version >= 2 else ()):
        conn.execute(statement)
    conn.execute("INSERT INTO sendlog VALUES ('h1', 'x@example.org', '<m>', '42', '7', 's@x', 'Q1', ?)", (T0,))
    conn.execute("INSERT INTO addresses(address, hard_bounces, disabled, disabled_at) VALUES"
                 " ('dead@example.org', 11, 1, ?), ('live@example.org', 2, 0, NULL)", (T0,))
    if version >= 2:
        conn.execute("INSERT INTO events(dsn_key, address, reason, hard, time) VALUES"
                     " ('k', 'dead@example.org', 'userunknown', 1, ?)", (T0,))
        conn.execute("INSERT INTO tokens_used VALUES ('used', 'dead@example.org', ?, ?)", (T0 + DAY, T0))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


@pytest.mark.parametrize("version", [1, 2])
def test_a_database_of_an_earlier_version_is_migrated_keeping_everything(tmp_path: Path, version: int) -> None:
    path = db_path(str(tmp_path / "spool"))
    _old_database(path, version)
    with pytest.raises(TempFailure, match="schema version"):  # a reader does not migrate
        open_state("sqlite:///" + path, readonly=True)
    store = open_state("sqlite:///" + path)
    assert store.lookup_send("h1").recipient == "x@example.org"
    assert store.is_suppressed(["dead@example.org", "live@example.org"]) == {"dead@example.org": "bounce"}
    [dead] = store.address_status(["dead@example.org"])
    assert (dead.disabled, dead.suppressed, dead.suppressed_since) == (True, "bounce", T0)
    assert [e.kind for e in store.events("dead@example.org")] == (["bounce"] if version >= 2 else [])
    if version >= 2:
        with pytest.raises(DataError, match="already been used"):  # used tokens survive the migration
            store.enable_by_token("used", "dead@example.org", T0 + DAY, 0, T0 + 1, [])
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()
    open_state("sqlite:///" + path, readonly=True).close()  # now readable read-only


def test_many_processes_migrating_at_once_agree(tmp_path: Path) -> None:
    path = db_path(str(tmp_path / "spool"))
    _old_database(path, 2)
    worker = ("import sys; sys.path.insert(0, sys.argv[1])\nfrom mailtools.state import open_state\n"
              "s = open_state('sqlite:///' + sys.argv[2]); s.mark_sent(['x@example.org'], 1.0); s.close()\n")
    procs = [subprocess.Popen([sys.executable, "-c", worker, str(ROOT), path], stderr=subprocess.PIPE)
             for _ in range(8)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert conn.execute("SELECT count(*) FROM suppressions").fetchone()[0] == 1
    conn.close()


def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    path = db_path(str(tmp_path / "spool"))
    open_state("sqlite:///" + path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    for readonly in (False, True):
        with pytest.raises(ConfigError, match="newer") as raised:
            open_state("sqlite:///" + path, readonly=readonly)
        assert raised.value.exit_code == 78
    done = subprocess.run([sys.executable, "-m", "mailtools.cli.bounce_status", "--spool", str(tmp_path / "spool"),
                           "--config", "/dev/null"], capture_output=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert done.returncode == 78 and b"newer" in done.stderr


def test_readonly_really_is_read_only_and_missing_is_an_error(tmp_path: Path) -> None:
    path = db_path(str(tmp_path / "spool"))
    with pytest.raises(TempFailure, match=path):
        open_state("sqlite:///" + path, readonly=True)
    assert not os.path.exists(os.path.dirname(path))
    open_state("sqlite:///" + path).close()
    before = os.stat(path).st_mtime_ns
    reader = open_state("sqlite:///" + path, readonly=True)
    with pytest.raises(TempFailure, match="readonly"):
        reader.suppress("a@example.org", "manual", "test", T0)
    reader.close()
    assert os.stat(path).st_mtime_ns == before
    assert open_state("sqlite:///" + path).is_suppressed(["a@example.org"]) == {}


def test_a_damaged_file_is_a_temporary_failure_naming_it(tmp_path: Path) -> None:
    path = db_path(str(tmp_path / "spool"))
    os.makedirs(os.path.dirname(path))
    Path(path).write_bytes(b"this is not a database" * 100)
    with pytest.raises(TempFailure, match=path):
        open_state("sqlite:///" + path)


def test_a_locked_database_is_a_temporary_failure(tmp_path: Path, monkeypatch) -> None:
    path = db_path(str(tmp_path / "spool"))
    store = open_state("sqlite:///" + path)
    store.conn.execute("PRAGMA busy_timeout = 100")  # not the minute a real writer waits
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(TempFailure, match="locked"):
            store.suppress("a@example.org", "manual", "test", T0)
        assert time.monotonic() - started < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.suppress("a@example.org", "manual", "test", T0)


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite://relative.sqlite"])
def test_database_urls_this_version_cannot_open_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="database.url") as raised:
        open_state(url)
    assert raised.value.exit_code == 78
