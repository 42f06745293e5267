"""The admin's view of the callback and webhook outbox: list it, replay dead letters.

``bounce-status --outbox`` and ``bounce-sweep --replay`` call these. A row
is *pending* (not tried yet), *retrying* (failed, waiting for ``next_try``)
or *dead* (given up: refused by the receiver or failed too often; kept so
that nothing is lost, and tried again only when replayed).
"""

from __future__ import annotations

import json
from typing import Any

from ..config import Config
from ..errors import DataError, UsageError
from ..state import open_state
from ..state.base import Callback
from . import callbacks

REPLAY_BUDGET = 60.0  # seconds bounce-sweep --replay may spend delivering what it put back


def state_of(callback: Callback) -> str:
    if callback.given_up is not None:
        return "dead"
    return "retrying" if callback.attempts else "pending"


def row_json(callback: Callback) -> dict[str, Any]:
    """One line of ``bounce-status --outbox --json``."""
    try:
        event_id = json.loads(callback.payload).get("id")
    except ValueError:
        event_id = None
    dead = callback.given_up is not None
    return {"id": callback.id, "state": state_of(callback), "kind": callback.kind, "target": callback.target,
            "package_id": callback.package_id, "platform": callback.sending_domain, "address": callback.address,
            "event_id": event_id, "attempts": callback.attempts, "last_error": callback.last_error,
            "next_try": None if dead else callback.next_try, "created": callback.created,
            "given_up": callback.given_up}


def list_outbox(config: Config) -> list[dict[str, Any]]:
    """Every callback that waits or was given up, oldest first (the database opened read-only)."""
    state = open_state(config, readonly=True)
    try:
        return [row_json(c) for c in state.outbox()]
    finally:
        state.close()


def parse_ids(words: list[str]) -> list[int] | None:
    """``ID...`` as integers, or None for ``ALL``."""
    if not words:
        raise UsageError("--replay needs outbox ids (bounce-status --outbox shows them) or ALL")
    if [w.upper() for w in words] == ["ALL"]:
        return None
    try:
        return sorted({int(w) for w in words})
    except ValueError:
        raise UsageError(f"outbox ids are numbers (or ALL alone): {' '.join(words)}") from None


def replay(config: Config, words: list[str], now: float) -> dict[str, Any]:
    """Put dead letters back (due now, attempts from 0) and deliver what is due; {"replayed", "delivered"}.

    Ids that are not dead letters are DataError (65) and nothing changes.
    """
    wanted = parse_ids(words)
    state = open_state(config, create=False)
    try:
        if wanted is not None:
            known = {c.id: c for c in state.outbox()}
            wrong = [f"{i} ({state_of(known[i])})" if i in known else f"{i} (no such row)"
                     for i in wanted if i not in known or known[i].given_up is None]
            if wrong:
                raise DataError(f"not a dead letter: {', '.join(wrong)}; nothing replayed")
        replayed = state.replay_callbacks(wanted, now)
        delivered = callbacks.run_pending(state, config, now, REPLAY_BUDGET) if replayed else 0
        return {"replayed": replayed, "delivered": delivered}
    finally:
        state.close()
