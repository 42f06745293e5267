"""mailtools-db init | migrate | copy: the real command against a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import command_path, needs_other_users, pg_admin

from mailtools.errors import DataError
from mailtools.state import manage, open_state
from mailtools.state.base import SCHEMA_VERSION, BounceEvent, CallbackTarget, NoticeIntent, SendRecord

T0 = 1_700_000_000.0
HOOK = [CallbackTarget("command", package_id="7")]


def mailtools_db(*args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    argv = [command_path("mailtools-db"), *args, "--config", str(config or "/dev/null")]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def _bounce(address: str, key: str, hard: bool, at: float) -> BounceEvent:
    return BounceEvent(address, "42", "7", "shop.example", "userunknown" if hard else "mailboxfull",
                       "5.1.1" if hard else "4.2.2", hard, at, "<m@shop.example>", key, None)


def _installation(url: str) -> None:
    """Something of everything a running installation keeps."""
    db = open_state(url)
    db.add_sends([SendRecord(f"h{i}", f"r{i}@example.org", f"<m{i}@x>", "42", "7", "app@x", f"Q{i}", T0 + i)
                  for i in range(50)])
    for i in range(12):
        db.record_bounce(_bounce("dead@example.org", f"d{i}", True, T0 + i), HOOK, {"n": i})
    for i in range(3):
        db.record_bounce(_bounce("full@example.org", f"f{i}", False, T0 + i), [], {})
    db.mark_sent(["full@example.org"], T0 + 100)
    assert len(db.sweep_disable(T0 + 200, 10, HOOK)) == 1
    db.suppress("angry@example.org", "complaint", "bounce-ingest", T0 + 5)
    db.suppress("left@example.org", "unsubscribe", "mailtools-web", T0 + 6, package_id="forums")
    db.record_bounce(_bounce("again@example.org", "a1", True, T0), [], {})
    db.enable_by_token("mac1", "again@example.org", T0 + 86400, 0, T0 + 7, [])
    db.callback_failed(db.due_callbacks(T0 + 1000)[0].id, T0 + 5000, "hook exited 1")
    db.plan_notice(NoticeIntent("dead@example.org", "Q-notice", 0, T0 + 201))
    db.close()


def _look(url: str) -> dict:
    """What the commands show of an installation, through the interface only."""
    db = open_state(url, readonly=True)
    try:
        return {
            "status": db.address_status(["dead@example.org", "full@example.org", "angry@example.org",
                                         "left@example.org", "again@example.org"]),
            "events": {a: db.events(a) for a in ("dead@example.org", "full@example.org", "again@example.org")},
            "suppressions": db.suppressions(),
            "sends": [db.lookup_send(f"h{i}") for i in range(50)],
            "outbox": [c._replace(id=0) for c in db.due_callbacks(T0 + 10_000)],
            "intents": db.notice_intents(),
        }
    finally:
        db.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "spool" / "db" / "state.sqlite")


def test_copy_moves_everything_and_a_rerun_changes_nothing(sqlite_url: str, pg_database: str) -> None:
    _installation(sqlite_url)
    pg_admin_url = pg_database
    done = mailtools_db("copy", sqlite_url, pg_admin_url, "--json")
    assert done.returncode == 0, done.stderr
    report = {row["table"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert report["sendlog"] == {"table": "sendlog", "source": 50, "added": 50, "target": 50, "copied_before": 0}
    assert report["events"]["added"] == 16 and report["callbacks"]["added"] == 13
    assert all(row["source"] == row["added"] == row["target"] for row in report.values()), report
    assert _look(pg_admin_url) == _look(sqlite_url)
    target = open_state(pg_admin_url)
    with pytest.raises(DataError, match="already been used"):  # the used token moved too
        target.enable_by_token("mac1", "again@example.org", T0 + 86400, 0, T0 + 8, [])
    # The target numbers on after the copied ids: a new callback does not collide.
    assert target.record_bounce(_bounce("new@example.org", "n1", True, T0 + 300), HOOK, {})
    target.close()

    again = mailtools_db("copy", sqlite_url, pg_admin_url)
    assert again.returncode == 0, again.stderr
    assert "nothing to copy" in again.stdout and " 0 added" in again.stdout
    assert _look(pg_admin_url)["events"] == _look(sqlite_url)["events"]


def test_an_interrupted_copy_is_finished_by_the_rerun_counting_nothing_twice(sqlite_url: str,
                                                                             pg_database: str) -> None:
    _installation(sqlite_url)
    # What a copy killed half way leaves: the first tables whole, a first batch of events.
    source, target = open_state(sqlite_url, readonly=True), open_state(pg_database)
    origin = manage.source_identity(source.where)
    for table in ("sendlog", "addresses"):
        for columns, rows in source.table_rows(table):
            target.insert_missing(table, columns, rows, origin)
    columns, rows = next(source.table_rows("events", batch=5))
    assert target.insert_missing("events", columns, rows, origin) == (5, 0)
    source.close()
    target.close()
    done = mailtools_db("copy", sqlite_url, pg_database, "--json")
    assert done.returncode == 0, done.stderr
    report = {row["table"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert (report["sendlog"]["added"], report["addresses"]["added"], report["events"]["added"]) == (0, 0, 11)
    assert (report["sendlog"]["copied_before"], report["events"]["copied_before"]) == (50, 5)
    assert _look(pg_database) == _look(sqlite_url)  # each event once, not twice


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "target" / "state.sqlite")
    return request.getfixturevalue("pg_database")


def test_a_rerun_never_brings_back_what_the_target_removed_but_takes_what_the_source_gained(
        sqlite_url: str, target_url: str) -> None:
    _installation(sqlite_url)
    first = mailtools_db("copy", sqlite_url, target_url)
    assert first.returncode == 0, first.stderr
    # After the switch-over, on the target: dead@ re-enabled, the complaint lifted, the outbox delivered.
    target = open_state(target_url)
    assert [r.enabled for r in target.enable(["dead@example.org"], T0 + 300, [])] == [True]
    assert target.lift_suppression("angry@example.org") == 1
    for callback in target.outbox():
        target.callback_done(callback.id)
    # ... and numbered a callback of its own: the id the old host gives its next one.
    assert target.record_bounce(_bounce("new@example.org", "n1", True, T0 + 350), HOOK, {"n": "new"})
    target.close()
    # Meanwhile the old host took a late bounce and a late complaint.
    source = open_state(sqlite_url)
    assert source.record_bounce(_bounce("late@example.org", "late1", True, T0 + 400), HOOK, {"n": "late"})
    assert source.suppress("late-angry@example.org", "complaint", "bounce-ingest", T0 + 401)
    source.close()

    again = mailtools_db("copy", sqlite_url, target_url, "--json")
    assert again.returncode == 0, again.stderr
    target = open_state(target_url, readonly=True)
    try:
        assert target.is_suppressed(["dead@example.org", "angry@example.org", "late-angry@example.org",
                                     "left@example.org"], "forums") == {
            "late-angry@example.org": "complaint", "left@example.org": "unsubscribe"}
        [dead] = target.address_status(["dead@example.org"])
        assert (dead.disabled, dead.suppressed) == (False, None)
        outbox = target.outbox()  # the late one kept, numbered anew rather than lost to the clash
        assert sorted((c.address, c.kind) for c in outbox) == [("late@example.org", "bounce"),
                                                               ("new@example.org", "bounce")]
        assert len({c.id for c in outbox}) == 2
        assert [e.reason for e in target.events("late@example.org")] == ["userunknown"]
    finally:
        target.close()
    report = {row["table"]: row for row in map(json.loads, again.stdout.splitlines())}
    assert {t: (r["added"], r["copied_before"]) for t, r in report.items() if t != "figures"} == {
        "sendlog": (0, 50), "addresses": (2, 5), "events": (1, 16), "soft_counters": (0, 1),
        "suppressions": (1, 3), "tokens_used": (0, 1), "callbacks": (1, 13), "notice_intents": (0, 1)}

    third = mailtools_db("copy", sqlite_url.replace("sqlite:///", "sqlite:///" + "/."), target_url)
    assert third.returncode == 0, third.stderr  # the same file spelt otherwise is the same source
    assert "nothing to copy" in third.stdout and "suppressions: 4 rows in the source (4 copied before), 0 added, 2 in" \
        in third.stdout, third.stdout


def test_init_creates_migrate_upgrades_and_both_say_so(tmp_path: Path, pg_cluster) -> None:
    pg_admin(pg_cluster, "CREATE DATABASE fresh_init")
    try:
        url = pg_cluster.url("fresh_init")
        config = tmp_path / "m.toml"
        config.write_text(f'[database]\nurl = "{url}"\n')
        missing = mailtools_db("migrate", config=config)
        assert missing.returncode == 75 and "mailtools-db init" in missing.stderr
        done = mailtools_db("init", "--json", config=config)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"database": f"127.0.0.1:{pg_cluster.port}/fresh_init", "found": 0,
                                           "version": SCHEMA_VERSION}
        again = mailtools_db("migrate", config=config)
        assert again.returncode == 0 and "up to date; nothing to do" in again.stdout
    finally:
        pg_admin(pg_cluster, "DROP DATABASE IF EXISTS fresh_init WITH (FORCE)")


def test_a_newer_schema_is_refused_with_78(pg_database: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    config = tmp_path / "m.toml"
    config.write_text(f'[database]\nurl = "{pg_database}"\n')
    done = mailtools_db("migrate", config=config)
    assert done.returncode == 78 and "newer than this program" in done.stderr


def test_wrong_calls_are_64_and_help_teaches() -> None:
    assert mailtools_db("copy", "sqlite:////x").returncode == 64
    assert mailtools_db("init", "sqlite:////x").returncode == 64
    same = mailtools_db("copy", "sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite")
    assert same.returncode == 64 and "same database" in same.stderr
    text = mailtools_db("--help").stdout
    for word in ("init", "migrate", "copy FROM_URL TO_URL", "Safe to run again", "secret_file", "Examples"):
        assert word in text, word


def test_an_unreachable_server_is_75_naming_the_host_never_the_password(sqlite_url: str) -> None:
    open_state(sqlite_url).close()
    done = mailtools_db("copy", sqlite_url, "postgresql://mailtools:s3cret@127.0.0.1:1/mailtools")
    assert done.returncode == 75
    assert "127.0.0.1:1/mailtools" in done.stderr and "s3cret" not in done.stderr


def test_init_creates_the_database_not_the_spool(tmp_path: Path) -> None:
    """DESIGN: mq-send and mailtools-setup make spools; mailtools-db init makes the database. A mistyped
    --spool is 75 naming it and leaves nothing behind; a database of its own url needs no spool."""
    missing = tmp_path / "mistyped"
    for action in ("init", "migrate"):
        done = subprocess.run([command_path("mailtools-db"), action, "--spool", str(missing), "--config", "/dev/null"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 75 and f"spool {missing} does not exist" in done.stderr, done.stderr
        assert not missing.exists()
    config = tmp_path / "m.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/state/state.sqlite"\n')
    done = subprocess.run([command_path("mailtools-db"), "init", "--spool", str(missing), "--config", str(config)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "state" / "state.sqlite").exists() and not missing.exists()


@needs_other_users
def test_a_database_this_user_may_not_read_or_write_is_77_naming_the_path(installation) -> None:
    """The service user (and root, who becomes it) against a database file root made 0600, then a db/
    directory it may not write (SQLite's journal goes there): 77 naming the path, nothing changed."""
    import os

    inst = installation
    db = inst.spool / "db" / "state.sqlite"
    assert inst.run(inst.service, "mailtools-db", "init").returncode == 0
    owner = db.stat().st_uid
    os.chown(db, 0, 0)
    db.chmod(0o600)
    for user in (inst.service, "root"):
        for action in ("init", "migrate"):
            done = inst.run(user, "mailtools-db", action)
            assert done.returncode == 77, (user, action, done.stderr.decode())
            assert str(db) in done.stderr.decode()
    os.chown(db, owner, -1)
    db.chmod(0o640)
    os.chown(db.parent, 0, -1)
    db.parent.chmod(0o755)
    done = inst.run(inst.service, "mailtools-db", "init")
    assert done.returncode == 77 and f"cannot write in {db.parent}" in done.stderr.decode(), done.stderr.decode()
    copied = inst.run(inst.service, "mailtools-db", "copy", f"sqlite:///{db}", f"sqlite:///{db.parent}/new.sqlite")
    assert copied.returncode == 77 and str(db.parent) in copied.stderr.decode(), copied.stderr.decode()
    assert sorted(p.name for p in db.parent.iterdir()) == ["state.sqlite"]
