"""Durable storage of raw bounces: ``<spool>/bounces/{tmp,incoming,processed,unrecognized}``.

A bounce is stored before anything else looks at it: Postfix forgets the
message once the pipe exits 0, so the only promise we make it (exit 0) is
"these bytes are on disk". tmp, fsync, rename into ``incoming/``, fsync the
directory, as the outbound spool does.

States (DESIGN.md): incoming -> processed | unrecognized, each one rename.
Names are ``mailtools.ids`` ids, so ``ls`` lists arrival order. A processed
bounce is named ``<id>.<kind>`` (``ls processed/`` shows what came back); an
unrecognized one keeps ``<id>`` and gets a ``<id>.why`` sidecar saying why, for
the person who looks at it. Retention (bounce-sweep) goes by mtime, which a
rename keeps: the arrival time.

The envelope (Postfix's ORIGINAL_RECIPIENT/RECIPIENT, the SMTP RCPT TO) is
kept as ``X-Mailtools-*`` lines prepended to the stored bytes (after an mbox
``From `` line), so a bounce left in ``incoming/`` by a crash is processed
later exactly as it would have been at once.
"""

from __future__ import annotations

import os

from ..errors import TempFailure
from ..fsutil import ensure_real_dir, fsync_dir, read_file, remove_stale_files, spool_error, write_new
from ..ids import new_id

TYPE_CHECKING = False  # typing costs ~3 ms of start-up (one process per bounce); only checkers need it
if TYPE_CHECKING:
    from typing import BinaryIO

STATES = ("tmp", "incoming", "processed", "unrecognized")
MAX_SIZE = 20 * 1024 * 1024  # what we keep of one message; the rest is read and dropped
ENVELOPE_PREFIX = b"X-Mailtools-"


def envelope_lines(recipients: list[str], sender: str | None = None, via: str = "pipe",
                   note: str | None = None) -> bytes:
    """The ``X-Mailtools-*`` header lines that carry the envelope into the file."""
    lines = [f"X-Mailtools-Via: {via}"]
    lines += [f"X-Mailtools-Rcpt: {_clean(r)}" for r in recipients if r]
    if sender is not None:
        lines.append(f"X-Mailtools-Sender: <{_clean(sender).strip('<>')}>")
    if note:
        lines.append(f"X-Mailtools-Note: {_clean(note)}")
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")


def _clean(value: str) -> str:
    # An environment variable or RCPT TO must not smuggle a header line in.
    return value.replace("\r", " ").replace("\n", " ").strip()


def with_envelope(raw: bytes, envelope: bytes) -> bytes:
    """``raw`` with the envelope lines inserted after an mbox ``From `` line."""
    if not envelope:
        return raw
    if raw.startswith(b"From "):
        end = raw.find(b"\n") + 1 or len(raw)
        return raw[:end] + envelope + raw[end:]
    return envelope + raw


def split_envelope(stored: bytes) -> tuple[dict[str, list[str]], bytes]:
    """(envelope fields, the message as received minus the ``From `` line).

    Only ``X-Mailtools-*`` lines at the very top count: the same header
    further down was written by whoever sent the message, not by us.
    """
    pos = 0
    if stored.startswith(b"From "):
        pos = stored.find(b"\n") + 1 or len(stored)
    fields: dict[str, list[str]] = {}
    while stored.startswith(ENVELOPE_PREFIX, pos):
        end = stored.find(b"\n", pos)
        end = len(stored) if end < 0 else end + 1
        name, _, value = stored[pos + len(ENVELOPE_PREFIX):end].decode("utf-8", "replace").partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
        pos = end
    return fields, stored[pos:]


