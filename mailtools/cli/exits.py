"""The one place that turns library exceptions into exit codes.

Kept free of click so the fast paths (mq-send, bounce-ingest in pipe mode,
started once per message by applications and Postfix) can use it without
paying click's import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..errors import EX_IOERR, EX_SOFTWARE, EX_TEMPFAIL, MailtoolsError
from ..log import configure, get_logger

log = get_logger("mailtools")


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
    except Exception as exc:
        if _is_sqlite_temporary(exc):
            # The spool database could not be written: a full disk ("database or
            # disk is full"), an I/O error, a read-only or locked file. Like any
            # spool write that fails, that is "try again later", not a bug.
            log.debug("failed", exc_info=True)
            error(f"cannot write the spool database: {exc}")
            return EX_TEMPFAIL
        # a bug: say so, keep the traceback for the log
        log.error("internal error: %r", exc, exc_info=True)
        error(f"internal error: {exc!r} (this is a bug; the traceback is in the log with -v)")
        return EX_SOFTWARE
    return int(result or 0)


# SQLite primary result codes that mean "the file cannot be written now":
# BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN (a syntax error stays a bug).
_SQLITE_TEMPORARY = {5, 6, 8, 10, 13, 14}


def _is_sqlite_temporary(exc: BaseException) -> bool:
    """A sqlite3 error of the disk, not of the program; sqlite3 is not imported to ask."""
    if type(exc).__module__ != "sqlite3":
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _SQLITE_TEMPORARY


def setup_logging(verbose: int = 0, quiet: bool = False, syslog: bool = False,
                  facility: str = "mail", level: str = "info") -> None:
    """Logs go to stderr (and to syslog when configured), one grep-able line each.

    The handlers are installed lazily (mailtools.log) unless -v or syslog
    asks for lines below a warning, or ``logging`` is already loaded (a
    library may log through it directly).
    """
    configure(verbose, quiet, syslog, facility, level)
    if "logging" in sys.modules:
        from ..log import _install

        _install()


def install_handlers(verbose: int = 0, quiet: bool = False, syslog: bool = False,
                     facility: str = "mail", level: str = "info") -> None:
    """Everything below the root logger (flufl.bounce's detector tracebacks
    included) goes to these handlers and never as a bare traceback on stderr."""
    import logging

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if quiet:
        threshold = logging.ERROR
    elif verbose:
        threshold = logging.DEBUG if verbose > 1 else logging.INFO
    else:
        threshold = logging.WARNING
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(_one_line(f"{prog_name()}[{os.getpid()}]: %(levelname)s: %(message)s", verbose > 1))
    stream.setLevel(threshold)
    root.addHandler(stream)
    if syslog:
        from logging.handlers import SysLogHandler

        address = "/dev/log" if os.path.exists("/dev/log") else ("localhost", 514)
        try:
            handler = SysLogHandler(address=address, facility=facility)
        except OSError as exc:
            root.warning("syslog not available (%s); logging to stderr only", exc)
        else:
            handler.setFormatter(_one_line(f"{prog_name()}[{os.getpid()}]: %(message)s", False))
            handler.setLevel(getattr(logging, level.upper(), logging.INFO))
            root.addHandler(handler)
    root.setLevel(logging.DEBUG)


def _one_line(fmt: str, keep_traceback: bool):  # noqa: ANN202 - a logging.Formatter
    """A traceback is dropped (or kept, with -vv) so logs stay one line per event."""
    import logging

    class OneLine(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            text = super().format(record)
            if not keep_traceback:
                text = text.split("\nTraceback", 1)[0]
            return text.replace("\n", " | ")

        def formatException(self, ei) -> str:  # noqa: N802, ANN001 - logging's name
            return super().formatException(ei) if keep_traceback else ""

    return OneLine(fmt)
