"""Unsubscribe references: the https token and the mailto address of List-Unsubscribe.

The **token** (in ``[unsubscribe] url``'s ``{token}``) names the address, the
package the mail came from ("" for none) and the sending domain (whose
platform webhook hears of it), signed with the installation's secret. It
never expires (a newsletter read a year later still unsubscribes) and acting
on it twice is harmless, so, unlike a re-enable token, nothing about it is
stored.

The **mailto address** must reach bounce-ingest through the alias pipe
(Postfix's ``recipient_delimiter = -`` delivers ``<prefix>-anything@domain``
to the alias ``<prefix>``) and keep its local part within 64 characters, so
it carries a reference, not the token::

    <prefix>-unsub-<hash>.<mac>@<bounce domain>

``hash`` is the recipient's VERP hash of that message (the send log maps it
to recipient, package and sender); ``mac`` is HMAC-SHA256 of the hash under
its own purpose label, base32, lower case (MTAs may fold a local part's case).
The MAC keeps anyone who saw only the envelope sender (every relay logs it)
from unsubscribing the recipient. The '.' keeps it from parsing as a VERP
address. It works while the send log keeps the row (``retention.sent_days``);
the https link works for ever.
"""

from __future__ import annotations

import re
from collections import namedtuple

# mailtools.signing is imported where a token or MAC is made or checked: the pipe reaches this
# module for every message without a VERP address, and most of those are no unsubscribe.

PURPOSE = b"mailtools-unsubscribe-v1"
MAILTO_PURPOSE = b"mailtools-unsubscribe-mailto-v1"
MAILTO_TAG = "unsub"
MAILTO_MAC = 16  # base32 characters: 80 bits
MIN_MAILTO_MAC = 10  # fewer would make it guessable; then there is no mailto
MAX_LOCAL = 64
WHAT = "this unsubscribe link"
_MAILTO = re.compile(r"^(?P<prefix>[^@]+)-" + MAILTO_TAG + r"-(?P<hash>[a-z2-7]{8,16})\.(?P<mac>[a-z2-7]{10,16})$")


# What a token names: address; package_id ("" when the mail had none: the unsubscribe
# covers all mail); sending_domain ("" when unknown). collections' namedtuple, not
# typing's: mq-send --unsubscribe makes tokens, and typing costs its start-up ~2 ms.
UnsubscribeToken = namedtuple("UnsubscribeToken", "address package_id sending_domain")


def make_token(secret: bytes, address: str, package_id: str = "", sending_domain: str = "") -> str:
    from ..signing import sign

    payload = f"{package_id}:{sending_domain.lower()}:{address.strip().lower()}"
    return sign(secret, PURPOSE, payload.encode())


def read_token(secret: bytes, token: str) -> UnsubscribeToken:
    """What a token we signed names; ForgedToken otherwise."""
    from ..signing import ForgedToken, verify

    payload, _ = verify(secret, PURPOSE, token, WHAT)
    try:
        package_id, domain, address = payload.decode("utf-8").split(":", 2)
    except (UnicodeDecodeError, ValueError):
        raise ForgedToken(f"{WHAT} is damaged") from None
    if "@" not in address:
        raise ForgedToken(f"{WHAT} names no address")
    return UnsubscribeToken(address, package_id, domain)


def _mailto_mac(secret: bytes, verp_hash: str, length: int) -> str:
    import base64

    from ..signing import mac

    return base64.b32encode(mac(secret, MAILTO_PURPOSE, verp_hash.encode())).decode().lower()[:length]


def _mac_length(prefix: str, verp_hash: str) -> int:
    return min(MAILTO_MAC, MAX_LOCAL - len(f"{prefix}-{MAILTO_TAG}-{verp_hash}."))


def mailto_address(secret: bytes, prefix: str, verp_hash: str, domain: str) -> str | None:
    """The mailto address for one recipient of one message; None when the prefix leaves no room."""
    length = _mac_length(prefix, verp_hash)
    if length < MIN_MAILTO_MAC:
        return None
    return f"{prefix}-{MAILTO_TAG}-{verp_hash}.{_mailto_mac(secret, verp_hash, length)}@{domain}"


def parse_mailto(address: str, prefix: str) -> tuple[str, str] | None:
    """(hash, mac) of an address in the mailto form with our prefix; None for any other address."""
    local = address.strip().strip("<>").rpartition("@")[0].lower()
    found = _MAILTO.match(local)
    if found is None or found["prefix"] != prefix.lower():
        return None
    return found["hash"], found["mac"]


def mailto_valid(secret: bytes, prefix: str, verp_hash: str, given_mac: str) -> bool:
    """Whether ``given_mac`` is the one we made (of the full length: a shorter one is no easier to pass)."""
    import hmac

    length = _mac_length(prefix, verp_hash)
    return len(given_mac) == length and hmac.compare_digest(_mailto_mac(secret, verp_hash, length), given_mac)
