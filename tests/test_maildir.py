"""bounce-ingest --maildir: process new/, move each to cur/ with :2,S, count each once."""

from __future__ import annotations

import os
import time

import pytest
from ingest_support import DATA, TestSpool, make_dsn, run_cli

from mailtools.bounces.maildir import seen_name


@pytest.fixture
def spool(tmp_path):
    return TestSpool(tmp_path / "spool")


def _maildir(root, messages):
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(messages):
        (root / "new" / f"1795317000.M{i}P1.host").write_bytes(raw)
    return root


def test_maildir_handles_three(spool, tmp_path):
    hard = spool.send("gone@remote.test", user_id="1")
    full = spool.send("full@remote.test", user_id="2")
    away = spool.send("away@remote.example", user_id="3")
    # As an MTA delivers to a mailbox: no environment, the VERP address in Delivered-To.
    maildir = _maildir(tmp_path / "Maildir", [
        make_dsn("bounce_userunknown.eml", hard),
        make_dsn("bounce_mailboxfull.eml", full),
        make_dsn("vacation.eml", away, folder=DATA).replace(b"alice@remote.example", away.recipient.encode()),
    ])
    proc = run_cli(spool, "--maildir", str(maildir))
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(maildir / "new") == []
    assert sorted(os.listdir(maildir / "cur")) == [f"1795317000.M{i}P1.host:2,S" for i in range(3)]
    assert spool.counts(hard.recipient) == (1, 0)
    assert spool.counts(full.recipient) == (0, 1)
    assert spool.counts(away.recipient) is None
    kinds = sorted(n.rsplit(".", 1)[1] for n in spool.files("processed"))
    assert kinds == ["autoreply", "bounce", "bounce"]
    # Run again (cron, two minutes later): nothing new, nothing counted twice.
    assert run_cli(spool, "--maildir", str(maildir)).returncode == 0
    assert spool.counts(hard.recipient) == (1, 0)


def test_maildir_redelivered_message_counts_once(spool, tmp_path):
    sent = spool.send("gone@remote.test")
    raw = make_dsn("bounce_userunknown.eml", sent)
    maildir = _maildir(tmp_path / "Maildir", [raw, raw])  # the MTA delivered it twice
    assert run_cli(spool, "--maildir", str(maildir)).returncode == 0
    assert spool.counts(sent.recipient) == (1, 0)
    assert len(os.listdir(maildir / "cur")) == 2


def test_maildir_forged_kept_unrecognized(spool, tmp_path):
    maildir = _maildir(tmp_path / "Maildir", [b"Subject: hello\n\nnot a bounce\n"])
    assert run_cli(spool, "--maildir", str(maildir)).returncode == 0
    assert len(spool.files("unrecognized")) == 2 and spool.events() == []
    assert len(os.listdir(maildir / "cur")) == 1


def test_not_a_maildir_is_an_error(spool, tmp_path):
    proc = run_cli(spool, "--maildir", str(tmp_path / "nothing"))
    assert proc.returncode == 64 and b"not a Maildir" in proc.stderr and b"Traceback" not in proc.stderr


def test_seen_name_keeps_other_flags():
    assert seen_name("123.M1P2.host") == "123.M1P2.host:2,S"
    assert seen_name("123.M1P2.host:2,RF") == "123.M1P2.host:2,FRS"
    assert seen_name("123.M1P2.host:2,S") == "123.M1P2.host:2,S"


def test_maildir_in_parallel_workers_counts_each_once(spool, tmp_path):
    from mailtools.bounces.maildir import run_maildir
    from mailtools.config import load_config

    sends = [spool.send(f"user{i}@remote.test", user_id=str(i)) for i in range(12)]
    messages = [make_dsn("bounce_userunknown.eml", s) for s in sends]
    maildir = _maildir(tmp_path / "Maildir", messages + messages[:3])  # three delivered twice
    config = load_config(str(spool.config))
    result = run_maildir(config, str(maildir), time.time(), workers=3)
    assert (result.handled, result.recorded, result.failed) == (15, 12, 0)
    assert os.listdir(maildir / "new") == [] and len(os.listdir(maildir / "cur")) == 15
    assert all(spool.counts(s.recipient) == (1, 0) for s in sends)
    assert len(spool.events()) == 12
