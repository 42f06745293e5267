"""Issue 7, concurrency: four mq-flush at once deliver each message exactly once;
forty bounce-ingest pipes at once on one address lose no update.

(Three flushers over 120 messages: tests/test_flush.py; two sweeps at once:
tests/test_policy.py.)
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import assert_no_half_file, command_path, enqueue, flush_env, tally
from ingest_support import REPO, TestSpool, make_dsn, postfix_env


def run_flushers(cli, smtp, spool_dir, config_file, count: int, flushers: int) -> None:  # noqa: ANN001
    ids = enqueue(spool_dir, config_file, count)
    procs = [subprocess.Popen([command_path("mq-flush"), "--json"], env=flush_env(cli), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(flushers)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1].decode() for o in outs]
    summaries = [json.loads(o[0]) for o in outs]
    assert sum(s["sent"] for s in summaries) == count
    received = collections.Counter(m.rcpt_tos[0] for m in smtp.wait_for(count))
    assert set(received) == set(ids.values())
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates == 0, [r for r, n in received.items() if n > 1]
    assert sorted(os.listdir(spool_dir / "sent")) == sorted(ids)
    assert os.listdir(spool_dir / "active") == [] and os.listdir(spool_dir / "queued") == []
    assert_no_half_file(spool_dir)
    tally("concurrent mq-flush processes", flushers)
    tally("concurrent mq-flush messages", count)
    tally("concurrent mq-flush duplicates", duplicates)
    tally("concurrent mq-flush runs that sent something", sum(1 for s in summaries if s["sent"]))


def test_four_flushers_over_800_messages_send_each_exactly_once(cli, smtp, spool_dir, config_file):
    run_flushers(cli, smtp, spool_dir, config_file, count=800, flushers=4)


@pytest.mark.slow
def test_eight_flushers_over_3000_messages(cli, smtp, spool_dir, config_file):
    run_flushers(cli, smtp, spool_dir, config_file, count=3000, flushers=8)


def _pipe(spool: TestSpool, raw: bytes, recipient: str) -> subprocess.CompletedProcess:
    return subprocess.run([command_path("bounce-ingest")], input=raw, env=postfix_env(spool, recipient),
                          cwd=REPO, capture_output=True, timeout=120)


def run_pipes(tmp_path, count: int) -> None:  # noqa: ANN001
    spool = TestSpool(tmp_path / "spool")
    sent = [spool.send("same@remote.test", message_id=f"<m{i}@example.org>") for i in range(count)]
    raws = [b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + make_dsn("bounce_userunknown.eml", s) for s in sent]
    with ThreadPoolExecutor(count) as pool:  # all started at once: forty processes on one database
        done = list(pool.map(lambda pair: _pipe(spool, pair[1], pair[0].address), zip(sent, raws, strict=True)))
    assert [d.returncode for d in done] == [0] * count, [d.stderr.decode() for d in done if d.returncode]
    assert not any(d.stderr for d in done), [d.stderr.decode() for d in done if d.stderr][:3]
    assert spool.counts("same@remote.test") == (count, 0)  # no update lost
    assert len(spool.events()) == count
    assert len(spool.files("processed")) == count and spool.files("incoming") == []
    assert spool.query("PRAGMA integrity_check") == [("ok",)]
    tally("concurrent bounce-ingest pipes", count)


def test_forty_pipes_at_once_on_one_address_lose_no_update(tmp_path):
    run_pipes(tmp_path, 40)


@pytest.mark.slow
def test_two_hundred_pipes_at_once(tmp_path):
    run_pipes(tmp_path, 200)
