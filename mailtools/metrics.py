"""mailtools-metrics: the figures DESIGN "Metrics" lists, in Prometheus' text format.

The queue is read from the spool's directories (one ``scandir`` per state,
no queue file opened: a queue id says when its message was queued), the
rest from the state database opened read-only: persistent counters kept in
the same transactions as what they count (``figures`` table), suppressions
and the outbox grouped by one statement each. prometheus_client writes the
format (and the textfile atomically); a custom collector yields exactly
these families, not the client's default process and platform metrics.

Every label has a small fixed set of values (spool states, delivery
results, reasons), never an address or a queue id. The label values that
are known in advance are always present, at 0 when nothing happened, so
``rate()`` and alert rules see a series from the first scrape.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from .config import Config
from .errors import PermissionDenied, TempFailure
from .ids import id_time, is_valid
from .outbound.spool import STATES, Spool
from .state import open_state
from .state.base import REASONS, Figures, StateStore

DELIVERIES = "deliveries"  # figures' names in the state database
BOUNCES = "bounces"
LAST_SWEEP = "last_sweep"
MAILDROP = "maildrop"  # mail not yet taken in by mq-flush: a queue state of its own, as in mq-list
RESULTS = ("sent", "deferred", "dropped", "suppressed")  # mq-flush's summary
OUTBOX_STATES = ("pending", "retrying", "dead")
KNOWN_BOUNCES = ({"kind": "bounce", "hard": "true"}, {"kind": "bounce", "hard": "false"})


def queue_figures(spool: Spool, now: float) -> dict[str, tuple[int, float]]:
    """{state: (messages, age in seconds of the oldest)} for every spool state; age 0 when empty.

    maildrop/ counts as a state of its own (mq-list's "maildrop"): one message per
    finished file; a plain drop's name is no queue id, so its age is its file's.
    """
    figures = {MAILDROP: _maildrop_figures(spool, now)}
    for state in STATES:
        count, oldest = 0, None
        try:
            for name in spool.scan(state):
                count += 1
                queue_id = name.split("~", 1)[0]  # active/ names are "<id>~<claim>"
                if is_valid(queue_id) and (oldest is None or queue_id < oldest):
                    oldest = queue_id  # ids sort by the time they were made
        except PermissionError:
            raise PermissionDenied(f"cannot read {spool.dir(state)}: permission denied "
                                   "(run as the spool's owner or root)") from None
        figures[state] = (count, max(0.0, now - id_time(oldest)) if oldest else 0.0)
    return figures


def _maildrop_figures(spool: Spool, now: float) -> tuple[int, float]:
    born = []
    try:
        for name in spool.drops():
            try:
                born.append(id_time(name) if is_valid(name) else os.lstat(spool.path(MAILDROP, name)).st_mtime)
            except FileNotFoundError:
                continue  # taken in while it was counted
    except PermissionError:
        raise PermissionDenied(f"cannot read {spool.dir(MAILDROP)}: permission denied "
                               "(run as the spool's owner or root)") from None
    return len(born), max(0.0, now - min(born)) if born else 0.0


def count_deliveries(state: StateStore, summary: dict[str, int]) -> None:
    """Add one mq-flush run's summary to mailtools_deliveries_total; a failure only costs the figure."""
    from .errors import MailtoolsError
    from .log import get_logger

    counts = [({"result": result}, n) for result, n in summary.items() if result in RESULTS and n]
    if not counts:
        return  # a run with nothing to do takes no write lock
    try:
        state.add_counts(DELIVERIES, counts)
    except MailtoolsError as exc:
        get_logger(__name__).warning("mailtools_deliveries_total not counted for this run: %s", exc)


class Collector:
    """The prometheus_client collector of one scrape: the figures read once, at ``now``."""

    def __init__(self, queue: dict[str, tuple[int, float]], figures: Figures) -> None:
        self.queue, self.figures = queue, figures

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        messages = GaugeMetricFamily("mailtools_queue_messages", "Messages in each spool state.",
                                     labels=["state"])
        oldest = GaugeMetricFamily("mailtools_queue_oldest_age_seconds",
                                   "Seconds since the oldest message in each spool state was queued (0: none).",
                                   labels=["state"])
        for state, (count, age) in self.queue.items():
            messages.add_metric([state], count)
            oldest.add_metric([state], age)
        yield messages
        yield oldest

        stored: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        for name, labels, value in self.figures.stored:
            stored.setdefault(name, {})[tuple(sorted(labels.items()))] = value
        deliveries = CounterMetricFamily("mailtools_deliveries", "Recipients by the outcome of their delivery "
                                         "attempt (mq-flush, mq-send --now).", labels=["result"])
        done = stored.get(DELIVERIES, {})
        for result in RESULTS:
            deliveries.add_metric([result], done.get((("result", result),), 0))
        yield deliveries

        bounces = CounterMetricFamily("mailtools_bounces", "Bounces, complaints and unsubscribes recorded.",
                                      labels=["kind", "hard"])
        recorded = {tuple(sorted(k.items())): 0.0 for k in KNOWN_BOUNCES} | stored.get(BOUNCES, {})
        for key, value in sorted(recorded.items()):
            labels = dict(key)
            bounces.add_metric([labels.get("kind", ""), labels.get("hard", "")], value)
        yield bounces

        suppressed = GaugeMetricFamily("mailtools_suppressed_addresses", "Addresses no mail reaches, by reason.",
                                       labels=["reason"])
        for reason in dict.fromkeys((*REASONS, *sorted(self.figures.suppressed))):
            suppressed.add_metric([reason], self.figures.suppressed.get(reason, 0))
        yield suppressed

        outbox = GaugeMetricFamily("mailtools_webhook_outbox", "Hook and webhook calls waiting (pending, "
                                   "retrying) or given up (dead).", labels=["state"])
        for state in OUTBOX_STATES:
            outbox.add_metric([state], self.figures.outbox.get(state, 0))
        yield outbox

        yield GaugeMetricFamily("mailtools_last_sweep_timestamp_seconds",
                                "When bounce-sweep last ran its policy (Unix seconds; 0: never).",
                                value=stored.get(LAST_SWEEP, {}).get((), 0))


def registry(config: Config, now: float) -> Any:
    """A prometheus_client registry holding this scrape's figures (read now, once)."""
    from prometheus_client import CollectorRegistry

    if not os.path.isdir(config.spool):
        raise TempFailure(f"spool {config.spool} does not exist (mistyped --spool or MAILTOOLS_SPOOL?)")
    queue = queue_figures(Spool(config.spool), now)
    state = open_state(config, readonly=True)
    try:
        figures = state.figures()
    finally:
        state.close()
    found = CollectorRegistry(auto_describe=False)
    found.register(Collector(queue, figures))
    return found


def exposition(config: Config, now: float) -> bytes:
    """The metrics as Prometheus text."""
    from prometheus_client import generate_latest

    return generate_latest(registry(config, now))


def write_textfile(config: Config, now: float, path: str) -> None:
    """Write the metrics to ``path`` atomically (a temporary file renamed over it), as node_exporter wants."""
    from prometheus_client import write_to_textfile

    found = registry(config, now)
    try:
        write_to_textfile(path, found)
    except OSError as exc:
        raise TempFailure(f"cannot write {path}: {exc.strerror or exc}") from None
