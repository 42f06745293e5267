"""flufl.bounce's heuristic detectors, for bounces our own readers could not read.

Imported only when a message has no usable delivery-status part and no
reader in readers/ named a recipient (flufl.bounce costs ~40 ms to import,
and bounce-ingest starts once per bounce). Only the public API is used:
all_failures() runs the detectors in flufl's order and stops at the first
that finds something. A detector that raises makes all_failures() raise; we
then have nothing from flufl, and its traceback, logged through `logging`,
never reaches stderr (a pipe's stderr ends up in Postfix's log).
"""

from __future__ import annotations

from email.message import Message

from mailtools.bounces import dsn, mime, textrules
from mailtools.bounces.readers import Failure


def flufl_failures(msg: Message, prose: str) -> list[Failure]:
    """flufl.bounce's failing addresses, with the prose about each as its diagnostic."""
    temporary, permanent = flufl_addresses(msg)
    found = []
    for addr, action in [(a, "failed") for a in permanent] + [
            (a, "delayed") for a in temporary if a not in permanent]:
        text = mime.near(prose, addr)
        if textrules.match_text(text) is None:
            text = prose.strip()   # the prose as a whole is all we have
        found.append(Failure(addr, text, action))
    return found


def flufl_addresses(msg: Message) -> tuple[list[str], list[str]]:
    """flufl.bounce's (temporary, permanent) addresses, quietly and safely."""
    try:
        from flufl.bounce import all_failures
    except ImportError:  # no flufl.bounce: no heuristic detectors
        return [], []
    _quiet_flufl()
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # noqa: BLE001 - a detector that breaks on hostile input
        return [], []
    return _addrs(temporary), _addrs(permanent)


def _addrs(values: object) -> list[str]:
    out: list[str] = []
    for v in sorted(values or (), key=repr)[:100]:   # type: ignore[call-overload]
        text = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
        addr = dsn.addr_spec(text)
        if addr and addr not in out:
            out.append(addr)
    return out


def _quiet_flufl() -> None:
    """Drop flufl.bounce's detector tracebacks: a pipe's stderr ends up in Postfix's log.

    logging is imported here, not at module level, to keep start-up cheap.
    """
    import logging

    logger = logging.getLogger("flufl.bounce")
    if getattr(logger, "_mailtools_quiet", False):
        return

    def no_tracebacks(record: logging.LogRecord) -> bool:
        return record.exc_info is None and record.levelno < logging.ERROR

    logger.addFilter(no_tracebacks)
    logger.addHandler(logging.NullHandler())
    logger._mailtools_quiet = True  # type: ignore[attr-defined]
