"""Pipe mode when things go wrong: 75 only when the bounce could not be stored, else 0."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from ingest_support import REPO, TestSpool, make_dsn, postfix_env, run_cli, run_pipe

ROOT = os.geteuid() == 0


@pytest.fixture
def spool(tmp_path):
    return TestSpool(tmp_path / "spool")


def _mount(target, options):
    target.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")


@pytest.fixture
def tmpfs(tmp_path):
    if not ROOT:
        pytest.skip("mounting a tmpfs needs root")
    mounted = []

    def mount(name, options="size=64k"):
        target = tmp_path / name
        _mount(target, options)
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _visible(root):
    return {os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files}


def test_full_disk_is_75_and_nothing_half_written(tmp_path, tmpfs):
    spool = TestSpool(tmp_path / "home")
    sent = spool.send("x@remote.test")
    small = tmpfs("small")
    spool.config.write_text(f'spool = "{small}"\n')
    (small / "bounces").mkdir()
    raw = make_dsn("bounce_userunknown.eml", sent) + b"x" * 300_000  # more than the 64k tmpfs
    proc = run_pipe(spool, raw, sent.address)
    assert proc.returncode == 75, proc.stderr
    assert b"No space left" in proc.stderr and b"Traceback" not in proc.stderr
    assert _visible(small) == set()  # no partial file in tmp/ or incoming/
    # The same bounce fits once there is room: Postfix's retry then succeeds.
    proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
    assert proc.returncode == 0


def test_read_only_spool_is_75(tmp_path, tmpfs):
    spool = TestSpool(tmp_path / "home")
    mounted = tmpfs("ro", "size=1m")
    (mounted / "bounces").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    spool.config.write_text(f'spool = "{mounted}"\n')
    proc = run_pipe(spool, b"Subject: x\n\nhello\n", None)
    assert proc.returncode == 75 and b"Read-only" in proc.stderr


@pytest.mark.skipif(ROOT, reason="root writes through file modes")
def test_unwritable_spool_is_75(spool):
    (spool.root / "bounces").mkdir()
    os.chmod(spool.root / "bounces", 0o500)
    try:
        assert run_pipe(spool, b"Subject: x\n\nhello\n", None).returncode == 75
    finally:
        os.chmod(spool.root / "bounces", 0o750)


def test_spool_is_a_file_is_75(tmp_path):
    spool = TestSpool(tmp_path / "spool")
    (tmp_path / "file").write_text("not a directory")
    spool.config.write_text(f'spool = "{tmp_path / "file"}"\n')
    assert run_pipe(spool, b"Subject: x\n\nhello\n", None).returncode == 75


def test_failure_after_storing_is_0_and_retry_incoming_finishes(spool):
    sent = spool.send("nosuchuser@remote.test")
    db = spool.root / "db" / "state.sqlite"
    saved = db.read_bytes()
    for suffix in ("-wal", "-shm"):
        (db.parent / (db.name + suffix)).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
    assert proc.returncode == 0
    assert b"not processed" in proc.stderr and b"Traceback" not in proc.stderr
    assert proc.stderr.count(b"\n") == 1  # one line in Postfix's log
    left = spool.files("incoming")
    assert len(left) == 1
    db.write_bytes(saved)
    # Too young for --retry-incoming (a pipe may still hold it) ...
    assert run_cli(spool, "--retry-incoming").returncode == 0
    assert spool.files("incoming") == left
    # ... and processed once it is a minute old.
    old = time.time() - 120
    os.utime(spool.root / "bounces" / "incoming" / left[0], (old, old))
    proc = run_cli(spool, "--retry-incoming")
    assert proc.returncode == 0, proc.stderr
    assert spool.files("incoming") == [] and spool.counts(sent.recipient) == (1, 0)


def test_pipe_mode_does_not_import_click(spool):
    sent = spool.send("nosuchuser@remote.test")
    raw = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + make_dsn("bounce_userunknown.eml", sent)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "from mailtools.cli.bounce_ingest import main; main()", "-v"],
                          input=raw, env=postfix_env(spool, sent.address), cwd=REPO, capture_output=True)
    assert proc.returncode == 0
    imported = {line.split("|")[-1].strip() for line in proc.stderr.decode().splitlines() if "|" in line}
    assert "mailtools.bounces.pipe" in imported
    assert "click" not in imported
    assert spool.counts(sent.recipient) == (1, 0)


def test_oversized_message_keeps_the_start(spool, monkeypatch):
    # 20 MB + a bit: the start is kept (with a note), the rest read and dropped, exit 0.
    raw = b"Subject: big\n\n" + b"y" * (20 * 1024 * 1024 + 10)
    proc = run_pipe(spool, raw, None)
    assert proc.returncode == 0
    names = [n for n in spool.files("unrecognized") if not n.endswith(".why")]
    stored = (spool.root / "bounces" / "unrecognized" / names[0]).read_bytes()
    assert b"X-Mailtools-Note: truncated" in stored
    assert len(stored) < 20 * 1024 * 1024 + 500
