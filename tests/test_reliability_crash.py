"""Issue 7, crashes: SIGKILL mq-flush and bounce-ingest at random moments, then let them finish.

What must hold afterwards: every message delivered (at least once), a
duplicate only for a message that was claimed (in flight) at a kill, nothing
left in ``active/``, no half-written file in any state directory, every
stored bounce processed and counted once.

bounce-sweep killed at random moments is covered by tests/test_policy.py
(test_sigkill_half_way_then_rerun_finishes_the_job,
test_killed_again_and_again_at_random_moments); a single kill of mq-flush
with its recovery and the hold after three crashes by tests/test_spool.py.

The figures (kills, duplicates, ...) of every reliability file are printed in
pytest's terminal summary ("reliability figures").
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import assert_no_half_file, command_path, enqueue, flush_env, spool_state, tally
from ingest_support import REPO, TestSpool, make_dsn, postfix_env, run_cli

from mailtools.bounces.store import split_envelope
from mailtools.outbound.spool import Spool


def claimed_ids(spool_dir: Path) -> set[str]:
    return {name.split("~", 1)[0] for name in os.listdir(spool_dir / "active")}


def kill_flush_repeatedly(cli, smtp, spool_dir: Path, kills: int, rng: random.Random,  # noqa: ANN001
                          count: int) -> tuple[int, set[str]]:
    """Start mq-flush ``kills`` times and SIGKILL each at a random moment while it delivers.

    A kill lands once the run has sent a random number of messages of its own
    (so every run makes progress, as a real crash-and-cron cycle does), plus a
    random few milliseconds: in the middle of a batch, a transaction, a write.
    Returns (kills done, ids that were claimed at some kill).
    """
    in_flight: set[str] = set()
    done = 0
    for _ in range(kills):
        before = len(smtp.messages)
        proc = subprocess.Popen([command_path("mq-flush"), "-q"], env=flush_env(cli),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        target = before + rng.randint(1, max(1, count // (kills + 2)))
        while len(smtp.messages) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0.0, 0.01))
        if proc.poll() is not None:
            break  # it finished everything before the kill
        in_flight |= claimed_ids(spool_dir)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        in_flight |= claimed_ids(spool_dir)  # claims are only ever taken by the live process
        done += 1
    return done, in_flight


def check_flush_outcome(cli, smtp, spool_dir: Path, ids: dict[str, str], in_flight: set[str]) -> int:  # noqa: ANN001
    """Finish with clean runs; assert nothing lost or stuck; return the number of duplicates."""
    for _ in range(3):
        done = subprocess.run([command_path("mq-flush"), "--json"], env=flush_env(cli), capture_output=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr.decode()
        if not os.listdir(spool_dir / "queued"):
            break
    received = collections.Counter(m.rcpt_tos[0] for m in smtp.wait_for(len(ids)))
    assert set(received) == set(ids.values()), "a message was never delivered"
    by_rcpt = {rcpt: queue_id for queue_id, rcpt in ids.items()}
    duplicated = {by_rcpt[r] for r, n in received.items() if n > 1}
    assert duplicated <= in_flight, f"sent twice without being in flight at a kill: {duplicated - in_flight}"
    assert sorted(os.listdir(spool_dir / "sent")) == sorted(ids), "not every message ended in sent/"
    for state in ("active", "queued", "deferred", "held", "dropped"):
        assert os.listdir(spool_dir / state) == [], f"left in {state}/"
    assert_no_half_file(spool_dir)
    return sum(n - 1 for n in received.values())


def run_flush_crash(cli, smtp, spool_dir, config_file, count: int, kills: int, seed: int) -> None:  # noqa: ANN001
    ids = enqueue(spool_dir, config_file, count)
    rng = random.Random(seed)
    done, in_flight = kill_flush_repeatedly(cli, smtp, spool_dir, kills, rng, count)
    assert done >= kills // 2, f"only {done} of {kills} runs were killed before finishing"
    assert_no_half_file(spool_dir)  # between a kill and the next run too
    duplicates = check_flush_outcome(cli, smtp, spool_dir, ids, in_flight)
    # The leftovers of the killed writers in tmp/ are invisible to every listing, and
    # the next run clears them once they are old (see test_stale_tmp_files_are_cleared).
    rows = [json.loads(line) for line in
            subprocess.run([command_path("mq-list"), "--json", "--state", "all"], env=flush_env(cli),
                           capture_output=True, check=True).stdout.decode().splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(ids)
    tally("mq-flush kills", done)
    tally("mq-flush messages", count)
    tally("mq-flush duplicates (in flight at a kill)", duplicates)
    tally("mq-flush claims in flight at kills", len(in_flight))


def test_flush_killed_at_random_moments_loses_nothing(cli, smtp, spool_dir, config_file):
    run_flush_crash(cli, smtp, spool_dir, config_file, count=600, kills=12, seed=7)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flush_killed_thirty_times_over_1500_messages(cli, smtp, spool_dir, config_file, seed):
    run_flush_crash(cli, smtp, spool_dir, config_file, count=1500, kills=30, seed=seed)


def test_stale_tmp_files_are_cleared(cli, smtp, spool_dir, config_file):
    """What a killed writer left in tmp/ is never listed, and is removed once it is a day old."""
    enqueue(spool_dir, config_file, 1)
    leftover = spool_dir / "tmp" / "0000000000000000000000.4242.abcdef"
    leftover.write_bytes(b'{"id": "half')
    young = spool_dir / "tmp" / "0000000000000000000001.4242.abcdef"
    young.write_bytes(b'{"id": "half')
    done = subprocess.run([command_path("mq-list"), "--json", "--state", "all"], env=flush_env(cli),
                          capture_output=True)
    assert done.returncode == 0 and len(done.stdout.decode().splitlines()) == 1
    spool = Spool(str(spool_dir))
    assert spool.clean_tmp(time.time() - 60) == 0  # written just now: maybe still being written
    assert spool.clean_tmp(time.time() + 1) == 2
    assert os.listdir(spool_dir / "tmp") == []


def test_a_damaged_file_in_a_dead_claim_is_held_and_the_queue_goes_on(cli, smtp, spool_dir, config_file):
    """A crash that also lost data (a disk, not a kill) must not stop every later run with 65."""
    ids = enqueue(spool_dir, config_file, 3)
    damaged = "0660D4E0CC45D44ADE607B"
    (spool_dir / "active" / f"{damaged}~{os.uname().nodename}~999999.1~1795000000").write_bytes(b'{"id": "half')
    done = subprocess.run([command_path("mq-flush"), "--json"], env=flush_env(cli), capture_output=True)
    assert done.returncode == 0, done.stderr  # was 65 on every run: "not a mailtools queue file"
    assert json.loads(done.stdout)["sent"] == 3
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(ids.values())
    assert os.listdir(spool_dir / "held") == [damaged] and os.listdir(spool_dir / "active") == []
    assert (spool_dir / "held" / damaged).read_bytes() == b'{"id": "half'  # kept as it was, for a person


# -- bounce-ingest ------------------------------------------------------------------------------
def _pipe(spool: TestSpool, raw: bytes, recipient: str) -> subprocess.Popen:
    return subprocess.Popen([command_path("bounce-ingest")], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=postfix_env(spool, recipient), cwd=REPO)


def run_ingest_crash(tmp_path: Path, rounds: int, seed: int) -> None:
    """Pipes killed while they read, write, record or move; each bounce Postfix saw acknowledged
    (exit 0) is counted exactly once after --retry-incoming, and no stored file is a partial one."""
    spool = TestSpool(tmp_path / "spool")
    rng = random.Random(seed)
    acknowledged, killed, attempted_raws = [], 0, []
    for i in range(rounds):
        sent = spool.send(f"user{i % 5}@remote.test")
        raw = make_dsn("bounce_userunknown.eml", sent)
        if rng.random() < 0.4:
            raw += b"padding " * rng.randrange(50_000, 400_000)  # makes the write itself take a while
        raw = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + raw
        attempted_raws.append(raw)
        proc = _pipe(spool, raw, sent.address)
        try:
            proc.stdin.write(raw)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        time.sleep(rng.uniform(0.0, 0.12))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        if proc.returncode == 0:
            acknowledged.append((sent, raw))
        else:
            assert proc.returncode in (-signal.SIGKILL, 75), proc.stderr.read()
        proc.stderr.close()
    bounces = spool.root / "bounces"
    attempted = {raw.split(b"\n", 1)[1] for raw in attempted_raws}
    for state in ("incoming", "processed", "unrecognized"):
        for name in os.listdir(bounces / state):
            if name.endswith(".why"):
                continue
            _, message = split_envelope((bounces / state / name).read_bytes())
            assert message in attempted, f"{state}/{name} is not a complete copy of what was piped in"
    # Processing what the kills left in incoming/ (a minute later, as cron does).
    old = time.time() - 120
    for name in os.listdir(bounces / "incoming"):
        os.utime(bounces / "incoming" / name, (old, old))
    done = run_cli(spool, "--retry-incoming")
    assert done.returncode == 0, done.stderr
    assert os.listdir(bounces / "incoming") == []
    assert spool.query("PRAGMA integrity_check") == [("ok",)]
    events = spool.query("SELECT address, count(*) FROM events GROUP BY address")
    counted = sum(n for _, n in events)
    stored = len([n for n in os.listdir(bounces / "processed")])
    assert counted == stored, "a stored bounce was counted twice or not at all"
    per_address = collections.Counter(sent.recipient for sent, _ in acknowledged)
    for address, n in per_address.items():
        hard, _ = spool.counts(address) or (0, 0)
        assert hard >= n  # every acknowledged bounce counted (killed ones may count too, once stored)
    tally("bounce-ingest kills", killed)
    tally("bounce-ingest bounces acknowledged", len(acknowledged))


def test_ingest_killed_mid_write_loses_and_corrupts_nothing(tmp_path):
    run_ingest_crash(tmp_path, rounds=16, seed=11)


@pytest.mark.slow
def test_ingest_killed_many_times(tmp_path):
    run_ingest_crash(tmp_path, rounds=120, seed=12)


def test_sqlite_survives_a_killed_writer(tmp_path):
    """A pipe killed inside its transaction leaves the database consistent (WAL rollback)."""
    spool = TestSpool(tmp_path / "spool")
    sent = spool.send("a@remote.test")
    db = spool_state(spool.root)  # SQLite's own guarantee (PostgreSQL's: test_postgres.py)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    procs = []
    for _ in range(6):
        raw = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + make_dsn("bounce_userunknown.eml", sent)
        proc = _pipe(spool, raw, sent.address)
        proc.stdin.write(raw)
        proc.stdin.close()
        procs.append(proc)
    time.sleep(0.15)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    assert spool.query("PRAGMA integrity_check") == [("ok",)]
