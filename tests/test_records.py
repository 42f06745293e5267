"""The record store: counts, dedupe, status fields, and no lost update under concurrency."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mailtools import state
from mailtools.bounces.records import BounceEvent, address_status, enable_addresses, record_bounce
from mailtools.config import parse_config
from mailtools.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000.0


def event(address: str = "a@example.org", key: str = "k1", hard: bool = True, at: float = T0,
          domain: str | None = "shop.example", package: str | None = "7") -> BounceEvent:
    return BounceEvent(address=address, user_id="42", package_id=package, sending_domain=domain,
                       reason="userunknown" if hard else "mailboxfull", status="5.1.1" if hard else "4.2.2",
                       hard=hard, time=at, message_id="<m1@shop.example>", dsn_key=key, bounce_file=None)


@pytest.fixture
def conn(tmp_path: Path):
    connection = state.connect(str(tmp_path / "spool"))
    yield connection
    connection.close()


def test_hard_and_soft_counts_and_status_fields(conn) -> None:
    config = parse_config({})
    assert record_bounce(conn, event(key="h1", at=T0 + 10), config)
    assert record_bounce(conn, event(key="h2", at=T0), config)  # out of order: first/last still right
    assert record_bounce(conn, event(key="s1", hard=False, at=T0 + 5), config)
    [row] = address_status(conn, ["A@Example.org"])
    assert row["address"] == "a@example.org"
    assert (row["hard_bounces"], row["soft_bounces"]) == (2, 1)
    assert (row["first_bounce"], row["last_bounce"]) == (T0, T0 + 10)
    assert row["disabled"] is False and row["notices_sent"] == 0 and row["user_id"] == "42"
    assert row["soft_by_domain"] == {"shop.example": 1}
    for name in ("address", "user_id", "hard_bounces", "soft_bounces", "disabled", "first_bounce",
                 "last_bounce", "notices_sent"):
        assert name in row


def test_same_dsn_key_twice_changes_nothing(conn) -> None:
    config = parse_config({})
    assert record_bounce(conn, event(key="dsn-1"), config) is True
    assert record_bounce(conn, event(key="dsn-1", at=T0 + 99), config) is False
    [row] = address_status(conn, ["a@example.org"])
    assert row["hard_bounces"] == 1 and row["last_bounce"] == T0
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_unknown_address_has_no_status(conn) -> None:
    assert address_status(conn, ["nobody@example.org"]) == []
    assert address_status(conn, None) == []


def test_listing_without_names_skips_addresses_only_mailed(conn) -> None:
    state.mark_sent(conn, ["mailed@example.org"], T0)
    record_bounce(conn, event(key="k"), parse_config({}))
    assert [r["address"] for r in address_status(conn, None)] == ["a@example.org"]
    assert address_status(conn, ["mailed@example.org"]) == []  # mailed, never bounced: no record
    assert address_status(conn, None, disabled_only=True) == []


def test_enable_clears_counts_and_rejects_non_addresses(conn) -> None:
    config = parse_config({})
    record_bounce(conn, event(key="k"), config)
    conn.execute("UPDATE addresses SET disabled = 1, disabled_at = ?", (T0,))
    with pytest.raises(UsageError):
        enable_addresses(conn, config, ["a@example.org", "not-an-address"], T0)
    assert address_status(conn, ["a@example.org"])[0]["disabled"] is True  # nothing changed
    result = enable_addresses(conn, config, ["a@example.org", "x@example.org"], T0)
    assert result == [{"address": "a@example.org", "known": True, "was_disabled": True, "enabled": True},
                      {"address": "x@example.org", "known": False, "was_disabled": False, "enabled": False}]
    [row] = address_status(conn, ["a@example.org"])
    assert (row["disabled"], row["hard_bounces"], row["last_bounce"]) == (False, 0, None)


def test_callbacks_are_queued_with_the_bounce(conn) -> None:
    config = parse_config({"packages": {"7": {"on_bounce": "/bin/true"}},
                           "platforms": {"shop.example": {"webhook": "http://127.0.0.1:9/{address}"}}})
    record_bounce(conn, event(key="hard"), config)
    record_bounce(conn, event(key="soft", hard=False), config)
    record_bounce(conn, event(key="hard", at=T0 + 1), config)  # a duplicate queues nothing
    rows = conn.execute("SELECT kind, target FROM callbacks ORDER BY id").fetchall()
    # on_bounce for both; the webhook only for the hard bounce
    assert rows == [("bounce", "command"), ("bounce", "webhook"), ("bounce", "command")]


WORKER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from mailtools import state
    from mailtools.bounces.records import BounceEvent, record_bounce
    from mailtools.config import parse_config
    spool, key, start = sys.argv[2], sys.argv[3], float(sys.argv[4])
    conn = state.connect(spool)
    while time.time() < start:   # all start together, to make them collide
        time.sleep(0.001)
    record_bounce(conn, BounceEvent("crowd@example.org", None, None, "shop.example", "userunknown",
                                    "5.1.1", True, 1700000000.0, None, key, None), parse_config({}))
""")


def _crowd(spool: str, keys: list[str]) -> None:
    state.connect(spool).close()  # create the database first, as a real spool has one
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(ROOT), spool, key, str(start)],
                              stderr=subprocess.PIPE) for key in keys]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()


def test_forty_concurrent_processes_on_one_address_count_forty(tmp_path: Path) -> None:
    spool = str(tmp_path / "spool")
    _crowd(spool, [f"dsn-{i}" for i in range(40)])
    conn = state.connect(spool)
    [row] = address_status(conn, ["crowd@example.org"])
    assert row["hard_bounces"] == 40
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 40


def test_concurrent_redeliveries_of_one_bounce_count_once(tmp_path: Path) -> None:
    spool = str(tmp_path / "spool")
    _crowd(spool, ["same-dsn"] * 12)
    [row] = address_status(state.connect(spool), ["crowd@example.org"])
    assert row["hard_bounces"] == 1


def test_schema_keeps_the_columns_mq_flush_uses(conn) -> None:
    record_bounce(conn, event(key="k"), parse_config({}))
    columns = {r[1] for r in conn.execute("PRAGMA table_info(addresses)")}
    assert {"disabled", "last_sent"} <= columns
    assert state.disabled_addresses(conn, ["a@example.org"]) == set()
