"""The logging handlers behind mailtools.log, in its one-line format (imported once logging is)."""

from __future__ import annotations

import logging
import os
import sys

from .log import line, syslog_unavailable

TYPE_CHECKING = False  # typing costs ~2 ms; only type checkers need Any
if TYPE_CHECKING:
    from typing import Any


class PostfixFormatter(logging.Formatter):
    """``prog[pid]: warning: text``: one line per event, the level said only when it is not info.

    A traceback is dropped (kept with -vv) so a log stays one line per event.
    """

    def __init__(self, ident: str, keep_traceback: bool) -> None:
        super().__init__()
        self.ident = ident
        self.keep_traceback = keep_traceback

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if self.keep_traceback and record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return line(self.ident, record.levelno, text)


def install(settings: dict[str, Any], threshold: int) -> None:
    """Replace the root logger's handlers: everything (flufl.bounce's detectors too) goes here."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    ident = settings["ident"]
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(PostfixFormatter(ident, settings["traceback"]))
    stream.setLevel(settings["stderr"])
    root.addHandler(stream)
    root.setLevel(threshold)
    # flufl.bounce says "Running detector: ..." at info for each of its 17 detectors, per
    # message: detail for -vv (debug), not for the one line per event -v promises.
    logging.getLogger("flufl.bounce").setLevel(logging.NOTSET if settings["traceback"] else logging.WARNING)
    if settings["syslog"] is None:
        return
    syslog, why = syslog_handler(settings["socket"], settings["facility"])
    if syslog is None:
        syslog_unavailable(settings, why)
        return
    syslog.setFormatter(PostfixFormatter(ident, False))
    syslog.setLevel(settings["syslog"])
    root.addHandler(syslog)


def syslog_handler(path: str, facility: str) -> tuple[logging.Handler | None, str]:
    """(a handler on the local syslog socket, "") or (None, why not).

    Never UDP to localhost:514 instead (logging's fallback): on most hosts
    nothing listens there, and the lines would be lost without a word.
    """
    if not os.path.exists(path):
        return None, "does not exist"
    from logging.handlers import SysLogHandler  # ~3 ms (pickle, queue, socket): only when asked for
    try:
        return SysLogHandler(address=path, facility=facility), ""
    except OSError as exc:
        return None, exc.strerror or str(exc)
