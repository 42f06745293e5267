"""maildrop/: where applications that cannot run a command leave finished mail.

A file (written under a name starting with '.', then renamed) is taken like
``mq-send -t``; a SOWA smailer XML list becomes one message per item. The
file is first claimed by a rename into intake/ under the queue id it will get
(items get ids derived from it), so a crash half way re-runs the intake
without queueing anything twice. What cannot be parsed goes to dropped/ with
the reason and the original bytes: never lost.
"""

from __future__ import annotations

import hashlib
import os

from .config import Config
from .envelope import Envelope
from .errors import DataError, MailtoolsError, TempFailure, UsageError
from .fsutil import read_file
from .log import get_logger
from .spool import HOST, ClaimName, Spool, _me
from .submit import submit

log = get_logger("mailtools.maildrop")
MAX_SIZE = 50 * 1024 * 1024


def intake(config: Config, spool: Spool, now: float) -> int:
    """Queue everything in maildrop/ (and finish intakes a crash left); return how many files."""
    done = 0
    for name in spool.names("intake"):
        owner = ClaimName.parse(name.rsplit("~", 1)[0])
        if owner is not None and owner.is_stale(now):
            _process(config, spool, name, now)
            done += 1
    try:
        entries = sorted(e.name for e in os.scandir(spool.dir("maildrop"))
                         if not e.name.startswith(".") and e.is_file(follow_symlinks=False))
    except FileNotFoundError:
        return done
    for name in entries:
        queue_id = spool.new_id()
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:80]
        claimed = f"{queue_id}~{HOST}~{_me()}~{now:.0f}~{safe}"
        try:
            os.rename(spool.path("maildrop", name), spool.path("intake", claimed))
        except FileNotFoundError:
            continue  # another flusher took it
        _process(config, spool, claimed, now)
        done += 1
    return done


def _process(config: Config, spool: Spool, claimed: str, now: float) -> None:
    queue_id, original = claimed.split("~", 1)[0], claimed.rsplit("~", 1)[1]
    path = spool.path("intake", claimed)
    raw = read_file(path)
    try:
        items = parse_items(raw)
    except (DataError, UsageError) as exc:
        _drop(spool, queue_id, raw, f"maildrop file {original!r} could not be parsed: {exc}", now)
    else:
        for index, item in enumerate(items):
            item_id = queue_id if len(items) == 1 else _item_id(queue_id, index)
            if _exists(spool, item_id):
                continue  # queued before a crash
            try:
                _queue(config, spool, item_id, item, original)
            except TempFailure:
                raise
            except MailtoolsError as exc:
                _drop(spool, item_id, item, f"maildrop file {original!r} item {index + 1}: {exc}", now)
    os.unlink(path)


def parse_items(raw: bytes) -> list[bytes]:
    """One RFC 5322 message, or the messages an XML list describes."""
    if len(raw) > MAX_SIZE:
        raise DataError(f"larger than {MAX_SIZE} bytes")
    if raw.lstrip()[:5] in (b"<?xml", b"<list"):
        from .smailer import parse_smailer  # only XML drops need ElementTree

        return parse_smailer(raw)
    return [raw]


def _queue(config: Config, spool: Spool, item_id: str, raw: bytes, original: str) -> None:
    # The intake's own id, derived from the claim, lets a replay after a
    # crash recognise what it already queued.
    submit(config, spool, raw, None, [], extract=True, source=f"maildrop:{original}", queue_id=item_id)


def _drop(spool: Spool, queue_id: str, raw: bytes, reason: str, now: float) -> None:
    log.error("%s: dropped: %s", queue_id, reason)
    envelope = Envelope(id=queue_id, sender="", recipients=[], created=now, done_at=now,
                        error=reason, source="maildrop")
    spool.write("dropped", envelope, raw)


def _item_id(queue_id: str, index: int) -> str:
    digest = hashlib.sha256(f"{queue_id}/{index}".encode()).hexdigest()[:8].upper()
    return queue_id[:14] + digest


def _exists(spool: Spool, queue_id: str) -> bool:
    try:
        spool.find(queue_id)
        return True
    except DataError:
        return False

