"""Re-enable tokens: the link in a disable notice.

``<payload>.<mac>``, both base64url without padding (only ``A-Z a-z 0-9 - _ .``,
so the token goes into a URL or a shell unquoted). The payload names the
address, the expiry (Unix seconds) and the disable it belongs to; the MAC is HMAC-SHA256 with the
spool's secret, truncated to 128 bits, over a purpose label and the payload,
so a VERP hash can never be replayed as a token. Used tokens are remembered
(``tokens_used``) until they expire, which makes each usable once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sqlite3

from ..errors import DataError

PURPOSE = b"mailtools-reenable-v1\0"
MAC_BYTES = 16
SCHEMA = ("CREATE TABLE IF NOT EXISTS tokens_used (mac TEXT PRIMARY KEY, address TEXT NOT NULL,"
          " expires REAL NOT NULL, used_at REAL NOT NULL) WITHOUT ROWID")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, PURPOSE + payload, hashlib.sha256).digest()[:MAC_BYTES]


def make_token(secret: bytes, address: str, expires: float, disabled_at: float | None = None) -> str:
    """A token that re-enables ``address`` once, until ``expires`` (Unix seconds).

    ``disabled_at`` binds it to one disable: once the address is re-enabled
    (or disabled again later), the tokens of older notices do nothing.
    """
    payload = f"{int(expires)}:{int(disabled_at or 0)}:{address.strip().lower()}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def disabled_at_of(token: str) -> int:
    """The disable a (checked) token belongs to; 0 when it names none."""
    return int(_unb64(token.strip().split(".")[0]).decode("utf-8").split(":", 2)[1])


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)


def check_token(secret: bytes, conn: sqlite3.Connection, token: str, now: float) -> str:
    """The address ``token`` names; mark it used. DataError (exit 65) if forged, expired or reused.

    The mark is written in the caller's transaction when there is one (so
    "used" and "enabled" commit together), otherwise at once.
    """
    token = token.strip()
    try:
        head, tail = token.split(".")
        payload, mac = _unb64(head), _unb64(tail)
        expiry_text, episode, address = payload.decode("utf-8").split(":", 2)
        expires, _ = int(expiry_text), int(episode)
    except ValueError:  # also UnicodeDecodeError and a wrong number of dots
        raise DataError("this re-enable token is damaged or incomplete (was the link cut?)") from None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise DataError("this re-enable token is not valid: its signature does not match")
    if now >= expires:
        raise DataError(f"this re-enable token for {address} has expired; ask for a new one")
    ensure_schema(conn)
    try:
        conn.execute("INSERT INTO tokens_used VALUES (?, ?, ?, ?)", (tail, address, float(expires), now))
    except sqlite3.IntegrityError:
        raise DataError(f"this re-enable token for {address} has already been used") from None
    return address


def purge_used(conn: sqlite3.Connection, now: float) -> int:
    """Forget used tokens that have expired: they are refused as expired anyway."""
    ensure_schema(conn)
    return conn.execute("DELETE FROM tokens_used WHERE expires <= ?", (now,)).rowcount
