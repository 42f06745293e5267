"""bounce-ingest's other modes: FILE..., --dry-run --json (DESIGN.md's schema), usage errors."""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
import time

import pytest
from conftest import BOTH_BACKENDS, command_path
from ingest_support import POSTFIX, TestSpool, installed, make_dsn, postfix_env, run_cli

from mailtools.cli.bounce_ingest import _pipe_options

BACKENDS = BOTH_BACKENDS


@pytest.fixture
def spool(tmp_path, state_url):
    return TestSpool(tmp_path / "spool")


def _snapshot(root):
    # A read-only SQLite reader of a WAL database creates the (empty) -wal and -shm
    # files of its locking protocol: not a change of anything stored.
    return {os.path.join(d, f): os.stat(os.path.join(d, f)).st_mtime_ns
            for d, _, files in os.walk(root) for f in files if not f.endswith(("-wal", "-shm"))}


def test_dry_run_json_matches_the_schema_and_changes_nothing(spool, tmp_path):
    sent = spool.send("nosuchuser@remote.test", user_id="42", package_id="7")
    path = tmp_path / "dsn.eml"
    path.write_bytes(make_dsn("bounce_userunknown.eml", sent))
    before = _snapshot(spool.root)
    proc = run_cli(spool, "--dry-run", "--json", str(path), str(POSTFIX / "delayed_slow.eml"))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert lines[0] == {
        "source": str(path), "kind": "bounce",
        "verp": {"user_id": "42", "package_id": "7", "valid": True},
        "message_id": sent.message_id,
        "recipients": [{"address": "nosuchuser@remote.test", "action": "failed", "status": "5.1.1",
                        "reply_code": None, "reason": "userunknown", "hard": True}]}
    assert lines[1]["kind"] == "delay" and lines[1]["verp"] is None
    assert list(lines[1]) == ["source", "kind", "verp", "message_id", "recipients"]
    assert _snapshot(spool.root) == before
    assert not (spool.root / "bounces").exists()


def test_dry_run_forged_is_not_valid(spool, tmp_path):
    sent = spool.send("nosuchuser@remote.test")
    forged = sent.address.replace("bounce-42-", "bounce-43-")
    path = tmp_path / "dsn.eml"
    path.write_bytes(make_dsn("bounce_userunknown.eml", sent).replace(sent.address.encode(), forged.encode()))
    proc = run_cli(spool, "--dry-run", "--json", str(path))
    assert json.loads(proc.stdout)["verp"] == {"user_id": "43", "package_id": "7", "valid": False}


def test_dry_run_reads_stdin_without_a_spool(tmp_path):
    spool = TestSpool(tmp_path / "spool")
    spool.config.write_text(f'spool = "{tmp_path / "none"}"\n')
    raw = (POSTFIX / "bounce_mailboxfull.eml").read_bytes()
    proc = run_cli(spool, "--dry-run", "--json", stdin=raw)
    assert proc.returncode == 0, proc.stderr
    line = json.loads(proc.stdout)
    assert line["source"] == "-" and line["recipients"][0]["reason"] == "mailboxfull"
    assert not (tmp_path / "none").exists()


def test_dry_run_without_json_is_one_line_per_message(spool):
    proc = run_cli(spool, "--dry-run", str(POSTFIX / "bounce_userunknown.eml"))
    assert proc.returncode == 0
    assert proc.stdout.decode().count("\n") == 1 and "userunknown" in proc.stdout.decode()


def test_files_are_processed_and_left_in_place(spool, tmp_path):
    hard = spool.send("gone@remote.test")
    full = spool.send("full@remote.test")
    paths = []
    for template, sent in (("bounce_userunknown.eml", hard), ("bounce_mailboxfull.eml", full)):
        path = tmp_path / template
        path.write_bytes(make_dsn(template, sent))
        paths.append(str(path))
    proc = run_cli(spool, *paths, str(tmp_path / "missing.eml"))
    assert proc.returncode == 74 and b"missing.eml" in proc.stderr  # the others still done
    assert spool.counts(hard.recipient) == (1, 0) and spool.counts(full.recipient) == (0, 1)
    assert all(os.path.exists(p) for p in paths)
    assert len(spool.files("processed")) == 2


def test_dash_is_stdin_stored_first(spool):
    sent = spool.send("gone@remote.test")
    proc = run_cli(spool, "-", stdin=make_dsn("bounce_userunknown.eml", sent))
    assert proc.returncode == 0, proc.stderr
    assert spool.counts(sent.recipient) == (1, 0)


