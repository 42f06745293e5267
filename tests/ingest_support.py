"""Helpers shared by the bounce-ingest tests (no tests here).

Real parts only: send-log rows written with the state layer's ``add_sends``, VERP
addresses from ``verp.make`` with the spool's own secret, DSNs made from the
real Postfix ones in tests/data/bounces/postfix, and the real command run as
Postfix runs it (environment, stdin, a leading ``From `` line).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from conftest import command_path, write_config

from mailtools.config import load_config
from mailtools.errors import TempFailure
from mailtools.outbound import verp
from mailtools.secret import load_secret
from mailtools.state import open_state
from mailtools.state.base import SendRecord, StateStore

REPO = Path(__file__).resolve().parents[1]
POSTFIX = REPO / "tests" / "data" / "bounces" / "postfix"
DATA = REPO / "tests" / "data" / "ingest"
PREFIX = "bounce"
DOMAIN = "bounces.example.org"


@dataclass
class Sent:
    address: str  # the VERP address the message left with
    recipient: str
    message_id: str
    user_id: str
    package_id: str


class TestSpool:
    """A spool with a secret and a send log, and ways to look inside it."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.secret = load_secret(str(root))
        self.config = write_config(root.parent / f"{root.name}.toml", f'spool = "{root}"\n')

    def send(self, recipient: str, user_id: str = "42", package_id: str = "7",
             message_id: str | None = None, sender: str = "app@example.org") -> Sent:
        message_id = message_id or f"<{uuid.uuid4().hex}@example.org>"
        address = verp.make(self.secret, PREFIX, DOMAIN, user_id, package_id, message_id, recipient)
        db = self.state()
        db.add_sends([SendRecord(address.hash, recipient, message_id, user_id, package_id, sender, "Q1", 1.0)])
        db.close()
        return Sent(address.address, recipient, message_id, user_id, package_id)

    def state(self, readonly: bool = False) -> StateStore:
        """The database this spool's config names (its own SQLite file, or a PostgreSQL one)."""
        return open_state(load_config(str(self.config)), readonly=readonly)

    def query(self, sql: str, *args: object) -> list[tuple]:
        """Rows of ``sql`` (``?`` placeholders) on whichever backend the test runs, through the state layer."""
        try:
            db = self.state(readonly=True)
        except TempFailure:  # no database yet: nothing was recorded
            return []
        try:
            return [tuple(row) for row in db.execute(sql, args).fetchall()]
        finally:
            db.close()

    def counts(self, address: str) -> tuple[int, int] | None:
        rows = self.query("SELECT hard_bounces, soft_bounces FROM addresses WHERE address = ?", address.lower())
        return rows[0] if rows and rows[0] != (0, 0) else None

    def events(self) -> list[tuple]:
        return self.query("SELECT address, user_id, package_id, reason, hard FROM events ORDER BY id")

    def files(self, state_name: str) -> list[str]:
        path = self.root / "bounces" / state_name
        return sorted(os.listdir(path)) if path.is_dir() else []

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["MAILTOOLS_CONFIG"] = str(self.config)
        env.pop("MAILTOOLS_SPOOL", None)
        env["PYTHONPATH"] = str(REPO)
        return env


def make_dsn(template: str, sent: Sent, dsn_id: str | None = None, folder: Path = POSTFIX) -> bytes:
    """A Postfix DSN from ``template`` rewritten to be a bounce of ``sent``.

    The DSN went to the VERP address (where dsnsink@localhost was), names
    ``sent.recipient`` as the failing recipient and quotes ``sent.message_id``.
    """
    text = (folder / template).read_text("utf-8")
    failing = re.search(r"^Final-Recipient: rfc822; *(\S+)", text, re.M | re.I)
    if failing:
        text = text.replace(failing.group(1), sent.recipient)
    text = text.replace("alice@remote.example", sent.recipient)
    text = text.replace("dsnsink@localhost", sent.address)
    head, _, body = text.partition("\n\n")
    dsn_id = dsn_id or f"<{uuid.uuid4().hex}@pfx.test>"
    head = re.sub(r"^Message-I[dD]: .*$", f"Message-Id: {dsn_id}", head, flags=re.M)
    body = re.sub(r"^Message-ID: .*$", f"Message-ID: {sent.message_id}", body, flags=re.M)
    body = body.replace("<ORIGINAL-MESSAGE-ID>", sent.message_id)
    head = head.replace("<ORIGINAL-MESSAGE-ID>", sent.message_id)
    return (head + "\n\n" + body).encode("utf-8")


def postfix_env(spool: TestSpool, recipient: str | None, sender: str = "") -> dict[str, str]:
    """The environment Postfix's local(8) gives a pipe to ``bounce: "|bounce-ingest"``."""
    env = spool.env()
    if recipient:
        local, _, domain = recipient.partition("@")
        env.update(ORIGINAL_RECIPIENT=recipient, RECIPIENT=recipient, SENDER=sender, LOCAL=local,
                   DOMAIN=domain, EXTENSION=local.partition("-")[2], USER="nobody")
    return env


def run_pipe(spool: TestSpool, raw: bytes, recipient: str | None = None, args: tuple[str, ...] = (),
             env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``bounce-ingest`` run as Postfix runs it: stdin, env, the mbox ``From `` line first."""
    if not raw.startswith(b"From "):
        raw = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + raw
    return subprocess.run(
        [sys.executable, "-c", "from mailtools.cli.bounce_ingest import main; main()", *args],
        input=raw, env=env or postfix_env(spool, recipient), cwd=REPO, capture_output=True, timeout=timeout)


def run_cli(spool: TestSpool, *args: str, stdin: bytes | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """``bounce-ingest ARGS`` in the other modes (through click)."""
    return subprocess.run(
        [sys.executable, "-c", "from mailtools.cli.bounce_ingest import main; main()", *args],
        input=stdin if stdin is not None else b"", env=spool.env(), cwd=REPO, capture_output=True,
        timeout=timeout)


def installed(spool: TestSpool, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
              now: float | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed ``bounce-ingest`` console script (no ARGS and a message: the pipe, as Postfix runs it)."""
    env = dict(env or spool.env())
    if now is not None:
        env["MAILTOOLS_NOW"] = str(now)
    if not args and not stdin.startswith(b"From "):
        stdin = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + stdin
    return subprocess.run([command_path("bounce-ingest"), *args], input=stdin, env=env, capture_output=True,
                          timeout=timeout)
