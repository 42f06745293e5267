"""bounce-disable: suppress by hand or import a list; bounce-status --disabled --json exports it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli, spool_state, write_config

from mailtools.outbound.spool import Spool

T0 = 1_700_000_000.0


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Commands on a spool whose database exists (made as mq-flush or mailtools-db would)."""
    spool = tmp_path / "spool"
    Spool(str(spool)).ensure()
    spool_state(spool).close()
    return Cli(spool, write_config(tmp_path / "mailtools.toml", "[packages.7]\non_unsubscribe = \"/bin/false\"\n"))


def status(cli: Cli) -> list[dict]:
    return cli.json_lines("bounce-status", "--disabled")


def short(rows: list[dict]) -> list[tuple]:
    return [(r["address"], r["suppressed"], r["origin"], r["suppressed_since"], r["unsubscribed_packages"])
            for r in rows]


def test_addresses_on_the_command_line_are_suppressed_manual_and_flushes_drop_them(cli: Cli) -> None:
    done = cli("bounce-disable", "Ann@Example.org", "bob@example.org", now=T0)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == ["ann@example.org: suppressed (manual)",
                                                 "bob@example.org: suppressed (manual)"]
    assert short(status(cli)) == [("ann@example.org", "manual", "bounce-disable", T0, []),
                                  ("bob@example.org", "manual", "bounce-disable", T0, [])]
    again = cli("bounce-disable", "--json", "--reason", "complaint", "ann@example.org", now=T0 + 5)
    assert json.loads(again.stdout) == {"address": "ann@example.org", "reason": "complaint", "suppressed": False}
    assert status(cli)[0]["suppressed"] == "manual"  # an address already suppressed stays as it is


def test_bounce_enable_lifts_every_reason(cli: Cli) -> None:
    for reason, address in [("manual", "m@example.org"), ("complaint", "c@example.org"),
                            ("unsubscribe", "u@example.org"), ("bounce", "b@example.org")]:
        assert cli("bounce-disable", "--reason", reason, address, now=T0).returncode == 0
    assert {r["suppressed"] for r in status(cli)} == {"manual", "complaint", "unsubscribe", "bounce"}
    done = cli("bounce-enable", "m@example.org", "c@example.org", "u@example.org", "b@example.org", now=T0 + 1)
    assert done.returncode == 0, done.stderr
    assert status(cli) == []


def test_a_list_on_stdin_reports_each_skipped_line_and_takes_the_rest(cli: Cli) -> None:
    text = "\n".join([
        "address,reason",                       # a CSV header: skipped, said
        "ann@example.org",                      # --reason
        "bob@example.org,complaint",
        '"cy@example.org",unsubscribe,old-crm',  # quoted CSV with an origin
        "",                                     # blank: passed over silently
        "# exported 2026-11-30",                # comment: passed over silently
        "not an address",
        "dee@example.org,angry",                # unknown reason
        "eve@example.org,manual,x,y",           # too many fields
        "<script>@example.org",
        '{"address": "fay@example.org"',        # broken JSON
        "\x00\xff@@",
        '"q r"@example.org',                    # a quoted local part: the whole line is one address
    ]) + "\n"
    done = cli("bounce-disable", "--reason", "unsubscribe", input=text.encode("utf-8", "surrogateescape"), now=T0)
    assert done.returncode == 0, done.stderr
    errors = done.stderr.decode().splitlines()
    assert [e.split(":")[1].strip() for e in errors] == ["line 1", "line 7", "line 8", "line 9", "line 10",
                                                          "line 11", "line 12"]
    assert "not an address" in errors[0] and "unknown reason 'angry'" in errors[2] and "4 fields" in errors[3]
    assert short(status(cli)) == [('"q r"@example.org', "unsubscribe", "import", T0, []),
                                  ("ann@example.org", "unsubscribe", "import", T0, []),
                                  ("bob@example.org", "complaint", "import", T0, []),
                                  ("cy@example.org", "unsubscribe", "old-crm", T0, [])]


@pytest.mark.parametrize("text", [b"", b"\n# nothing\n", b"garbage\nmore garbage\n", b"\xff\xfe\x00\x01"])
def test_a_list_with_no_address_is_65_and_changes_nothing(cli: Cli, text: bytes) -> None:
    done = cli("bounce-disable", input=text, now=T0)
    assert done.returncode == 65 and "no address taken" in done.stderr.decode()
    assert status(cli) == []


@pytest.mark.parametrize(("args", "code"), [(["not-an-address"], 64), (["--reason", "angry", "a@example.org"], 64)])
def test_bad_arguments_are_64(cli: Cli, args: list[str], code: int) -> None:
    done = cli("bounce-disable", *args, now=T0)
    assert done.returncode == code, done.stderr
    assert status(cli) == []


def test_without_a_database_it_is_75_and_creates_none(tmp_path: Path) -> None:
    (tmp_path / "nowhere").mkdir()  # a spool without a database (a missing spool: tests/test_cli_common.py)
    cli = Cli(tmp_path / "nowhere", None)
    done = cli("bounce-disable", "a@example.org", now=T0)
    assert done.returncode == 75 and "state database" in done.stderr.decode()
    assert not (tmp_path / "nowhere" / "db").exists()


def test_the_export_re_imports_losslessly(cli: Cli, tmp_path: Path) -> None:
    """Reason, origin, time and package unsubscribes survive bounce-status --disabled --json | bounce-disable."""
    db = spool_state(cli.env["MAILTOOLS_SPOOL"])
    try:
        db.suppress("b@example.org", "bounce", "bounce-sweep", T0 - 30)
        db.suppress("c@example.org", "complaint", "arf", T0 - 20)
        db.suppress("m@example.org", "manual", "bounce-disable", T0 - 10)
        db.suppress("m@example.org", "unsubscribe", "one-click", T0 - 5, package_id="7")
        db.suppress("u@example.org", "unsubscribe", "mailto", T0 - 1)
        db.suppress("p@example.org", "unsubscribe", "web", T0 - 3, package_id="forums")  # that package only
    finally:
        db.close()
    exported = cli("bounce-status", "--disabled", "--json")
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 5
    other_spool = tmp_path / "other"
    Spool(str(other_spool)).ensure()
    spool_state(other_spool).close()
    other = Cli(other_spool, None)
    done = other("bounce-disable", input=exported.stdout, now=T0 + 1000)
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    assert short(status(other)) == short(status(cli)) == [
        ("b@example.org", "bounce", "bounce-sweep", T0 - 30, []),
        ("c@example.org", "complaint", "arf", T0 - 20, []),
        ("m@example.org", "manual", "bounce-disable", T0 - 10, ["7"]),
        ("p@example.org", None, None, None, ["forums"]),
        ("u@example.org", "unsubscribe", "mailto", T0 - 1, [])]
    # each package unsubscribe keeps its own origin and time, not the all-mail one's (nor "import", now)
    assert [r["package_unsubscribes"] for r in status(other)] == [r["package_unsubscribes"] for r in status(cli)] == [
        [], [], [{"package_id": "7", "origin": "one-click", "since": T0 - 5}],
        [{"package_id": "forums", "origin": "web", "since": T0 - 3}], []]
    db = spool_state(other_spool)
    try:
        assert db.due_callbacks(T0 + 10**6) == []  # an import is not news for the hooks
    finally:
        db.close()


def test_help_teaches(cli: Cli) -> None:
    done = cli("bounce-disable", "--help")
    text = done.stdout.decode()
    assert done.returncode == 0
    for words in ("address,reason", "bounce-status --disabled --json", "65", "complaint", "Examples"):
        assert words in text
