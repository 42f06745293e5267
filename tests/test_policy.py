"""The daily policy, rule by rule, at its edges; a month of sweeps; idempotence; crashes."""

from __future__ import annotations

import email
import email.policy
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BOTH_BACKENDS, database_table, fill, write_config

from mailtools.bounces import notices
from mailtools.bounces.policy import sweep, sweep_lock
from mailtools.bounces.records import BounceEvent, address_status, record_bounce
from mailtools.bounces.tokens import check_token
from mailtools.config import parse_config
from mailtools.errors import SweepElsewhere
from mailtools.outbound.envelope import Envelope, Recipient
from mailtools.outbound.spool import Spool
from mailtools.secret import load_secret
from mailtools.state import open_state
from mailtools.state.base import SendRecord, StateStore

ROOT = Path(__file__).resolve().parent.parent
DAY = 86400.0
T0 = 1_700_000_000.0  # 2023-11-14 22:13 UTC
BACKENDS = BOTH_BACKENDS
pytestmark = pytest.mark.usefixtures("state_url")  # every test here on SQLite and on PostgreSQL


def _config(root: str, **more) -> object:
    return parse_config({"spool": root, **database_table(), **more})


class World:
    """A spool, its database and a config, driven by the library with an explicit clock."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, database: str | None = None, **bounce) -> None:
        self.spool = Spool(str(root / "spool"))
        self.spool.ensure()
        self.config = _config(self.spool.root, bounce={
            "domain": "bounces.example.org", "reenable_url": "https://example.org/reenable?t={token}", **bounce},
            **({"database": {"url": database}} if database else {}))
        self.conn = open_state(self.config)
        self.monkeypatch = monkeypatch
        self.keys = 0

    def bounce(self, address: str, at: float, hard: bool = True, domain: str = "shop.example") -> None:
        self.keys += 1
        assert record_bounce(self.conn, BounceEvent(
            address, "42", "7", domain, "userunknown" if hard else "mailboxfull", "5.1.1" if hard else "4.2.2",
            hard, at, "<m@shop.example>", f"dsn-{self.keys}", None), self.config)

    def sent(self, address: str, at: float) -> None:
        self.conn.mark_sent([address], at)

    def sweep(self, at: float, dry_run: bool = False) -> dict:
        return sweep(self.config, self.spool, at, dry_run=dry_run)

    def status(self, address: str) -> dict:
        [row] = address_status(self.config, [address])
        return row._asdict()

    def notices(self, address: str | None = None) -> list[email.message.Message]:
        found = []
        for name in self.spool.names("queued"):
            queue_file = self.spool.load(self.spool.path("queued", name))
            if address is None or queue_file.envelope.recipients[0].address == address:
                assert queue_file.envelope.bypass_suppression
                found.append(email.message_from_bytes(queue_file.message))
        return found


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(tmp_path, monkeypatch)


def test_ten_hard_bounces_do_not_disable_eleven_do(world: World) -> None:
    for i in range(10):
        world.bounce("ten@example.org", T0 + i)
        world.bounce("eleven@example.org", T0 + i)
    world.bounce("eleven@example.org", T0 + 10)
    assert world.sweep(T0 + 100) == {"reset": 0, "disabled": 1, "notified": 1, "purged": 0}
    assert world.status("ten@example.org")["disabled"] is False
    row = world.status("eleven@example.org")
    assert row["disabled"] is True and row["disabled_at"] == T0 + 100 and row["notices_sent"] == 1


def test_four_soft_bounces_are_no_hard_one_six_are_one(world: World) -> None:
    for i in range(4):
        world.bounce("four@example.org", T0 + i, hard=False)
    for i in range(6):
        world.bounce("six@example.org", T0 + i, hard=False)
    for i in range(3):  # 3 + 3 from two sending domains: two counters, neither full
        world.bounce("split@example.org", T0 + i, hard=False, domain="a.example")
        world.bounce("split@example.org", T0 + i, hard=False, domain="b.example")
    world.sweep(T0 + 100)
    assert world.status("four@example.org")["hard_bounces"] == 0
    six = world.status("six@example.org")
    assert six["hard_bounces"] == 1 and six["soft_by_domain"] == {"shop.example": 1}  # reset, one left over
    assert world.status("split@example.org")["hard_bounces"] == 0
    world.sweep(T0 + 100)  # the same soft bounces never escalate twice
    assert world.status("six@example.org")["hard_bounces"] == 1


def test_soft_bounces_older_than_max_days_to_bounce_do_not_count(world: World) -> None:
    for i in range(4):
        world.bounce("slow@example.org", T0 + i, hard=False)
    world.bounce("slow@example.org", T0 + 3 * DAY + 10, hard=False)
    world.sweep(T0 + 3 * DAY + 10)  # the first four are 3 days old: expired
    row = world.status("slow@example.org")
    assert row["hard_bounces"] == 0 and row["soft_by_domain"] == {"shop.example": 1}
    for i in range(5):
        world.bounce("quick@example.org", T0 + i * (DAY / 2), hard=False)
    world.sweep(T0 + 3 * DAY - 1)  # all five inside the window
    assert world.status("quick@example.org")["hard_bounces"] == 1


def test_a_mailbox_full_every_day_escalates_sparse_soft_bounces_never(world: World) -> None:
    for day in range(6):  # daily sweeps, as cron runs them: the run keeps growing
        world.bounce("daily@example.org", T0 + day * DAY, hard=False)
        world.bounce("weekly@example.org", T0 + day * 7 * DAY, hard=False)
        world.sweep(T0 + day * DAY + 3600)
    assert world.status("daily@example.org")["hard_bounces"] == 1
    world.sweep(T0 + 36 * DAY)
    assert world.status("weekly@example.org")["hard_bounces"] == 0


def test_forget_after_exactly_max_days_quiet(world: World) -> None:
    for i in range(3):
        world.bounce("a@example.org", T0 + i)
    world.sent("a@example.org", T0 + 3600)
    assert world.sweep(T0 + 3600 + 3 * DAY - 1)["reset"] == 0
    assert world.status("a@example.org")["hard_bounces"] == 3
    assert world.sweep(T0 + 3600 + 3 * DAY)["reset"] == 1
    row = world.status("a@example.org")
    assert (row["hard_bounces"], row["soft_bounces"], row["last_bounce"]) == (0, 0, None)


def test_no_forgetting_without_mail_after_the_bounce(world: World) -> None:
    world.sent("a@example.org", T0)
    world.bounce("a@example.org", T0 + 10)  # the last mail bounced: nothing was received since
    world.bounce("b@example.org", T0)  # never mailed after its bounce
    assert world.sweep(T0 + 30 * DAY)["reset"] == 0
    assert world.status("a@example.org")["hard_bounces"] == 1


def test_forgetting_never_clears_disabled(world: World) -> None:
    for i in range(11):
        world.bounce("a@example.org", T0 + i)
    world.sweep(T0 + 100)
    world.sent("a@example.org", T0 + 200)  # the notice went out and did not bounce
    assert world.sweep(T0 + 200 + 3 * DAY)["reset"] == 1
    row = world.status("a@example.org")
    assert row["disabled"] is True and row["hard_bounces"] == 0


def test_a_month_of_daily_sweeps(world: World) -> None:
    """One hard bounce a day until disabled; four notices a week apart; the fifth never comes."""
    noon = T0 + 12 * 3600
    for day in range(60):
        today = noon + day * DAY
        if day == 0 or not world.status("dead@example.org")["disabled"]:  # a disabled address is not mailed
            world.sent("dead@example.org", today - 3600)
            world.bounce("dead@example.org", today - 1800)
        if day == 2:  # three bounces, then mail arrives: forgotten three days later
            for i in range(3):
                world.bounce("flaky@example.org", today - 7200 + i)
            world.sent("flaky@example.org", today - 3600)
        world.sweep(today)
        if day == 4:
            assert world.status("flaky@example.org")["hard_bounces"] == 3
        if day == 5:
            assert world.status("flaky@example.org")["hard_bounces"] == 0
    row = world.status("dead@example.org")
    assert row["disabled"] and row["disabled_at"] == noon + 10 * DAY  # the 11th bounce, on day 10
    assert row["notices_sent"] == 4
    sent = world.notices("dead@example.org")
    assert len(sent) == 4
    dates = sorted(email.utils.parsedate_to_datetime(m["Date"]).timestamp() for m in sent)
    assert dates[0] == noon + 10 * DAY
    assert all(b - a >= 7 * DAY for a, b in zip(dates, dates[1:], strict=False))
    message = sent[0]
    assert message["From"] == "reminder@bounces.example.org" and message["To"] == "dead@example.org"
    body = message.get_payload(decode=True).decode()
    assert "userunknown" in body and "reminder 1 of at most 4" in body
    token = body.split("https://example.org/reenable?t=", 1)[1].split()[0]
    assert check_token(load_secret(world.spool.root), token, noon + 60 * DAY).address == "dead@example.org"


def test_an_older_notices_token_does_nothing_once_the_address_was_re_enabled(world: World) -> None:
    from mailtools.bounces.records import enable_by_token
    from mailtools.errors import DataError

    for i in range(11):
        world.bounce("dead@example.org", T0 + i)
    world.sweep(T0 + DAY)
    world.sweep(T0 + 8 * DAY)

    def token_of(message) -> str:
        return message.get_payload(decode=True).decode().split("reenable?t=", 1)[1].split()[0]

    first, second = (token_of(m) for m in world.notices("dead@example.org"))
    assert enable_by_token(world.config, second, T0 + 9 * DAY).enabled
    with pytest.raises(DataError, match="earlier notice"):
        enable_by_token(world.config, first, T0 + 9 * DAY)
    for i in range(11):  # disabled again later: the old notices' tokens still do nothing
        world.bounce("dead@example.org", T0 + 10 * DAY + i)
    world.sweep(T0 + 11 * DAY)
    assert world.status("dead@example.org")["disabled"]
    with pytest.raises(DataError, match="earlier notice"):
        enable_by_token(world.config, first, T0 + 11 * DAY)
    assert world.status("dead@example.org")["disabled"]


def test_two_sweeps_at_the_same_time_are_one(world: World) -> None:
    for i in range(12):
        world.bounce("a@example.org", T0 + i)
    for i in range(7):
        world.bounce("b@example.org", T0 + i, hard=False)
    world.bounce("c@example.org", T0)
    world.sent("c@example.org", T0 + 1)
    at = T0 + 4 * DAY
    first = world.sweep(at)
    assert first == {"reset": 1, "disabled": 1, "notified": 1, "purged": 0}
    snapshot = _dump(world.conn)
    assert world.sweep(at) == {"reset": 0, "disabled": 0, "notified": 0, "purged": 0}
    assert _dump(world.conn) == snapshot and len(world.notices()) == 1


def test_dry_run_counts_and_changes_nothing(world: World) -> None:
    for i in range(12):
        world.bounce("a@example.org", T0 + i)
    _queue_file(world.spool, "sent", T0 - 8 * DAY)
    before = _dump(world.conn)
    expected = {"reset": 0, "disabled": 1, "notified": 1, "purged": 1}
    assert world.sweep(T0 + 100, dry_run=True) == expected
    assert _dump(world.conn) == before and world.notices() == [] and len(world.spool.names("sent")) == 1
    assert world.sweep(T0 + 100) == expected


def _queue_file(spool: Spool, state_name: str, done_at: float | None) -> str:
    envelope = Envelope(id=spool.new_id(T0), sender="app@shop.example", recipients=[Recipient("x@example.org")],
                        created=(done_at or T0) - 60, done_at=done_at)
    return spool.write(state_name, envelope, b"Subject: x\n\nbody\n", sync=False)


def test_purge_follows_retention(world: World) -> None:
    old_sent = _queue_file(world.spool, "sent", T0 - 7 * DAY)
    new_sent = _queue_file(world.spool, "sent", T0 - 7 * DAY + 1)
    old_drop = _queue_file(world.spool, "dropped", T0 - 8 * DAY)
    queued = _queue_file(world.spool, "queued", None)
    bounces = []
    for sub, age in (("processed", 31), ("unrecognized", 30), ("processed", 29)):
        path = Path(world.spool.root, "bounces", sub, f"b{age}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("bounce")
        os.utime(path, (T0 - age * DAY, T0 - age * DAY))
        bounces.append(path)
    world.bounce("old@example.org", T0 - 31 * DAY)
    world.bounce("new@example.org", T0 - 29 * DAY)
    world.conn.add_sends([SendRecord("h1", "x@example.org", "<m>", None, None, "s", "q", T0 - 31 * DAY),
                          SendRecord("h2", "x@example.org", "<m>", None, None, "s", "q", T0 - 29 * DAY)])
    # files: old sent, old dropped, two old bounces; rows: one event, one send-log row
    assert world.sweep(T0)["purged"] == 6
    assert [os.path.exists(p) for p in (old_sent, new_sent, old_drop, queued)] == [False, True, False, True]
    assert [p.exists() for p in bounces] == [False, False, True]
    assert (world.conn.events("old@example.org"), len(world.conn.events("new@example.org"))) == ([], 1)
    assert world.conn.lookup_send("h1") is None and world.conn.lookup_send("h2") is not None
    assert world.sweep(T0)["purged"] == 0


def test_a_notice_that_cannot_be_queued_is_tried_next_time(small_disk: Path, tmp_path: Path, monkeypatch) -> None:
    # The spool on a real 2 MB tmpfs, filled up; the database beside it (SQLite) or on its server.
    server = database_table().get("database", {}).get("url")
    world = World(small_disk, monkeypatch, database=server or f"sqlite:///{tmp_path}/state.sqlite")
    for i in range(11):
        world.bounce("a@example.org", T0 + i)
    load_secret(world.spool.root)  # made by the spool's first message, long before its disk filled up
    filler = fill(small_disk)
    assert world.sweep(T0 + 100)["notified"] == 0  # no space for the notice: not counted, no intent left
    assert world.status("a@example.org")["notices_sent"] == 0
    assert world.conn.notice_intents() == [] and world.spool.names("queued") == []
    filler.unlink()
    assert world.sweep(T0 + 200)["notified"] == 1
    assert len(world.notices()) == 1


def test_on_disable_hook_runs_from_the_sweep(world: World, tmp_path: Path) -> None:
    log = tmp_path / "disabled.log"
    script = tmp_path / "on_disable.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> "{log}"\ncat > /dev/null\n')
    script.chmod(0o755)
    world.config = _config(world.spool.root, bounce={"domain": "bounces.example.org"},
                           packages={"7": {"on_disable": str(script)}})
    for i in range(11):
        world.bounce("a@example.org", T0 + i)
    world.sweep(T0 + 100)
    assert log.read_text() == "a@example.org\n"


def test_a_second_sweep_finds_the_lock_taken_and_says_where_the_sweep_runs(world: World) -> None:
    other = open_state(world.config)  # another host's sweep: its own connection, its own lock
    try:
        with sweep_lock(other, T0 - 60):
            with pytest.raises(SweepElsewhere, match=f"runs on {os.uname().nodename} .pid {os.getpid()}") as held:
                world.sweep(T0)
            assert held.value.exit_code == 0
            assert world.conn.sweeper() == (os.uname().nodename, os.getpid(), T0 - 60)
        assert world.sweep(T0)["disabled"] == 0  # released: the next sweep runs
    finally:
        other.close()


def test_a_dead_sweepers_lock_is_released(world: World, tmp_path: Path) -> None:
    config = write_config(tmp_path / "holder.toml", f'spool = "{world.spool.root}"\n')
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[1])\n"
        "from mailtools.bounces.policy import sweep_lock\nfrom mailtools.config import load_config\n"
        "from mailtools.state import open_state\n"
        "with sweep_lock(open_state(load_config(sys.argv[2])), 1.0):\n"
        "    print('locked', flush=True); time.sleep(60)\n"), str(ROOT), str(config)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"locked\n"
        with pytest.raises(SweepElsewhere, match=f"pid {holder.pid}"):
            world.sweep(T0)
    finally:
        holder.kill()  # SIGKILL: no chance to unlock; the kernel or the server frees it
        holder.wait()
    assert world.sweep(T0)["disabled"] == 0


@pytest.mark.backends("sqlite")  # EXPLAIN QUERY PLAN is SQLite's
def test_rules_use_the_indexes(world: World) -> None:
    plans = {
        "forget": "SELECT address FROM addresses WHERE last_bounce IS NOT NULL AND quiet_since <= 1"
                  " AND quiet_since > last_bounce",
        "disable": "SELECT address FROM addresses WHERE disabled = 0 AND hard_bounces > 0 AND hard_bounces > 10",
        "notify": "SELECT address " + world.conn._DUE,
        "escalate": "SELECT id FROM events WHERE soft_pending = 1 AND time > 1",
    }
    world.bounce("a@example.org", T0)
    for name, query in plans.items():
        args = (1,) * query.count("?")
        plan = " ".join(r[-1] for r in world.conn.conn.execute("EXPLAIN QUERY PLAN " + query, args))
        print(name, plan)
        assert "USING" in plan and "SCAN addresses " not in plan + " ", (name, plan)


def _dump(db: StateStore) -> dict:
    """Every row of every table (a look inside through the backend's own SQL: a dry run must change none)."""
    tables = ("addresses", "events", "soft_counters", "callbacks", "tokens_used", "suppressions", "sendlog")
    return {t: sorted([tuple(r) for r in db.execute(f"SELECT * FROM {t}").fetchall()], key=repr) for t in tables}


# -- killed half way -------------------------------------------------------------------------------

def _populate(spool: Spool, count: int) -> None:
    config = _config(spool.root)
    conn = open_state(config)
    record_bounce(conn, BounceEvent("x@example.org", None, None, None, "userunknown", None, True, T0, None, "k", None),
                  config)
    # A bulk load (what mailtools-db copy uses): the interface adds one bounce at a time.
    conn.insert_missing("addresses", ["address", "hard_bounces", "first_bounce", "last_bounce"],
                        [(f"user{i:05d}@example.org", 11, T0, T0) for i in range(count)], source="bulk")
    conn.close()
    for _ in range(200):
        _queue_file(spool, "sent", T0 - 10 * DAY)


def _run_sweep(spool: Spool, at: float, kill_at: int | None = None) -> subprocess.CompletedProcess | None:
    """Run bounce-sweep; with ``kill_at``, SIGKILL it once that many notices are in the spool."""
    env = dict(os.environ, MAILTOOLS_NOW=str(at), MAILTOOLS_SPOOL=spool.root, MAILTOOLS_CONFIG=_config_file(spool),
               PYTHONPATH=str(ROOT))
    argv = [sys.executable, "-m", "mailtools.cli.bounce_sweep", "--json", "-v"]
    if kill_at is None:
        return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, timeout=300)
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(os.listdir(spool.dir("queued"))) < kill_at and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    return None


