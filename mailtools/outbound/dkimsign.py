"""DKIM signing with dkimpy: once per message at enqueue, or per recipient for per-recipient headers.

RSA and ed25519 keys both work (dkimpy tells them apart from the PEM); the
key is read once per process.
"""

from __future__ import annotations

import threading

from ..config import Dkim
from ..errors import ConfigError
from ..fsutil import read_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

_keys: dict[str, bytes] = {}
_import_lock = threading.Lock()


def _key(path: str) -> bytes:
    if path not in _keys:
        _keys[path] = read_private(path, "dkim.key_file")
    return _keys[path]


def _import_dkim() -> ModuleType:
    """dkimpy without its DNS resolver: signing looks nothing up.

    ``import dkim`` pulls in dnspython for verification (~45 ms of the ~65 ms
    it costs), and mq-send signs once per call. dkimpy copes with no resolver.
    """
    import sys

    # Under the lock: mq-flush signs per recipient in its SMTP threads, and a second
    # thread must not take the half-imported module the first is still running.
    with _import_lock:
        if "dkim" in sys.modules:
            return sys.modules["dkim"]
        block = "dns" not in sys.modules
        if block:
            sys.modules["dns"] = None  # type: ignore[assignment]  # makes "import dns" fail at once
        try:
            import dkim
        finally:
            if block:
                del sys.modules["dns"]
        return dkim


def _algorithm(key: bytes) -> bytes:
    # An ed25519 private key for dkimpy is 32 bytes, base64 (44 chars), not PEM.
    return b"rsa-sha256" if b"-----BEGIN" in key else b"ed25519-sha256"


def sign(dkim_config: Dkim, message: bytes) -> bytes:
    """Return ``message`` (LF line ends) with a DKIM-Signature header prepended."""
    dkim = _import_dkim()
    key = _key(dkim_config.key_file)
    crlf = message.replace(b"\n", b"\r\n")
    try:
        signer = dkim.DKIM(crlf)
        # RFC 8058: List-Unsubscribe-Post must be signed too; dkimpy's default list leaves it out.
        signer.should_sign.add(b"list-unsubscribe-post")
        signature = signer.sign(dkim_config.selector.encode(), dkim_config.domain.encode(), key,
                                signature_algorithm=_algorithm(key))
    except (dkim.DKIMException, ValueError, TypeError) as exc:
        # A key that is not one (truncated, another format: binascii, nacl and dkimpy
        # each raise their own) is the configuration's fault, not a bug (70).
        raise ConfigError(f"config key 'dkim.key_file': {dkim_config.key_file} is not a usable DKIM private key "
                          f"(RSA PEM or base64 ed25519) for selector {dkim_config.selector!r}, domain "
                          f"{dkim_config.domain!r}: {exc or type(exc).__name__}") from None
    return signature.replace(b"\r\n", b"\n") + message
