"""What the pages do, over the state database: the real ``Actions`` of mailtools.web.app.

Unsubscribe: the token names the address, the package (or none: all mail)
and the sending domain; acting suppresses with reason ``unsubscribe`` and
origin ``one-click`` (a receiver's POST) or ``web`` (the page's button),
records the event and queues on_unsubscribe and the platform webhook (run by
the next bounce-ingest or bounce-sweep: a receiver's POST is answered at once).
Acting twice changes nothing the second time.

Re-enable: a notice's token, the path of ``bounce-enable --token``
(records.enable_by_token: spent in the same transaction, on_enable run).
Showing its page already says 410 when the token was used, or belongs to a
disable that is over, so nobody is offered a button that cannot work.
"""

from __future__ import annotations

from collections.abc import Callable

from ..bounces import records, suppression, tokens, unsubscribe
from ..clock import now as clock_now
from ..config import Config
from ..log import get_logger
from ..secret import load_secret
from ..state import open_state

log = get_logger(__name__)


class StateActions:
    """The pages' actions for one installation (its config, secret and database)."""

    def __init__(self, config: Config, clock: Callable[[], float] = clock_now) -> None:
        self.config = config
        self.clock = clock

    def _secret(self) -> bytes:
        # Read per request (it is cached): a server started before the first mail was sent works once it was.
        return load_secret(self.config.spool, create=False, secret_file=self.config.secret_file)

    def unsubscribe_address(self, token: str) -> str:
        return unsubscribe.read_token(self._secret(), token).address

    def unsubscribe(self, token: str, origin: str = "one-click") -> str:
        named = unsubscribe.read_token(self._secret(), token)
        package = named.package_id or None
        row = suppression.record(self.config, named.address, "unsubscribe", origin, self.clock(), scope=package,
                                 package_id=package, sending_domain=named.sending_domain or None)
        state = open_state(self.config, create=False)
        try:
            new = state.record_suppressions([row])[0]
        finally:
            state.close()
        log.info("unsubscribe: to=<%s> package=%s origin=%s suppressed=%s", named.address, package or "-", origin,
                 "new" if new else "already")
        return named.address

    def reenable_address(self, token: str) -> str:
        checked = tokens.check_token(self._secret(), token, self.clock())
        state = open_state(self.config, readonly=True)
        try:
            state.check_reenable(checked.mac, checked.address, checked.episode)
        finally:
            state.close()
        return checked.address

    def reenable(self, token: str) -> str:
        return records.enable_by_token(self.config, token, self.clock()).address
