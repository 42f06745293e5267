"""The outbox as an admin sees it: bounce-status --outbox, bounce-sweep --replay, and its schema."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import WEBHOOK_DOMAIN, Cli, record_hard_bounce, spool_state, webhook_config, webhook_key_file

from mailtools.bounces import callbacks, outbox
from mailtools.config import parse_config
from mailtools.errors import DataError, UsageError
from mailtools.state import db_path, open_state


def test_ids_are_numbers_or_all() -> None:
    assert outbox.parse_ids(["12", "3", "12"]) == [3, 12]
    assert outbox.parse_ids(["all"]) is None
    for wrong in ([], ["ALL", "3"], ["x1"]):
        with pytest.raises(UsageError):
            outbox.parse_ids(wrong)


def test_replay_of_a_row_that_is_not_dead_changes_nothing(tmp_path: Path) -> None:
    config = parse_config({"spool": str(tmp_path / "spool"),
                           "platforms": {WEBHOOK_DOMAIN: {"webhook": "http://127.0.0.1:9/{address}"}}})
    state = open_state(config)
    try:
        record_hard_bounce(state, config, "a@example.org", "k1")
        record_hard_bounce(state, config, "b@example.org", "k2")
        first, second = state.outbox()
        state.give_up_callback(first.id, time.time(), "HTTP 410")
    finally:
        state.close()
    with pytest.raises(DataError, match=f"not a dead letter: {second.id} \\(pending\\), 99 \\(no such row\\)"):
        outbox.replay(config, [str(first.id), str(second.id), "99"], time.time())
    assert [row["state"] for row in outbox.list_outbox(config)] == ["dead", "pending"]


def test_a_schema_3_database_is_upgraded_with_its_outbox_kept(tmp_path: Path) -> None:
    """A database made before issue 15 (no given_up column, no figures table) opens and keeps its rows."""
    url = "sqlite:///" + db_path(str(tmp_path / "spool"))
    config = parse_config({"platforms": {WEBHOOK_DOMAIN: {"webhook": "http://127.0.0.1:9/{address}"}}})
    state = open_state(url)
    record_hard_bounce(state, config)
    state.close()
    conn = sqlite3.connect(db_path(str(tmp_path / "spool")))
    conn.executescript("ALTER TABLE callbacks DROP COLUMN given_up; DROP TABLE figures;"
                       " UPDATE schema_version SET version = 3;")
    conn.close()
    state = open_state(url)
    try:
        [kept] = state.outbox()
        assert kept.given_up is None and kept.address == "ann+x/y@example.org"
        assert state.figures().outbox == {"pending": 1} and state.figures().stored == []
    finally:
        state.close()


def test_outbox_listing_and_replay_commands(tmp_path: Path, receiver) -> None:
    key = webhook_key_file(tmp_path)
    config_path = tmp_path / "mailtools.toml"
    config_path.write_text(f'[platforms."{WEBHOOK_DOMAIN}"]\nwebhook = "{receiver.url}"\nsecret_file = "{key}"\n')
    spool = tmp_path / "spool"
    cli = Cli(spool, config_path)
    db = spool_state(spool)
    config = webhook_config(receiver.url, key)
    try:
        for number in range(3):
            record_hard_bounce(db, config, f"a{number}@example.org", f"k{number}")
        receiver.answers = [410, 500, 404]
        callbacks.run_pending(db, config, time.time())
    finally:
        db.close()
    rows = cli.json_lines("bounce-status", "--outbox")
    assert [(r["address"], r["state"], r["attempts"]) for r in rows] == [
        ("a0@example.org", "dead", 1), ("a1@example.org", "retrying", 1), ("a2@example.org", "dead", 1)]
    dead, retrying = rows[0], rows[1]
    assert dead["next_try"] is None and dead["given_up"] and "HTTP 410" in dead["last_error"]
    assert retrying["next_try"] > time.time() and retrying["given_up"] is None
    assert dead["kind"] == "bounce" and dead["target"] == "webhook" and dead["platform"] == WEBHOOK_DOMAIN
    text = cli("bounce-status", "--outbox").stdout.decode()
    assert "dead" in text and "HTTP 404" in text and "a1@example.org" in text

    # An id that is not a dead letter changes nothing: 65, naming it.
    refused = cli("bounce-sweep", "--replay", str(dead["id"]), str(retrying["id"]))
    assert refused.returncode == 65 and str(retrying["id"]) in refused.stderr.decode()
    assert cli("bounce-sweep", "--replay").returncode == 64

    done = cli("bounce-sweep", "--replay", str(dead["id"]), "--json")
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout) == {"replayed": [dead["id"]], "delivered": 1}
    assert [r["state"] for r in cli.json_lines("bounce-status", "--outbox")] == ["retrying", "dead"]
    done = cli("bounce-sweep", "--replay", "ALL", "--json")
    assert json.loads(done.stdout) == {"replayed": [rows[2]["id"]], "delivered": 1}
    assert [r["state"] for r in cli.json_lines("bounce-status", "--outbox")] == ["retrying"]
    assert sum(r.verified for r in receiver.received) == 5
