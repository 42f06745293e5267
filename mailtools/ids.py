"""Queue ids: sortable by time, unique across hosts and processes.

14 hex digits of microseconds since the epoch, then 8 random hex digits:
``ls`` lists the queue in arrival order, and two hosts cannot pick the same
name (O_EXCL on the temporary file guards the rest). The time is the
caller's ``now`` (mailtools.clock, the one clock): under ``MAILTOOLS_NOW`` a
simulated queue's ids, ages (mailtools-metrics reads them from the id) and
retry times agree.
"""

from __future__ import annotations

import os
import re

ID_PATTERN = re.compile(r"^[0-9A-F]{22}$")


def new_id(at: float) -> str:
    micros = int(at * 1_000_000)
    return f"{micros:014X}{os.urandom(4).hex().upper()}"


def is_valid(queue_id: str) -> bool:
    """True for a well-formed id: nothing like ``../`` can pass."""
    return bool(ID_PATTERN.match(queue_id))


def id_time(queue_id: str) -> float:
    """When the message was queued (Unix seconds), read from its id alone: no file opened."""
    return int(queue_id[:14], 16) / 1_000_000
