"""What the two budgeted entry points may import (issue 12: mq-send's enqueue <= 30 ms,
the alias pipe <= 50 ms, measured by bench/percall.py and bench/bench_ingest.py).

Only these two count every millisecond of start-up; everywhere else the library
uses the standard modules (logging, dataclasses, tomllib) freely. Each module
below was weighed: what is forbidden costs milliseconds on every message and
is not needed there (``logging`` ~7 ms is imported by mq-send only when a line
goes somewhere; ``dataclasses`` ~8 ms; click ~25 ms). A new import on these
paths must be added here on purpose, with its cost measured by the benches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import Cli, message, postfix_dsn_for

# Beyond what ``python -c pass`` loads. Not tomllib (typing, string, contextlib: ~6 ms): a plain
# config is read by mailtools.tomlsubset on these two paths.
MQ_SEND_MAY_IMPORT = {
    "mailtools", "re", "enum", "functools", "operator", "keyword", "reprlib", "collections", "heapq",
    "itertools", "copyreg", "types", "json", "datetime", "math", "calendar", "locale", "email", "errno",
    "__future__",
    "gc",  # built in (no file): the two entry points switch the cycle collector off for their one message
}
# The pipe stores first, then classifies (flufl.bounce, the email package) and records (sqlite3).
PIPE_MAY_ALSO_IMPORT = {
    "base64", "binascii", "quopri", "random", "bisect", "hashlib", "hmac", "struct", "array", "textwrap",
    "socket", "select", "selectors", "ipaddress", "urllib",  # the email package
    "flufl", "public", "atpublic", "logging",  # flufl.bounce (and its logging), for what is not a standard DSN
    "threading", "weakref", "traceback", "linecache", "tokenize", "token", "atexit",  # logging's own
    "sqlite3", "contextlib", "string", "warnings",  # the state database, once the bounce is stored
}
NEVER = {"click", "dataclasses", "dkim", "dns", "nacl", "aiosmtpd", "asyncio", "multiprocessing", "smtplib", "ssl"}


def imported(argv: list[str], data: bytes, env: dict[str, str], cwd: Path) -> set[str]:
    """Top-level names of the modules ``argv`` imported beyond a bare interpreter's."""
    def names(command: list[str], stdin: bytes) -> set[str]:
        done = subprocess.run([sys.executable, "-X", "importtime", *command], input=stdin, capture_output=True,
                              env=env, cwd=cwd, timeout=60)
        lines = done.stderr.decode().splitlines()
        assert done.returncode == 0, lines[-5:]
        top = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines if line.startswith("import time:")}
        return {name for name in top if not name.startswith("_")}  # C accelerators of the modules listed

    return names(argv, data) - names(["-c", "pass"], b"")


def test_mq_send_enqueue_imports_only_its_list(cli: Cli, tmp_path: Path) -> None:
    found = imported(["-c", "from mailtools.cli.mq_send import main; main()", "-f", "app@example.org",
                      "bob@example.net"], message(), cli.env, tmp_path)
    assert "mailtools" in found and "json" in found  # the measurement sees the imports
    assert found - MQ_SEND_MAY_IMPORT == set()
    assert found & (NEVER | {"logging", "sqlite3", "flufl", "tomllib", "typing"}) == set()


def test_mq_send_logging_to_syslog_still_does_not_load_logging(cli: Cli, tmp_path: Path) -> None:
    # The enqueue line goes to the syslog socket (here a file that is not one: said once on stderr).
    config = tmp_path / "syslog.toml"
    config.write_text(f'[log]\nsyslog = true\nsocket = "{tmp_path}/no-log"\n')
    env = dict(cli.env, MAILTOOLS_CONFIG=str(config))
    found = imported(["-c", "from mailtools.cli.mq_send import main; main()", "-f", "app@example.org",
                      "bob@example.net"], message(), env, tmp_path)
    assert found - MQ_SEND_MAY_IMPORT - {"syslog", "socket", "select", "selectors", "array"} == set()
    assert "logging" not in found


def test_the_pipe_imports_only_its_list(cli: Cli, smtp, tmp_path: Path) -> None:  # noqa: ANN001
    assert cli("mq-send", "-f", "app@example.org", "bob@example.net", input=message()).returncode == 0
    assert cli("mq-flush").returncode == 0
    received = smtp.messages[0]
    env = dict(cli.env, RECIPIENT=received.mail_from, ORIGINAL_RECIPIENT=received.mail_from, SENDER="")
    found = imported(["-c", "from mailtools.cli.bounce_ingest import main; main()"],
                     postfix_dsn_for(received, "bob@example.net"), env, tmp_path)
    status = cli.json_lines("bounce-status", "bob@example.net")
    assert status and status[0]["hard_bounces"] == 1  # the whole path ran: classified, verified, recorded
    assert " ".join(sorted(found - MQ_SEND_MAY_IMPORT - PIPE_MAY_ALSO_IMPORT)) == ""
    assert found & NEVER == set()
    # A standard DSN, stderr not a terminal, no syslog: no line is wanted, so logging (~5 ms) is not loaded.
    assert "logging" not in found and "flufl" not in found
    # The state layer's rows and interface are plain classes at run time (typing: ~3 ms).
    assert "typing" not in found


def test_mq_send_now_delivers_without_loading_click(cli: Cli, smtp, tmp_path: Path) -> None:  # noqa: ANN001
    # --now (or send_immediately) runs on every message of such a caller: the delivery code (no budget,
    # so dataclasses and the rest are fine), not the click commands' (mq-flush's module once pulled
    # click in, ~10 ms, for its signal handler).
    found = imported(["-c", "from mailtools.cli.mq_send import main; main()", "--now", "-f", "app@example.org",
                      "bob@example.net"], message(), cli.env, tmp_path)
    assert [m.rcpt_tos for m in smtp.wait_for(1)] == [["bob@example.net"]]
    assert "click" not in found
