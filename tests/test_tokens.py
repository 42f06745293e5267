"""Re-enable tokens: signed, naming the address and expiry, URL-safe, usable once."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from mailtools.bounces.records import BounceEvent, address_status, enable_by_token, record_bounce
from mailtools.bounces.tokens import check_token, make_token
from mailtools.config import Config, parse_config
from mailtools.errors import EX_DATAERR, DataError
from mailtools.secret import load_secret
from mailtools.state import open_state

SECRET = b"0123456789abcdef" * 4
T0 = 1_700_000_000.0


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return parse_config({"spool": str(tmp_path / "spool")})


@pytest.fixture
def conn(config: Config):
    db = open_state(config)
    yield db
    db.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _disabled(conn, config: Config, address: str = "a@example.org") -> None:
    """``address`` disabled by the daily policy at T0 (11 hard bounces, a sweep)."""
    for i in range(11):
        record_bounce(conn, BounceEvent(address, None, None, None, "userunknown", "5.1.1", True, T0 - 100 + i,
                                        None, f"k{i}", None), config)
    assert len(conn.sweep_disable(T0, 10, [])) == 1


def test_round_trip_and_url_safe() -> None:
    token = make_token(SECRET, "Ann+tag@Example.org", T0 + 60, T0)
    assert re.fullmatch(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", token)
    checked = check_token(SECRET, token, T0)
    assert (checked.address, checked.expires, checked.episode) == ("ann+tag@example.org", T0 + 60, T0)


def test_expiry_is_exact() -> None:
    token = make_token(SECRET, "a@example.org", T0 + 60)
    with pytest.raises(DataError, match="expired"):
        check_token(SECRET, token, T0 + 60)
    assert check_token(SECRET, token, T0 + 59).address == "a@example.org"


@pytest.mark.parametrize("tamper", ["address", "expiry", "mac", "secret", "truncated", "garbage", "dots"])
def test_forged_tokens_are_refused_and_change_nothing(conn, config: Config, tamper: str) -> None:
    _disabled(conn, config)
    secret = load_secret(config.spool)
    token = make_token(secret, "a@example.org", T0 + 60)
    head, mac = token.split(".")
    if tamper == "address":
        token = f"{_b64(f'{int(T0 + 60)}:0:b@example.org'.encode())}.{mac}"
    elif tamper == "expiry":
        token = f"{_b64(f'{int(T0 + 10**8)}:0:a@example.org'.encode())}.{mac}"
    elif tamper == "mac":
        token = f"{head}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"
    elif tamper == "secret":
        token = make_token(b"another secret, just as long!!!!", "a@example.org", T0 + 60)
    elif tamper == "truncated":
        token = token[:-5]
    elif tamper == "garbage":
        token = "<script>.alert"
    else:
        token = token + ".x"
    with pytest.raises(DataError) as raised:
        enable_by_token(config, token, T0)
    assert raised.value.exit_code == EX_DATAERR
    assert address_status(config, ["a@example.org"])[0].disabled is True
    assert conn.is_suppressed(["a@example.org"]) == {"a@example.org": "bounce"}


def test_bad_token_leaves_the_address_disabled_and_a_good_one_works_once(conn, config: Config) -> None:
    _disabled(conn, config)
    secret = load_secret(config.spool)
    expired = make_token(secret, "a@example.org", T0, T0)
    with pytest.raises(DataError, match="expired"):
        enable_by_token(config, expired, T0 + 1)
    assert address_status(config, ["a@example.org"])[0].disabled is True
    good = make_token(secret, "a@example.org", T0 + 100, T0)
    assert enable_by_token(config, good, T0 + 1).was_disabled is True
    assert address_status(config, ["a@example.org"])[0].disabled is False
    assert conn.is_suppressed(["a@example.org"]) == {}
    with pytest.raises(DataError, match="already been used"):
        enable_by_token(config, good, T0 + 2)


def test_a_token_lifts_only_the_bounce_suppression_it_was_sent_for(conn, config: Config) -> None:
    """DESIGN "Suppression": a notice's token lifts only the bounce one; a manual one stays."""
    conn.suppress("m@example.org", "manual", "bounce-disable", T0)
    secret = load_secret(config.spool)
    with pytest.raises(DataError, match="earlier notice"):
        enable_by_token(config, make_token(secret, "m@example.org", T0 + 100, T0), T0 + 1)
    assert conn.is_suppressed(["m@example.org"]) == {"m@example.org": "manual"}
    enable_by_token(config, make_token(secret, "m@example.org", T0 + 100), T0 + 1)  # a token of no disable
    assert conn.is_suppressed(["m@example.org"]) == {"m@example.org": "manual"}
