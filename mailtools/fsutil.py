"""Durable file primitives: a file appears in a directory only complete.

Write in ``tmp/``, fsync, rename, fsync the directory (nullmailer and
Mailman's Switchboard do this), so a crash or a full disk never leaves half a
message where a reader can see it.
"""

from __future__ import annotations

import errno
import os
import stat

from .errors import PermissionDenied, TempFailure

# Errors that mean "the spool cannot take this now"; the caller retries later.
_TEMPORARY = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
              errno.ENOENT, errno.EIO, errno.EMFILE, errno.ENFILE, errno.ENOTDIR}


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new(path: str, data: bytes, mode: int = 0o640, sync: bool = True) -> None:
    """Create ``path`` (which must not exist) with ``data``, fsynced.

    O_EXCL and O_NOFOLLOW: a name is never reused and a planted symlink is
    never written through. On any failure the partial file is removed.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
    os.close(fd)


def spool_error(exc: OSError, path: str) -> Exception:
    """The error a command reports when it cannot write the spool.

    A full disk or an unwritable spool is exit 75 in every command that
    writes (DESIGN.md): Postfix, cron and applications then keep the message
    and retry, so nothing is lost.
    """
    if exc.errno in _TEMPORARY:
        return TempFailure(f"cannot write {path}: {exc.strerror}")
    if exc.errno == errno.ELOOP:
        return PermissionDenied(f"refusing to follow a symlink at {path}")
    return TempFailure(f"cannot write {path}: {exc}")


def read_file(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        return _read_all(fd)
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def read_private(path: str, key: str) -> bytes:
    """Read a file that holds a secret (a password, a private key) named by config ``key``.

    Mode bits for others (o+rwx) mean anyone on the host can read or replace
    the secret: they are taken away and a warning says so; when that cannot be
    done (not our file), the file is refused, a config error naming the key.
    """
    from .errors import ConfigError

    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(f"config key {key!r}: cannot read {path}: {exc.strerror}") from None
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o007:
            try:
                os.fchmod(fd, mode & 0o770)
            except OSError:
                raise ConfigError(f"config key {key!r}: {path} has mode {mode:04o}, open to every user; "
                                  f"refused (chmod o-rwx {path})") from None
            from .log import get_logger

            get_logger(__name__).warning("%s (config key %r) had mode %04o, open to every user; "
                                         "changed it to %04o", path, key, mode, mode & 0o770)
        return _read_all(fd)
    except OSError as exc:
        raise ConfigError(f"config key {key!r}: cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def remove_stale_files(directory: str, older_than: float, by: str = "st_ctime") -> int:
    """Remove the files in ``directory`` whose ``by`` time is before ``older_than``; how many.

    The outbound tmp/ goes by ctime (a staged queue file's mtime is its next
    attempt, maybe in the future). Links are removed, never followed.
    """
    removed = 0
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if getattr(entry.stat(follow_symlinks=False), by) < older_than:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    continue  # gone meanwhile, or not ours to remove
    except OSError:
        pass
    return removed


def ensure_real_dir(path: str, mode: int = 0o750) -> None:
    """Create ``path`` if missing; refuse a symlink or a file in its place.

    Every state change is a rename inside the spool: a state directory that
    is a link elsewhere would carry mail out of it (and break the renames'
    atomicity across filesystems). Refused as a temporary failure (75), so a
    Postfix pipe keeps its bounce while an admin looks.
    """
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        pass  # already there (perhaps made by a process running at the same time): check what it is
    else:
        os.chmod(path, mode)  # the umask must not take away what the mode grants
        return
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        what = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a directory"
        raise TempFailure(f"{path} is {what}: a spool's directories must be real directories inside it")


def unlink_quietly(path: str) -> None:
    """Remove a file that may already be gone (cleaning up after a failure)."""
    try:
        os.unlink(path)
    except OSError:
        pass
