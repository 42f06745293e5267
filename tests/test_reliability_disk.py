"""Issue 7, a full disk: every command that writes exits 75, nothing half-written is
listed, and once space returns everything proceeds without loss or duplicates.

(mq-send on a full tmpfs: tests/test_cli_mq_send.py; bounce-ingest's pipe on
a full or read-only tmpfs: tests/test_ingest_failures.py. Here: the same
spool filling up while mail is queued, flushed, taken from the maildrop and
bounces come back, then freed.)
"""

from __future__ import annotations

import collections
import os

import pytest
from conftest import Cli, assert_no_half_file, fill, message, smtp_config, spool_state, tally
from ingest_support import TestSpool, make_dsn, run_pipe

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.mark.parametrize("with_maildrop, leave", [(False, 0), (False, 32768), (True, 0)],
                         ids=["full", "nearly-full", "full-with-maildrop"])
def test_a_spool_filling_up_then_freed_loses_nothing(small_disk, smtp, tmp_path, with_maildrop, leave):
    """``leave`` bytes freed before mq-flush: SQLite starts the send-log transaction, then cannot finish it."""
    spool_dir = small_disk / "spool"
    config = smtp_config(tmp_path / "mailtools.toml", smtp.port, """
timeout = 5
""")
    cli = Cli(spool_dir, config)
    accepted = []
    for i in range(30):
        done = cli("mq-send", "-f", "app@example.org", f"r{i}@example.net", input=message(body=f"m{i}\n"))
        assert done.returncode == 0, done.stderr
        accepted.append(f"r{i}@example.net")
    assert cli("mq-flush", "--id", os.listdir(spool_dir / "queued")[0]).returncode == 0  # secret and db made
    if with_maildrop:
        (spool_dir / "maildrop" / "app.eml").write_bytes(message(From="app@example.org", To="drop@example.net"))
        accepted.append("drop@example.net")
    filler = fill(small_disk)  # the maildrop file came in just before the disk filled up
    refused = 0
    for i in range(30, 40):
        done = cli("mq-send", "-f", "app@example.org", f"r{i}@example.net", input=message(body=("x" * 70 + "\n") * 115))
        assert done.returncode == 75, done.stderr
        assert b"No space left" in done.stderr and b"Traceback" not in done.stderr
        refused += 1
    os.truncate(filler, os.path.getsize(filler) - leave)
    done = cli("mq-flush", "--json")
    assert done.returncode == 75, done.stderr  # was 70, "internal error", when SQLite said the disk was full
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr
    listed = cli("mq-list", "--json", "--state", "all")
    assert listed.returncode == 0, listed.stderr
    assert_no_half_file(spool_dir)
    assert os.listdir(spool_dir / "active") == []  # nothing left claimed by the failed run
    filler.unlink()  # space returns
    for _ in range(3):
        done = cli("mq-flush", "--json")
        assert done.returncode == 0, done.stderr
        if not os.listdir(spool_dir / "queued") and not os.listdir(spool_dir / "maildrop"):
            break
    received = collections.Counter(m.rcpt_tos[0] for m in smtp.wait_for(len(accepted)))
    assert sorted(received) == sorted(accepted)
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates == 0, [r for r, n in received.items() if n > 1]
    for state in ("active", "queued", "deferred", "held", "dropped", "maildrop"):
        assert os.listdir(spool_dir / state) == [], f"left in {state}/"
    tally("full disk: mq-send refused with 75", refused)
    tally("full disk: duplicates after space returned", duplicates)


def test_bounces_on_a_full_disk_are_75_then_stored(small_disk, tmp_path):
    spool = TestSpool(small_disk / "spool")
    sents = [spool.send(f"u{i}@remote.test") for i in range(6)]
    assert run_pipe(spool, make_dsn("bounce_userunknown.eml", sents[0]), sents[0].address).returncode == 0
    filler = fill(small_disk)
    codes = []
    for sent in sents[1:]:
        proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
        assert b"Traceback" not in proc.stderr
        codes.append(proc.returncode)
    assert set(codes) <= {0, 75} and 75 in codes
    for state in ("incoming", "processed", "unrecognized"):
        for name in spool.files(state):
            assert (spool.root / "bounces" / state / name).stat().st_size > 0
    filler.unlink()
    for sent, code in zip(sents[1:], codes, strict=True):
        if code == 75:  # Postfix keeps it and tries again
            assert run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address).returncode == 0
    for sent in sents:
        assert spool.counts(sent.recipient) == (1, 0)
    tally("full disk: bounce-ingest exits 75", codes.count(75))


def test_a_big_message_that_no_longer_fits_does_not_block_the_small_ones(small_disk, smtp, tmp_path):
    """Found by an acceptance run: a flush on a full disk left its claim in active/, and
    recovering it (which rewrites the whole message) then failed in every run."""
    spool_dir = small_disk / "spool"
    cli = Cli(spool_dir, smtp_config(tmp_path / "m.toml", smtp.port))
    big = cli("mq-send", "-f", "app@example.org", "big@example.net",
              input=message(body=("y" * 70 + "\n") * 6000))  # ~420 KB
    assert big.returncode == 0, big.stderr
    for i in range(5):
        assert cli("mq-send", "-f", "app@example.org", f"s{i}@example.net", input=message()).returncode == 0
    # The spool's state database exists before the disk fills, as on any spool that ever flushed:
    # creating its ~26 tables and indexes takes ~140 KB of this 2 MB disk.
    spool_state(spool_dir).close()
    filler = fill(small_disk)
    assert cli("mq-flush", "--json").returncode == 75
    assert os.listdir(spool_dir / "active") == []  # every claim was given back
    os.truncate(filler, os.path.getsize(filler) - 400 * 1024)  # room for the small ones only
    done = cli("mq-flush", "--json")
    delivered = {m.rcpt_tos[0] for m in smtp.messages}
    assert {f"s{i}@example.net" for i in range(5)} <= delivered, done.stderr
    assert os.listdir(spool_dir / "active") == []
    os.unlink(filler)
    assert cli("mq-flush", "--json", now=2_000_000_000).returncode == 0
    assert "big@example.net" in {m.rcpt_tos[0] for m in smtp.messages}
