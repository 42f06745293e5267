"""The bounce record: counts, dedupe, status fields, enable, and no lost update under concurrency."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import BOTH_BACKENDS, database_table

from mailtools.bounces.records import BounceEvent, address_status, enable_addresses, record_bounce
from mailtools.config import Config, parse_config
from mailtools.errors import TempFailure, UsageError
from mailtools.state import db_path, open_state

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000.0


def event(address: str = "a@example.org", key: str = "k1", hard: bool = True, at: float = T0,
          domain: str | None = "shop.example", package: str | None = "7") -> BounceEvent:
    return BounceEvent(address=address, user_id="42", package_id=package, sending_domain=domain,
                       reason="userunknown" if hard else "mailboxfull", status="5.1.1" if hard else "4.2.2",
                       hard=hard, time=at, message_id="<m1@shop.example>", dsn_key=key, bounce_file=None)


BACKENDS = BOTH_BACKENDS
pytestmark = pytest.mark.usefixtures("state_url")  # every test here on SQLite and on PostgreSQL


def configured(tmp_path: Path, **more: object) -> Config:
    return parse_config({"spool": str(tmp_path / "spool"), **database_table(), **more})


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return configured(tmp_path)


@pytest.fixture
def conn(config: Config):
    db = open_state(config)
    yield db
    db.close()


def test_hard_and_soft_counts_and_status_fields(conn, config) -> None:
    assert record_bounce(conn, event(key="h1", at=T0 + 10), config)
    assert record_bounce(conn, event(key="h2", at=T0), config)  # out of order: first/last still right
    assert record_bounce(conn, event(key="s1", hard=False, at=T0 + 5), config)
    [row] = address_status(config, ["A@Example.org"])
    assert row.address == "a@example.org"
    assert (row.hard_bounces, row.soft_bounces) == (2, 1)
    assert (row.first_bounce, row.last_bounce) == (T0, T0 + 10)
    assert row.disabled is False and row.notices_sent == 0 and row.user_id == "42"
    assert row.soft_by_domain == {"shop.example": 1}
    assert row.suppressed is None and row.suppressed_since is None


def test_same_dsn_key_twice_changes_nothing(conn, config) -> None:
    assert record_bounce(conn, event(key="dsn-1"), config) is True
    assert record_bounce(conn, event(key="dsn-1", at=T0 + 99), config) is False
    [row] = address_status(config, ["a@example.org"])
    assert row.hard_bounces == 1 and row.last_bounce == T0
    assert len(conn.events("a@example.org")) == 1


def test_unknown_address_has_no_status(conn, config) -> None:
    assert address_status(config, ["nobody@example.org"]) == []
    assert address_status(config, None) == []


@pytest.mark.backends("sqlite")  # a server always exists; its missing tables are test_postgres.py's
def test_status_of_a_spool_without_database_is_an_error_naming_it(config) -> None:
    with pytest.raises(TempFailure, match="state.sqlite"):
        address_status(config, None)
    assert not Path(db_path(config.spool)).exists()  # reading created nothing


def test_listing_without_names_skips_addresses_only_mailed(conn, config) -> None:
    conn.mark_sent(["mailed@example.org"], T0)
    record_bounce(conn, event(key="k"), config)
    assert [r.address for r in address_status(config, None)] == ["a@example.org"]
    assert address_status(config, ["mailed@example.org"]) == []  # mailed, never bounced: no record
    assert address_status(config, None, disabled_only=True) == []


def test_enable_clears_counts_and_rejects_non_addresses(conn, config) -> None:
    for i in range(11):
        record_bounce(conn, event(key=f"k{i}"), config)
    assert len(conn.sweep_disable(T0, 10, [])) == 1
    with pytest.raises(UsageError):
        enable_addresses(config, ["a@example.org", "not-an-address"], T0)
    assert address_status(config, ["a@example.org"])[0].disabled is True  # nothing changed
    assert conn.is_suppressed(["a@example.org"]) == {"a@example.org": "bounce"}
    result = enable_addresses(config, ["a@example.org", "x@example.org"], T0)
    assert [(r.address, r.known, r.was_disabled, r.enabled) for r in result] == [
        ("a@example.org", True, True, True), ("x@example.org", False, False, False)]
    [row] = address_status(config, ["a@example.org"])
    assert (row.disabled, row.hard_bounces, row.last_bounce, row.suppressed) == (False, 0, None, None)
    assert conn.is_suppressed(["a@example.org"]) == {}


def test_enable_lifts_a_suppression_of_any_reason(conn, config) -> None:
    conn.suppress("m@example.org", "manual", "bounce-disable", T0)
    [result] = enable_addresses(config, ["m@example.org"], T0)
    assert (result.known, result.was_disabled, result.enabled) == (True, True, True)
    assert conn.is_suppressed(["m@example.org"]) == {}


def test_callbacks_are_queued_with_the_bounce(conn, tmp_path) -> None:
    config = configured(tmp_path, packages={"7": {"on_bounce": "/bin/true"}},
                        platforms={"shop.example": {"webhook": "http://127.0.0.1:9/{address}"}})
    record_bounce(conn, event(key="hard"), config)
    record_bounce(conn, event(key="soft", hard=False), config)
    record_bounce(conn, event(key="hard", at=T0 + 1), config)  # a duplicate queues nothing
    rows = [(c.kind, c.target) for c in conn.due_callbacks(T0 + 1)]
    # on_bounce for both; the webhook only for the hard bounce
    assert rows == [("bounce", "command"), ("bounce", "webhook"), ("bounce", "command")]


WORKER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from mailtools.bounces.records import BounceEvent, record_bounce
    from mailtools.config import parse_config
    from mailtools.state import open_state
    spool, key, start, url = sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
    config = parse_config({"spool": spool, "database": {"url": url}})
    db = open_state(config)
    while time.time() < start:   # all start together, to make them collide
        time.sleep(0.001)
    record_bounce(db, BounceEvent("crowd@example.org", None, None, "shop.example", "userunknown",
                                  "5.1.1", True, 1700000000.0, None, key, None), config)
""")


def _crowd(config: Config, keys: list[str]) -> None:
    open_state(config).close()  # create the database first, as a real spool has one
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(ROOT), config.spool, key, str(start),
                               config.database.url],
                              stderr=subprocess.PIPE) for key in keys]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()


def test_forty_concurrent_processes_on_one_address_count_forty(tmp_path: Path) -> None:
    config = configured(tmp_path)
    _crowd(config, [f"dsn-{i}" for i in range(40)])
    [row] = address_status(config, ["crowd@example.org"])
    assert row.hard_bounces == 40
    db = open_state(config, readonly=True)
    assert len(db.events("crowd@example.org")) == 40


def test_concurrent_redeliveries_of_one_bounce_count_once(tmp_path: Path) -> None:
    config = configured(tmp_path)
    _crowd(config, ["same-dsn"] * 12)
    [row] = address_status(config, ["crowd@example.org"])
    assert row.hard_bounces == 1
