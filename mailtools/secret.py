"""The installation's secret: signs VERP addresses and re-enable tokens.

By default ``<spool>/secret``, created on first use (32 random bytes, mode
0600). Hosts that share a database share one secret (config ``secret_file``):
a bounce signed on one host is verified on another. A ``secret_file`` that is
named but missing is an error, never made anew: a host that made its own
would sign what no other host can verify. Loose permissions are fixed and
reported, not silently accepted: anyone who reads it can forge bounces and
re-enable tokens.
"""

from __future__ import annotations

import os
import stat

from .errors import ConfigError, PermissionDenied
from .fsutil import spool_error

_cache: dict[str, bytes] = {}


def secret_path(spool_root: str, secret_file: str = "") -> str:
    """config ``secret_file`` when set (shared by hosts), else the spool's own."""
    return secret_file or os.path.join(spool_root, "secret")


def load_secret(spool_root: str, create: bool = True, secret_file: str = "") -> bytes:
    path = secret_path(spool_root, secret_file)
    if path in _cache:
        return _cache[path]
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        if secret_file:
            raise ConfigError(f"config key 'secret_file': {path} does not exist; make it once"
                              " (head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE; chmod 600 FILE)"
                              " and give every host sharing the database the same file") from None
        if not create:
            raise PermissionDenied(f"no secret at {path}: nothing has been sent from this spool") from None
        return _create(path, spool_root)
    except OSError as exc:
        raise PermissionDenied(f"cannot read the spool secret {path}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_IMODE(mode) & 0o077:
            os.fchmod(fd, 0o600)
            from .log import get_logger  # not at import: the alias pipe reads the secret once per bounce

            get_logger("mailtools.secret").warning("spool secret %s had mode %o; changed it to 0600", path,
                                                   stat.S_IMODE(mode))
        value = os.read(fd, 4096).strip()
    finally:
        os.close(fd)
    if len(value) < 32:
        raise PermissionDenied(f"spool secret {path} is too short or empty; remove it to make a new one")
    _cache[path] = value
    return value


def _create(path: str, spool_root: str) -> bytes:
    value = os.urandom(32).hex().encode()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, value + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link() fails if another process made one first: everyone uses the winner's.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise spool_error(exc, path) from None
    return load_secret(spool_root, create=False)  # the spool's own: secret_file is never made
