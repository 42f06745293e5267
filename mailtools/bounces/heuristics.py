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
    if sum(1 for _ in zip(range(mime.MAX_PARTS + 1), msg.walk(), strict=False)) > mime.MAX_PARTS:
        return [], []   # its detectors read every part's every line: thousands of parts are hostile
    _quiet_flufl()
    try:
        temporary, permanent = all_failures(decoded(msg))
    except Exception:  # noqa: BLE001 - a detector that breaks on hostile input
        return [], []
    return _addrs(temporary), _addrs(permanent)


def decoded(msg: Message) -> Message:
    """*msg*, or a copy of it whose base64 and quoted-printable text parts are plain text.

    Most of flufl's detectors read a part's lines as they were sent
    (email.iterators.body_line_iterator without decode): the same notice in
    base64 or quoted-printable, as an MTA with 8-bit prose or a gateway that
    re-encodes writes it, would name nobody.
    """
    encoded = [i for i, part in enumerate(msg.walk()) if part.get_content_maintype() == "text"
               and str(part.get("Content-Transfer-Encoding", "")).strip().lower() in ("base64", "quoted-printable")]
    if not encoded:
        return msg
    import copy

    clone = copy.deepcopy(msg)
    for i, part in enumerate(clone.walk()):
        if i in encoded:
            text = mime.text_of(part)
            del part["Content-Transfer-Encoding"]
            part["Content-Transfer-Encoding"] = "8bit"
            part.set_payload(text)
    return clone


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
