"""mq-ctl: hold, release, delete and requeue messages, like postsuper.

Every action claims the message first (one rename), so it cannot race a
flusher: a message being delivered right now is refused with "try again".
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..errors import DataError, MailtoolsError, NotFound, TempFailure, UsageError
from ..log import get_logger
from .claims import ClaimName
from .envelope import DROPPED, PENDING, SENT
from .spool import Claim, Spool

log = get_logger("mailtools.outbound.control")
ACTIONS = {
    # action: (states it applies to, target state)
    "hold": (("queued", "deferred"), "held"),
    "release": (("held",), "queued"),
    # sent/ too: a message whose other recipients were delivered keeps its dropped ones there
    "requeue": (("queued", "deferred", "held", "dropped", "sent"), "queued"),
    "delete": (("queued", "deferred", "held", "sent", "dropped"), None),
}


class NothingToRequeue(DataError):
    """Every recipient of the message was delivered."""


class Outcome:
    """What one message became: its new ``state``, or the ``error`` (with its exit code) that left it."""

    __slots__ = ("queue_id", "state", "error", "exit_code")

    def __init__(self, queue_id: str, state: str | None = None, error: str | None = None, exit_code: int = 0) -> None:
        self.queue_id, self.state, self.error, self.exit_code = queue_id, state, error, exit_code


BEING_DELIVERED = "being delivered right now"


def apply(config: Config, spool: Spool, action: str, ids: list[str], now: float,
          state: str | None = None) -> Iterator[Outcome]:
    """``mq-ctl ACTION ID...|ALL [--state S]``: one Outcome per message, as it is done.

    What waits in maildrop/ is taken in first, as mq-flush would take it, so
    a message mq-list shows there (a www-data or cron caller's) can be held or
    deleted before the next flush sends it. With ALL, what vanished meanwhile
    or has nothing to requeue is skipped (as postsuper does), and, with no
    ``state``, the messages a flusher holds right now come last, left alone,
    with the error ``BEING_DELIVERED``.
    """
    every = ids == ["ALL"]
    if state and not every:
        raise UsageError("--state goes with ALL (mq-ctl delete ALL --state deferred)")
    spool.ensure()  # a state directory that is a symlink would carry the message out of the spool: 75
    if spool.drops():
        from .maildrop import intake  # only when there is something to take in

        intake(config, spool, now)
    wanted = select_all(spool, action, state) if every else ids
    skipped: tuple[type[Exception], ...] = (NotFound, NothingToRequeue) if every else ()
    # requeue ALL --state dropped: the dropped recipients, wherever their message is (as mq-list shows them)
    only = DROPPED if every and action == "requeue" and state == DROPPED else None
    for queue_id in wanted:
        try:
            yield Outcome(queue_id, state=act(spool, action, queue_id, now, only))
        except skipped:
            continue
        except MailtoolsError as exc:  # 75 busy, 65 bad id, 77 a symlink...: said per message, the rest go on
            yield Outcome(queue_id, error=str(exc), exit_code=exc.exit_code)
    if every and state is None:
        for queue_id in being_delivered(spool):  # exit 0 for these, as postsuper
            yield Outcome(queue_id, error=BEING_DELIVERED)


def select_all(spool: Spool, action: str, state: str | None = None) -> list[str]:
    """The ids ``ALL`` stands for (``postsuper -d ALL deferred``): every message in the
    states ``action`` applies to, or only in ``state``. Listed before anything moves, so
    a message moved by the action (held -> queued) is not met twice."""
    sources = ACTIONS[action][0] if action in ACTIONS else ()
    if state is not None and state not in sources:
        raise UsageError(f"{action} ALL --state {state}: {action} applies to {', '.join(sources)} messages")
    if action == "requeue" and state == DROPPED:
        return _with_dropped(spool)
    return [queue_id for name in ((state,) if state else sources) for queue_id in spool.names(name)]


def _with_dropped(spool: Spool) -> list[str]:
    """What ``mq-list --state dropped`` shows: messages in dropped/, and those elsewhere (sent/,
    deferred/...) with a dropped recipient; not one a flusher holds right now."""
    from .listing import rows

    busy = set(being_delivered(spool))
    return list(dict.fromkeys(row["id"] for row in rows(spool, DROPPED) if row["id"] not in busy))


def being_delivered(spool: Spool) -> list[str]:
    """The ids of the messages a flusher holds right now (claimed in active/): ALL leaves them alone."""
    return sorted({claim.id for claim in map(ClaimName.parse, spool.names("active")) if claim is not None})


def act(spool: Spool, action: str, queue_id: str, now: float, only: str | None = None) -> str:
    """Apply ``action`` to one message; return its new state ("deleted" for delete).

    ``only`` (requeue ALL --state dropped): requeue only the recipients in that
    state; the others keep theirs (a deferred one its attempts and error).
    """
    if action not in ACTIONS:
        raise DataError(f"unknown action {action!r}")
    sources, target = ACTIONS[action]
    state, _ = spool.find(queue_id)  # validates the id: no '../' gets through
    if state == "active":
        raise TempFailure(f"{queue_id} is being delivered right now; try again in a moment")
    if state not in sources:
        raise DataError(f"{queue_id} is {state}; {action} applies to {', '.join(sources)} messages")
    claim = spool.claim(state, queue_id, now)
    if claim is None:
        raise TempFailure(f"{queue_id} was taken by another process; try again")
    if target is None:
        spool.remove(claim)
        log.warning("%s: deleted by an administrator (was %s)", queue_id, state)
        return "deleted"
    try:
        target = _apply(spool, claim, action, target, now, only)
    except BaseException:
        # A damaged file or a full disk: the message goes back as it was. Left in
        # active/, it would look "being delivered" to mq-ctl until a flush recovered
        # it, and recovery would count a crash against it.
        spool.settle(claim, state)
        raise
    log.info("%s: %s -> %s (%s)", queue_id, state, target, action)
    return target


def _apply(spool: Spool, claim: Claim, action: str, target: str, now: float, only: str | None = None) -> str:
    """Rewrite the claimed file for ``action`` and move it to its new state; return that state."""
    queue_file = spool.load(claim.path)
    envelope = queue_file.envelope
    if action == "hold":
        envelope.held_reason = "held by an administrator (mq-ctl hold)"
    else:
        envelope.held_reason, envelope.crashes, envelope.next_attempt = None, 0, None
    if action == "requeue":
        again = [r for r in envelope.recipients if r.state != SENT and (only is None or r.state == only)]
        if not again:
            raise NothingToRequeue(f"{claim.id}: every recipient was delivered; nothing to requeue" if only is None
                                   else f"{claim.id}: no {only} recipient; nothing to requeue")
        for recipient in again:
            # The old error belongs to the old budget: a requeued recipient starts clean.
            recipient.state, recipient.error, recipient.attempts = PENDING, None, 0
        # A fresh retry budget: given up after max_attempts or max_age_days, a
        # requeued message would otherwise get one try and be dropped again.
        envelope.done_at, envelope.attempts, envelope.requeued = None, 0, now
    elif action == "release" and all(r.state in (SENT, DROPPED) for r in envelope.recipients):
        target = "sent" if any(r.state == SENT for r in envelope.recipients) else "dropped"
    spool.rewrite(claim, envelope, queue_file.message)
    spool.settle(claim, target)
    return target
