"""The outbound spool: one directory per state, one rename per state change.

Modelled on Mailman's Switchboard and nullmailer: a file appears in a state
directory only complete (tmp, fsync, rename, fsync the directory); a worker
claims a message by renaming it into ``active/`` under a name that records
host, pid (with the process start time, so a reused pid is not mistaken for
the claimant) and time (mailtools.outbound.claims); a claim whose process is gone is
recovered, and a message whose claims crashed three times is held instead of
retried forever (mailtools.outbound.recovery). What killed writers left in ``tmp/`` is
never listed and is removed by the next run once it is a day old.
A deferred file's mtime is its next attempt (Postfix's trick), so finding what
is due needs a directory scan, not a read of every envelope.
"""

from __future__ import annotations

import errno
import heapq
import os
from collections.abc import Iterator

from ..errors import DataError, NotFound
from ..fsutil import ensure_real_dir, fsync_dir, read_file, remove_stale_files, spool_error, unlink_quietly, write_new
from ..ids import is_valid, new_id
from . import envelope as env
from .claims import Claim, ClaimName, claim_name

STATES = ("queued", "active", "deferred", "held", "sent", "dropped")
DIRS = ("tmp", "maildrop", "intake") + STATES
DUE_WINDOW = 5000  # queued ids held at once while mq-flush walks the queue


