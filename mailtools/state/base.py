"""The state layer's interface: what the library asks of the database, by meaning.

Every table, statement, transaction and schema migration lives behind
``StateStore``; the rest of the library never sees SQL. A second backend
(PostgreSQL) is a second class with these methods, and the interface's own
tests (tests/test_state.py) run against each.

Addresses are stored lower-cased; every method lower-cases what it is given.
Times are Unix seconds, always passed in (``now``), never read here.

The rows are ``Row`` classes: fields declared once, as in a dataclass, and
``row._asdict()`` for the JSON fields. Not dataclasses nor ``typing.NamedTuple``:
the bounce-ingest pipe (one process per bounce, a 50 ms budget) reads and
writes them, and ``dataclasses`` costs it 5 ms of imports, ``typing`` and
NamedTuple's class building 5 ms more. Type checkers see each row's
constructor through ``dataclass_transform`` (PEP 681), and ``StateStore`` as
a Protocol; at run time both are plain classes.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs the pipe ~3 ms of start-up; only checkers need it
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from contextlib import AbstractContextManager
    from typing import Any, ClassVar, Protocol, Self, dataclass_transform
else:
    Protocol = object

    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls

SCHEMA_VERSION = 8  # 1, 2: PRAGMA user_version before this package; 4: figures; 5: sendlog_message_id;
# 6: events.diagnostic; 7: sweep_runner; 8: copied_keys
REASONS = ("bounce", "complaint", "unsubscribe", "manual")  # DESIGN "Suppression"
ALL_MAIL = ""  # the scope of a suppression that covers all mail (else a package id)


@dataclass_transform()
class Row:
    """A record of the state layer: its fields are the annotated names of the class, in order.

    Built by position or keyword, with the class attribute of a field as its
    default; compared by value; ``_asdict()`` and ``_replace()`` as a
    NamedTuple's; iterable and indexable, so a row unpacks like one.
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls) -> None:
        cls._fields = tuple(cls.__dict__.get("__annotations__", ()))
        cls._defaults = {name: cls.__dict__[name] for name in cls._fields if name in cls.__dict__}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, not {len(args)}")
        values = dict(zip(fields, args, strict=False))  # the rest from keywords or defaults
        for name in kwargs:
            if name not in fields or name in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {name!r}")
        values.update(kwargs)
        for name in fields:
            if name not in values:
                if name not in self._defaults:
                    raise TypeError(f"{type(self).__name__}: missing field {name!r}")
                values[name] = self._defaults[name]
        self.__dict__.update(values)

    def _asdict(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in self._fields}

    def _replace(self, **changes: Any) -> Self:
        return type(self)(**{**self._asdict(), **changes})

    def __iter__(self) -> Iterator[Any]:
        return (self.__dict__[name] for name in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __getitem__(self, index: int | slice) -> Any:
        return tuple(self)[index]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._asdict() == other._asdict()

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._asdict().items())})"


class SendRecord(Row):
    """One recipient of one sent message: what a bounce's VERP hash is verified against."""

    hash: str
    recipient: str
    message_id: str | None
    user_id: str | None
    package_id: str | None
    sender: str | None
    queue_id: str | None
    time: float


class BounceEvent(Row):
    address: str
    user_id: str | None
    package_id: str | None
    sending_domain: str | None  # domain of the original sender (the soft counter is per address and domain)
    reason: str
    status: str | None
    hard: bool
    time: float
    message_id: str | None  # the original message's Message-ID
    dsn_key: str  # dedupe key: a redelivered bounce has the same one
    bounce_file: str | None  # path of the stored raw bounce
    diagnostic: str | None = None  # the reply or text the reason was read from (bounce-status --events)


class CallbackTarget(Row):
    """Who hears of an event: a package's hook command or a platform's webhook."""

    target: str  # "command" | "webhook"
    package_id: str | None = None
    sending_domain: str | None = None


