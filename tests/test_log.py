"""Logs (DESIGN.md "Logs"): one key=value line per event, read where an admin reads them.

The commands run for real; syslog is a Unix datagram socket the test binds
(``[log] socket``), stderr a pipe (as under cron) or a pseudo-terminal.
"""

from __future__ import annotations

import os
import pty
import re
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, Cli, command_path, message, postfix_dsn_for, smtp_config

from mailtools.log import dsn, format_event

MAIL_INFO = "<22>"  # facility mail (2) * 8 + info (6)
MAIL_WARNING = "<20>"


class Syslog:
    """A syslog daemon's socket: what the commands send to ``[log] socket``."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="mtlog-", dir="/tmp")  # AF_UNIX paths are short
        self.path = os.path.join(self.dir, "log")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)

    def lines(self) -> list[str]:
        out = []
        while True:
            try:
                out.append(self.sock.recv(65536).decode().rstrip("\0"))
            except TimeoutError:
                return out

    def close(self) -> None:
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


@pytest.fixture
def syslog() -> Iterator[Syslog]:
    server = Syslog()
    yield server
    server.close()


@pytest.fixture
def logged(tmp_path: Path, spool_dir: Path, smtp, syslog: Syslog) -> Cli:  # noqa: ANN001 - SmtpServer
    """Commands whose config delivers to the test server and logs to the test's syslog."""
    config = smtp_config(tmp_path / "mailtools.toml", smtp.port, f"""timeout = 5

[bounce]
domain = "bounces.example.org"
max_bounce_count = 0

[log]
syslog = true
socket = "{syslog.path}"
""")
    return Cli(spool_dir, config)


def only(lines: list[str], pattern: str) -> str:
    found = [line for line in lines if re.search(pattern, line)]
    assert len(found) == 1, (pattern, lines)
    return found[0]


def test_format_is_postfix_s() -> None:
    line = format_event("0A1B", to="a@b.example", relay="mx.example:25", from_="bounce-1-x-2@b.example",
                        delay=1.23456, dsn="2.0.0", hard=False, user=None, status="sent", detail="250 2.0.0\nok")
    assert line == ("0A1B: to=<a@b.example>, relay=mx.example:25, from=<bounce-1-x-2@b.example>, delay=1.23, "
                    "dsn=2.0.0, hard=no, status=sent (250 2.0.0 ok)")
    assert (dsn(550, "5.1.1 no such user"), dsn(451, "try later"), dsn(250, "2.0.0 ok")) == ("5.1.1", "4.0.0",
                                                                                           "2.0.0")


def test_enqueue_and_each_delivery_are_one_line_in_syslog(logged: Cli, smtp, syslog: Syslog) -> None:  # noqa: ANN001
    smtp.behaviour.rules["gone@example.net"] = "550 5.1.1 no such user"
    done = logged("mq-send", "-f", "app@example.org", "bob@example.net", "gone@example.net", input=message())
    assert done.returncode == 0 and done.stderr == b""  # not a terminal: nothing for cron to mail
    queue_id = done.stdout.decode().strip()
    line = only(syslog.lines(), "nrcpt=")
    assert line.startswith(f"{MAIL_INFO}mq-send[")
    assert re.search(rf"\]: {queue_id}: uid={os.getuid()}, from=<app@example.org>, size=\d+, nrcpt=2, ", line)

    done = logged("mq-flush")
    assert done.returncode == 0 and done.stderr == b""
    lines = syslog.lines()
    sent = only(lines, "to=<bob@example.net>")
    verp = smtp.messages[0].mail_from
    assert re.search(rf"{queue_id}: to=<bob@example.net>, relay=127.0.0.1:{smtp.port}, from=<{re.escape(verp)}>, "
                     r"delay=[\d.]+, dsn=2\.0\.0, status=sent \(250 ", sent), sent
    refused = only(lines, "to=<gone@example.net>")
    assert re.search(r"dsn=5\.1\.1, status=bounced \(550 5\.1\.1 no such user\)", refused), refused


def test_a_bounce_its_suppression_and_the_lifting_are_logged(logged: Cli, smtp, syslog: Syslog) -> None:  # noqa: ANN001
    assert logged("mq-send", "-f", "app@example.org", "--user-id", "42", "bob@example.net",
                  input=message()).returncode == 0
    assert logged("mq-flush").returncode == 0
    received = smtp.messages[0]
    syslog.lines()

    done = logged("bounce-ingest", input=postfix_dsn_for(received, "bob@example.net"),
                  env={"RECIPIENT": received.mail_from})
    assert done.returncode == 0, done.stderr
    line = only(syslog.lines(), "reason=")
    assert re.search(r"bounce-ingest\[\d+\]: [0-9A-F]{22}: to=<bob@example.net>, reason=userunknown, hard=yes, "
                     r"dsn=5\.1\.1, verp=verified, user=42, status=recorded$", line), line

    assert logged("bounce-sweep").returncode == 0
    assert re.search(r"bounce-sweep\[\d+\]: suppressed: to=<bob@example.net>, reason=bounce, hard_bounces=1$",
                     only(syslog.lines(), "suppressed:"))
    assert logged("bounce-enable", "bob@example.net").returncode == 0
    assert re.search(r"bounce-enable\[\d+\]: enabled: to=<bob@example.net>, by=address$",
                     only(syslog.lines(), "enabled:"))


