"""Batch sources that keep their own copy: ``--maildir DIR`` and ``FILE...``.

``--maildir DIR`` processes ``new/`` and moves each message to ``cur/`` flagged
Seen, what OpenACS Mail Lite did from cron every two minutes, for a bounce
mailbox fed by an MTA we do not control. Files given by name stay where they
are; a copy goes to the spool, unsynced (the original is the safe copy). The Maildir keeps every message (moved to
``cur/`` with ``:2,S``, never deleted), so our copy in the spool need not be
fsynced one by one: after a crash the message is either still in ``new/``
(processed again, counted once thanks to the dedupe key) or in ``cur/``. The
``cur/`` renames are fsynced once per batch.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from ..errors import EX_IOERR, UsageError
from ..fsutil import fsync_dir, read_file
from ..ids import new_id
from .ingest import Ingester
from .store import MAX_SIZE, envelope_lines, with_envelope

log = logging.getLogger("mailtools.bounce.maildir")
BATCH = 500
PARALLEL_FROM = 200  # below this many messages a second process costs more than it saves
MAX_WORKERS = 4


@dataclass
class MaildirResult:
    handled: int = 0
    recorded: int = 0
    unrecognized: int = 0
    failed: int = 0


def seen_name(name: str) -> str:
    """``name`` with the Maildir info ``:2,`` and the S flag added (other flags kept)."""
    base, sep, flags = name.partition(":2,")
    return f"{base}:2,{''.join(sorted(set(flags) | {'S'}))}" if sep else f"{name}:2,S"


def pending(maildir: str) -> list[str]:
    """Names in ``new/``, oldest first (Maildir names start with the delivery time)."""
    return sorted(n for n in os.listdir(os.path.join(maildir, "new")) if not n.startswith("."))


def _check(maildir: str) -> tuple[str, str]:
    new_dir, cur_dir = os.path.join(maildir, "new"), os.path.join(maildir, "cur")
    for sub in (new_dir, cur_dir):
        if not os.path.isdir(sub):
            raise UsageError(f"{maildir} is not a Maildir: no {os.path.basename(sub)}/")
    return new_dir, cur_dir


def process_maildir(ingester: Ingester, maildir: str, names: list[str] | None = None,
                    batch: int = BATCH) -> MaildirResult:
    """Handle ``names`` (default: every message) in ``maildir/new``; returns what happened."""
    new_dir, cur_dir = _check(maildir)
    result = MaildirResult()
    envelope = envelope_lines([], None, "maildir")
    names = pending(maildir) if names is None else names
    for start in range(0, len(names), batch):
        moved = False
        for name in names[start:start + batch]:
            source = os.path.join(new_dir, name)
            try:
                raw = read_file(source)[:MAX_SIZE]
            except FileNotFoundError:
                continue  # another run (or the mail reader) took it
            except OSError as exc:
                log.error("cannot read %s: %s; left in new/", source, exc.strerror)
                result.failed += 1
                continue
            # Not caught here: a spool that cannot take the copy (TempFailure)
            # stops the run, and the message stays in new/ for the next one.
            outcome = ingester.handle_bytes(raw, new_id(), envelope, sync=False)
            os.rename(source, os.path.join(cur_dir, seen_name(name)))
            moved = True
            result.handled += 1
            result.recorded += outcome.recorded
            result.unrecognized += outcome.state == "unrecognized"
        if moved:
            fsync_dir(cur_dir)
            fsync_dir(new_dir)
    return result


def _worker(config: Any, maildir: str, names: list[str]) -> MaildirResult:
    """One process's share of a large Maildir (its own database connection)."""
    from .pipe import open_ingester
    from .store import BounceStore

    ingester = open_ingester(config, BounceStore(config.spool))
    try:
        return process_maildir(ingester, maildir, names)
    finally:
        ingester.conn.close()


def workers_for(count: int) -> int:
    """Processes for ``count`` messages: classifying is CPU-bound, recording is one
    short SQLite transaction each (BEGIN IMMEDIATE), so a few processes scale."""
    if count < PARALLEL_FROM:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, count // PARALLEL_FROM))


def run_maildir(config: Any, maildir: str, workers: int | None = None) -> int:
    """``bounce-ingest --maildir DIR``: the whole run, callbacks included."""
    from .pipe import BATCH_CALLBACK_BUDGET, open_ingester, run_callbacks
    from .store import BounceStore

    store = BounceStore(config.spool)
    store.ensure()
    _check(maildir)
    names = pending(maildir)
    workers = workers or workers_for(len(names))
    if workers <= 1:
        result = process_maildir(open_ingester(config, store), maildir, names)
    else:
        import multiprocessing

        # fork before this process opens SQLite: a connection must not cross a fork.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_worker, [(config, maildir, names[i::workers]) for i in range(workers)])
        result = MaildirResult(*(sum(getattr(p, f) for p in parts) for f in MaildirResult.__annotations__))
    log.info("maildir %s: %d handled, %d bounces recorded, %d unrecognized, %d unreadable",
             maildir, result.handled, result.recorded, result.unrecognized, result.failed)
    run_callbacks(open_ingester(config, store).conn, config, BATCH_CALLBACK_BUDGET)
    return EX_IOERR if result.failed else 0


def run_files(config: Any, paths: list[str]) -> int:
    """``bounce-ingest FILE...``: each file like one pipe message; ``-`` is stdin, stored first."""
    from .pipe import BATCH_CALLBACK_BUDGET, open_ingester, run_callbacks
    from .store import BounceStore, read_capped

    store = BounceStore(config.spool)
    store.ensure()
    ingester = open_ingester(config, store)
    envelope = envelope_lines([], None, "file")
    code = 0
    for path in paths:
        if path == "-":
            import sys

            # stdin has no other copy: durable in incoming/ first, as the pipe does.
            raw, _ = read_capped(sys.stdin.buffer)
            ingester.handle_incoming(store.put("incoming", with_envelope(raw, envelope)))
            continue
        try:
            raw = read_file(path)[:MAX_SIZE]
        except OSError as exc:
            log.error("cannot read %s: %s", path, exc.strerror or exc)
            code = EX_IOERR
            continue
        ingester.handle_bytes(raw, new_id(), envelope, sync=False)
    run_callbacks(ingester.conn, config, BATCH_CALLBACK_BUDGET)
    return code
