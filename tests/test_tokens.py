"""Re-enable tokens: signed, naming the address and expiry, URL-safe, usable once."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from mailtools import state
from mailtools.bounces.records import BounceEvent, address_status, enable_by_token, record_bounce
from mailtools.bounces.tokens import check_token, ensure_schema, make_token
from mailtools.config import parse_config
from mailtools.errors import EX_DATAERR, DataError

SECRET = b"0123456789abcdef" * 4
T0 = 1_700_000_000.0


@pytest.fixture
def conn(tmp_path: Path):
    connection = state.connect(str(tmp_path / "spool"))
    yield connection
    connection.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip_and_url_safe(conn) -> None:
    token = make_token(SECRET, "Ann+tag@Example.org", T0 + 60)
    assert re.fullmatch(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", token)
    assert check_token(SECRET, conn, token, T0) == "ann+tag@example.org"


def test_reuse_is_refused(conn) -> None:
    token = make_token(SECRET, "a@example.org", T0 + 60)
    check_token(SECRET, conn, token, T0)
    with pytest.raises(DataError, match="already been used"):
        check_token(SECRET, conn, token, T0 + 1)


def test_expiry_is_exact(conn) -> None:
    token = make_token(SECRET, "a@example.org", T0 + 60)
    with pytest.raises(DataError, match="expired"):
        check_token(SECRET, conn, token, T0 + 60)
    assert check_token(SECRET, conn, token, T0 + 59) == "a@example.org"


@pytest.mark.parametrize("tamper", ["address", "expiry", "mac", "secret", "truncated", "garbage", "dots"])
def test_forged_tokens_are_refused_and_change_nothing(conn, tamper: str) -> None:
    token = make_token(SECRET, "a@example.org", T0 + 60)
    head, mac = token.split(".")
    secret = SECRET
    if tamper == "address":
        token = f"{_b64(f'{int(T0 + 60)}:b@example.org'.encode())}.{mac}"
    elif tamper == "expiry":
        token = f"{_b64(f'{int(T0 + 10**8)}:a@example.org'.encode())}.{mac}"
    elif tamper == "mac":
        token = f"{head}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"
    elif tamper == "secret":
        secret = b"another secret, just as long!!!!"
    elif tamper == "truncated":
        token = token[:-5]
    elif tamper == "garbage":
        token = "<script>.alert"
    else:
        token = token + ".x"
    ensure_schema(conn)
    with pytest.raises(DataError) as raised:
        check_token(secret, conn, token, T0)
    assert raised.value.exit_code == EX_DATAERR
    assert conn.execute("SELECT count(*) FROM tokens_used").fetchone()[0] == 0


def test_bad_token_leaves_the_address_disabled(conn) -> None:
    config = parse_config({})
    record_bounce(conn, BounceEvent("a@example.org", None, None, None, "userunknown", "5.1.1", True, T0,
                                    None, "k", None), config)
    conn.execute("UPDATE addresses SET disabled = 1")
    expired = make_token(SECRET, "a@example.org", T0)
    with pytest.raises(DataError):
        enable_by_token(conn, config, SECRET, expired, T0 + 1)
    assert address_status(conn, ["a@example.org"])[0]["disabled"] is True
    good = make_token(SECRET, "a@example.org", T0 + 100)
    assert enable_by_token(conn, config, SECRET, good, T0 + 1)["was_disabled"] is True
    assert address_status(conn, ["a@example.org"])[0]["disabled"] is False
    with pytest.raises(DataError, match="already"):
        enable_by_token(conn, config, SECRET, good, T0 + 2)
