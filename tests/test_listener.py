"""bounce-ingest --smtp: each DATA stored like the pipe; 451 when it cannot be; stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time

import pytest
from ingest_support import REPO, TestSpool, make_dsn

from mailtools.bounces.listener import parse_hostport
from mailtools.errors import UsageError


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def spool(tmp_path):
    return TestSpool(tmp_path / "spool")


@pytest.fixture
def listener(spool):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", "from mailtools.cli.bounce_ingest import main; main()",
                             "--smtp", f"127.0.0.1:{port}", "-v"],
                            env=spool.env(), cwd=REPO, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"listener exited: {proc.stderr.read().decode()}")
            time.sleep(0.05)
    yield proc, port
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_listener_stores_records_and_stops_on_sigterm(spool, listener):
    proc, port = listener
    sent = spool.send("nosuchuser@remote.test")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        raw = make_dsn("bounce_userunknown.eml", sent).replace(b"\n", b"\r\n")  # SMTP lines end in CRLF
        refused = client.sendmail("", [sent.address], raw)
    assert refused == {}
    assert spool.counts(sent.recipient) == (1, 0)
    names = spool.files("processed")
    assert len(names) == 1
    stored = (spool.root / "bounces" / "processed" / names[0]).read_bytes()
    assert b"X-Mailtools-Via: smtp" in stored and b"\r\n" not in stored
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert b"Traceback" not in proc.stderr.read()


def test_listener_answers_451_when_it_cannot_store(spool, listener):
    proc, port = listener
    incoming = spool.root / "bounces" / "incoming"
    os.rename(incoming, spool.root / "bounces" / "incoming.away")  # as if the disk went away
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPDataError) as err:
                client.sendmail("", ["bounce-1-aaaaaaaaaaaaaaaa-1@example.org"], b"Subject: x\r\n\r\nhello\r\n")
        assert err.value.smtp_code == 451
    finally:
        os.rename(spool.root / "bounces" / "incoming.away", incoming)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_parse_hostport():
    assert parse_hostport("127.0.0.1:2525") == ("127.0.0.1", 2525)
    assert parse_hostport("[::1]:25") == ("::1", 25)
    for bad in ("localhost", "host:port", "host:0", "host:70000"):
        with pytest.raises(UsageError, match="HOST:PORT"):
            parse_hostport(bad)
