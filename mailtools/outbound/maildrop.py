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
import time

from ..config import Config
from ..errors import DataError, MailtoolsError, TempFailure, UsageError
from ..fsutil import read_file, unlink_quietly
from ..ids import is_valid
from ..log import get_logger
from .claims import ClaimName, claim_name
from .envelope import Envelope, Recipient, load
from .spool import Spool
from .submit import build, log_queued

log = get_logger("mailtools.outbound.maildrop")
BATCH = 256  # maildrop files queued per filesystem sync
MAX_SIZE = 50 * 1024 * 1024
ABANDONED = 24 * 3600  # a ".name" maildrop file unchanged this long was left by a dead writer


def intake(config: Config, spool: Spool, now: float) -> int:
    """Queue everything in maildrop/ (and finish intakes a crash left); return how many files."""
    leftovers = [taken for taken in (_take_over(spool, name, now) for name in spool.names("intake")
                                     if _is_stale(name, now)) if taken]
    done = _process_batches(config, spool, leftovers, now, replay=True)
    try:
        found = [e for e in os.scandir(spool.dir("maildrop")) if e.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return done
    _remove_abandoned([e for e in found if e.name.startswith(".")])
    entries = sorted(e.name for e in found if not e.name.startswith("."))
    for start in range(0, len(entries), BATCH):
        claimed = [c for c in (_claim(spool, name, now) for name in entries[start:start + BATCH]) if c]
        done += _process_batches(config, spool, claimed, now, replay=False)
    return done


def _remove_abandoned(writing: list[os.DirEntry]) -> None:
    """Dot files untouched for a day were left by a writer that died (an mq-send killed
    before its rename, which never told its caller 0): nobody will finish them."""
    limit = time.time() - ABANDONED  # file times are real time, not MAILTOOLS_NOW
    for entry in writing:
        try:
            if entry.stat(follow_symlinks=False).st_mtime < limit:
                os.unlink(entry.path)
                log.warning("removed %s: an unfinished maildrop file, untouched for a day", entry.path)
        except OSError:
            continue  # finished and renamed meanwhile


def _is_stale(name: str, now: float) -> bool:
    owner = ClaimName.parse(name.rsplit("~", 1)[0])
    return owner is not None and owner.is_stale(now)


def _take_over(spool: Spool, name: str, now: float) -> str | None:
    """Re-claim a dead intake for this process (same queue id), as recovery does for active/.

    Without it two flushers starting together would both replay the leftover:
    the second publish puts the message back in queued/ while the first run is
    already delivering it (sent twice), and its final unlink finds nothing.
    """
    queue_id, original = name.split("~", 1)[0], name.rsplit("~", 1)[1]
    taken = f"{claim_name(queue_id, now)}~{original}"
    return taken if spool.take_over("intake", name, taken) else None  # None: another flusher won


def _claim(spool: Spool, name: str, now: float) -> str | None:
    """Rename a maildrop file into intake/ under the queue id it will get.

    mq-send's drops are named by the id it printed: they keep it, unless the
    spool has that id already (a forged name must not replace a message).
    """
    queue_id = name if is_valid(name) and not _exists(spool, name) else spool.new_id(now)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:80]
    claimed = f"{claim_name(queue_id, now)}~{safe}"
    try:
        os.rename(spool.path("maildrop", name), spool.path("intake", claimed))
    except FileNotFoundError:
        return None  # another flusher took it
    return claimed


def _process_batches(config: Config, spool: Spool, claimed: list[str], now: float, replay: bool) -> int:
    """Queue a batch of claimed files with one filesystem sync, then let the claims go.

    Every queue file is complete and synced before it is renamed into place,
    and a claimed file is removed only after what it became is durable.
    """
    staged: list[tuple[str, str, str]] = []
    try:
        for name in claimed:
            staged.extend(_stage(config, spool, name, now, replay))
        if staged:
            spool.sync()
        for tmp, state, queue_id in staged:
            spool.publish_new(tmp, state, queue_id)
    except BaseException:
        for tmp, _, _ in staged:
            unlink_quietly(tmp)
        raise
    for state in {state for _, state, _ in staged}:
        spool.sync_dir(state)
    for name in claimed:
        os.unlink(spool.path("intake", name))
    return len(claimed)


def _stage(config: Config, spool: Spool, claimed: str, now: float, replay: bool) -> list[tuple[str, str, str]]:
    queue_id, original = claimed.split("~", 1)[0], claimed.rsplit("~", 1)[1]
    path = spool.path("intake", claimed)
    raw = read_file(path)
    uid = os.lstat(path).st_uid  # who dropped it: the file's owner, not what the file claims
    try:
        requests = parse_requests(raw, now)
    except (DataError, UsageError) as exc:
        return [_drop(spool, queue_id, raw, f"maildrop file {original!r} could not be parsed: {exc}", now, uid)]
    staged = []
    for index, request in enumerate(requests):
        item_id = queue_id if len(requests) == 1 else _item_id(queue_id, index)
        if replay and _exists(spool, item_id):
            continue  # queued before a crash
        source = "mq-send" if request.sender is not None else f"maildrop:{original}"
        try:
            envelope, message = build(config, request.message, request.sender, request.recipients,
                                      user_id=request.user_id, package_id=request.package_id,
                                      extract=request.sender is None, source=source, queue_id=item_id,
                                      now=now, uid=uid, unsubscribe=request.unsubscribe)
        except TempFailure:
            raise
        except MailtoolsError as exc:
            staged.append(_drop(spool, item_id, request.message,
                                f"maildrop file {original!r} item {index + 1}: {exc}", now, uid))
            continue
        log_queued(envelope, len(message), "queued")
        staged.append((spool.stage(envelope, message), "queued", item_id))
    return staged


