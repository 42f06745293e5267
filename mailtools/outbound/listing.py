"""mq-list: the queue as rows, one per message and recipient state.

When the recipients of one message end differently, the message is shown
once per state, each time with the recipients in that state and their
errors (DESIGN.md). Waiting recipients take the state of the file's
directory (queued, active, deferred, held).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import DataError
from ..fsutil import read_file
from .envelope import DROPPED, SENT, Envelope, parse_envelope, split
from .spool import STATES, Spool

DEFAULT_STATES = ("queued", "active", "deferred", "held")


def rows(spool: Spool, state: str | None = None, sender: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the mq-list JSON objects, oldest message first within each state directory."""
    if state not in (None, "all") and state not in STATES:
        raise DataError(f"unknown state {state!r}; one of {', '.join(STATES)} or all")
    wanted = STATES if state == "all" else (state,) if state else DEFAULT_STATES
    # A waiting recipient lives in the file's directory, a finished one can be
    # in any file: sent/dropped rows need every directory read.
    directories = STATES if state in ("all", SENT, DROPPED) else wanted
    for directory in directories:
        for name in spool.names(directory):
            envelope = _envelope(spool, directory, name)
            if sender and envelope.sender.lower() != sender.lower():
                continue
            for row in message_rows(envelope, directory):
                if row["state"] in wanted:
                    yield row


def _envelope(spool: Spool, directory: str, name: str) -> Envelope:
    queue_id = name.split("~", 1)[0]
    try:
        head, _ = split(read_file(spool.path(directory, name)))
        return parse_envelope(head)
    except (OSError, DataError) as exc:
        return Envelope(id=queue_id, sender="", recipients=[], error=f"unreadable queue file: {exc}")


def message_rows(envelope: Envelope, directory: str) -> list[dict[str, Any]]:
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
            "recipients": [r.address for r in members], "attempts": envelope.attempts,
            "next_attempt": envelope.next_attempt if waiting else None,
            "last_error": "; ".join(errors) or None, "created": envelope.created, "uid": envelope.uid,
        })
    return out


def format_row(row: dict[str, Any]) -> str:
    """One grep-able line, like smailer's ``queue`` and postqueue -p."""
    import time

    next_try = (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["next_attempt"]))
                if row["next_attempt"] else "-")
    line = (f"{row['id']}: ({row['sender'] or '<>'} => {', '.join(row['recipients']) or '-'}) "
            f"{row['state']} attempts={row['attempts']} next={next_try}")
    if row["last_error"]:
        line += f" error={row['last_error']!r}"
    return line
