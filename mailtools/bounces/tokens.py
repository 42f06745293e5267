"""Re-enable tokens: the link in a disable notice.

A signed token (mailtools.signing: ``<payload>.<mac>``, URL-safe) whose
payload names the address, the expiry (Unix seconds) and the disable it
belongs to; the purpose label keeps a VERP hash or an unsubscribe link from
ever passing as one. Used tokens are remembered (by the state layer) until
they expire, which makes each usable once.

A damaged or foreign token is ForgedToken (a page answers 400), an expired
or used one GoneToken (410); both are DataError (exit 65) to bounce-enable.
"""

from __future__ import annotations

from typing import NamedTuple

from ..signing import ForgedToken, GoneToken, sign, verify

PURPOSE = b"mailtools-reenable-v1"
WHAT = "this re-enable token"


def make_token(secret: bytes, address: str, expires: float, disabled_at: float | None = None) -> str:
    """A token that re-enables ``address`` once, until ``expires`` (Unix seconds).

    ``disabled_at`` binds it to one disable: once the address is re-enabled
    (or disabled again later), the tokens of older notices do nothing.
    """
    payload = f"{int(expires)}:{int(disabled_at or 0)}:{address.strip().lower()}"
    return sign(secret, PURPOSE, payload.encode())


class CheckedToken(NamedTuple):
    """A token whose signature and expiry were checked (not yet whether it was used)."""

    mac: str  # its MAC, base64url: the key under which the state layer remembers it used
    address: str
    expires: float
    episode: int  # the disable it belongs to (its disabled_at); 0 when it names none


def check_token(secret: bytes, token: str, now: float) -> CheckedToken:
    """What ``token`` says; ForgedToken if damaged or not ours, GoneToken if expired.

    Spending it (usable once) is the state layer's, in the same transaction
    as the enable: ``StateStore.enable_by_token``.
    """
    payload, mac = verify(secret, PURPOSE, token, WHAT)
    try:
        expiry_text, episode, address = payload.decode("utf-8").split(":", 2)
        expires, disabled_at = int(expiry_text), int(episode)
    except ValueError:  # also UnicodeDecodeError: signed by us, so a bug, but never a traceback
        raise ForgedToken(f"{WHAT} is damaged") from None
    if now >= expires:
        raise GoneToken(f"{WHAT} for {address} has expired; ask for a new one")
    return CheckedToken(mac, address, float(expires), disabled_at)