class Callback(Row):
    """One row of the callback/webhook outbox."""

    id: int
    kind: str  # bounce | disable | enable | complaint | unsubscribe
    target: str
    package_id: str | None
    sending_domain: str | None
    address: str
    payload: str  # the event as JSON
    next_try: float
    attempts: int
    last_error: str | None = None
    created: float | None = None
    given_up: float | None = None  # when it became a dead letter (None: still tried)


class AddressStatus(Row):
    """What bounce-status shows of one address."""

    address: str
    user_id: str | None
    hard_bounces: int
    soft_bounces: int
    disabled: bool
    first_bounce: float | None
    last_bounce: float | None
    notices_sent: int
    last_notice: float | None
    disabled_at: float | None
    last_sent: float | None
    soft_by_domain: dict[str, int] = {}  # noqa: RUF012 - a row is never changed in place
    suppressed: str | None = None  # the reason of an all-mail suppression
    suppressed_since: float | None = None
    unsubscribed_packages: list[str] = []  # noqa: RUF012 - packages whose mail it left (DESIGN "Suppression")
    origin: str | None = None  # who suppressed it for all mail (an export re-imports with it)
    # per package whose mail it left: {"package_id", "origin", "since"} (unsubscribed_packages gives the ids)
    package_unsubscribes: list[dict[str, Any]] = []  # noqa: RUF012 - a row is never changed in place


class Event(Row):
    """One recorded event of an address (bounce-status --events)."""

    time: float
    kind: str
    reason: str
    hard: bool
    status: str | None
    message_id: str | None
    package_id: str | None
    diagnostic: str | None = None


class Suppression(Row):
    address: str
    reason: str
    origin: str
    since: float
    package_id: str | None = None  # None: all mail


class EnableResult(Row):
    address: str
    known: bool  # the database had a record or a suppression of it
    was_disabled: bool  # it was suppressed (for any reason)
    enabled: bool


class NoticeDue(Row):
    address: str
    user_id: str | None
    hard_bounces: int
    notices_sent: int
    disabled_at: float | None


class NoticeIntent(Row):
    """A notice written down before it was queued (so a killed sweep neither loses nor repeats it)."""

    address: str
    queue_id: str
    notices_sent: int
    planned_at: float


# -- complaints and unsubscribes (issue 14) ---------------------------------------
class SuppressionRecord(Row):
    """One suppression to record with its event and callbacks (a complaint, an unsubscribe, an import)."""

    address: str
    reason: str  # complaint | unsubscribe | manual | bounce: the suppression's reason and the event's kind
    origin: str  # arf | mailto | one-click | web | bounce-disable | import
    time: float
    scope: str | None = None  # the package whose mail it stops; None: all mail
    package_id: str | None = None  # the package of the mail it is about (the event's and the hooks')
    user_id: str | None = None
    message_id: str | None = None
    sending_domain: str | None = None
    detail: str | None = None  # the event's reason (an ARF Feedback-Type); default the origin
    key: str | None = None  # a report's own key: the same report again records nothing
    callbacks: tuple[CallbackTarget, ...] = ()
    payload: dict[str, Any] | None = None  # the event as the callbacks get it
# -- end of complaints and unsubscribes (issue 14) ----------------------------------


class Figures(Row):
    """What mailtools-metrics reads from the database (issue 15), each a bounded set of rows."""

    stored: list[tuple[str, dict[str, str], float]]  # (name, labels, value): persistent counters, last sweep
    suppressed: dict[str, int]  # reason -> addresses no mail reaches
    outbox: dict[str, int]  # pending | retrying | dead -> callbacks


