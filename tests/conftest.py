"""Shared fixtures: a spool, a real SMTP server on loopback, the installed commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import smtpserver  # noqa: E402
from smtpserver import SmtpServer  # noqa: E402

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def command_path(name: str) -> str:
    """The installed console script (make test installs them into .venv)."""
    path = BIN / name
    return str(path) if path.exists() else str(ROOT / "bin" / name)


def spool_state(spool: Path | str, readonly: bool = False):
    """The state database of a spool, through the state layer's interface (closes with .close())."""
    from mailtools.state import db_path, open_state

    return open_state("sqlite:///" + db_path(str(spool)), readonly=readonly)


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def smtp_config(path: Path, port: int, more: str = "") -> Path:
    """A config that delivers to a test SMTP server on loopback, in the clear; ``more``
    continues the [transport] table (more keys, then other tables)."""
    return write_config(path, f'[transport]\nhost = "127.0.0.1"\nport = {port}\nstarttls = "never"\n{more}')


def postfix_dsn_for(received: smtpserver.Received, recipient: str) -> bytes:
    """A real Postfix "user unknown" DSN bouncing ``received`` (a message mq-flush delivered
    to the test server) for ``recipient``: sent to its VERP address, quoting its Message-ID."""
    import email

    template = (ROOT / "tests" / "data" / "bounces" / "postfix" / "bounce_userunknown.eml").read_text()
    text = template.replace("nosuchuser@localhost", recipient).replace("dsnsink@localhost", received.mail_from)
    message_id = email.message_from_bytes(received.data)["Message-ID"]
    return text.replace("<userunknown.1795316926@pfx.test>", message_id).encode()


@pytest.fixture
def config_file(tmp_path: Path, smtp: SmtpServer) -> Path:
    return smtp_config(tmp_path / "mailtools.toml", smtp.port, """
timeout = 5

[bounce]
domain = "bounces.example.org"
""")


class Cli:
    """Runs the real commands as subprocesses against one spool and config."""

    def __init__(self, spool: Path, config: Path | None) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTOOLS_")}
        self.env["MAILTOOLS_SPOOL"] = str(spool)
        if config is not None:
            self.env["MAILTOOLS_CONFIG"] = str(config)

    def __call__(self, name: str, *args: str, input: bytes | str = b"", now: float | str | None = None,
                 env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        run_env = dict(self.env, **(env or {}))
        if now is not None:
            run_env["MAILTOOLS_NOW"] = str(now)
        data = input.encode() if isinstance(input, str) else input
        return subprocess.run([command_path(name), *args], input=data, capture_output=True, env=run_env,
                              timeout=timeout)

    def json_lines(self, name: str, *args: str, **kwargs) -> list[dict]:
        done = self(name, *args, "--json", **kwargs)
        assert done.returncode == 0, done.stderr.decode()
        return [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]


@pytest.fixture
def cli(spool_dir: Path, config_file: Path) -> Cli:
    return Cli(spool_dir, config_file)


def message(subject: str = "hello", body: str = "Hello there.\n", **headers: str) -> bytes:
    lines = [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()] + [f"Subject: {subject}"]
    return ("\n".join(lines) + "\n\n" + body).encode()


def prose_bounce(body: str, subject: str = "Undelivered Mail Returned to Sender",
                 sender: str = "MAILER-DAEMON@mx.example.net", content_type: str = "text/plain") -> bytes:
    """A bounce that is not a DSN: *body* is the MTA's text (the readers' tests write one per MTA)."""
    return (f"From: Mail Delivery System <{sender}>\nTo: bounce-42-3f9a2c1d-7@lists.example.org\n"
            f"Subject: {subject}\nMIME-Version: 1.0\nContent-Type: {content_type}; charset=utf-8\n\n"
            f"{body}").encode()