def _config_file(spool: Spool) -> str:
    """The commands' config: empty on SQLite, the test's database on PostgreSQL."""
    return str(write_config(Path(spool.root).parent / "sweep.toml", ""))


def _check_finished(spool: Spool, count: int) -> None:
    conn = open_state(_config(spool.root))
    rows = conn.execute("SELECT disabled, notices_sent, count(*) FROM addresses WHERE address LIKE 'user%'"
                        " GROUP BY 1, 2").fetchall()
    assert [tuple(r) for r in rows] == [(1, 1, count)]
    assert conn.notice_intents() == []
    conn.close()
    recipients = [spool.load(spool.path("queued", n)).envelope.recipients[0].address for n in spool.names("queued")]
    assert len(recipients) == len(set(recipients)) == count  # exactly one notice each, none twice
    assert spool.names("sent") == []


@pytest.mark.parametrize("kill_at", [0, 1, 150])
def test_sigkill_half_way_then_rerun_finishes_the_job(tmp_path: Path, kill_at: int) -> None:
    spool = Spool(str(tmp_path / "spool"))
    spool.ensure()
    _populate(spool, 400)
    at = T0 + 100
    _run_sweep(spool, at, kill_at=kill_at)
    assert len(spool.names("queued")) < 400  # killed half way
    done = _run_sweep(spool, at)
    assert done.returncode == 0, done.stderr.decode()
    _check_finished(spool, 400)
    again = _run_sweep(spool, at)
    assert again.stdout == b'{"reset": 0, "disabled": 0, "notified": 0, "purged": 0}\n'