@pytest.mark.parametrize("args, code", [
    (("--maildir", "x", "--smtp", "127.0.0.1:1"), 64),
    (("--dry-run", "--smtp", "127.0.0.1:2525"), 64),
    (("--smtp", "nonsense"), 64),
    # A message on stdin and no other source: that is Postfix's pipe with a bad
    # alias line, where 64 would discard the bounce: 75 keeps it queued.
    (("--json",), 75),
    (("--no-such-flag",), 75),
])
def test_usage_errors_are_64_but_75_in_pipe_mode(spool, args, code):
    proc = run_cli(spool, *args)
    assert proc.returncode == code, proc.stderr
    assert b"Traceback" not in proc.stderr


def test_help(spool):
    proc = run_cli(spool, "--help")
    assert proc.returncode == 0 and b"--retry-incoming" in proc.stdout


def test_pipe_options():
    assert _pipe_options([]) == {"spool": None, "config_file": None, "verbose": 0, "quiet": False}
    assert _pipe_options(["--spool", "/s", "--config=/c", "-vv", "-q"]) == {
        "spool": "/s", "config_file": "/c", "verbose": 2, "quiet": True}
    for other in (["file.eml"], ["--dry-run"], ["--maildir", "x"], ["--spool"], ["-h"], ["-"]):
        assert _pipe_options(other) is None


def test_many_files_in_parallel_workers(spool, tmp_path):
    from mailtools.bounces.maildir import run_files
    from mailtools.config import load_config

    sends = [spool.send(f"user{i}@remote.test", user_id=str(i)) for i in range(8)]
    paths = []
    for i, sent in enumerate(sends):
        path = tmp_path / f"{i}.eml"
        path.write_bytes(make_dsn("bounce_mailboxfull.eml", sent))
        paths.append(str(path))
    result = run_files(load_config(str(spool.config)), paths, time.time(), workers=2)
    assert (result.handled, result.recorded, result.failed) == (8, 8, 0)
    assert all(spool.counts(s.recipient) == (0, 1) for s in sends)


def test_a_wrong_flag_on_the_alias_line_is_75_so_postfix_keeps_the_bounce(spool):
    done = run_cli(spool, "--no-such-flag", stdin=b"From: x\n\nbody\n")
    assert done.returncode == 75, done.stderr
    assert b"No such option" in done.stderr and b"Postfix keeps the bounce" in done.stderr


def test_a_bad_clock_in_the_pipe_is_75_and_stores_nothing(spool):
    # Read before anything is written: a 75 with the bounce already in incoming/ left one copy per retry.
    env = dict(spool.env(), MAILTOOLS_NOW="not a time")
    done = subprocess.run([sys.executable, "-c", "from mailtools.cli.bounce_ingest import main; main()"],
                          input=b"Subject: x\n\nx\n", env=env, capture_output=True, timeout=60)
    assert done.returncode == 75 and b"MAILTOOLS_NOW" in done.stderr
    incoming = spool.root / "bounces" / "incoming"
    assert not incoming.exists() or os.listdir(incoming) == []


def test_a_named_secret_file_that_is_missing_keeps_bounces_for_after_the_fix(spool, tmp_path):
    """Never "no secret in this spool, unrecognized": the send log may be in a shared database."""
    sent = spool.send("gone@remote.test")
    dsn = tmp_path / "dsn.eml"
    dsn.write_bytes(make_dsn("bounce_userunknown.eml", sent))
    good = spool.config.read_text()
    typo = tmp_path / "secret.typo"
    spool.config.write_text(f'secret_file = "{typo}"\n' + good)
    now = time.time()
    for _ in range(2):  # Postfix's first delivery and its retry
        before = set(spool.files("incoming"))
        done = installed(spool, stdin=dsn.read_bytes(), env=postfix_env(spool, sent.address), now=now)
        assert done.returncode == 75, done.stderr
        assert str(typo).encode() in done.stderr and b"--retry-incoming" in done.stderr
        [name] = set(spool.files("incoming")) - before  # kept, and the line names it
        assert str(spool.root / "bounces" / "incoming" / name).encode() in done.stderr
    stored = spool.files("incoming")
    assert len(stored) == 2
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for args in ([str(dsn)], ["--dry-run", "--json", str(dsn)], ["--retry-incoming"], ["--smtp", f"127.0.0.1:{port}"]):
        done = installed(spool, *args, now=now + 3600)
        assert done.returncode == 78 and str(typo).encode() in done.stderr, (args, done.stderr)
        assert done.stdout == b""  # no verdict ("valid": false) from a setup that cannot verify
    assert spool.files("unrecognized") == [] and spool.files("processed") == [] and spool.events() == []
    assert spool.files("incoming") == stored

    spool.config.write_text(f'secret_file = "{spool.root / "secret"}"\n' + good)  # the fix
    done = installed(spool, "--retry-incoming", now=now + 3600)
    assert done.returncode == 0, done.stderr
    assert spool.files("incoming") == [] and len(spool.files("processed")) == 2
    assert spool.counts(sent.recipient) == (1, 0) and len(spool.events()) == 1  # the redelivery counts once


