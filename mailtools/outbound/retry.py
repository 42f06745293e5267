"""When to try a deferred recipient again, and when to give up (Postfix-like)."""

from __future__ import annotations

from ..config import Retry
from .envelope import Envelope

DAY = 86400


def backoff(retry: Retry, attempts: int) -> float:
    """Seconds until the next attempt: min_backoff, doubling per attempt, at most max_backoff."""
    return min(retry.max_backoff, retry.min_backoff * 2 ** max(0, attempts - 1))


def give_up_reason(retry: Retry, envelope: Envelope, now: float) -> str | None:
    """Why the waiting recipients are dropped now (max_age_days or max_attempts), or None."""
    if now - (envelope.requeued or envelope.created) >= retry.max_age_days * DAY:
        return f"gave up: queued longer than {retry.max_age_days:g} days (retry.max_age_days)"
    if envelope.attempts >= retry.max_attempts:
        return f"gave up after {envelope.attempts} attempts (retry.max_attempts)"
    return None
