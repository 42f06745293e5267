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

import os
from dataclasses import dataclass

from ..config import Config
from ..errors import UsageError
from ..fsutil import fsync_dir, read_file
from ..ids import new_id
from ..log import get_logger
from .ingest import Ingester
from .store import MAX_SIZE, envelope_lines

log = get_logger("mailtools.bounces.maildir")
BATCH = 500
PARALLEL_FROM = 200  # below this many messages a second process costs more than it saves
MAX_WORKERS = 4


@dataclass
class BatchResult:
    handled: int = 0
    recorded: int = 0
    unrecognized: int = 0
    failed: int = 0  # could not be read: left where it was

    def add(self, other: BatchResult) -> None:
        self.handled += other.handled
        self.recorded += other.recorded
        self.unrecognized += other.unrecognized
        self.failed += other.failed


def seen_name(name: str) -> str:
    """``name`` with the Maildir info ``:2,`` and the S flag added (other flags kept)."""
    base, sep, flags = name.partition(":2,")
    return f"{base}:2,{''.join(sorted(set(flags) | {'S'}))}" if sep else f"{name}:2,S"


def pending(maildir: str) -> list[str]:
    """Names in ``new/``, oldest first (Maildir names start with the delivery time)."""
    return sorted(n for n in os.listdir(os.path.join(maildir, "new")) if not n.startswith("."))


def check_maildir(maildir: str) -> tuple[str, str]:
    new_dir, cur_dir = os.path.join(maildir, "new"), os.path.join(maildir, "cur")
    for sub in (new_dir, cur_dir):
        if not os.path.isdir(sub):
            raise UsageError(f"{maildir} is not a Maildir: no {os.path.basename(sub)}/")
    return new_dir, cur_dir


def _read(path: str, result: BatchResult) -> bytes | None:
    """The message at ``path``; None (counted as failed) when it cannot be read.

    FileNotFoundError is the caller's: in a Maildir it means another run took it.
    """
    try:
        return read_file(path)[:MAX_SIZE]
    except FileNotFoundError:
        raise
    except OSError as exc:
        log.error("cannot read %s: %s; left where it is", path, exc.strerror or exc)
        result.failed += 1
        return None


def process(ingester: Ingester, items: list[str], now: float, maildir: str | None = None,
            batch: int = BATCH) -> BatchResult:
    """Handle ``items``: names in ``maildir/new`` (moved to cur/ once handled) or file paths.

    Not caught here: a spool that cannot take the copy (TempFailure) stops
    the run; the message stays where it was for the next one.
    """
    result = BatchResult()
    envelope = envelope_lines([], None, "maildir" if maildir else "file")
    new_dir, cur_dir = check_maildir(maildir) if maildir else ("", "")
    for start in range(0, len(items), batch):
        moved = False
        for item in items[start:start + batch]:
            source = os.path.join(new_dir, item) if maildir else item
            try:
                raw = _read(source, result)
            except FileNotFoundError:
                if maildir:
                    continue  # another run (or the mail reader) took it
                log.error("cannot read %s: no such file", source)
                result.failed += 1
                continue
            if raw is None:
                continue
            outcome = ingester.handle_bytes(raw, new_id(now), now, envelope, sync=False)
            if maildir:
                os.rename(source, os.path.join(cur_dir, seen_name(item)))
                moved = True
            result.handled += 1
            result.recorded += outcome.recorded
            result.unrecognized += outcome.state == "unrecognized"
        if moved:
            fsync_dir(cur_dir)
            fsync_dir(new_dir)
    return result


def _worker(config: Config, items: list[str], now: float, maildir: str | None) -> BatchResult:
    """One process's share of a large batch (with its own database connection)."""
    from .pipe import open_ingester
    from .store import BounceStore

    ingester = open_ingester(config, BounceStore(config.spool))
    try:
        return process(ingester, items, now, maildir)
    finally:
        if ingester.state is not None:
            ingester.state.close()


def workers_for(count: int) -> int:
    """Processes for ``count`` messages: classifying is CPU-bound, recording is one
    short SQLite transaction each (BEGIN IMMEDIATE), so a few processes scale."""
    if count < PARALLEL_FROM:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, count // PARALLEL_FROM))


def run_batch(config: Config, items: list[str], now: float, maildir: str | None = None,
              workers: int | None = None) -> BatchResult:
    """``bounce-ingest --maildir DIR`` (items: names in new/) or ``FILE...``; callbacks after."""
    from .pipe import BATCH_CALLBACK_BUDGET, ingest_secret, open_ingester, run_callbacks
    from .store import BounceStore

    store = BounceStore(config.spool)
    store.ensure()
    ingest_secret(config)  # a configuration error (78) before any worker starts
    workers = workers or workers_for(len(items))
    result = BatchResult()
    if workers <= 1:
        result = process(open_ingester(config, store), items, now, maildir)
    else:
        import multiprocessing

        # Fork before this process opens SQLite: a connection must not cross a fork.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.starmap(_worker, [(config, items[i::workers], now, maildir)
                                                 for i in range(workers)]):
                result.add(part)
    log.info("%s: %d handled, %d bounces recorded, %d unrecognized, %d unreadable", maildir or "files",
             result.handled, result.recorded, result.unrecognized, result.failed)
    run_callbacks(open_ingester(config, store).state, config, BATCH_CALLBACK_BUDGET, now)
    return result


def run_maildir(config: Config, maildir: str, now: float, workers: int | None = None) -> BatchResult:
    """``bounce-ingest --maildir DIR``: everything in ``DIR/new``."""
    check_maildir(maildir)
    return run_batch(config, pending(maildir), now, maildir, workers)


def run_files(config: Config, paths: list[str], now: float, workers: int | None = None) -> BatchResult:
    """``bounce-ingest FILE...``: each file like one pipe message (standard input is the command's)."""
    return run_batch(config, paths, now, None, workers)