def _on_a_terminal(argv, env):
    """What a command prints when its standard output is a terminal (cron's runs print nothing)."""
    master, terminal = pty.openpty()
    try:
        done = subprocess.run(argv, stdout=terminal, stderr=subprocess.PIPE, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        shown = b""
        while select.select([master], [], [], 0.5)[0]:
            shown += os.read(master, 4096)
        return shown.decode()
    finally:
        os.close(master)
        os.close(terminal)


def _kept_through_an_outage(spool, t1):
    """Two bounces piped at t1 and t1 + 10 while the database is unreachable: stored, not processed."""
    sends = [spool.send(f"gone{i}@remote.test") for i in range(2)]
    good = spool.config.read_text()
    spool.config.write_text(f'spool = "{spool.root}"\n[database]\nurl = "postgresql://mailtools@127.0.0.1:1/down"\n')
    said = []
    for i, sent in enumerate(sends):
        done = installed(spool, stdin=make_dsn("bounce_userunknown.eml", sent), env=postfix_env(spool, sent.address),
                         now=t1 + 10 * i)
        assert done.returncode == 0, done.stderr  # stored: a later run processes it
        said.append(done.stderr)
    assert len(spool.files("incoming")) == 2
    spool.config.write_text(good)  # the database is back
    return sends, said


def test_retry_incoming_says_what_it_left_too_young_and_when_it_takes_it(spool):
    t1 = 1_700_000_000.0
    _, said = _kept_through_an_outage(spool, t1)
    # The line in Postfix's log names the stored file and says when --retry-incoming takes it.
    for name, line in zip(spool.files("incoming"), said, strict=True):
        assert str(spool.root / "bounces" / "incoming" / name).encode() in line, line
        assert b"--retry-incoming will, once it is 60 s old" in line
    done = installed(spool, "--retry-incoming", "--json", now=t1 + 30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"processed": 0, "failed": 0, "too_young": 2, "left_in_incoming": 2,
                                       "next_eligible": t1 + 60, "last_eligible": t1 + 70}
    done = installed(spool, "--retry-incoming", "-v", now=t1 + 30)  # the log line says it too
    assert b"too_young=2" in done.stderr and b"left_in_incoming=2" in done.stderr, done.stderr
    # By hand, on a terminal: one line saying when they may be taken.
    shown = _on_a_terminal([command_path("bounce-ingest"), "--retry-incoming"],
                           dict(spool.env(), MAILTOOLS_NOW=str(t1 + 30)))
    assert shown.strip() == ("processed 0, failed 0, too young 2: 2 left in bounces/incoming/, to be taken by a"
                             " run from 2023-11-14 22:14:20 UTC (all of them from 2023-11-14 22:14:30 UTC)")
    assert len(spool.files("incoming")) == 2
    done = installed(spool, "--retry-incoming", "--json", now=t1 + 65)
    assert json.loads(done.stdout) == {"processed": 1, "failed": 0, "too_young": 1, "left_in_incoming": 1,
                                       "next_eligible": t1 + 70, "last_eligible": t1 + 70}
    done = installed(spool, "--retry-incoming", "--json", now=t1 + 3600)
    assert json.loads(done.stdout) == {"processed": 1, "failed": 0, "too_young": 0, "left_in_incoming": 0,
                                       "next_eligible": None, "last_eligible": None}
    assert spool.files("incoming") == []


def test_a_bounce_kept_through_an_outage_is_recorded_when_it_arrived(spool):
    t1 = 1_700_000_000.0
    sends, _ = _kept_through_an_outage(spool, t1)
    done = installed(spool, "--retry-incoming", now=t1 + 3600)
    assert done.returncode == 0, done.stderr
    assert spool.files("incoming") == []
    assert spool.query("SELECT address, time FROM events ORDER BY time") == [
        (sends[0].recipient, t1), (sends[1].recipient, t1 + 10)]
    assert spool.query("SELECT first_bounce, last_bounce FROM addresses WHERE address = ?", sends[1].recipient) \
        == [(t1 + 10, t1 + 10)]