class StateStore(Protocol):
    """The state database, by meaning. Each writing method is one transaction."""

    url: str
    where: str  # the file, or host:port/database: what messages name (never a password)
    found_version: int  # the schema version found on opening (0: none), before any upgrade

    def close(self) -> None: ...

    # -- the send log --------------------------------------------------
    def add_sends(self, rows: Iterable[SendRecord]) -> None: ...
    def lookup_send(self, digest: str) -> SendRecord | None: ...
    def mark_sent(self, addresses: Iterable[str], now: float) -> None: ...

    # -- suppression ---------------------------------------------------
    def is_suppressed(self, addresses: Iterable[str], package_id: str | None = None) -> dict[str, str]: ...
    def suppress(self, address: str, reason: str, origin: str, now: float,
                 package_id: str | None = None) -> bool: ...
    def lift_suppression(self, address: str, reason: str | None = None,
                         package_id: str | None = None) -> int: ...
    def suppressions(self, reason: str | None = None) -> list[Suppression]: ...

    # -- bounces and what bounce-status shows ---------------------------
    def record_bounce(self, event: BounceEvent, callbacks: list[CallbackTarget],
                      payload: dict[str, Any]) -> bool: ...
    def address_status(self, addresses: list[str] | None, disabled_only: bool = False) -> list[AddressStatus]: ...
    def events(self, address: str) -> list[Event]: ...
    def enable(self, addresses: list[str], now: float, callbacks: list[CallbackTarget]) -> list[EnableResult]: ...
    def enable_by_token(self, mac: str, address: str, expires: float, episode: int, now: float,
                        callbacks: list[CallbackTarget]) -> EnableResult: ...

    # -- complaints and unsubscribes (issue 14) ---------------------------
    def record_suppressions(self, rows: list[SuppressionRecord]) -> list[bool]: ...
    def sends_for_message(self, message_id: str) -> list[SendRecord]: ...
    def check_reenable(self, mac: str, address: str, episode: int) -> None: ...

    # -- the daily sweep (set-based) -----------------------------------
    def dry_run(self) -> AbstractContextManager[None]: ...
    def sweep_forget(self, now: float, max_days: float) -> int: ...
    def sweep_escalate(self, now: float, window: float, threshold: int) -> int: ...
    def sweep_disable(self, now: float, max_bounce_count: int,
                      callbacks: list[CallbackTarget]) -> list[tuple[str, int]]: ...
    def notices_due(self, now: float, max_count: int, interval: float) -> list[NoticeDue]: ...
    def count_notices_due(self, now: float, max_count: int, interval: float) -> int: ...
    def last_bounce(self, address: str) -> tuple[str, str | None, float] | None: ...
    def notice_intents(self) -> list[NoticeIntent]: ...
    def plan_notice(self, intent: NoticeIntent) -> None: ...
    def drop_notice_intent(self, address: str) -> None: ...
    def count_notice(self, address: str, notices_sent: int, when: float) -> int: ...
    def purge(self, sends_before: float, events_before: float, now: float) -> int: ...
    def try_lock_sweep(self, host: str, pid: int, now: float) -> tuple[str, int, float] | None: ...
    def unlock_sweep(self) -> None: ...
    def sweeper(self) -> tuple[str, int, float] | None: ...

    # -- whole tables, for mailtools-db copy (state/manage.py) -----------
    def table_rows(self, table: str, batch: int = 5000) -> Iterator[tuple[list[str], list[tuple]]]: ...
    def insert_missing(self, table: str, columns: list[str], rows: list[tuple], source: str) -> tuple[int, int]: ...
    def count_rows(self, table: str) -> int: ...

    # -- the callback/webhook outbox -----------------------------------
    def due_callbacks(self, now: float) -> list[Callback]: ...
    def claim_callback(self, callback_id: int, now: float, lease_until: float) -> bool: ...
    def callback_done(self, callback_id: int) -> None: ...
    def callback_failed(self, callback_id: int, next_try: float, error: str) -> None: ...
    def drop_callback(self, callback_id: int) -> None: ...

    # -- outbox admin and metrics (issue 15) ----------------------------
    def outbox(self) -> list[Callback]: ...
    def give_up_callback(self, callback_id: int, now: float, error: str) -> None: ...
    def replay_callbacks(self, callback_ids: list[int] | None, now: float) -> list[int]: ...
    def add_counts(self, name: str, counts: Iterable[tuple[dict[str, str], float]]) -> None: ...
    def set_figure(self, name: str, value: float) -> None: ...
    def figures(self) -> Figures: ...


def chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """``IN (...)`` lists short enough for any backend's parameter limit."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
