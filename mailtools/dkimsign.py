"""DKIM signing with dkimpy, once per message at enqueue (never per recipient).

RSA and ed25519 keys both work (dkimpy tells them apart from the PEM); the
key is read once per process.
"""

from __future__ import annotations

from .config import Dkim
from .errors import ConfigError
from .fsutil import read_private

_keys: dict[str, bytes] = {}


def _key(path: str) -> bytes:
    if path not in _keys:
        _keys[path] = read_private(path, "dkim.key_file")
    return _keys[path]


def _algorithm(key: bytes) -> bytes:
    # An ed25519 private key for dkimpy is 32 bytes, base64 (44 chars), not PEM.
    return b"rsa-sha256" if b"-----BEGIN" in key else b"ed25519-sha256"


def sign(dkim_config: Dkim, message: bytes) -> bytes:
    """Return ``message`` (LF line ends) with a DKIM-Signature header prepended."""
    import dkim

    key = _key(dkim_config.key_file)
    crlf = message.replace(b"\n", b"\r\n")
    try:
        signature = dkim.sign(crlf, dkim_config.selector.encode(), dkim_config.domain.encode(), key,
                              signature_algorithm=_algorithm(key))
    except dkim.DKIMException as exc:
        raise ConfigError(f"DKIM signing failed (check dkim.key_file/selector/domain): {exc}") from None
    return signature.replace(b"\r\n", b"\n") + message
