"""Webhooks against a real receiver on loopback that checks README's signature example.

The receiver (tests/httpreceiver.py) verifies each POST with the ``verify``
function copied out of README.md, refuses a bad signature with 401, and
answers 500, 410, 429 or nothing at all as a test scripts it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import WEBHOOK_DOMAIN, record_hard_bounce, spool_state, webhook_config, webhook_key_file
from ingest_support import TestSpool, make_dsn, run_pipe

from mailtools.bounces import callbacks, webhooks
from mailtools.bounces.records import BounceEvent, record_bounce
from mailtools.config import parse_config
from mailtools.state import db_path, open_state


@pytest.fixture
def state(tmp_path: Path):
    db = open_state("sqlite:///" + db_path(str(tmp_path / "spool")))
    yield db
    db.close()


def test_a_signed_event_verifies_with_the_readme_example(state, tmp_path: Path, receiver) -> None:
    config = webhook_config(receiver.url, webhook_key_file(tmp_path))
    record_hard_bounce(state, config)
    now = time.time()
    assert callbacks.run_pending(state, config, now) == 1
    [got] = receiver.received
    assert got.verified is True
    assert got.path == "/emails/ann%2Bx%2Fy%40example.org/suspend"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Mailtools-Signature"].startswith(f"t={int(now)},v1=")
    event = got.event
    assert list(event) == ["id", "type", "address", "reason", "hard", "message_id", "package_id", "time",
                           "user_id", "status"]
    assert event["type"] == "bounce" and event["address"] == "ann+x/y@example.org" and event["hard"] is True
    assert event["reason"] == "userunknown" and event["message_id"] == "<m1@shop.example>"
    assert event["package_id"] == "7" and event["user_id"] == "42" and event["status"] == "5.1.1"
    assert len(event["id"]) == 32 and int(event["id"], 16) >= 0
    assert state.outbox() == []


def test_a_wrong_secret_is_refused_by_the_receiver_and_kept_as_a_dead_letter(state, tmp_path: Path,
                                                                              receiver) -> None:
    config = webhook_config(receiver.url, webhook_key_file(tmp_path, b"not-the-platforms-key"))
    record_hard_bounce(state, config)
    now = time.time()
    assert callbacks.run_pending(state, config, now) == 0
    assert [r.verified for r in receiver.received] == [False]
    [dead] = state.outbox()
    assert dead.given_up == now and dead.attempts == 1 and "HTTP 401" in dead.last_error
    assert callbacks.run_pending(state, config, now + 86400) == 0  # a dead letter is not retried
    assert len(receiver.received) == 1
    # The admin fixes the key and replays it: the same event, with the same id, now verifies.
    webhook_key_file(tmp_path)
    assert state.replay_callbacks([dead.id], now) == [dead.id]
    assert callbacks.run_pending(state, config, time.time()) == 1
    first, second = receiver.received
    assert second.verified is True and second.event["id"] == first.event["id"]
    assert state.outbox() == []


def test_unsigned_without_a_secret_file(state, receiver) -> None:
    receiver.secret = None  # a receiver that does not check
    config = webhook_config(receiver.url, None)
    record_hard_bounce(state, config)
    assert callbacks.run_pending(state, config, time.time()) == 1
    [got] = receiver.received
    assert "Mailtools-Signature" not in got.headers and got.event["type"] == "bounce"


def test_500_is_retried_with_backoff_and_the_same_id(state, tmp_path: Path, receiver) -> None:
    config = webhook_config(receiver.url, webhook_key_file(tmp_path))
    record_hard_bounce(state, config)
    receiver.answers = [500, 503]
    now = time.time()
    assert callbacks.run_pending(state, config, now) == 0
    [waiting] = state.outbox()
    assert waiting.attempts == 1 and waiting.next_try == now + callbacks.MIN_BACKOFF
    assert waiting.given_up is None and "HTTP 500" in waiting.last_error
    assert callbacks.run_pending(state, config, now + 1) == 0  # not due: not tried
    assert len(receiver.received) == 1
    assert callbacks.run_pending(state, config, now + callbacks.MIN_BACKOFF) == 0
    assert state.outbox()[0].next_try == now + 3 * callbacks.MIN_BACKOFF  # the delay doubled
    assert callbacks.run_pending(state, config, time.time() + 3 * callbacks.MIN_BACKOFF) == 1
    assert [r.verified for r in receiver.received] == [True, True, True]
    assert len({r.event["id"] for r in receiver.received}) == 1  # one event, whatever the retries
    assert state.outbox() == []


def test_410_gone_is_a_dead_letter_until_replayed(state, tmp_path: Path, receiver) -> None:
    config = webhook_config(receiver.url, webhook_key_file(tmp_path))
    record_hard_bounce(state, config)
    receiver.answers = [410]
    now = time.time()
    assert callbacks.run_pending(state, config, now) == 0
    [dead] = state.outbox()
    assert dead.given_up == now and "HTTP 410" in dead.last_error and "no" in dead.last_error
    assert state.figures().outbox == {"dead": 1}
    assert state.replay_callbacks(None, now + 5) == [dead.id]
    [back] = state.outbox()
    assert back.given_up is None and back.attempts == 0 and back.next_try == now + 5
    assert callbacks.run_pending(state, config, time.time() + 5) == 1
    assert state.outbox() == [] and len(receiver.received) == 2


@pytest.mark.parametrize("status", [408, 429, 302])
def test_408_429_and_redirects_are_retried_not_given_up(state, tmp_path: Path, receiver, status: int) -> None:
    config = webhook_config(receiver.url, webhook_key_file(tmp_path))
    record_hard_bounce(state, config)
    receiver.answers = [(status, {"Location": "http://elsewhere.example/"} if status == 302 else {})]
    assert callbacks.run_pending(state, config, time.time()) == 0
    [waiting] = state.outbox()
    assert waiting.given_up is None and f"HTTP {status}" in waiting.last_error


def test_retry_after_is_honoured_when_longer_than_the_backoff(state, tmp_path: Path, receiver) -> None:
    config = webhook_config(receiver.url, webhook_key_file(tmp_path))
    record_hard_bounce(state, config)
    receiver.answers = [(429, {"Retry-After": "900"})]
    now = time.time()
    callbacks.run_pending(state, config, now)
    assert state.outbox()[0].next_try == now + 900


def test_a_hanging_endpoint_costs_at_most_the_budget(state, tmp_path: Path, receiver) -> None:
    config = webhook_config(receiver.url, webhook_key_file(tmp_path), timeout=30)
    record_hard_bounce(state, config)
    receiver.answers = ["hang"]
    started = time.monotonic()
    assert callbacks.run_pending(state, config, time.time(), budget_seconds=1) == 0
    took = time.monotonic() - started
    assert 0.9 < took < 2.5, took  # the 30 s callback_timeout was cut to the 1 s budget
    [waiting] = state.outbox()
    assert waiting.attempts == 1 and "no answer within 1s" in waiting.last_error and waiting.given_up is None


def test_given_up_after_max_attempts(state, receiver) -> None:
    receiver.secret = None  # the policy clock runs days ahead here: a signature's t would not be fresh
    config = webhook_config(receiver.url, None)
    record_hard_bounce(state, config)
    receiver.answers = [500] * callbacks.MAX_ATTEMPTS
    now = time.time()
    for _ in range(callbacks.MAX_ATTEMPTS):
        callbacks.run_pending(state, config, now)
        now += callbacks.MAX_BACKOFF
    assert len(receiver.received) == callbacks.MAX_ATTEMPTS
    [dead] = state.outbox()
    assert dead.given_up is not None and f"gave up after {callbacks.MAX_ATTEMPTS} attempts" in dead.last_error


def test_an_unreadable_secret_file_is_retried_naming_the_key(state, tmp_path: Path, receiver) -> None:
    config = webhook_config(receiver.url, tmp_path / "missing.key")
    record_hard_bounce(state, config)
    assert callbacks.run_pending(state, config, time.time()) == 0
    [waiting] = state.outbox()
    assert "platforms.shop.example.secret_file" in waiting.last_error and waiting.given_up is None
    assert receiver.received == []  # never sent unsigned when a signature was asked for


def test_a_webhook_removed_from_the_config_is_kept_as_a_dead_letter(state, receiver) -> None:
    config = webhook_config(receiver.url, None)
    record_hard_bounce(state, config)
    assert callbacks.run_pending(state, parse_config({}), time.time()) == 0
    [dead] = state.outbox()
    assert dead.given_up is not None and "no webhook configured for platform shop.example" in dead.last_error


def test_a_closed_port_is_retried(state) -> None:
    config = parse_config({"bounce": {"callback_timeout": 2},
                           "platforms": {WEBHOOK_DOMAIN: {"webhook": "http://127.0.0.1:9/{address}"}}})
    record_hard_bounce(state, config)
    assert callbacks.run_pending(state, config, time.time()) == 0
    [waiting] = state.outbox()
    assert waiting.attempts == 1 and waiting.given_up is None and "POST http://127.0.0.1:9/" in waiting.last_error


def test_a_soft_bounce_calls_no_webhook(state, receiver) -> None:
    config = webhook_config(receiver.url, None)
    event = BounceEvent("full@example.org", "42", "7", WEBHOOK_DOMAIN, "mailboxfull", "4.2.2", False, time.time(),
                        "<m2@shop.example>", "soft1", None)
    assert record_bounce(state, event, config)
    assert state.outbox() == [] and callbacks.run_pending(state, config, time.time()) == 0


def test_complaints_and_unsubscribes_reach_the_webhook_soft_bounces_do_not(receiver) -> None:
    config = webhook_config(receiver.url, None)
    for kind in ("complaint", "unsubscribe"):
        assert [t.target for t in callbacks.targets(config, kind, None, WEBHOOK_DOMAIN)] == ["webhook"]
    assert callbacks.targets(config, "bounce", None, WEBHOOK_DOMAIN, hard=False) == []


def test_the_signature_is_hmac_sha256_over_t_dot_body() -> None:
    # The receiver's side written out once more, from the header's definition (DESIGN).
    import hashlib
    import hmac

    header = webhooks.signature(b"k", 1700000000, b'{"a":1}')
    assert header == "t=1700000000,v1=" + hmac.new(b"k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()


# -- the alias pipe, as Postfix runs it -------------------------------------

def test_the_pipe_with_a_hanging_endpoint_exits_0_within_its_budget(tmp_path: Path, receiver) -> None:
    spool = TestSpool(tmp_path / "spool")
    key = webhook_key_file(tmp_path)
    spool.config.write_text(f'spool = "{spool.root}"\n[bounce]\ncallback_timeout = 30\n'
                            f'[platforms."example.org"]\nwebhook = "{receiver.url}"\nsecret_file = "{key}"\n')
    receiver.answers = ["hang"]
    sent = spool.send("gone@remote.test")
    started = time.monotonic()
    proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert took < 5 + 2.5, took  # the pipe's 5 s callback budget (pipe.CALLBACK_BUDGET), not the 30 s timeout
    assert spool.counts("gone@remote.test") == (1, 0)
    [got] = receiver.received
    assert got.verified is True and got.event["address"] == "gone@remote.test"
    db = spool_state(spool.root)
    try:
        [waiting] = db.outbox()
    finally:
        db.close()
    assert waiting.attempts == 1 and "no answer within" in waiting.last_error
