"""Callbacks: a real shell-script hook, retries that lose nothing (webhooks: tests/test_webhooks.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from mailtools.bounces import callbacks
from mailtools.bounces.records import BounceEvent, record_bounce
from mailtools.config import parse_config
from mailtools.state import db_path, open_state
from mailtools.state.base import Callback, CallbackTarget

T0 = 1_700_000_000.0


@pytest.fixture
def conn(tmp_path: Path):
    db = open_state("sqlite:///" + db_path(str(tmp_path / "spool")))
    yield db
    db.close()


def outbox(conn) -> list[Callback]:
    """Every callback waiting, due or not."""
    return conn.due_callbacks(float("inf"))


def hook(tmp_path: Path, name: str, exit_code: int = 0) -> tuple[str, Path]:
    """A shell script that appends its argument and its stdin to a log, then exits ``exit_code``."""
    log = tmp_path / f"{name}.log"
    script = tmp_path / f"{name}.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s " "$1" >> "{log}"\ncat >> "{log}"\necho >> "{log}"\n'
                      f'[ -f "{tmp_path}/{name}.fail" ] && {{ echo "hook says no" >&2; exit 3; }}\n'
                      f"exit {exit_code}\n")
    script.chmod(0o755)
    return str(script), log


def bounce(address: str, key: str, hard: bool = True) -> BounceEvent:
    return BounceEvent(address, "42", "7", "shop.example", "userunknown" if hard else "mailboxfull",
                       "5.1.1" if hard else "4.2.2", hard, T0, "<m@shop.example>", key, "/spool/bounces/x")


def test_on_bounce_hook_gets_json_and_address(conn, tmp_path: Path) -> None:
    script, log = hook(tmp_path, "forums")
    config = parse_config({"packages": {"7": {"on_bounce": f"{script} --flag"}}})
    record_bounce(conn, bounce("a@example.org", "k1"), config)
    record_bounce(conn, bounce("b@example.org", "k2", hard=False), config)
    assert callbacks.run_pending(conn, config, T0) == 2
    lines = log.read_text().splitlines()
    # shlex-split: "--flag" is passed before the address
    assert lines[0].startswith("--flag ")
    first = json.loads(lines[0].split(" ", 1)[1])
    assert first["address"] == "a@example.org" and first["hard"] is True and first["reason"] == "userunknown"
    assert json.loads(lines[1].split(" ", 1)[1])["hard"] is False
    assert outbox(conn) == []


def test_failing_hook_is_logged_retried_with_backoff_never_lost(conn, tmp_path: Path, caplog) -> None:
    script, log = hook(tmp_path, "forums")
    (tmp_path / "forums.fail").touch()
    config = parse_config({"packages": {"7": {"on_bounce": script}}})
    record_bounce(conn, bounce("a@example.org", "k1"), config)
    assert callbacks.run_pending(conn, config, T0) == 0
    assert "hook says no" in caplog.text and "exit 3" in caplog.text
    [waiting] = outbox(conn)
    attempts, next_try, error = waiting.attempts, waiting.next_try, waiting.last_error
    assert attempts == 1 and next_try == T0 + callbacks.MIN_BACKOFF and "exit 3" in error
    assert callbacks.run_pending(conn, config, T0 + 1) == 0  # not due yet: not run again
    assert len(log.read_text().splitlines()) == 1
    callbacks.run_pending(conn, config, T0 + 60)  # fails again: the delay doubles
    assert outbox(conn)[0].next_try == T0 + 60 + 2 * callbacks.MIN_BACKOFF
    (tmp_path / "forums.fail").unlink()
    assert callbacks.run_pending(conn, config, T0 + 10_000) == 1
    assert outbox(conn) == []


def shell_script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def _alive(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker`` (zombies do not count)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as handle:
                zombie = handle.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if marker in cmdline and not zombie:
            found.append(int(pid))
    return found


def test_hook_that_times_out_is_killed_with_its_children(conn, tmp_path: Path) -> None:
    """Issue 10 item 7: the shell and the sleep it started both die; nothing is orphaned under PID 1."""
    marker = "31.4159"  # a sleep no one else runs
    script = shell_script(tmp_path / "spawns.sh", f"sleep {marker} &\nsleep {marker}\n")
    config = parse_config({"bounce": {"callback_timeout": 0.5}, "packages": {"7": {"on_bounce": script}}})
    record_bounce(conn, bounce("a@example.org", "k1"), config)
    started = time.monotonic()
    assert callbacks.run_pending(conn, config, T0) == 0
    # Without the group kill, waiting for the hook's stderr alone took the orphan's 31 s.
    assert time.monotonic() - started < 5
    assert "timed out" in outbox(conn)[0].last_error
    deadline = time.monotonic() + 2
    while _alive(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(marker) == []


def test_a_hanging_hook_never_holds_a_run_past_its_budget(conn, tmp_path: Path) -> None:
    """The pipe gives callbacks 5 s; a hook with a 10 s callback_timeout is cut to what is left."""
    script = shell_script(tmp_path / "hangs.sh", "exec sleep 27.1828\n")
    config = parse_config({"bounce": {"callback_timeout": 10}, "packages": {"7": {"on_bounce": script}}})
    record_bounce(conn, bounce("a@example.org", "k1"), config)
    started = time.monotonic()
    assert callbacks.run_pending(conn, config, T0, budget_seconds=1) == 0
    assert time.monotonic() - started < 3
    [waiting] = outbox(conn)
    assert waiting.attempts == 1 and "timed out" in waiting.last_error  # kept, retried later
    assert _alive("27.1828") == []


def test_missing_hook_program_does_not_raise(conn, tmp_path: Path) -> None:
    config = parse_config({"packages": {"7": {"on_bounce": str(tmp_path / "nonexistent")}}})
    record_bounce(conn, bounce("a@example.org", "k1"), config)
    assert callbacks.run_pending(conn, config, T0) == 0
    assert "cannot run" in outbox(conn)[0].last_error


def test_disable_and_enable_hooks_reach_every_package_with_one(conn, tmp_path: Path) -> None:
    script, log = hook(tmp_path, "hooks")
    config = parse_config({"packages": {"7": {"on_disable": script}, "8": {"on_disable": script},
                                        "9": {"on_bounce": script}}})
    for i in range(11):
        record_bounce(conn, bounce("a@example.org", f"k{i}"), config)
    assert callbacks.targets(config, "disable") == [CallbackTarget("command", "7"), CallbackTarget("command", "8")]
    assert len(conn.sweep_disable(T0, 10, callbacks.targets(config, "disable"))) == 1
    assert callbacks.run_pending(conn, config, T0) == 2
    assert len(log.read_text().splitlines()) == 2


def test_budget_stops_starting_callbacks(conn, tmp_path: Path) -> None:
    script, log = hook(tmp_path, "forums")
    config = parse_config({"packages": {"7": {"on_bounce": script}}})
    for i in range(3):
        record_bounce(conn, bounce(f"a{i}@example.org", f"k{i}"), config)
    assert callbacks.run_pending(conn, config, T0, budget_seconds=0) == 1  # the first one starts, then stop
    assert callbacks.run_pending(conn, config, T0) == 2
