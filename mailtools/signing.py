"""Signed, URL-safe tokens: ``<payload>.<mac>``, both base64url without padding.

Only ``A-Z a-z 0-9 - _ .``, so a token goes into a URL or a shell unquoted.
The MAC is HMAC-SHA256 with the installation's secret over a purpose label and
the payload, truncated to 128 bits; the label keeps a token of one kind (a
re-enable link) from ever passing as another (an unsubscribe link, a VERP hash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from .errors import DataError

MAC_BYTES = 16
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class ForgedToken(DataError):
    """Damaged, cut or not signed with our secret (a web page answers 400)."""


class GoneToken(DataError):
    """Expired (``used`` False) or already used (a web page answers 410)."""

    def __init__(self, message: str, used: bool = False) -> None:
        super().__init__(message)
        self.used = used


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    if not text or not _ALPHABET.issuperset(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(secret: bytes, purpose: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, purpose + b"\0" + payload, hashlib.sha256).digest()[:MAC_BYTES]


def sign(secret: bytes, purpose: bytes, payload: bytes) -> str:
    return f"{b64(payload)}.{b64(mac(secret, purpose, payload))}"


def verify(secret: bytes, purpose: bytes, token: str, what: str) -> tuple[bytes, str]:
    """The payload and the MAC text of a token we signed; ForgedToken otherwise.

    ``what`` names the token in the error ("this unsubscribe link").
    """
    try:
        head, tail = token.strip().split(".")
        payload, given = unb64(head), unb64(tail)
    except ValueError:  # a wrong number of dots, or not base64url
        raise ForgedToken(f"{what} is damaged or incomplete (was the link cut?)") from None
    if not hmac.compare_digest(given, mac(secret, purpose, payload)):
        raise ForgedToken(f"{what} is not valid: its signature does not match")
    return payload, tail