class Spool:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def dir(self, state: str) -> str:
        return os.path.join(self.root, state)

    def take_over(self, state: str, name: str, new_name: str) -> bool:
        """Re-claim a dead process's file in ``state``/ by renaming it; False when another process won.

        Of two processes recovering the same file at once, exactly one rename
        succeeds: the other finds the name gone and leaves the file to the winner.
        """
        try:
            os.rename(self.path(state, name), self.path(state, new_name))
        except FileNotFoundError:
            return False
        return True

    def path(self, state: str, name: str) -> str:
        return os.path.join(self.root, state, name)

    def ensure(self) -> None:
        """Create the directories; exit 75 if the spool cannot be written."""
        try:
            # 0751: other users may pass through to maildrop/ (1733), not list the rest.
            os.makedirs(self.root, mode=0o751, exist_ok=True)
            for name in DIRS:
                ensure_real_dir(self.dir(name), 0o1733 if name == "maildrop" else 0o750)
        except OSError as exc:
            raise spool_error(exc, self.root) from None

    # -- writing -------------------------------------------------------
    def _tmp(self, queue_id: str) -> str:
        return self.path("tmp", f"{queue_id}.{os.getpid()}.{os.urandom(3).hex()}")

    @staticmethod
    def _put(tmp: str, envelope: env.Envelope, message: bytes, named: str, sync: bool = True,
             mode: int = 0o640) -> None:
        """Write the complete queue file at ``tmp`` (its mtime the next attempt: see due());
        on failure nothing is left and the error names ``named``, the file it was to become."""
        try:
            write_new(tmp, env.dump(envelope, message), mode=mode, sync=sync)
            if mode & 0o044:
                os.chmod(tmp, mode)  # whatever the writer's umask (077 would hide it from mq-flush)
            if envelope.next_attempt is not None:
                os.utime(tmp, (envelope.next_attempt, envelope.next_attempt))
        except OSError as exc:
            unlink_quietly(tmp)
            raise spool_error(exc, named) from None

    def write(self, state: str, envelope: env.Envelope, message: bytes, sync: bool = True) -> str:
        """Put a complete file into ``state`` (a new message, or a recovered one)."""
        final = self.path(state, envelope.id)
        tmp = self._tmp(envelope.id)
        self._put(tmp, envelope, message, final, sync)
        try:
            os.rename(tmp, final)
            if sync:
                fsync_dir(self.dir(state))
        except OSError as exc:
            unlink_quietly(tmp)
            raise spool_error(exc, final) from None
        return final

    def enqueue(self, envelope: env.Envelope, message: bytes) -> str:
        return self.write("queued", envelope, message)

    def can_queue(self) -> bool:
        """Whether this process may write tmp/ and queued/: the spool's owner may.

        Root may too, but in a spool another user owns it goes through
        maildrop/ like any other caller (as Postfix's sendmail does through
        postdrop): a queue file root wrote would be unreadable to the
        service user's flusher, and the maildrop file keeps uid 0.
        """
        return self._blocked() is None

    def _blocked(self) -> tuple[int, str] | None:
        """None when this process may queue; else (the uid it is about, the directory it may not
        write, "" for root in another user's spool). No name looked up: mq-send's fast path."""
        if os.geteuid() == 0:
            owner = os.stat(self.root).st_uid
            if owner != 0:
                return owner, ""
        for name in ("tmp", "queued"):
            if not os.access(self.dir(name), os.W_OK | os.X_OK):
                return os.getuid(), self.dir(name)
        return None

    def queue_refusal(self) -> str | None:
        """Why this process may not write the queue itself (None: it may), for a person:
        mq-send --now says it when the message went to maildrop/ instead."""
        blocked = self._blocked()
        if blocked is None:
            return None
        uid, directory = blocked
        if not directory:
            return (f"root does not deliver from a spool that {_user_name(uid)} owns; that user's mq-flush"
                    " does (root's mail goes through maildrop/, as Postfix's sendmail uses postdrop)")
        return (f"{_user_name(uid)} is not the spool's owner and may not write {directory};"
                " the owner's mq-flush delivers")

    def drop(self, envelope: env.Envelope, message: bytes) -> str:
        """Leave a message with its envelope in maildrop/ (1733), for a caller who cannot queue.

        Written as ".<id>..." and renamed to "<id>", as every maildrop writer
        does, so intake never sees half a file. Mode 0644: the service user
        must read a file another user owns; others cannot list maildrop/.
        mq-flush takes it in (mailtools.outbound.maildrop) with the file's
        owner as its uid, whatever the envelope says.
        """
        final = self.path("maildrop", envelope.id)
        tmp = self.path("maildrop", f".{envelope.id}.{os.getpid()}.{os.urandom(3).hex()}")
        self._put(tmp, envelope, message, final, mode=0o644)
        try:
            os.rename(tmp, final)
            # maildrop/ (1733) cannot be opened by its writers to fsync it: one syncfs(2)
            # through the file itself makes the rename durable before mq-send says 0.
            _syncfs(final, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            unlink_quietly(tmp)
            unlink_quietly(final)  # not durable: the caller, told 75, sends it again
            raise spool_error(exc, final) from None
        return final

    @staticmethod
    def new_id(at: float) -> str:
        return new_id(at)

    # -- claiming ------------------------------------------------------
    def claim(self, state: str, queue_id: str, now: float) -> Claim | None:
        """Take ``state/queue_id`` for this process; None if another got it first."""
        source = self.path(state, queue_id)
        target = self.path("active", claim_name(queue_id, now))
        try:
            os.rename(source, target)
        except FileNotFoundError:
            return None
        except OSError as exc:  # active/ not a directory, a full disk...: 75 naming it, never "a bug"
            raise spool_error(exc, target) from None
        return Claim(queue_id, target, state)

    def load(self, path: str) -> env.QueueFile:
        try:
            return env.load(read_file(path))
        except OSError as exc:
            raise NotFound(f"{path}: {exc.strerror}") from None

    def rewrite(self, claim: Claim, envelope: env.Envelope, message: bytes, sync: bool = True) -> None:
        """Replace the claimed file's contents (one rename over it)."""
        tmp = self._tmp(claim.id)
        self._put(tmp, envelope, message, claim.path, sync)
        try:
            os.rename(tmp, claim.path)
        except OSError as exc:
            unlink_quietly(tmp)
            raise spool_error(exc, claim.path) from None

    def remove(self, claim: Claim) -> None:
        """End a claim by deleting the message (mq-ctl delete): it leaves the queue undelivered."""
        try:
            os.unlink(claim.path)
            fsync_dir(self.dir("active"))
        except OSError as exc:
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
        self._put(tmp, envelope, message, tmp, sync=False)
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
        """Flush every written file of this filesystem with one syncfs(2); 75 if it failed."""
        try:
            _syncfs(self.root)
        except OSError as exc:
            raise spool_error(exc, self.root) from None

    def sync_dir(self, state: str) -> None:
        try:
            fsync_dir(self.dir(state))
        except OSError as exc:
            raise spool_error(exc, self.dir(state)) from None

    # -- reading -------------------------------------------------------
    def names(self, state: str) -> list[str]:
        """The message ids in ``state``, oldest first; links and strays skipped."""
        return sorted(self.scan(state))

    def scan(self, state: str) -> Iterator[str]:
        """The names in ``state`` in directory order, without holding them all."""
        try:
            with os.scandir(self.dir(state)) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False) and (state in ("active", "intake")
                                                                 or is_valid(entry.name)):
                        yield entry.name
        except FileNotFoundError:
            return

    def drops(self) -> list[str]:
        """The files in maildrop/ that their writers finished (not a ".name" still being written),
        by name: what the next mq-flush takes in. Any name: a plain drop need not be a queue id."""
        try:
            with os.scandir(self.dir("maildrop")) as entries:
                return sorted(e.name for e in entries
                              if not e.name.startswith(".") and e.is_file(follow_symlinks=False))
        except FileNotFoundError:
            return []

    def due(self, now: float, window: int = DUE_WINDOW) -> Iterator[tuple[str, str]]:
        """(state, id) of what mq-flush should try: queued oldest first, then deferred now due.

        Streamed: the queue is read ``window`` ids at a time (the smallest ids
        after the last one given), so a flush of a million queued messages
        holds a few thousand names, not a million. Deferred mail has no order
        to keep and is read as the directory lists it.
        """
        last = ""
        while True:
            chunk = heapq.nsmallest(window, (name for name in self.scan("queued") if name > last))
            for name in chunk:
                yield "queued", name
            if len(chunk) < window:
                break
            last = chunk[-1]
        deferred = self.dir("deferred")
        for name in self.scan("deferred"):
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
        """Put back the messages whose claimant died (mailtools.outbound.recovery)."""
        from .recovery import recover

        return recover(self, now)

    def clean_tmp(self, older_than: float) -> int:
        """Remove what killed writers left in ``tmp/`` (changed before ``older_than``, real time)."""
        return remove_stale_files(self.dir("tmp"), older_than)


def _user_name(uid: int) -> str:
    """"www-data (uid 33)", or the bare uid without a passwd entry (only when refusing: not on the fast path)."""
    import pwd

    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


_libc = None


def _syncfs(path: str, flags: int = os.O_RDONLY | os.O_DIRECTORY) -> None:
    """syncfs(2) on the spool's filesystem: one call instead of an fsync per file.

    An error (EIO: the data did not reach the disk) is raised, so the batch's
    files are not renamed into place as if they were durable. Only where libc
    has no syncfs (ENOSYS) does it fall back to sync(2), which reports nothing.
    """
    global _libc
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, flags)
    try:
        syncfs = getattr(_libc, "syncfs", None)
        if syncfs is None:
            os.sync()
        elif syncfs(fd) != 0:
            import ctypes

            error = ctypes.get_errno()
            if error != errno.ENOSYS:
                raise OSError(error, os.strerror(error), path)
            os.sync()
    finally:
        os.close(fd)



# Claims live in mailtools.outbound.claims; these names stay importable from here.
__all__ = ["STATES", "DIRS", "Claim", "ClaimName", "Spool"]
