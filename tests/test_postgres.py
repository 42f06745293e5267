"""PostgreSQL's own failures, with real processes: the server stopped, restarted, a connection cut.

Each test has its own database on a cluster of this module's own (stopping the
session's cluster would fail other tests), and leaves the cluster running.
What must hold (DESIGN "Exit codes", issue 13): mq-send queues without a
database; mq-flush defers and exits 75 without losing a claim or sending twice;
the pipe never loses a bounce and nothing is counted twice once the server is back.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from conftest import Cli, command_path, message, pg_admin, smtp_config, tally
from ingest_support import TestSpool, make_dsn, postfix_env, run_pipe
from pgcluster import PgCluster
from smtpserver import SmtpServer

from mailtools.errors import TempFailure
from mailtools.state import open_state

T0 = 1_800_000_000


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    cluster = PgCluster().init()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def db_url(cluster: PgCluster) -> Iterator[str]:
    cluster.start() if not _up(cluster) else None
    name = f"f{time.monotonic_ns()}"
    pg_admin(cluster, f"CREATE DATABASE {name}")
    url = cluster.url(name)
    open_state(url).close()  # mailtools-db init
    yield url
    if not _up(cluster):
        cluster.start()
    pg_admin(cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _up(cluster: PgCluster) -> bool:
    try:
        psycopg.connect(cluster.url("postgres"), connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


@pytest.fixture
def host(tmp_path: Path, smtp: SmtpServer, db_url: str) -> Cli:
    config = smtp_config(tmp_path / "host.toml", smtp.port, f"""timeout = 5

[bounce]
domain = "bounces.example.org"

[database]
url = "{db_url}"
""")
    return Cli(tmp_path / "spool", config)


def figures(what: str, count: int, duplicates: int, lost: int) -> None:
    """The counts the note quotes: ``count`` of ``what`` went through a fault, so many twice, so many lost."""
    tally(f"postgres: {what} through faults", count)
    tally(f"postgres: {what} delivered or counted twice", duplicates)
    tally(f"postgres: {what} lost", lost)


def stopped(cluster: PgCluster, how: str) -> None:
    cluster.stop("immediate")  # a crash: no checkpoint, every session cut
    tally(f"postgres: faults injected: server {how}")


@contextmanager
def held(db_url: str, lock: str, *params: object) -> Iterator[None]:
    """Another client's transaction holding ``lock`` (LOCK TABLE, SELECT ... FOR UPDATE) until the block ends."""
    with psycopg.connect(db_url) as blocker:
        blocker.execute(lock, params)
        yield


def cut_in_transaction(db_url: str, command: subprocess.Popen, wrote: str | None = None) -> int:
    """Wait until ``command``'s session waits on a lock inside its transaction, then terminate it
    (pg_terminate_backend: the connection dropped mid-transaction). ``wrote``: a table it must
    already have written in that transaction (truly in the middle). Returns its pid."""
    with psycopg.connect(db_url, autocommit=True) as admin:
        victim = None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            assert command.poll() is None, f"it ended ({command.returncode}) before: {command.stderr.read()!r}"
            victim = admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'mailtools'"
                                   " AND wait_event_type = 'Lock' AND xact_start IS NOT NULL").fetchone()
            time.sleep(0.02)
        assert victim is not None, "no mailtools session ever waited inside its transaction"
        if wrote:
            inside = admin.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND relation = %s::regclass"
                                   " AND granted", (victim[0], wrote)).fetchone()[0]
            assert inside >= 1, f"it had not written {wrote} yet"
        admin.execute("SELECT pg_terminate_backend(%s)", victim)
    tally("postgres: faults injected: connection cut inside a transaction (pg_terminate_backend)")
    return victim[0]


def _send(cli: Cli, rcpt: str) -> str:
    done = cli("mq-send", "-f", "app@example.org", rcpt, input=message(), now=T0)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().strip()


def _active(cli: Cli) -> list[str]:
    path = Path(cli.env["MAILTOOLS_SPOOL"]) / "active"
    return os.listdir(path) if path.exists() else []


def test_a_stopped_server_is_75_naming_the_host_and_never_the_password(cluster: PgCluster, db_url: str) -> None:
    url = db_url.replace("postgres@", "postgres:s3cret@")
    cluster.stop("immediate")
    with pytest.raises(TempFailure) as raised:
        open_state(url)
    assert raised.value.exit_code == 75
    assert f"127.0.0.1:{cluster.port}/" in str(raised.value) and "s3cret" not in str(raised.value)


