"""Named exceptions of the library, each carrying its sysexits.h code.

The library raises these and never exits; ``mailtools.cli.exits.run_mapped`` is
the one place that turns them into exit codes and messages for a person.
"""

from __future__ import annotations

# sysexits.h
EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_CANTCREAT = 73
EX_IOERR = 74
EX_TEMPFAIL = 75
EX_NOPERM = 77
EX_CONFIG = 78


class MailtoolsError(Exception):
    """Base class: every error the library means a user to see."""

    exit_code = EX_SOFTWARE


class UsageError(MailtoolsError):
    """The command was called wrongly (a bad flag, a bad address argument)."""

    exit_code = EX_USAGE


class DataError(MailtoolsError):
    """The input data is bad (an empty message, a forged token)."""

    exit_code = EX_DATAERR


class Unavailable(MailtoolsError):
    """A service we need cannot be had: a port in use (bounce-ingest --smtp, mailtools-web), a server refusing us."""

    exit_code = EX_UNAVAILABLE


class TempFailure(MailtoolsError):
    """Try again later: a full disk, an unwritable spool, a server down."""

    exit_code = EX_TEMPFAIL


class PermissionDenied(MailtoolsError):
    """A path this user may not read or write; the message names it."""

    exit_code = EX_NOPERM


class ConfigError(MailtoolsError):
    """The configuration is wrong; the message names the key."""

    exit_code = EX_CONFIG


class SweepElsewhere(MailtoolsError):
    """Another bounce-sweep holds the lock (here or on another host sharing the database): nothing to do.

    Exit 0, not 75: the day's sweep is being done, and cron should not mail an error.
    ``host``, ``pid`` and ``since`` (Unix s, 0 when unknown) name the holder, for --json.
    """

    exit_code = EX_OK

    def __init__(self, message: str, host: str = "", pid: int = 0, since: float = 0.0) -> None:
        super().__init__(message)
        self.host, self.pid, self.since = host, pid, since


class LeftForFlush(MailtoolsError):
    """mq-send --now could not deliver from this process (the message went to maildrop/): it is safe
    and the next mq-flush delivers it. Not a failure: exit 0, and the message says why."""

    exit_code = EX_OK


class NotFound(DataError):
    """A queue id or address that the spool does not know."""
