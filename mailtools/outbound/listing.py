"""mq-list: the queue as rows, one per message and recipient state; or messages whole.

When the recipients of one message end differently, the message is shown
once per state, each time with the recipients in that state and their
errors (DESIGN.md); ``recipient_status`` gives each recipient its own
attempts and last error (as ``postqueue -j`` gives each its delay_reason).
Waiting recipients take the state of the file's directory (queued, active,
deferred, held). Mail in maildrop/ (left by a caller who cannot write
queued/, taken in by the next mq-flush) is listed as its own state,
"maildrop", with what its envelope says, as Postfix's mailq lists its
maildrop. ``show`` is ``postcat -q``: one message, envelope and all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..errors import DataError, NotFound
from ..fsutil import read_file
from .envelope import DROPPED, SENT, Envelope, Recipient, load, parse_envelope, split
from .spool import STATES, Spool

MAILDROP = "maildrop"
LISTED = (MAILDROP, *STATES)  # the states mq-list knows: maildrop/ first, where mail starts
DEFAULT_STATES = (MAILDROP, "queued", "active", "deferred", "held")


def rows(spool: Spool, state: str | None = None, sender: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the mq-list JSON objects, oldest message first within each state directory."""
    if state not in (None, "all") and state not in LISTED:
        raise DataError(f"unknown state {state!r}; one of {', '.join(LISTED)} or all")
    wanted = LISTED if state == "all" else (state,) if state else DEFAULT_STATES
    # A waiting recipient lives in the file's directory, a finished one can be
    # in any file: sent/dropped rows need every directory read.
    directories = STATES if state in (SENT, DROPPED) else LISTED if state == "all" else wanted
    for directory in directories:
        for envelope, size in _envelopes(spool, directory):
            if sender and envelope.sender.lower() != sender.lower():
                continue
            for row in message_rows(envelope, directory, size):
                if row["state"] in wanted:
                    yield row


def _envelopes(spool: Spool, directory: str) -> Iterator[tuple[Envelope, int]]:
    if directory == MAILDROP:
        from .maildrop import peek

        for name in spool.drops():
            yield from peek(spool, name)
        return
    for name in spool.names(directory):
        yield _envelope(spool, directory, name)


def _envelope(spool: Spool, directory: str, name: str) -> tuple[Envelope, int]:
    """The envelope of one queue file and the size of the message in it."""
    queue_id = name.split("~", 1)[0]
    try:
        head, message = split(read_file(spool.path(directory, name)))
        return parse_envelope(head), len(message)
    except (OSError, DataError) as exc:
        return Envelope(id=queue_id, sender="", recipients=[], error=f"unreadable queue file: {exc}"), 0


def message_rows(envelope: Envelope, directory: str, size: int = 0) -> list[dict[str, Any]]:
    groups: dict[str, list] = {}
    for recipient in envelope.recipients:
        row_state = recipient.state if recipient.state in (SENT, DROPPED) else directory
        groups.setdefault(row_state, []).append(recipient)
    if not groups:
        groups[directory] = []
    out = []
    for row_state, members in groups.items():
        errors = list(dict.fromkeys(r.error for r in members if r.error))
        if row_state == "held" and envelope.held_reason:
            errors.insert(0, envelope.held_reason)
        if envelope.error:
            errors.insert(0, envelope.error)
        waiting = row_state not in (SENT, DROPPED)
        out.append({
            "id": envelope.id, "state": row_state, "sender": envelope.sender,
            # The message's attempts (a crashed one included, DESIGN); each recipient's own
            # count and last error are in recipient_status.
            "recipients": [r.address for r in members], "attempts": envelope.attempts,
            "next_attempt": envelope.next_attempt if waiting else None,
            "last_error": "; ".join(errors) or None, "created": envelope.created, "uid": envelope.uid,
            "size": size, "recipient_status": [_recipient(r) for r in members],
        })
    return out


