"""The outbound spool: one directory per state, one rename per state change.

Modelled on Mailman's Switchboard and nullmailer: a file appears in a state
directory only complete (tmp, fsync, rename, fsync the directory); a worker
claims a message by renaming it into ``active/`` under a name that records
host, pid (with the process start time, so a reused pid is not mistaken for
the claimant) and time; a claim whose process is gone is recovered (deferred,
due at once, so it is retried after the queued mail and a crash loop does not
hit the same batch run after run), and a message whose claims crashed three
times is held instead of retried forever. What killed writers left in ``tmp/``
is never listed and is removed by the next run once it is a day old.
A deferred file's mtime is its next attempt (Postfix's trick), so finding what
is due needs a directory scan, not a read of every envelope.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from . import envelope as env
from .errors import DataError, NotFound
from .fsutil import fsync_dir, read_file, spool_error, write_new
from .ids import is_valid, new_id
from .log import get_logger
from .record import Record

log = get_logger("mailtools.spool")
STATES = ("queued", "active", "deferred", "held", "sent", "dropped")
DIRS = ("tmp", "maildrop", "intake") + STATES
CLAIM_LEASE = 15 * 60  # a claim from another host is taken over after this
MAX_CRASHES = 3
STALE_TMP = 24 * 3600  # a file in tmp/ this old (by ctime) was left by a killed writer
HOST = os.uname().nodename.replace("~", "-")


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ")".
    return stat[stat.rfind(b")") + 2:].split()[19].decode()


_ME = f"{os.getpid()}.{_start_time(os.getpid()) or 0}"


def _me() -> str:
    global _ME
    if not _ME.startswith(f"{os.getpid()}."):  # after a fork
        _ME = f"{os.getpid()}.{_start_time(os.getpid()) or 0}"
    return _ME


class Claim(Record):
    """A message this process holds in ``active/``."""

    id: str
    path: str
    came_from: str  # the state it was claimed from


class ClaimName(Record):
    id: str
    host: str
    pid: int
    start: str
    time: float

    @classmethod
    def parse(cls, name: str) -> ClaimName | None:
        parts = name.split("~")
        if len(parts) != 4 or not is_valid(parts[0]):
            return None
        try:
            pid, start = parts[2].split(".", 1)
            return cls(parts[0], parts[1], int(pid), start, float(parts[3]))
        except ValueError:
            return None

    def is_stale(self, now: float) -> bool:
        if self.host != HOST:
            return now - self.time > CLAIM_LEASE
        return _start_time(self.pid) != self.start


class Spool:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def dir(self, state: str) -> str:
        return os.path.join(self.root, state)

    def path(self, state: str, name: str) -> str:
        return os.path.join(self.root, state, name)

    def ensure(self) -> None:
        """Create the directories; exit 75 if the spool cannot be written."""
        try:
            os.makedirs(self.root, mode=0o750, exist_ok=True)
            for name in DIRS:
                path = self.dir(name)
                if not os.path.isdir(path):
                    os.mkdir(path, 0o1733 if name == "maildrop" else 0o750)
                    if name == "maildrop":
                        os.chmod(path, 0o1733)  # umask must not take away "anyone may drop"
        except OSError as exc:
            raise spool_error(exc, self.root) from None

    # -- writing -------------------------------------------------------
    def _tmp(self, queue_id: str) -> str:
        return self.path("tmp", f"{queue_id}.{os.getpid()}.{os.urandom(3).hex()}")

    def write(self, state: str, envelope: env.Envelope, message: bytes, sync: bool = True) -> str:
        """Put a complete file into ``state`` (a new message, or a recovered one)."""
        final = self.path(state, envelope.id)
        tmp = self._tmp(envelope.id)
        try:
            write_new(tmp, env.dump(envelope, message), sync=sync)
            if state == "deferred" and envelope.next_attempt is not None:
                os.utime(tmp, (envelope.next_attempt, envelope.next_attempt))
            os.rename(tmp, final)
            if sync:
                fsync_dir(self.dir(state))
        except OSError as exc:
            _unlink_quietly(tmp)
            raise spool_error(exc, final) from None
        return final

    def enqueue(self, envelope: env.Envelope, message: bytes) -> str:
        return self.write("queued", envelope, message)

    @staticmethod
    def new_id(at: float | None = None) -> str:
        return new_id(at)

    # -- claiming ------------------------------------------------------
    def claim(self, state: str, queue_id: str, now: float) -> Claim | None:
        """Take ``state/queue_id`` for this process; None if another got it first."""
        source = self.path(state, queue_id)
        target = self.path("active", f"{queue_id}~{HOST}~{_me()}~{now:.0f}")
        try:
            os.rename(source, target)
        except FileNotFoundError:
            return None
        return Claim(queue_id, target, state)

    def load(self, path: str) -> env.QueueFile:
        try:
            return env.load(read_file(path))
        except OSError as exc:
            raise NotFound(f"{path}: {exc.strerror}") from None

    def rewrite(self, claim: Claim, envelope: env.Envelope, message: bytes, sync: bool = True) -> None:
        """Replace the claimed file's contents (one rename over it)."""
        tmp = self._tmp(claim.id)
        try:
            write_new(tmp, env.dump(envelope, message), sync=sync)
            if envelope.next_attempt is not None:
                os.utime(tmp, (envelope.next_attempt, envelope.next_attempt))
            os.rename(tmp, claim.path)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise spool_error(exc, claim.path) from None

    def settle(self, claim: Claim, state: str, sync: bool = True) -> str:
        """End a claim: move the (already rewritten) file to ``state``."""
        final = self.path(state, claim.id)
        try:
            os.rename(claim.path, final)
            if sync:
                fsync_dir(self.dir(state))
        except OSError as exc:
            raise spool_error(exc, final) from None
        return final

    def stage(self, envelope: env.Envelope, message: bytes) -> str:
        """Write a message's (new) contents to tmp/ without syncing: batched writes sync once."""
        tmp = self._tmp(envelope.id)
        try:
            write_new(tmp, env.dump(envelope, message), sync=False)
            if envelope.next_attempt is not None:
                os.utime(tmp, (envelope.next_attempt, envelope.next_attempt))
        except OSError as exc:
            _unlink_quietly(tmp)
            raise spool_error(exc, tmp) from None
        return tmp

    def publish_new(self, tmp: str, state: str, queue_id: str) -> None:
        """After sync(): a staged new message appears in ``state``."""
        try:
            os.rename(tmp, self.path(state, queue_id))
        except OSError as exc:
            raise spool_error(exc, self.path(state, queue_id)) from None

    def publish(self, claim: Claim, tmp: str, state: str) -> None:
        """After sync(): the staged file replaces the claim, then moves to ``state``."""
        try:
            os.rename(tmp, claim.path)
            os.rename(claim.path, self.path(state, claim.id))
        except OSError as exc:
            raise spool_error(exc, claim.path) from None

    def sync(self) -> None:
        """Flush every written file of this filesystem with one syncfs(2)."""
        _syncfs(self.root)

    def sync_dir(self, state: str) -> None:
        try:
            fsync_dir(self.dir(state))
        except OSError as exc:
            raise spool_error(exc, self.dir(state)) from None

    # -- reading -------------------------------------------------------
    def names(self, state: str) -> list[str]:
        """The message ids in ``state``, oldest first; links and strays skipped."""
        try:
            with os.scandir(self.dir(state)) as entries:
                names = [e.name for e in entries
                         if e.is_file(follow_symlinks=False) and (state in ("active", "intake") or is_valid(e.name))]
        except FileNotFoundError:
            return []
        names.sort()
        return names

    def due(self, now: float) -> Iterator[tuple[str, str]]:
        """(state, id) of what mq-flush should try: queued, then deferred now due."""
        for name in self.names("queued"):
            yield "queued", name
        deferred = self.dir("deferred")
        for name in self.names("deferred"):
            try:
                if os.stat(os.path.join(deferred, name), follow_symlinks=False).st_mtime <= now:
                    yield "deferred", name
            except FileNotFoundError:
                continue  # another flusher took it

    def find(self, queue_id: str) -> tuple[str, str]:
        """(state, path) of a message; NotFound when the spool has none."""
        if not is_valid(queue_id):
            raise DataError(f"not a queue id: {queue_id!r}")
        for state in STATES:
            if state == "active":
                for name in self.names("active"):
                    if name.split("~", 1)[0] == queue_id:
                        return state, self.path(state, name)
                continue
            path = self.path(state, queue_id)
            if os.path.isfile(path) and not os.path.islink(path):
                return state, path
        raise NotFound(f"no message {queue_id} in the spool")

    # -- recovery ------------------------------------------------------
    def recover(self, now: float) -> list[str]:
        """Put back the messages whose claimant died; hold repeat offenders.

        A recovered message goes to ``deferred/``, due ``now``: this run still
        delivers it, but after the queued mail. Back in ``queued/`` it would
        sort first (its id is old) and be in the first batch of every run, so
        a flusher killed again and again (OOM, reboots) would crash the same
        batch three times and hold mail that did nothing wrong.
        """
        self.clean_tmp(time.time() - STALE_TMP)
        recovered = []
        for name in self.names("active"):
            owner = ClaimName.parse(name)
            if owner is None or not owner.is_stale(now):
                continue
            claim = self._take_over(name, owner, now)
            if claim is None:
                continue
            try:
                queue_file = self.load(claim.path)
            except DataError as exc:
                # Not a complete queue file (a disk that lost data): held as it is for
                # a person, as delivery does, instead of stopping every run here.
                log.error("%s: damaged queue file in a dead claim, held for a person to look at: %s",
                          claim.id, exc)
                self.settle(claim, "held")
                recovered.append(claim.id)
                continue
            envelope = queue_file.envelope
            envelope.crashes += 1
            envelope.attempts += 1
            if envelope.crashes >= MAX_CRASHES:
                envelope.held_reason = (f"held after {envelope.crashes} crashed deliveries "
                                        f"(last claim by {owner.host} pid {owner.pid})")
                target = "held"
                envelope.next_attempt = None
            else:
                target = "deferred"
                envelope.next_attempt = now
            self.rewrite(claim, envelope, queue_file.message)
            self.settle(claim, target)
            recovered.append(claim.id)
        return recovered

    def clean_tmp(self, older_than: float) -> int:
        """Remove files in ``tmp/`` last changed before ``older_than`` (real Unix seconds).

        By ctime: a staged file's mtime is its next attempt, possibly in the
        future. A day is far longer than any write takes.
        """
        removed = 0
        try:
            with os.scandir(self.dir("tmp")) as entries:
                for entry in entries:
                    try:
                        if entry.stat(follow_symlinks=False).st_ctime < older_than:
                            os.unlink(entry.path)
                            removed += 1
                    except OSError:
                        continue  # gone meanwhile, or not ours to remove
        except OSError:
            return removed
        return removed

    def _take_over(self, name: str, owner: ClaimName, now: float) -> Claim | None:
        # Re-claiming by rename means two recovering processes cannot both win.
        target = self.path("active", f"{owner.id}~{HOST}~{_me()}~{now:.0f}")
        try:
            os.rename(self.path("active", name), target)
        except FileNotFoundError:
            return None
        return Claim(owner.id, target, "active")


_libc = None


def _syncfs(path: str) -> None:
    """syncfs(2) on the spool's filesystem: one call instead of an fsync per file.

    Falls back to sync(2) where libc has no syncfs.
    """
    global _libc
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if getattr(_libc, "syncfs", None) is None or _libc.syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
