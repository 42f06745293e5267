"""The one place that turns library exceptions into exit codes.

Kept free of click (and of logging until a line is written) so the fast paths (mq-send, bounce-ingest in pipe mode,
started once per message by applications and Postfix) can use it without
paying click's import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..errors import EX_IOERR, EX_NOPERM, EX_SOFTWARE, EX_TEMPFAIL, MailtoolsError
from ..log import DEBUG, ERROR, configure, wanted

TYPE_CHECKING = False  # typing costs ~3 ms of mq-send's start-up; only checkers need it
if TYPE_CHECKING:
    from ..config import Log

LOGGER = "mailtools"


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
        _trace(exc)
        error(str(exc))
        return exc.exit_code
    except PermissionError as exc:
        # What the library did not name itself: still the path, never "a bug".
        _trace(exc)
        error(f"permission denied: {exc.filename or exc}")
        return EX_NOPERM
    except KeyboardInterrupt:
        error("interrupted; nothing was acknowledged that is not in the spool")
        return EX_TEMPFAIL
    except BrokenPipeError:
        return EX_IOERR
    except Exception as exc:
        # A bug: say so, keep the traceback for the log. (The state layer turns its
        # driver's errors of the disk or the server into TempFailure itself.)
        if wanted(ERROR):
            from ..log import get_logger

            get_logger(LOGGER).error("internal error: %r", exc, exc_info=True)
        error(f"internal error: {exc!r} (this is a bug; -vv shows the traceback)")
        return EX_SOFTWARE
    return int(result or 0)


def _trace(exc: BaseException) -> None:
    """The traceback of a handled failure, for -vv."""
    if wanted(DEBUG):
        from ..log import get_logger

        get_logger(LOGGER).debug("failed: %s", exc, exc_info=True)


def setup_logging(verbose: int = 0, quiet: bool = False, settings: Log | None = None) -> None:
    """Where this command's log lines go: -v/-q and the config's [log] table (mailtools.log)."""
    if settings is None:
        configure(verbose, quiet, prog=prog_name())
    else:
        configure(verbose, quiet, settings.syslog, settings.facility, settings.level, settings.socket, prog_name())
