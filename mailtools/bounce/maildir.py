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


def process_maildir(ingester: Ingester, maildir: str, batch: int = BATCH) -> MaildirResult:
    """Handle every message in ``maildir/new``; returns what happened."""
    new_dir, cur_dir = os.path.join(maildir, "new"), os.path.join(maildir, "cur")
    for sub in (new_dir, cur_dir):
        if not os.path.isdir(sub):
            raise UsageError(f"{maildir} is not a Maildir: no {os.path.basename(sub)}/")
    result = MaildirResult()
    envelope = envelope_lines([], None, "maildir")
    names = pending(maildir)
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


def run_maildir(config: Any, maildir: str) -> int:
    """``bounce-ingest --maildir DIR``: the whole run, callbacks included."""
    from .pipe import BATCH_CALLBACK_BUDGET, open_ingester, run_callbacks
    from .store import BounceStore

    store = BounceStore(config.spool)
    store.ensure()
    ingester = open_ingester(config, store)
    result = process_maildir(ingester, maildir)
    log.info("maildir %s: %d handled, %d bounces recorded, %d unrecognized, %d unreadable",
             maildir, result.handled, result.recorded, result.unrecognized, result.failed)
    run_callbacks(ingester.conn, config, BATCH_CALLBACK_BUDGET)
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
