"""The one clock every time decision reads.

``MAILTOOLS_NOW`` (ISO 8601 or Unix seconds) replaces it, so a test or a
simulation can run a month of retries and sweeps in a second.
"""

from __future__ import annotations

import os
import time

from .errors import ConfigError


def now() -> float:
    """Unix seconds, from ``MAILTOOLS_NOW`` when it is set."""
    value = os.environ.get("MAILTOOLS_NOW")
    if not value:
        return time.time()
    return parse_time(value)


def parse_time(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    from datetime import UTC, datetime  # here: mq-send's enqueue never parses a time (~1 ms)

    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"MAILTOOLS_NOW: not ISO 8601 or Unix seconds: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
