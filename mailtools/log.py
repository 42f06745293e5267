"""Logs: one line per event, ``key=value`` like Postfix's, through the standard ``logging``.

Where lines go (DESIGN.md "Logs"): with no option, info and above to
stderr when stderr is a terminal (a person is watching) or systemd's
journal (a timer's unit, when syslog is not configured: it would have each
line twice), and warnings only otherwise (cron mails what a job writes on
stderr); info and above to syslog, facility ``mail``, when ``[log] syslog
= true``. ``-q`` keeps only
warnings everywhere; ``-v`` sends info to stderr even when it is not a
terminal; ``-vv`` adds debug lines and keeps tracebacks.

mq-send and the alias pipe start once per message with a 30/50 ms budget,
and ``logging`` with its syslog handler costs ~12 ms of it. Library modules
on those paths log through ``event(name, ...)``: while ``logging`` is not
loaded, a wanted line is written here directly (stderr, and one datagram to
the syslog socket: the lean code the budget allows), in the same format.
Every other module uses ``get_logger(__name__)`` (a plain ``logging.Logger``,
whose handlers ``loghandlers`` installs) and ``event(logger, ...)``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs ~3 ms of mq-send's start-up; only checkers need it
if TYPE_CHECKING:
    import logging

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40
LEVEL_NAMES = {DEBUG: "debug", INFO: "info", WARNING: "warning", ERROR: "error", 50: "critical"}
DEFAULT_SYSLOG_SOCKET = "/dev/log"
ADDRESS_FIELDS = ("from", "to", "orig_to")  # written <a@b>, as Postfix does

# Until a command calls configure(), mailtools is used as a library: lines go to
# ``logging`` as they are, and the handlers are the caller's business.
_state: dict = {"threshold": DEBUG, "pending": None}


def get_logger(name: str) -> logging.Logger:
    """A ``logging.Logger``; once a command configured logging, asking for one installs the handlers
    (so no line ever reaches logging's bare last-resort output, traceback and all)."""
    import logging

    _install()
    return logging.getLogger(name)


def levels(verbose: int, quiet: bool, stderr_watched: bool, syslog_level: str = "info") -> tuple[int, int]:
    """(stderr level, syslog level) for -v/-q: the one place the thresholds are decided."""
    if quiet:
        return WARNING, WARNING
    if verbose > 1:
        return DEBUG, DEBUG
    named = {"debug": DEBUG, "info": INFO, "warning": WARNING}.get(syslog_level.lower(), INFO)
    return (INFO if verbose or stderr_watched else WARNING), named


def configure(verbose: int = 0, quiet: bool = False, syslog: bool = False, facility: str = "mail",
              level: str = "info", syslog_socket: str = DEFAULT_SYSLOG_SOCKET, prog: str | None = None) -> None:
    """Set where a command's lines go; handlers are installed once a line can go somewhere."""
    watched = _isatty(sys.stderr) or (not syslog and _is_journal(sys.stderr))
    stderr_level, syslog_level = levels(verbose, quiet, watched, level)
    settings = {"ident": f"{prog or os.path.basename(sys.argv[0]) or 'mailtools'}[{os.getpid()}]",
                "stderr": stderr_level, "syslog": syslog_level if syslog else None, "facility": facility,
                "socket": syslog_socket, "traceback": verbose > 1}
    _state["threshold"] = min(stderr_level, syslog_level) if syslog else stderr_level
    _state["pending"] = settings
    # A library (flufl.bounce) may log through logging on its own: catch it too.
    if "logging" in sys.modules:
        _install()


def wanted(level: int) -> bool:
    return level >= _state["threshold"]


def event(logger: logging.Logger | str, queue_id: str | None = None, level: int = INFO,
          detail: str | None = None, exc_info: bool = False, **fields: object) -> None:
    """Log one event: ``<queue_id>: key=value, key=value (detail)``, as Postfix writes it.

    ``logger`` may be a name: then nothing is imported unless the line is wanted
    (mq-send and the alias pipe start once per message). ``exc_info``: the
    current exception's traceback, shown with -vv.
    """
    if not wanted(level):
        return
    text = format_event(queue_id, detail, **fields)
    settings = _state["pending"]
    if isinstance(logger, str) and settings is not None and not exc_info and "logging" not in sys.modules:
        _write(settings, level, text)
        return
    if isinstance(logger, str):
        logger = get_logger(logger)
    logger.log(level, "%s", text, exc_info=exc_info)


def line(ident: str, level: int, text: str) -> str:
    """``prog[pid]: warning: text``: one line per event, the level said only when it is not info."""
    prefix = "" if level == INFO else f"{LEVEL_NAMES.get(level, 'error')}: "
    return f"{ident}: {prefix}{text}".replace("\n", " | ")


def syslog_unavailable(settings: dict, why: str) -> None:
    """Said once on stderr: syslog was asked for and gets nothing (never UDP to port 514 instead)."""
    settings["syslog"] = None
    _stderr(line(settings["ident"], WARNING, f"syslog socket {settings['socket']}: {why}; logging to stderr only"))


def _write(settings: dict, level: int, text: str) -> None:
    """A line to stderr and syslog without ``logging`` (mq-send's and the pipe's start-up budget)."""
    out = line(settings["ident"], level, text)
    if level >= settings["stderr"]:
        _stderr(out)
    if settings["syslog"] is not None and level >= settings["syslog"]:
        import syslog  # the C module: its constants, ~0.1 ms

        severity = {DEBUG: syslog.LOG_DEBUG, INFO: syslog.LOG_INFO, WARNING: syslog.LOG_WARNING}.get(level,
                                                                                                   syslog.LOG_ERR)
        facility = getattr(syslog, f"LOG_{settings['facility'].upper()}", syslog.LOG_MAIL)
        try:
            if "socket" not in _state:
                _state["socket"] = _connect(settings["socket"])
            _state["socket"].send(f"<{facility | severity}>{out}\0".encode("utf-8", "replace"))
        except OSError as exc:
            syslog_unavailable(settings, "does not exist" if isinstance(exc, FileNotFoundError)
                               else exc.strerror or str(exc))


def _connect(path: str) -> object:
    """The local syslog socket: a datagram one (journald, rsyslog), else a stream one (old syslog-ng)."""
    import socket

    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        sock = socket.socket(socket.AF_UNIX, kind)
        try:
            sock.connect(path)
            return sock
        except OSError as exc:
            sock.close()
            if kind == socket.SOCK_STREAM or exc.errno != 91:  # EPROTOTYPE: the other kind of socket
                raise
    raise OSError(f"cannot connect to {path}")


def _stderr(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def format_event(queue_id: str | None = None, detail: str | None = None, **fields: object) -> str:
    """``id: to=<a@b>, relay=mx[1.2.3.4]:25, status=sent (250 ok)``: fields None are left out."""
    parts = []
    for name, value in fields.items():
        if value is None:
            continue
        key = name.rstrip("_")  # from_=...: "from" is a Python keyword
        if key in ADDRESS_FIELDS:
            text = f"<{value}>"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, float):
            text = f"{value:.2f}".rstrip("0").rstrip(".")
        else:
            text = str(value)
        parts.append(f"{key}={_one_line(text)}")
    line = ", ".join(parts)
    if detail:
        line += f" ({_one_line(detail)})" if parts else _one_line(detail)
    return f"{queue_id}: {line}" if queue_id else line


def dsn(code: int, text: str) -> str:
    """The ``dsn=`` of a reply: its RFC 3463 enhanced status code, or the class of its SMTP code."""
    first = text.split(" ", 1)[0]
    pieces = first.split(".")
    if len(pieces) == 3 and pieces[0] in ("2", "4", "5") and all(p.isdigit() for p in pieces[1:]):
        return first
    return f"{code // 100}.0.0"


def _one_line(text: str) -> str:
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def _is_journal(stream: object) -> bool:
    """True when ``stream`` is systemd's journal: JOURNAL_STREAM names its device and inode."""
    expected = os.environ.get("JOURNAL_STREAM")
    if not expected:
        return False
    try:
        info = os.fstat(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False
    return expected == f"{info.st_dev}:{info.st_ino}"


def _install() -> None:
    settings = _state["pending"]
    if settings is None:
        return
    _state["pending"] = None
    from .loghandlers import install

    install(settings, _state["threshold"])
