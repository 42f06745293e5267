"""Raw bounce storage: complete files only, the envelope kept with the bytes, states by rename."""

from __future__ import annotations

import io
import os
import time

import pytest

from mailtools.bounces.store import BounceStore, envelope_lines, read_capped, split_envelope, with_envelope
from mailtools.errors import TempFailure

T0 = 1_800_000_000.0


@pytest.fixture
def store(tmp_path):
    (tmp_path / "spool").mkdir()
    store = BounceStore(str(tmp_path / "spool"))
    store.ensure()
    return store


def test_ensure_needs_an_existing_spool(tmp_path):
    with pytest.raises(TempFailure, match="does not exist"):
        BounceStore(str(tmp_path / "missing")).ensure()
    assert not (tmp_path / "missing").exists()


def test_put_and_move(store):
    name = store.put("incoming", b"Subject: x\n\nbody\n", T0)
    assert os.listdir(store.dir("incoming")) == [name] and os.listdir(store.dir("tmp")) == []
    assert store.read("incoming", name) == b"Subject: x\n\nbody\n"
    assert os.stat(store.path("incoming", name)).st_mtime == T0  # arrival: the clock the caller passed
    path = store.move(name, "unrecognized", T0, why="no VERP address")
    assert path == store.path("unrecognized", name)
    assert (open(store.path("unrecognized", f"{name}.why")).read()) == "no VERP address\n"
    assert os.stat(store.path("unrecognized", f"{name}.why")).st_mtime == T0
    name2 = store.put("incoming", b"x", T0)
    assert store.move(name2, "processed", T0, kind="bounce").endswith(f"{name2}.bounce")
    assert store.incoming() == []


def test_put_never_overwrites(store):
    store.put("processed", b"first", T0, name="ABC")
    with pytest.raises(TempFailure):
        store.put("processed", b"second", T0, name="ABC")
    assert store.read("processed", "ABC") == b"first"


def test_envelope_goes_after_the_from_line_and_comes_back(store):
    raw = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\nSubject: x\n\nbody\n"
    env = envelope_lines(["bounce-1-abcdefgh-2@example.org"], "", "pipe", None)
    stored = with_envelope(raw, env)
    assert stored.startswith(b"From MAILER-DAEMON") and b"\nX-Mailtools-Rcpt: bounce-1-" in stored
    fields, message = split_envelope(stored)
    assert fields == {"via": ["pipe"], "rcpt": ["bounce-1-abcdefgh-2@example.org"], "sender": ["<>"]}
    assert message == b"Subject: x\n\nbody\n"


def test_envelope_lines_cannot_inject_headers():
    env = envelope_lines(["a@b\nX-Mailtools-Rcpt: bounce-1-evil-2@x"], None)
    fields, _ = split_envelope(env + b"Subject: x\n\n")
    assert fields["rcpt"] == ["a@b X-Mailtools-Rcpt: bounce-1-evil-2@x"]


def test_only_our_lines_at_the_top_count():
    fields, message = split_envelope(b"Subject: x\nX-Mailtools-Rcpt: forged@x\n\nbody\n")
    assert fields == {} and message.startswith(b"Subject")


def test_read_capped_keeps_the_start_and_reads_the_rest():
    stream = io.BytesIO(b"a" * 100)
    assert read_capped(stream, limit=30) == (b"a" * 30, 100)
    assert stream.read() == b""


def test_clean_tmp_removes_only_old_files(store):
    old = store.path("tmp", "old.1")
    new = store.path("tmp", "new.1")
    for path in (old, new):
        open(path, "wb").close()
    os.utime(old, (time.time() - 90000, time.time() - 90000))
    assert store.clean_tmp(time.time() - 86400) == 1
    assert os.listdir(store.dir("tmp")) == ["new.1"]