class BounceStore:
    def __init__(self, spool_root: str) -> None:
        self.root = os.path.abspath(spool_root)
        self.base = os.path.join(self.root, "bounces")

    def dir(self, state: str) -> str:
        return os.path.join(self.base, state)

    def path(self, state: str, name: str) -> str:
        return os.path.join(self.base, state, name)

    def ensure(self) -> None:
        """Create ``bounces/*`` in an existing spool.

        The spool itself is not created: a missing spool is a setup error
        Postfix should hold the mail for (exit 75), not a reason to invent a
        directory in a place nobody will look.
        """
        if not os.path.isdir(self.root):
            raise TempFailure(f"spool {self.root} does not exist")
        try:
            ensure_real_dir(self.base)
            for state in STATES:
                ensure_real_dir(self.dir(state))
        except OSError as exc:
            raise spool_error(exc, self.base) from None

    def put(self, state: str, data: bytes, arrived: float, name: str | None = None, sync: bool = True) -> str:
        """Write ``data`` as a new file in ``state``, arrived at ``arrived`` (Unix s); returns its name.

        ``sync=False`` is for batch modes whose source (a Maildir, a file)
        still holds the message: they fsync the directories once per batch.
        """
        name = name or new_id(arrived)
        tmp = self.path("tmp", f"{name}.{os.getpid()}")
        final = self.path(state, name)
        try:
            write_new(tmp, data, sync=sync)
            try:
                # link(), not rename(): as atomic, and it refuses to replace a
                # file already there instead of silently losing it.
                os.link(tmp, final)
            finally:
                os.unlink(tmp)
            # The arrival time is the file's mtime (retention purges by it): the
            # clock's, so MAILTOOLS_NOW simulations age bounces like everything
            # else. Set on the final name: tmp/ is cleaned by the real clock.
            os.utime(final, (arrived, arrived))
            if sync:
                fsync_dir(self.dir(state))
        except OSError as exc:
            raise spool_error(exc, final) from None
        return name

    def move(self, name: str, state: str, now: float, kind: str | None = None, why: str | None = None,
             sync: bool = True) -> str:
        """incoming/<name> -> <state>/<name>[.<kind>], with a ``.why`` sidecar; returns the new path.

        The sidecar is written first: a crash in between leaves a harmless
        sidecar and the message still in ``incoming/`` to be processed again.
        """
        final_name = f"{name}.{kind}" if kind else name
        final = self.path(state, final_name)
        if why:
            self.note(state, name, why, now)
        os.rename(self.path("incoming", name), final)
        if sync:
            fsync_dir(self.dir(state))
        return final

    def note(self, state: str, name: str, why: str, arrived: float) -> None:
        """The .why sidecar: written whole (tmp, rename), mode and age like the bounce it explains.

        The sweep purges by mtime: with the real clock's mtime under a
        simulated one, the note would go before (or after) its bounce.
        """
        tmp = self.path("tmp", f"{name}.why.{os.getpid()}")
        write_new(tmp, (why.rstrip("\n") + "\n").encode("utf-8"), sync=False)
        os.utime(tmp, (arrived, arrived))
        os.rename(tmp, self.path(state, f"{name}.why"))

    def read(self, state: str, name: str) -> bytes:
        return read_file(self.path(state, name))

    def incoming(self, older_than: float | None = None) -> list[str]:
        """Names in ``incoming/``, oldest first; only those older than ``older_than`` (Unix s)."""
        names = sorted(n for n in os.listdir(self.dir("incoming")) if not n.startswith("."))
        if older_than is None:
            return names
        return [name for name, arrived in self.arrivals(names) if arrived <= older_than]

    def arrivals(self, names: list[str] | None = None) -> list[tuple[str, float]]:
        """(name, arrival time) of each file in ``incoming/`` (or of ``names``), oldest name first.

        The arrival time is the mtime ``put`` gave it: a bounce kept here through
        an outage is recorded with it, not with the time a later run took it.
        """
        out = []
        for name in self.incoming() if names is None else names:
            try:
                out.append((name, os.stat(self.path("incoming", name)).st_mtime))
            except FileNotFoundError:
                continue  # another run took it meanwhile
        return out

    def clean_tmp(self, older_than: float) -> int:
        """Remove what killed writers left in ``tmp/`` (never acknowledged, so never owed)."""
        return remove_stale_files(self.dir("tmp"), older_than, by="st_mtime")


def read_capped(stream: BinaryIO, limit: int = MAX_SIZE) -> tuple[bytes, int]:
    """Read a whole binary stream; keep the first ``limit`` bytes, return (kept, total size).

    The rest is still read: a pipe writer (Postfix's local) that sees us stop
    reading early would report a broken pipe instead of a delivery.
    """
    kept = stream.read(limit)
    total = len(kept)
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return kept, total
        total += len(chunk)