def test_killed_again_and_again_at_random_moments(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path / "spool"))
    spool.ensure()
    _populate(spool, 300)
    rng = random.Random(4)
    for _ in range(6):
        env = dict(os.environ, MAILTOOLS_NOW=str(T0 + 100), MAILTOOLS_SPOOL=spool.root,
                   MAILTOOLS_CONFIG=_config_file(spool), PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "mailtools.cli.bounce_sweep"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = _run_sweep(spool, T0 + 100)
    assert done.returncode == 0, done.stderr.decode()
    _check_finished(spool, 300)


def test_killed_between_queueing_and_counting_a_notice(tmp_path: Path, monkeypatch) -> None:
    """The narrowest window: the notice is in the spool, its count is not in the database."""
    world = World(tmp_path, monkeypatch)
    for i in range(11):
        world.bounce("a@example.org", T0 + i)
    real = notices.submit

    def submit_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt  # stands in for SIGKILL right after the queue file is durable

    monkeypatch.setattr(notices, "submit", submit_then_die)
    with pytest.raises(KeyboardInterrupt):
        world.sweep(T0 + 100)
    monkeypatch.setattr(notices, "submit", real)
    assert world.sweep(T0 + 100)["notified"] == 1  # counted now, not sent again
    assert world.status("a@example.org")["notices_sent"] == 1 and len(world.notices()) == 1


@pytest.mark.parametrize("address", ["ann@example.net", "jörg@exämple.de"])
def test_a_notice_is_a_plain_text_message_readable_with_cat(address: str, tmp_path: Path) -> None:
    # ASCII through email.message.Message (a seventh of EmailMessage's cost, at 1,500 notices a
    # sweep), an SMTPUTF8 address through EmailMessage: both 7bit/8bit text, never base64.
    config = _config(str(tmp_path), bounce={"domain": "bounces.example.org", "reenable_url": "https://x.test/r?t={token}"})
    raw = notices.build_notice(config, address, "TOKEN", T0 + 30 * DAY, 2, ("userunknown", "5.1.1", T0), 11, T0)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert (parsed["To"], parsed["Auto-Submitted"]) == (address, "auto-generated")
    assert parsed.get_content_type() == "text/plain"
    assert parsed["Content-Transfer-Encoding"] in ("7bit", "8bit")
    assert f"mail to {address} because 11 messages" in raw.decode("utf-8").replace("\n", " ")
    assert "https://x.test/r?t=TOKEN" in parsed.get_content() and parsed["Message-ID"].endswith("@bounces.example.org>")