class Request:
    """One message to queue from a maildrop file; ``sender`` None: taken like mq-send -t."""

    def __init__(self, message: bytes, sender: str | None = None, recipients: list[str] | None = None,
                 user_id: str | None = None, package_id: str | None = None, unsubscribe: bool = False) -> None:
        self.message, self.sender, self.recipients = message, sender, recipients or []
        self.user_id, self.package_id = user_id, package_id
        self.unsubscribe = unsubscribe  # mq-send --unsubscribe: headers made here (the caller may lack the secret)


def parse_requests(raw: bytes, now: float) -> list[Request]:
    """mq-send's envelope and message, one plain RFC 5322 message, or a smailer XML list.

    From mq-send's envelope only the sender, recipients and ids are taken: they
    are checked again as mq-send checks them, and nothing else (a uid, a
    "bypass suppression" flag, a DKIM mark) is believed from a file any local
    user can write.
    """
    if len(raw) > MAX_SIZE:
        raise DataError(f"larger than {MAX_SIZE} bytes")
    if raw.startswith(b"{"):
        queue_file = load(raw)
        envelope = queue_file.envelope
        return [Request(queue_file.message, envelope.sender, [r.address for r in envelope.recipients],
                        envelope.user_id, envelope.package_id, bool(envelope.unsubscribe))]
    return [Request(item) for item in parse_items(raw, now)]


def peek(spool: Spool, name: str) -> list[tuple[Envelope, int]]:
    """What one maildrop file says, before mq-flush takes it in (mq-list): an envelope per message
    it holds, and the message's size. Nothing is claimed, changed or qualified with myorigin.

    mq-send's drop gives its envelope (the uid is the file's owner's, as intake will take it);
    a plain message its From and To/Cc/Bcc, as ``mq-send -t`` will read them; a smailer list one
    envelope per item. Its id is the file's name (the id mq-send printed, for its drops). What
    cannot be read or parsed is one envelope whose ``error`` says why: the next mq-flush drops it.
    """
    path = spool.path("maildrop", name)
    source = f"maildrop:{name}"
    try:
        info = os.lstat(path)
        raw = read_file(path)
    except FileNotFoundError:
        return []  # taken in meanwhile
    except OSError as exc:
        return [(Envelope(id=name, sender="", recipients=[], error=f"unreadable maildrop file: {exc.strerror}",
                          source=source), 0)]
    uid, created = info.st_uid, info.st_mtime
    try:
        if raw.startswith(b"{"):
            queue_file = load(raw)
            envelope = queue_file.envelope
            envelope.id, envelope.uid, envelope.source = name, uid, envelope.source or source
            return [(envelope, len(queue_file.message))]
        found = []
        for item in parse_items(raw, created):
            from . import message as msg  # only plain drops need the header parser

            headers, _ = msg.split_headers(msg.normalise_newlines(item))
            senders = msg.header_addresses(headers, ("from",))
            rcpts = msg.header_addresses(headers, ("to", "cc", "bcc"))
            envelope = Envelope(id=name, sender=senders[0] if senders else "", recipients=list(map(Recipient, rcpts)),
                                message_id=msg.header(headers, "message-id"), created=created, source=source, uid=uid)
            found.append((envelope, len(item)))
        return found
    except (DataError, UsageError) as exc:
        return [(Envelope(id=name, sender="", recipients=[], created=created, uid=uid, source=source,
                          error=f"cannot be parsed, the next mq-flush drops it: {exc}"), len(raw))]


def parse_items(raw: bytes, now: float) -> list[bytes]:
    """One RFC 5322 message, or the messages an XML list describes (dated ``now`` when an item has no time)."""
    if raw.lstrip()[:5] in (b"<?xml", b"<list"):
        from .smailer import parse_smailer  # only XML drops need ElementTree

        return parse_smailer(raw, now)
    return [raw]


def _drop(spool: Spool, queue_id: str, raw: bytes, reason: str, now: float,
          uid: int) -> tuple[str, str, str]:
    log.error("%s: uid=%d dropped: %s", queue_id, uid, reason)
    envelope = Envelope(id=queue_id, sender="", recipients=[], created=now, done_at=now,
                        error=reason, source="maildrop", uid=uid)
    return spool.stage(envelope, raw), "dropped", queue_id



def _item_id(queue_id: str, index: int) -> str:
    digest = hashlib.sha256(f"{queue_id}/{index}".encode()).hexdigest()[:8].upper()
    return queue_id[:14] + digest


def _exists(spool: Spool, queue_id: str) -> bool:
    try:
        spool.find(queue_id)
        return True
    except DataError:
        return False
