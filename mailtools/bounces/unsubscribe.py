"""Unsubscribe tokens: the https link and the mailto address of List-Unsubscribe.

A token names the address and the package the mail came from ("" for none),
signed with the installation's secret. It never expires (a newsletter read a
year later still unsubscribes) and acting on it twice is harmless, so, unlike a
re-enable token, nothing about it is stored.
"""

from __future__ import annotations

from ..signing import ForgedToken, sign, verify

PURPOSE = b"mailtools-unsubscribe-v1"
WHAT = "this unsubscribe link"


def make_token(secret: bytes, address: str, package_id: str = "") -> str:
    return sign(secret, PURPOSE, f"{package_id}:{address.strip().lower()}".encode())


def read_token(secret: bytes, token: str) -> tuple[str, str]:
    """(address, package_id) of a token we signed; ForgedToken otherwise."""
    payload, _ = verify(secret, PURPOSE, token, WHAT)
    try:
        package_id, address = payload.decode("utf-8").split(":", 1)
    except (UnicodeDecodeError, ValueError):
        raise ForgedToken(f"{WHAT} is damaged") from None
    if "@" not in address:
        raise ForgedToken(f"{WHAT} names no address")
    return address, package_id