def test_a_terminal_gets_info_lines_and_q_keeps_only_warnings(cli: Cli) -> None:
    def on_a_terminal(*args: str) -> tuple[int, str]:
        main, child = pty.openpty()
        proc = subprocess.Popen([command_path("mq-send"), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=child, env=cli.env)
        os.close(child)
        out, _ = proc.communicate(message(), timeout=30)
        text = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            text += chunk
        os.close(main)
        assert proc.returncode == 0
        return proc.returncode, out.decode().strip() + "|" + text.decode()

    _, shown = on_a_terminal("-f", "app@example.org", "bob@example.net")
    queue_id, stderr = shown.split("|", 1)
    assert re.fullmatch(rf"mq-send\[\d+\]: {queue_id}: uid=\d+, from=<app@example.org>, size=\d+, nrcpt=1, "
                        r"source=mq-send(, queue=queued)?\s*", stderr), stderr
    _, shown = on_a_terminal("--quiet", "-f", "app@example.org", "bob@example.net")  # sendmail's -q flushes
    assert shown.split("|", 1)[1] == ""


def test_verbose_sends_info_lines_to_a_pipe(cli: Cli) -> None:
    done = cli("mq-send", "--verbose", "-f", "app@example.org", "bob@example.net", input=message())
    assert done.returncode == 0
    assert re.fullmatch(r"mq-send\[\d+\]: [0-9A-F]{22}: uid=\d+, from=<app@example.org>, size=\d+, nrcpt=1, "
                        r"source=mq-send(, queue=queued)?\n", done.stderr.decode())


def test_verbose_is_one_line_per_message_and_flufl_detectors_only_with_vv(cli: Cli, tmp_path: Path) -> None:
    # A failure notice no reader knows goes through flufl.bounce's 17 detectors, each of which
    # logs "Running detector" at info: -v must stay one line per event, -vv shows the detail.
    assert cli("mq-send", "-f", "app@example.org", "bob@example.net", input=message()).returncode == 0  # a spool
    odd = tmp_path / "odd.eml"
    odd.write_bytes(b"From: MAILER-DAEMON@mx.example\nTo: app@example.org\nSubject: failure notice\n\n"
                    b"Hi. This is a mail system no reader knows.\nCould not deliver to <x@example.net>.\n")
    verbose = cli("bounce-ingest", "-v", str(odd)).stderr.decode()
    assert "unrecognized" in verbose and "Running detector" not in verbose
    very = cli("bounce-ingest", "-vv", str(odd)).stderr.decode()
    assert very.count("Running detector") >= 10


def test_syslog_without_a_socket_is_said_once_on_stderr(cli: Cli, tmp_path: Path, smtp) -> None:  # noqa: ANN001
    config = smtp_config(tmp_path / "nolog.toml", smtp.port, f'[log]\nsyslog = true\nsocket = "{tmp_path}/no/log"\n')
    env = {"MAILTOOLS_CONFIG": str(config)}
    for rcpt in ("a@example.net", "b@example.net"):
        assert cli("mq-send", "-f", "app@example.org", rcpt, input=message(), env=env).returncode == 0
    done = cli("mq-flush", env=env)
    assert done.returncode == 0 and len(smtp.messages) == 2
    assert done.stderr.decode().splitlines() == [
        f"mq-flush[{done.stderr.decode().split('[')[1].split(']')[0]}]: warning: syslog socket {tmp_path}/no/log: "
        "does not exist; logging to stderr only"]


def test_under_systemd_the_journal_gets_info_lines(cli: Cli, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    with open(journal, "wb") as stderr:
        info = os.fstat(stderr.fileno())
        env = dict(cli.env, JOURNAL_STREAM=f"{info.st_dev}:{info.st_ino}")  # as systemd sets it
        done = subprocess.run([command_path("mq-send"), "-f", "app@example.org", "bob@example.net"],
                              input=message(), stdout=subprocess.PIPE, stderr=stderr, env=env, timeout=30)
    assert done.returncode == 0
    assert re.fullmatch(rf"mq-send\[\d+\]: {done.stdout.decode().strip()}: uid=\d+, from=<app@example.org>, "
                        r"size=\d+, nrcpt=1, source=mq-send(, queue=queued)?\n", journal.read_text())


def test_the_cron_and_systemd_examples_do_not_silence_the_log() -> None:
    examples = [ROOT / "postfix" / "cron.d" / "mailtools", *sorted((ROOT / "postfix" / "systemd").glob("*.service"))]
    commands = [line for path in examples for line in path.read_text().splitlines()
                if re.search(r"\b(mq-flush|bounce-sweep|bounce-ingest)\b", line) and not line.startswith("#")]
    assert len(commands) >= 6
    assert [line for line in commands if re.search(r"\s(-q|--quiet)\b", line)] == []