def _recipient(recipient: Recipient) -> dict[str, Any]:
    return {"address": recipient.address, "state": recipient.state, "attempts": recipient.attempts,
            "last_error": recipient.error, "time": recipient.time}


def summary_line(messages: int, size: int) -> str:
    """Postfix's last line of mailq: "-- 3 Kbytes in 2 Requests."."""
    return f"-- {(size + 1023) // 1024} Kbytes in {messages} Request{'' if messages == 1 else 's'}."


def show(spool: Spool, queue_id: str, body: bool = False) -> dict[str, Any]:
    """One message whole, like ``postcat -q``: envelope, each recipient's outcome, headers (and body).

    Also one mq-send left in maildrop/ (by the id it printed), its uid the file owner's, as intake takes it.
    """
    try:
        state, path = spool.find(queue_id)
    except NotFound:
        state, path = MAILDROP, spool.path(MAILDROP, queue_id)
        if not os.path.isfile(path) or os.path.islink(path):
            raise
    try:
        queue_file = load(read_file(path))
        if state == MAILDROP:
            queue_file.envelope.uid = os.lstat(path).st_uid
    except FileNotFoundError:
        raise NotFound(f"no message {queue_id} in the spool (taken in meanwhile? try again)") from None
    except OSError as exc:
        raise NotFound(f"{queue_id}: {exc.strerror}") from None
    envelope, message = queue_file.envelope, queue_file.message
    end = message.find(b"\n\n")
    head, rest = (message, b"") if end < 0 else (message[:end + 1], message[end + 2:])
    shown = {
        "id": envelope.id, "state": state, "sender": envelope.sender, "uid": envelope.uid,
        "created": envelope.created, "message_id": envelope.message_id, "user_id": envelope.user_id,
        "package_id": envelope.package_id, "attempts": envelope.attempts,
        "next_attempt": envelope.next_attempt, "held_reason": envelope.held_reason, "error": envelope.error,
        "source": envelope.source, "dkim": envelope.dkim, "size": len(message),
        "recipients": [_recipient(r) for r in envelope.recipients],
        "headers": head.decode("utf-8", "replace"),
    }
    if body:
        shown["body"] = rest.decode("utf-8", "replace")
    return shown


def format_message(shown: dict[str, Any]) -> str:
    """``show`` for a person: postcat's sections, envelope lines as ``key: value``."""
    lines = [f"*** ENVELOPE {shown['state']}/{shown['id']} ***"]
    for key in ("sender", "uid", "created", "message_id", "user_id", "package_id", "attempts", "next_attempt",
                "held_reason", "error", "source", "dkim", "size"):
        value = shown[key]
        if value is None:
            continue
        if key in ("created", "next_attempt"):
            value = _iso(value)
        lines.append(f"{key}: {'<>' if key == 'sender' and value == '' else value}")
    for r in shown["recipients"]:
        line = f"recipient: {r['address']} state={r['state']} attempts={r['attempts']}"
        if r["time"]:
            line += f" time={_iso(r['time'])}"
        if r["last_error"]:
            line += f" last_error={r['last_error']!r}"
        lines.append(line)
    lines.append("*** HEADERS ***")
    lines.append(shown["headers"].rstrip("\n"))
    if "body" in shown:
        lines.append("*** BODY ***")
        lines.append(shown["body"].rstrip("\n"))
    lines.append(f"*** END OF MESSAGE {shown['id']} ***")
    return "\n".join(lines)


def _iso(at: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def format_row(row: dict[str, Any]) -> str:
    """One grep-able line, like smailer's ``queue`` and postqueue -p."""

    next_try = _iso(row["next_attempt"]) if row["next_attempt"] else "-"
    line = (f"{row['id']}: ({row['sender'] or '<>'} => {', '.join(row['recipients']) or '-'}) "
            f"{row['state']} attempts={row['attempts']} next={next_try}")
    if row["last_error"]:
        line += f" error={row['last_error']!r}"
    return line
