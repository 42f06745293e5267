"""The one place that turns library exceptions into exit codes.

Kept free of click so the fast paths (mq-send, bounce-ingest in pipe mode,
started once per message by applications and Postfix) can use it without
paying click's import.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from ..errors import EX_IOERR, EX_SOFTWARE, EX_TEMPFAIL, MailtoolsError

log = logging.getLogger("mailtools")


def prog_name() -> str:
    return os.path.basename(sys.argv[0]) or "mailtools"


def error(message: str) -> None:
    """One line on stderr, prefixed with the command, for a person or a log."""
    try:
        sys.stderr.write(f"{prog_name()}: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def run_mapped(func: Callable[[], int | None]) -> int:
    """Run ``func`` and return the exit code its outcome means."""
    try:
        result = func()
    except MailtoolsError as exc:
        log.debug("failed", exc_info=True)
        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        error("interrupted; nothing was acknowledged that is not in the spool")
        return EX_TEMPFAIL
    except BrokenPipeError:
        return EX_IOERR
    except Exception as exc:  # a bug: say so, keep the traceback for the log
        log.error("internal error: %r", exc, exc_info=True)
        error(f"internal error: {exc!r} (this is a bug; the traceback is in the log with -v)")
        return EX_SOFTWARE
    return int(result or 0)


def setup_logging(verbose: int = 0, quiet: bool = False, syslog: bool = False,
                  facility: str = "mail", level: str = "info") -> None:
    """Logs go to stderr (and to syslog when configured), one grep-able line each.

    Everything below the package's own loggers (flufl.bounce's detector
    tracebacks included) goes to the same handlers and never to a bare
    traceback on stderr.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if quiet:
        threshold = logging.ERROR
    elif verbose:
        threshold = logging.DEBUG if verbose > 1 else logging.INFO
    else:
        threshold = getattr(logging, level.upper(), logging.INFO) if syslog else logging.WARNING
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(_OneLine(f"{prog_name()}[{os.getpid()}]: %(levelname)s: %(message)s",
                                 keep_traceback=verbose > 1))
    stream.setLevel(threshold)
    root.addHandler(stream)
    if syslog:
        from logging.handlers import SysLogHandler

        address = "/dev/log" if os.path.exists("/dev/log") else ("localhost", 514)
        try:
            handler = SysLogHandler(address=address, facility=facility)
        except OSError as exc:
            log.warning("syslog not available (%s); logging to stderr only", exc)
        else:
            handler.setFormatter(_OneLine(f"{prog_name()}[{os.getpid()}]: %(message)s"))
            handler.setLevel(getattr(logging, level.upper(), logging.INFO))
            root.addHandler(handler)
    root.setLevel(logging.DEBUG)


class _OneLine(logging.Formatter):
    """A traceback is folded onto the line (or dropped) so logs stay one line per event."""

    def __init__(self, fmt: str, keep_traceback: bool = False) -> None:
        super().__init__(fmt)
        self.keep_traceback = keep_traceback

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.keep_traceback:
            text = text.split("\nTraceback", 1)[0]
        return text.replace("\n", " | ")

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return super().formatException(ei) if self.keep_traceback else ""