def test_server_down_send_queues_flush_defers_75_then_delivers_each_once(cluster: PgCluster, host: Cli,
                                                                         smtp: SmtpServer) -> None:
    first = [_send(host, f"early{i}@example.net") for i in range(3)]
    stopped(cluster, "down during mq-send and mq-flush")
    later = [_send(host, f"late{i}@example.net") for i in range(3)]  # mq-send needs no database
    done = host("mq-flush", now=T0)
    assert done.returncode == 75, done.stderr
    assert f"127.0.0.1:{cluster.port}".encode() in done.stderr
    assert smtp.messages == [] and _active(host) == []  # nothing sent, no claim left behind
    waiting = host.json_lines("mq-list", now=T0)
    assert sorted(r["id"] for r in waiting) == sorted(first + later)
    cluster.start()
    assert host.json_lines("mq-flush", now=T0 + 1)[0]["sent"] == 6
    delivered = Counter(m.rcpt_tos[0] for m in smtp.messages)
    figures("messages", 6, sum(n - 1 for n in delivered.values()), 6 - len(delivered))
    assert sorted(delivered.elements()) == sorted(
        [f"early{i}@example.net" for i in range(3)] + [f"late{i}@example.net" for i in range(3)])


def test_server_restarted_in_the_middle_of_a_flush_loses_and_repeats_nothing(cluster: PgCluster, host: Cli,
                                                                            smtp: SmtpServer) -> None:
    count = 60
    for i in range(count):
        _send(host, f"u{i}@example.net")
    smtp.behaviour.stall_seconds = 0.1  # a slow relay: the crash lands while mail is in flight
    flusher = subprocess.Popen([command_path("mq-flush")], env=dict(host.env, MAILTOOLS_NOW=str(T0)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    smtp.wait_for(8, timeout=30)
    stopped(cluster, "crashed in the middle of mq-flush")
    out, err = flusher.communicate(timeout=120)
    assert flusher.returncode == 75, err
    assert _active(host) == []  # every claim given back or settled
    before = len(smtp.messages)
    assert 8 <= before < count
    cluster.start()
    smtp.behaviour.stall_seconds = 0
    done = host("mq-flush", now=T0 + 1)
    assert done.returncode == 0, done.stderr
    delivered = Counter(m.rcpt_tos[0] for m in smtp.messages)
    figures("messages", count, sum(n - 1 for n in delivered.values()), count - len(delivered))
    assert len(delivered) == count and set(delivered.values()) == {1}, delivered.most_common(3)
    assert {r["state"] for r in host.json_lines("mq-list", "--state", "all", now=T0 + 1)} == {"sent"}
    # and every sent message can be bounced: its send-log row survived the crash
    db = open_state(host_url(host))
    assert db.execute("SELECT count(*) FROM sendlog").fetchone()[0] == count
    db.close()


def host_url(cli: Cli) -> str:
    from mailtools.config import load_config

    return load_config(cli.env["MAILTOOLS_CONFIG"], cli.env["MAILTOOLS_SPOOL"]).database.url


def _retry_incoming(spool: TestSpool) -> subprocess.CompletedProcess:
    env = dict(spool.env(), MAILTOOLS_NOW=str(time.time() + 3600))  # the leftover is old enough by then
    return subprocess.run([command_path("bounce-ingest"), "--retry-incoming"], env=env, capture_output=True,
                          timeout=60)


def test_pipe_with_the_server_down_keeps_the_bounce_and_counts_it_once_after(cluster: PgCluster, db_url: str,
                                                                             tmp_path: Path) -> None:
    spool = TestSpool(tmp_path / "mx")
    spool.config.write_text(f'spool = "{spool.root}"\n[database]\nurl = "{db_url}"\n')
    sent = spool.send("gone@remote.test")
    dsn = make_dsn("bounce_userunknown.eml", sent)
    stopped(cluster, "down during the pipe")
    down = run_pipe(spool, dsn, sent.address)
    tally(f"postgres: pipe exits {down.returncode} with the server down")
    assert down.returncode in (0, 75), down.stderr  # never a code Postfix takes as a permanent failure
    assert f"127.0.0.1:{cluster.port}".encode() in down.stderr
    if down.returncode == 0:
        assert len(spool.files("incoming")) == 1  # stored: bounce-ingest --retry-incoming takes it up
    cluster.start()
    again = run_pipe(spool, dsn, sent.address)  # Postfix's retry, or the same bounce sent twice
    assert again.returncode == 0, again.stderr
    assert _retry_incoming(spool).returncode == 0
    assert spool.files("incoming") == []
    figures("bounces", 1, len(spool.events()) - 1, 1 - len(spool.events()))
    assert spool.counts(sent.recipient) == (1, 0) and len(spool.events()) == 1  # once, not twice


def test_a_connection_cut_in_the_middle_of_a_transaction_loses_nothing(db_url: str, tmp_path: Path) -> None:
    """The pipe's record_bounce is held inside its transaction by a row lock, and its
    session is terminated there (pg_terminate_backend): the event it had already
    inserted goes with the transaction, and the retry counts the bounce once."""
    spool = TestSpool(tmp_path / "mx")
    spool.config.write_text(f'spool = "{spool.root}"\n[database]\nurl = "{db_url}"\n')
    sent = spool.send("held@remote.test")
    store = open_state(db_url)
    store.mark_sent([sent.recipient], 1.0)  # the row the blocker locks
    store.close()
    with held(db_url, "SELECT * FROM addresses WHERE address = %s FOR UPDATE", sent.recipient):
        pipe = subprocess.Popen([command_path("bounce-ingest")], env=postfix_env(spool, sent.address),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pipe.stdin.write(b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + make_dsn("bounce_userunknown.eml", sent))
        pipe.stdin.close()
        cut_in_transaction(db_url, pipe, wrote="events")  # it had written its event already: truly in the middle
        assert pipe.wait(timeout=60) in (0, 75)
        err = pipe.stderr.read()
        pipe.stdout.close()
        pipe.stderr.close()
        assert b"terminat" in err or b"connection" in err, err
    assert spool.events() == [] and spool.counts(sent.recipient) is None  # rolled back whole
    assert _retry_incoming(spool).returncode == 0
    figures("bounces", 1, len(spool.events()) - 1, 1 - len(spool.events()))
    assert spool.counts(sent.recipient) == (1, 0) and len(spool.events()) == 1


def test_a_long_lived_store_outlives_a_restart_of_the_server(cluster: PgCluster, db_url: str) -> None:
    store = open_state(db_url)
    store.suppress("a@example.org", "manual", "test", T0)
    cluster.restart("immediate")
    with pytest.raises(TempFailure):  # the connection it had is gone: this call says so
        store.is_suppressed(["a@example.org"])
    assert store.is_suppressed(["a@example.org"]) == {"a@example.org": "manual"}  # the next one reconnects
    store.close()


def test_a_database_without_tables_is_75_for_readers_and_made_by_writers(cluster: PgCluster) -> None:
    pg_admin(cluster, "CREATE DATABASE empty_one")
    try:
        url = cluster.url("empty_one")
        with pytest.raises(TempFailure, match="mailtools-db init"):
            open_state(url, readonly=True)
        open_state(url).close()  # a writer (mq-flush, the pipe) makes them, as on SQLite
        open_state(url, readonly=True).close()
    finally:
        pg_admin(cluster, "DROP DATABASE IF EXISTS empty_one WITH (FORCE)")




def test_a_sweeper_whose_connection_is_cut_stops_rather_than_sweep_unlocked(db_url: str) -> None:
    sweeper = open_state(db_url)
    assert sweeper.try_lock_sweep("host-a", 1, T0) is None
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mailtools'")
    other = open_state(db_url)  # the lock went with the session: another host may sweep now
    assert other.try_lock_sweep("host-b", 2, T0 + 1) is None
    with pytest.raises(TempFailure, match="terminating connection"):
        sweeper.sweep_forget(T0, 3)  # the cut is noticed here...
    with pytest.raises(TempFailure, match="sweep lock"):
        sweeper.sweep_forget(T0, 3)  # ...and the sweeper does not go on, reconnected, without its lock
    assert sweeper.try_lock_sweep("host-a", 1, T0 + 2) == ("host-b", 2, T0 + 1)
    other.close()
    sweeper.close()


def _flush_cut_in(host: Cli, db_url: str, smtp: SmtpServer, lock: str, count: int) -> tuple[int, bytes]:
    """Queue ``count``, run mq-flush while another client's ``lock`` makes one of its transactions
    wait, cut that connection, then flush again. Returns (that flush's exit code, its stderr)."""
    for i in range(count):
        _send(host, f"cut{i}@example.net")
    with held(db_url, lock):
        flusher = subprocess.Popen([command_path("mq-flush")], env=dict(host.env, MAILTOOLS_NOW=str(T0)),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        cut_in_transaction(db_url, flusher)
    out, err = flusher.communicate(timeout=60)  # the lock is free now: a second try may go through
    assert b"terminat" in err or b"connection" in err, err
    assert _active(host) == []  # no claim left behind
    done = host("mq-flush", now=T0 + 1)
    assert done.returncode == 0, done.stderr
    delivered = Counter(m.rcpt_tos[0] for m in smtp.messages)
    duplicates, lost = sum(n - 1 for n in delivered.values()), count - len(delivered)
    figures("messages", count, duplicates, lost)
    assert (duplicates, lost) == (0, 0), delivered.most_common(3)
    assert {r["state"] for r in host.json_lines("mq-list", "--state", "all", now=T0 + 1)} == {"sent"}
    db = open_state(db_url)
    try:
        assert db.execute("SELECT count(*) FROM sendlog").fetchone()[0] == count  # every one can be bounced
    finally:
        db.close()
    return flusher.returncode, err


def test_a_flush_cut_while_it_writes_the_send_log_sends_nothing_and_gives_every_claim_back(
        db_url: str, host: Cli, smtp: SmtpServer) -> None:
    """The send log is committed before the first byte leaves: cut in that transaction, nothing is sent
    (every claim goes back, 75) until the next run."""
    code, err = _flush_cut_in(host, db_url, smtp, "LOCK TABLE sendlog IN SHARE MODE", 40)
    assert code == 75, err


def test_a_flush_cut_while_it_marks_what_it_sent_sends_nothing_twice_and_forgets_no_send(
        db_url: str, host: Cli, smtp: SmtpServer) -> None:
    """Cut after a batch went out, while its recipients are marked sent (addresses.last_sent): the
    mark is tried once more on a new connection, and the run goes on."""
    count = 40
    code, err = _flush_cut_in(host, db_url, smtp, "LOCK TABLE addresses IN SHARE MODE", count)
    assert code == 0, err
    assert b"trying once more" in err
    db = open_state(db_url)
    try:
        marked = db.execute("SELECT count(*) FROM addresses WHERE last_sent IS NOT NULL").fetchone()[0]
    finally:
        db.close()
    assert marked == count  # the batch sent before the cut is marked too


def _sweeper(tmp_path: Path, db_url: str, notices: int) -> Cli:
    """A host that sweeps: every hard bounce disables, ``notices`` notices per address at most."""
    config = smtp_config(tmp_path / "sweep.toml", 25, f"""
[bounce]
domain = "bounces.example.org"
max_bounce_count = 0
max_notification_count = {notices}

[database]
url = "{db_url}"
""")
    (tmp_path / "spool").mkdir(exist_ok=True)  # as mailtools-setup makes it
    return Cli(tmp_path / "spool", config)


def _hard_bounces(db_url: str, addresses: list[str]) -> None:
    from mailtools.bounces.records import BounceEvent, record_bounce
    from mailtools.config import parse_config

    db = open_state(db_url)
    try:
        for n, address in enumerate(addresses):
            event = BounceEvent(address, "42", "7", "example.org", "userunknown", "5.1.1", True, T0 - 3600,
                                f"<m{n}@example.org>", f"key{n}", "/spool/bounces/processed/x")
            assert record_bounce(db, event, parse_config({}))
    finally:
        db.close()


def _sweep(cli: Cli, now: float) -> subprocess.Popen:
    return subprocess.Popen([command_path("bounce-sweep"), "--json"], env=dict(cli.env, MAILTOOLS_NOW=str(now)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _disabled(db_url: str) -> tuple[int, int, int]:
    """(addresses disabled, bounce suppressions, notices counted)."""
    db = open_state(db_url)
    try:
        return (db.execute("SELECT count(*) FROM addresses WHERE disabled = 1").fetchone()[0],
                db.execute("SELECT count(*) FROM suppressions WHERE reason = 'bounce'").fetchone()[0],
                db.execute("SELECT COALESCE(sum(notices_sent), 0) FROM addresses").fetchone()[0])
    finally:
        db.close()


def test_a_sweep_cut_while_it_disables_changes_nothing_and_the_next_does_it_once(db_url: str,
                                                                                 tmp_path: Path) -> None:
    addresses = [f"gone{i}@example.net" for i in range(5)]
    _hard_bounces(db_url, addresses)
    sweeper = _sweeper(tmp_path, db_url, notices=0)
    with held(db_url, "LOCK TABLE suppressions IN SHARE MODE"):
        sweep = _sweep(sweeper, T0)
        cut_in_transaction(db_url, sweep, wrote="addresses")  # it had marked them disabled: truly in the middle
        out, err = sweep.communicate(timeout=60)
    assert sweep.returncode == 75, err
    assert _disabled(db_url) == (0, 0, 0)  # rolled back whole: no address disabled without its suppression
    [summary] = sweeper.json_lines("bounce-sweep", now=T0 + 60)
    assert summary["disabled"] == len(addresses)
    assert _disabled(db_url) == (len(addresses), len(addresses), 0)
    assert sweeper.json_lines("bounce-sweep", now=T0 + 120)[0]["disabled"] == 0  # once, not twice
    disabled, suppressed, _ = _disabled(db_url)
    figures("disabled addresses", len(addresses), max(disabled, suppressed) - len(addresses),
            len(addresses) - min(disabled, suppressed))


def test_a_sweep_cut_while_it_counts_a_notice_sends_no_second_one(db_url: str, tmp_path: Path) -> None:
    addresses = sorted(f"gone{i}@example.net" for i in range(3))
    _hard_bounces(db_url, addresses)
    assert _sweeper(tmp_path, db_url, notices=0).json_lines("bounce-sweep", now=T0)[0]["disabled"] == 3
    sweeper = _sweeper(tmp_path, db_url, notices=1)  # now notices are owed
    # The first notice is queued, then its count waits on this row: the cut lands in count_notice.
    with held(db_url, "SELECT * FROM addresses WHERE address = %s FOR UPDATE", addresses[0]):
        sweep = _sweep(sweeper, T0 + 60)
        cut_in_transaction(db_url, sweep)
        out, err = sweep.communicate(timeout=60)
    assert sweep.returncode == 75, err
    queued = sweeper.json_lines("mq-list", now=T0 + 60)
    assert [r["recipients"] for r in queued] == [[addresses[0]]]
    assert _disabled(db_url)[2] == 0  # queued, not yet counted
    [summary] = sweeper.json_lines("bounce-sweep", now=T0 + 120)
    assert summary["notified"] == 3  # the one left counted, two more queued
    queued = sweeper.json_lines("mq-list", now=T0 + 120)
    notices = Counter(recipient for r in queued for recipient in r["recipients"])
    duplicates, lost = sum(n - 1 for n in notices.values()), len(set(addresses) - set(notices))
    figures("notices", len(addresses), duplicates, lost)
    assert (duplicates, lost) == (0, 0), notices
    assert _disabled(db_url)[2] == 3
    assert sweeper.json_lines("bounce-sweep", now=T0 + 180)[0]["notified"] == 0



def test_a_deadlock_the_server_breaks_is_run_again_and_counts_once(db_url: str) -> None:
    """Two hosts' flushers add to the same counters: another client locks "b" then waits for "a"
    while add_counts holds "a" and waits for "b". PostgreSQL breaks the deadlock by rolling
    add_counts' transaction back (it waited first, so its check fires first); the call runs
    again once the other commits, and each count is added exactly once."""
    import threading

    store = open_state(db_url)
    store.add_counts("n", [({"k": "a"}, 1), ({"k": "b"}, 1)])
    done: list[BaseException | None] = []
    with psycopg.connect(db_url) as other:
        other.execute("UPDATE figures SET value = value + 10 WHERE name = 'n' AND labels = %s", ('{"k": "b"}',))
        worker = threading.Thread(target=lambda: done.append(_call(store.add_counts, "n",
                                                                   [({"k": "a"}, 1), ({"k": "b"}, 1)])))
        worker.start()
        with psycopg.connect(db_url, autocommit=True) as admin:  # add_counts holds "a" and waits for "b"
            deadline = time.monotonic() + 30
            while not admin.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = 'mailtools'"
                                    " AND wait_event_type = 'Lock'").fetchone():
                assert time.monotonic() < deadline, "add_counts never waited for the other's lock"
                time.sleep(0.02)
        other.execute("SET deadlock_timeout = '10s'")  # let the worker's check fire first
        other.execute("UPDATE figures SET value = value + 10 WHERE name = 'n' AND labels = %s", ('{"k": "a"}',))
    worker.join(timeout=60)
    tally("postgres: faults injected: deadlock broken by the server")
    assert done == [None]
    with psycopg.connect(db_url) as check:
        rows = dict(check.execute("SELECT labels, value FROM figures WHERE name = 'n'").fetchall())
    assert rows == {'{"k": "a"}': 12, '{"k": "b"}': 12}
    store.close()


def _call(function, *args) -> BaseException | None:  # noqa: ANN001
    try:
        function(*args)
    except BaseException as exc:  # the thread's outcome, for the test's thread to assert
        return exc
    return None
