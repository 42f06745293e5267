"""Per-recipient bounce addresses (VERP) in the OpenACS Mail Lite form.

``<prefix>-<user_id>-<hash>-<package_id>@<domain>``. The hash is an HMAC, with
the spool's secret, over user id, package id, the Message-ID and the
recipient, so a bounce is verified from its envelope address alone (through
the send log) and two recipients sharing a user id still get distinct
addresses. Missing ids are written ``0``.
"""

from __future__ import annotations

import re

from ..errors import UsageError

MAX_LOCAL = 64
HASH_LEN = 16
MIN_HASH_LEN = 8
ID_RE = re.compile(r"^[A-Za-z0-9_.=+]{1,40}$")


class VerpAddress:
    def __init__(self, prefix: str, user_id: str, hash: str, package_id: str, domain: str) -> None:  # noqa: A002
        self.prefix, self.user_id, self.hash, self.package_id, self.domain = prefix, user_id, hash, package_id, domain

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerpAddress) and self.address == other.address

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"VerpAddress({self.address!r})"

    @property
    def address(self) -> str:
        return f"{self.prefix}-{self.user_id}-{self.hash}-{self.package_id}@{self.domain}"


class NullSender:
    """The envelope sender of a message queued with ``-f '<>'``: MAIL FROM:<>, no VERP.

    The caller asked that nothing bounce back (an auto-reply, a notice about a
    bounce); a VERP address would invite exactly that. Nothing goes into the
    send log either: no bounce can name it.
    """

    address = ""
    hash = ""


def check_id(value: str | None, what: str) -> str:
    """An id must not contain '-' (the separator) or anything odd."""
    if value is None or value == "":
        return "0"
    if not ID_RE.match(value):
        raise UsageError(f"{what} {value!r}: use 1-40 letters, digits or _ . = + (no '-')")
    return value


def compute_hash(secret: bytes, user_id: str, package_id: str, message_id: str,
                 recipient: str, length: int = HASH_LEN) -> str:
    import base64  # hashing is imported when used: mq-send only checks ids
    import hashlib
    import hmac

    data = "\0".join((user_id, package_id, message_id or "", recipient.lower())).encode()
    digest = hmac.new(secret, data, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:length]


def hash_length(prefix: str, user_id: str | None, package_id: str | None) -> int:
    """How long the hash can be in a local part of at most MAX_LOCAL; UsageError when too short.

    mq-send checks this too: a message accepted with ids that leave no room
    would fail every mq-flush that picks it up.
    """
    uid, pid = check_id(user_id, "user id"), check_id(package_id, "package id")
    length = min(HASH_LEN, MAX_LOCAL - len(prefix) - len(uid) - len(pid) - 3)
    if length < MIN_HASH_LEN:
        raise UsageError(f"bounce prefix, user id and package id leave no room for the hash "
                         f"in a {MAX_LOCAL}-character local part")
    return length


def make(secret: bytes, prefix: str, domain: str, user_id: str | None, package_id: str | None,
         message_id: str, recipient: str) -> VerpAddress:
    length = hash_length(prefix, user_id, package_id)
    uid, pid = check_id(user_id, "user id"), check_id(package_id, "package id")
    return VerpAddress(prefix, uid, compute_hash(secret, uid, pid, message_id, recipient, length), pid, domain)


def parse(address: str, prefix: str | None = None) -> VerpAddress | None:
    """Decode a VERP address; None when it is not one (or not ours)."""
    address = address.strip().strip("<>")
    local, at, domain = address.rpartition("@")
    if not at:
        return None
    parts = local.rsplit("-", 3)
    if len(parts) != 4:
        return None
    pfx, uid, digest, pid = parts
    if prefix is not None and pfx.lower() != prefix.lower():
        return None
    if not (ID_RE.match(uid) and ID_RE.match(pid) and re.fullmatch(r"[a-z2-7]{8,16}", digest.lower())):
        return None
    return VerpAddress(pfx, uid, digest.lower(), pid, domain.lower())


def verify(secret: bytes, verp: VerpAddress, message_id: str, recipient: str) -> bool:
    import hmac

    expected = compute_hash(secret, verp.user_id, verp.package_id, message_id, recipient, len(verp.hash))
    return hmac.compare_digest(expected, verp.hash)
