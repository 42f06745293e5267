"""The bounce record: what the library does with a bounce, an enable, a status question.

The state layer (``mailtools.state``) owns the tables and transactions; this
module decides what to ask of it: which callbacks an event calls for, which
addresses a command may name, and that a re-enable runs its on_enable hooks
at once (the admin or the re-enable page is waiting for them).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import addresses
from ..config import Config
from ..errors import UsageError
from ..log import event as log_event
from ..state import open_state
from ..state.base import AddressStatus, BounceEvent, CallbackTarget, EnableResult, Event, StateStore
from . import callbacks

LOGGER = "mailtools.bounces.records"
ENABLE_CALLBACK_BUDGET = 30.0  # seconds bounce-enable may spend on the hooks it just queued

__all__ = ["BounceEvent", "address_status", "enable_addresses", "enable_by_token", "record_bounce"]


def record_bounce(state: StateStore, event: BounceEvent, config: Config) -> bool:
    """Append the event, count it and queue its callbacks, in one transaction.

    Returns False, changing nothing, when ``event.dsn_key`` was recorded before.
    """
    domain = (event.sending_domain or "").lower() or None
    targets = callbacks.targets(config, "bounce", event.package_id, domain, event.hard)
    return state.record_bounce(event, targets, callbacks.event_json(event, "bounce"))


def address_status(config: Config, addresses: list[str] | None,
                   disabled_only: bool = False) -> list[AddressStatus]:
    """What bounce-status prints, read from the database opened read-only.

    A database that does not exist is TempFailure (75) naming it, never "no record".
    """
    state = open_state(config, readonly=True)
    try:
        return state.address_status(addresses, disabled_only)
    finally:
        state.close()


def address_events(config: Config, address: str) -> list[Event]:
    """Every recorded event of ``address`` (bounce-status --events), oldest first.

    Events outlive Forget, which clears only the counts: they say why an
    address is disabled and let an admin judge the judgement.
    """
    state = open_state(config, readonly=True)
    try:
        return state.events(_check_address(address))
    finally:
        state.close()


def _check_address(raw: str) -> str:
    address = addresses.parse(raw)
    if address is None:
        raise UsageError(f"not an address: {raw!r}")
    return address.lower()


def _enable_and_run(config: Config, now: float, by: str,
                    enable: Callable[[StateStore, list[CallbackTarget]], list[EnableResult]]) -> list[EnableResult]:
    """Enable in the database, then run the on_enable hooks now (DESIGN: when bounce-enable runs).

    A database that does not exist is TempFailure (75): there is nothing to
    enable in it, and a mistyped --spool must not create one.
    """
    state = open_state(config, create=False)
    try:
        results = enable(state, callbacks.targets(config, "enable"))
        for result in results:  # one line per suppression lifted, once committed
            if result.was_disabled:
                log_event(LOGGER, "enabled", to=result.address, by=by)
        if any(r.was_disabled for r in results):
            callbacks.run_pending(state, config, now, ENABLE_CALLBACK_BUDGET)
        return results
    finally:
        state.close()


def enable_addresses(config: Config, addresses: list[str], now: float) -> list[EnableResult]:
    """Lift every suppression and clear every count; run on_enable for those that were suppressed.

    One transaction for all of them, every address checked before anything
    changes. Returns, per address, ``known``, ``was_disabled``, ``enabled``.
    """
    wanted = [_check_address(a) for a in addresses]
    return _enable_and_run(config, now, "address", lambda state, targets: state.enable(wanted, now, targets))


def enable_by_token(config: Config, token: str, now: float) -> EnableResult:
    """Enable the address a notice's token names; the token is spent in the same transaction.

    DataError (forged, expired, reused, of an earlier disable) leaves everything as it was.
    """
    from ..secret import load_secret
    from . import tokens

    checked = tokens.check_token(load_secret(config.spool, create=False, secret_file=config.secret_file), token, now)
    return _enable_and_run(config, now, "token", lambda state, targets: [state.enable_by_token(
        checked.mac, checked.address, checked.expires, checked.episode, now, targets)])[0]
