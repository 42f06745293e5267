"""Crash recovery: messages whose claimant died go back; repeat offenders are held.

Mailman's Switchboard recovers its ``.bak`` files on start; here every
mq-flush run does it first. A recovered message goes to ``deferred/``, due
``now``: this run still delivers it, after the queued mail (back in
``queued/`` its old id would sort first and put it in the first batch of
every run), and mq-flush then sends it alone, so a message that itself kills
the flusher is the one held after MAX_CRASHES, not its whole batch.
"""

from __future__ import annotations

import time

from ..errors import DataError, TempFailure
from ..log import get_logger
from .claims import Claim, ClaimName, claim_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .spool import Spool

log = get_logger(__name__)
MAX_CRASHES = 3
STALE_TMP = 24 * 3600  # a file in tmp/ this old (by ctime) was left by a killed writer


def recover(spool: Spool, now: float) -> list[str]:
    """Put back the messages whose claimant died; hold repeat offenders; return their ids."""
    spool.clean_tmp(time.time() - STALE_TMP)
    recovered = []
    for name in spool.names("active"):
        owner = ClaimName.parse(name)
        if owner is None or not owner.is_stale(now):
            continue
        claim = _take_over(spool, name, owner, now)
        if claim is None:
            continue
        try:
            queue_file = spool.load(claim.path)
        except DataError as exc:
            # Not a complete queue file (a disk that lost data): held as it is for
            # a person, as delivery does, instead of stopping every run here.
            log.error("%s: damaged queue file in a dead claim, held for a person to look at: %s",
                      claim.id, exc)
            spool.settle(claim, "held")
            recovered.append(claim.id)
            continue
        envelope = queue_file.envelope
        envelope.crashes += 1
        envelope.attempts += 1
        for recipient in envelope.waiting:  # the crashed attempt may have reached the server for each
            recipient.attempts += 1
        if envelope.crashes >= MAX_CRASHES:
            envelope.held_reason = (f"held after {envelope.crashes} crashed deliveries "
                                    f"(last claim by {owner.host} pid {owner.pid})")
            target, envelope.next_attempt = "held", None
        else:
            target, envelope.next_attempt = "deferred", now
        try:
            spool.rewrite(claim, envelope, queue_file.message)
        except TempFailure as exc:
            # A full disk: rewriting needs room for the whole message, a rename
            # none. Back to deferred unchanged (the crash goes uncounted) rather
            # than stop every run here until space returns.
            log.warning("%s: could not record the crash (%s); back in deferred as it was", claim.id, exc)
            target = "deferred"
        spool.settle(claim, target)
        recovered.append(claim.id)
    return recovered


def _take_over(spool: Spool, name: str, owner: ClaimName, now: float) -> Claim | None:
    taken = claim_name(owner.id, now)
    if not spool.take_over("active", name, taken):
        return None
    return Claim(owner.id, spool.path("active", taken), "active")



