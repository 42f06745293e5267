"""bounce-status, bounce-enable, bounce-sweep as real subprocesses: output, JSON, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, command_path, message

from mailtools.bounces.records import BounceEvent, record_bounce
from mailtools.config import parse_config
from mailtools.state import open_state

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000.0


class Admin:
    def __init__(self, tmp_path: Path) -> None:
        self.spool = tmp_path / "spool"
        self.config = tmp_path / "mailtools.toml"
        self.config.write_text('[bounce]\ndomain = "bounces.example.org"\n'
                               'reenable_url = "https://example.org/mail/reenable?token={token}"\n')

    def __call__(self, command: str, *args: str, now: float = T0 + 100) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTOOLS_")}
        env.update(MAILTOOLS_NOW=str(now), PYTHONPATH=str(ROOT))
        argv = [sys.executable, "-m", f"mailtools.cli.{command.replace('-', '_')}",
                "--spool", str(self.spool), "--config", str(self.config), *args]
        return subprocess.run(argv, capture_output=True, cwd=ROOT, env=env, timeout=60)

    def bounces(self, address: str, count: int, hard: bool = True) -> None:
        config = parse_config({"spool": str(self.spool)})
        db = open_state(config)
        for i in range(count):
            record_bounce(db, BounceEvent(address, "42", None, "shop.example", "userunknown", "5.1.1", hard,
                                          T0 + i, None, f"{address}-{hard}-{i}", None), config)
        db.close()

    def token(self) -> str:
        queued = self.spool / "queued"
        text = "".join(p.read_text() for p in queued.iterdir())
        return text.split("reenable?token=", 1)[1].split()[0]


@pytest.fixture
def admin(tmp_path: Path) -> Admin:
    return Admin(tmp_path)


def lines(done: subprocess.CompletedProcess) -> list[dict]:
    assert done.returncode == 0, done.stderr.decode()
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def test_status_without_a_database_is_75_naming_it_not_no_record(admin: Admin) -> None:
    """Issue 10 item 4: a mistyped --spool must not look like "no addresses with bounces"."""
    admin.spool.mkdir()  # a missing spool is its own 75 (tests/test_cli_common.py)
    for args in (["--json", "nobody@example.org"], []):
        done = admin("bounce-status", *args)
        assert (done.returncode, done.stdout) == (75, b""), done.stderr
        assert str(admin.spool / "db" / "state.sqlite").encode() in done.stderr
    assert os.listdir(admin.spool) == []  # looking does not create a database
    done = admin("bounce-enable", "a@example.org")
    assert done.returncode == 75 and b"no state database" in done.stderr
    assert not (admin.spool / "db" / "state.sqlite").exists()


def test_status_of_an_unknown_address_prints_nothing(admin: Admin) -> None:
    admin.bounces("a@example.org", 1)
    done = admin("bounce-status", "--json", "nobody@example.org")
    assert (done.returncode, done.stdout) == (0, b"")
    done = admin("bounce-status", "nobody@example.org")
    assert done.returncode == 0 and b"no record" in done.stdout
    admin.bounces("a@example.org", 1)
    done = admin("bounce-status", "--json", "nobody@example.org")
    assert (done.returncode, done.stdout) == (0, b"")
    done = admin("bounce-status", "nobody@example.org")
    assert done.returncode == 0 and b"no record" in done.stdout


def test_status_json_fields_and_table(admin: Admin) -> None:
    admin.bounces("a@example.org", 2)
    admin.bounces("b@example.org", 3, hard=False)
    rows = lines(admin("bounce-status", "--json"))
    assert [r["address"] for r in rows] == ["a@example.org", "b@example.org"]
    a = rows[0]
    assert {k: a[k] for k in ("user_id", "hard_bounces", "soft_bounces", "disabled", "first_bounce",
                              "last_bounce", "notices_sent")} == {
        "user_id": "42", "hard_bounces": 2, "soft_bounces": 0, "disabled": False, "first_bounce": T0,
        "last_bounce": T0 + 1, "notices_sent": 0}
    table = admin("bounce-status").stdout.decode()
    assert table.splitlines()[0].split()[:4] == ["Address", "User", "Hard", "Soft"]
    assert "a@example.org" in table and "soft/domain shop.example: 3" in table
    assert table.rstrip().endswith("-- 2 addresses, 0 disabled by bounces, 0 suppressed")
    assert lines(admin("bounce-status", "--json", "--disabled")) == []
    assert admin("bounce-status", "--disabled").stdout == b"No disabled addresses.\n"


def test_a_suppression_of_another_reason_shows_and_enable_lifts_it(admin: Admin) -> None:
    db = open_state(parse_config({"spool": str(admin.spool)}))
    db.suppress("m@example.org", "manual", "bounce-disable", T0)
    db.close()
    [row] = lines(admin("bounce-status", "--json", "--disabled"))
    assert {k: row[k] for k in ("address", "disabled", "suppressed", "suppressed_since", "hard_bounces")} == {
        "address": "m@example.org", "disabled": False, "suppressed": "manual", "suppressed_since": T0,
        "hard_bounces": 0}
    assert "manual" in admin("bounce-status").stdout.decode().splitlines()[1]
    assert lines(admin("bounce-enable", "--json", "m@example.org"))[0]["was_disabled"] is True
    assert lines(admin("bounce-status", "--json", "--disabled")) == []


def test_sweep_json_then_enable_by_token_once(admin: Admin) -> None:
    admin.bounces("a@example.org", 11)
    assert lines(admin("bounce-sweep", "--dry-run", "--json")) == [
        {"reset": 0, "disabled": 1, "notified": 1, "purged": 0}]
    assert lines(admin("bounce-sweep", "--json")) == [{"reset": 0, "disabled": 1, "notified": 1, "purged": 0}]
    assert lines(admin("bounce-status", "--json", "--disabled"))[0]["address"] == "a@example.org"
    token = admin.token()
    assert lines(admin("bounce-enable", "--json", "--token", token)) == [
        {"address": "a@example.org", "known": True, "was_disabled": True, "enabled": True}]
    assert lines(admin("bounce-status", "--json", "a@example.org"))[0]["disabled"] is False
    again = admin("bounce-enable", "--token", token)
    assert again.returncode == 65 and b"already been used" in again.stderr


def test_expired_or_forged_token_exits_65(admin: Admin) -> None:
    admin.bounces("a@example.org", 11)
    admin("bounce-sweep")
    token = admin.token()
    late = admin("bounce-enable", "--token", token, now=T0 + 100 + 61 * 86400)
    assert late.returncode == 65 and b"expired" in late.stderr
    forged = admin("bounce-enable", "--token", token[:-3] + ("xyz" if not token.endswith("xyz") else "abc"))
    assert forged.returncode == 65 and b"signature" in forged.stderr
    assert lines(admin("bounce-status", "--json", "a@example.org"))[0]["disabled"] is True


def test_enable_by_address(admin: Admin) -> None:
    admin.bounces("a@example.org", 11)
    admin("bounce-sweep")
    done = admin("bounce-enable", "A@example.org", "x@example.org")
    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == [
        "a@example.org: enabled (its suppression lifted); bounce counts cleared",
        "x@example.org: no record; nothing to do"]
    assert admin("bounce-status", "--json", "--disabled").stdout == b""
    # The lift is an event: --events says why the address is mailed again.
    listed = admin("bounce-status", "--events", "--json", "a@example.org").stdout
    events = [json.loads(line) for line in listed.splitlines()]
    assert [(e["kind"], e["reason"]) for e in events][-1] == ("enable", "bounce-enable")
    assert [e["kind"] for e in events[:-1]] == ["bounce"] * 11
    shown = admin("bounce-status", "--events", "a@example.org").stdout.decode().splitlines()
    assert "kind=enable, reason=bounce-enable, status=-" in shown[-1]
    assert admin("bounce-enable", "a@example.org").stdout.decode().startswith("a@example.org: was not suppressed")
    assert len(admin("bounce-status", "--events", "a@example.org").stdout.splitlines()) == 12  # no lift, no event


def test_on_enable_runs_when_bounce_enable_runs(admin: Admin, tmp_path: Path) -> None:
    """Issue 10 item 6: not at the next sweep or bounce, but before bounce-enable exits."""
    log = tmp_path / "enabled.log"
    script = tmp_path / "on_enable.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s " "$1" >> "{log}"\ncat >> "{log}"\necho >> "{log}"\n')
    script.chmod(0o755)
    with admin.config.open("a") as config:
        config.write(f'[packages.7]\non_enable = "{script}"\n')
    admin.bounces("a@example.org", 11)
    admin.bounces("b@example.org", 1)
    assert lines(admin("bounce-sweep", "--json"))[0]["disabled"] == 1
    assert not log.exists()
    done = admin("bounce-enable", "a@example.org", "b@example.org")
    assert done.returncode == 0, done.stderr
    [line] = log.read_text().splitlines()  # b was not disabled: no on_enable for it
    address, payload = line.split(" ", 1)
    assert address == "a@example.org"
    event = json.loads(payload)
    assert len(event.pop("id")) == 32  # every event has an id of its own (issue 15), hooks see it too
    assert event == {"event": "enable", "address": "a@example.org", "user_id": "42", "time": T0 + 100}
    admin("bounce-sweep")  # ran once: nothing left in the outbox to run again
    assert len(log.read_text().splitlines()) == 1


@pytest.mark.parametrize("args", [[], ["a@example.org", "--token", "t"], ["not-an-address"]])
def test_enable_usage_errors_exit_64(admin: Admin, args: list[str]) -> None:
    admin.spool.mkdir()
    done = admin("bounce-enable", *args)
    assert done.returncode == 64, done.stderr


def test_bad_config_key_exits_78(admin: Admin) -> None:
    admin.config.write_text("[bounce]\nmax_bounce_cuont = 3\n")
    done = admin("bounce-sweep")
    assert done.returncode == 78 and b"max_bounce_cuont" in done.stderr


def test_sweep_holding_the_lock_makes_another_exit_0_saying_where(admin: Admin) -> None:
    admin.bounces("a@example.org", 1)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[1])\n"
        "from mailtools.bounces.policy import sweep_lock\nfrom mailtools.config import parse_config\n"
        "from mailtools.state import open_state\n"
        "with sweep_lock(open_state(parse_config({'spool': sys.argv[2]})), 1.0):\n"
        "    print('locked', flush=True); time.sleep(30)\n"),
        str(ROOT), str(admin.spool)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"locked\n"
        done = admin("bounce-sweep")
        assert done.returncode == 0 and f"pid {holder.pid}".encode() in done.stderr, done.stderr
        # A script reading --json gets one object saying so, not an empty stdout.
        done = admin("bounce-sweep", "--json")
        assert lines(done) == [{"elsewhere": True, "host": os.uname().nodename, "pid": holder.pid,
                                "since": 1.0}]
        assert f"pid {holder.pid}".encode() in done.stderr
    finally:
        holder.kill()
        holder.wait()
    assert admin("bounce-sweep").returncode == 0


@pytest.mark.parametrize("command,words", [
    ("bounce-sweep", ["max_bounce_count", "soft_threshold", "bounce_days", "--dry-run", "Examples"]),
    ("bounce-status", ["--disabled", "notices_sent", "Examples"]),
    ("bounce-enable", ["--token", "token_days", "Examples"]),
])
def test_help_teaches(admin: Admin, command: str, words: list[str]) -> None:
    done = admin(command, "--help")
    assert done.returncode == 0
    for word in words:
        assert word in done.stdout.decode(), word


def test_a_one_click_package_unsubscribe_shows_its_package_origin_and_time(tmp_path: Path) -> None:
    """A real one-click POST to the installed mailtools-web, then the installed bounce-status: the package
    unsubscribe says which package, who (one-click) and since when, as an all-mail suppression does."""
    import http.client
    import re

    from conftest import Cli, command_path, spool_state

    from mailtools.bounces.unsubscribe import make_token
    from mailtools.outbound.spool import Spool
    from mailtools.secret import load_secret

    spool = tmp_path / "spool"
    Spool(str(spool)).ensure()
    spool_state(spool).close()
    cli = Cli(spool, None)
    web = subprocess.Popen([command_path("mailtools-web"), "--listen", "127.0.0.1:0", "--json"],
                           env=dict(cli.env, MAILTOOLS_NOW=str(T0)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = int(re.search(r":(\d+)\"", web.stdout.readline().decode()).group(1))
        token = make_token(load_secret(str(spool)), "ann@example.net", "forums", "shop.example")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", f"/unsubscribe?token={token}", body="List-Unsubscribe=One-Click",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        web.kill()
        web.wait()
        web.stdout.close()
        web.stderr.close()
    [row] = cli.json_lines("bounce-status", "ann@example.net")
    assert (row["suppressed"], row["origin"], row["unsubscribed_packages"]) == (None, None, ["forums"])
    assert row["package_unsubscribes"] == [{"package_id": "forums", "origin": "one-click", "since": T0}]
    table = cli("bounce-status", "ann@example.net")
    assert table.returncode == 0, table.stderr.decode()
    assert "unsubscribed from package forums: origin one-click, since 2023-11-14 22:13" in table.stdout.decode()


def test_a_sweep_with_a_missing_secret_file_refuses_before_any_rule(cli: Cli, tmp_path: Path) -> None:
    # Found by the black-box run: with a notice due, the sweep disabled the address and then
    # stopped with 78, leaving it disabled with no notice; with none due it exited 0 silently.
    assert cli("mq-send", "-f", "app@example.org", "bob@example.net", input=message()).returncode == 0
    config = tmp_path / "typo.toml"
    config.write_text(f'secret_file = "{tmp_path}/secret.typo"\n' + Path(cli.env["MAILTOOLS_CONFIG"]).read_text())
    done = cli("bounce-sweep", env={"MAILTOOLS_CONFIG": str(config)})
    assert done.returncode == 78, done.stderr
    assert f"{tmp_path}/secret.typo does not exist" in done.stderr.decode()


@pytest.mark.parametrize("args", [["--events"], ["--events", "--disabled", "a@example.org"], ["--outbox", "a@x.org"]])
def test_a_wrong_combination_is_64_even_where_there_is_no_spool(tmp_path: Path, args: list[str]) -> None:
    # Found by the black-box run: "bounce-status --events" with no address said the (default)
    # spool was missing (75) before it said what was wrong with the command line.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTOOLS_")}
    done = subprocess.run([command_path("bounce-status"), "--spool", str(tmp_path / "none"), *args],
                          capture_output=True, env=env)
    assert done.returncode == 64, done.stderr
    assert not (tmp_path / "none").exists()
