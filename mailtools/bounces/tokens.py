"""Re-enable tokens: the link in a disable notice.

``<payload>.<mac>``, both base64url without padding (only ``A-Z a-z 0-9 - _ .``,
so the token goes into a URL or a shell unquoted). The payload names the
address, the expiry (Unix seconds) and the disable it belongs to; the MAC is HMAC-SHA256 with the
spool's secret, truncated to 128 bits, over a purpose label and the payload,
so a VERP hash can never be replayed as a token. Used tokens are remembered
(by the state layer) until they expire, which makes each usable once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from ..errors import DataError

PURPOSE = b"mailtools-reenable-v1\0"
MAC_BYTES = 16


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


@dataclass(frozen=True)
class CheckedToken:
    """A token whose signature and expiry were checked (not yet whether it was used)."""

    mac: str  # its MAC, base64url: the key under which the state layer remembers it used
    address: str
    expires: float
    episode: int  # the disable it belongs to (its disabled_at); 0 when it names none


def check_token(secret: bytes, token: str, now: float) -> CheckedToken:
    """What ``token`` says; DataError (exit 65) if forged or expired.

    Spending it (usable once) is the state layer's, in the same transaction
    as the enable: ``StateStore.enable_by_token``.
    """
    token = token.strip()
    try:
        head, tail = token.split(".")
        payload, mac = _unb64(head), _unb64(tail)
        expiry_text, episode, address = payload.decode("utf-8").split(":", 2)
        expires, disabled_at = int(expiry_text), int(episode)
    except ValueError:  # also UnicodeDecodeError and a wrong number of dots
        raise DataError("this re-enable token is damaged or incomplete (was the link cut?)") from None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise DataError("this re-enable token is not valid: its signature does not match")
    if now >= expires:
        raise DataError(f"this re-enable token for {address} has expired; ask for a new one")
    return CheckedToken(tail, address, float(expires), disabled_at)
