"""Loggers that import ``logging`` only when a line is actually written.

``logging`` costs ~5 ms of start-up; mq-send and bounce-ingest run once per
message and, by default, log nothing below a warning. ``configure`` records
the wanted threshold; the handlers are set up on the first line that passes
it (or at once, with -v or syslog, where every line goes somewhere).
"""

from __future__ import annotations

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40

# Until a command calls configure(), the library is used as a library: lines go
# to logging as they are, and the handlers are the caller's business.
_settings = {"threshold": DEBUG, "verbose": 0, "quiet": False, "syslog": False, "facility": "mail",
             "level": "info", "ready": True}


def configure(verbose: int = 0, quiet: bool = False, syslog: bool = False, facility: str = "mail",
              level: str = "info") -> None:
    if quiet:
        threshold = ERROR
    elif verbose:
        threshold = DEBUG if verbose > 1 else INFO
    else:
        threshold = WARNING
    if syslog:
        threshold = min(threshold, {"debug": DEBUG, "info": INFO, "warning": WARNING}.get(level.lower(), INFO))
    _settings.update(threshold=threshold, verbose=verbose, quiet=quiet, syslog=syslog, facility=facility,
                     level=level, ready=False)
    if verbose or syslog:
        _install()


def _install() -> None:
    if not _settings["ready"]:
        from .cli.exits import install_handlers

        install_handlers(_settings["verbose"], _settings["quiet"], _settings["syslog"], _settings["facility"],
                         _settings["level"])
        _settings["ready"] = True


class LazyLogger:
    def __init__(self, name: str) -> None:
        self.name = name

    def log(self, level: int, msg: str, *args: object, **kwargs: object) -> None:
        if level < _settings["threshold"]:
            return
        _install()
        import logging

        logging.getLogger(self.name).log(level, msg, *args, **kwargs)

    def debug(self, msg: str, *args: object, **kwargs: object) -> None:
        self.log(DEBUG, msg, *args, **kwargs)

    def info(self, msg: str, *args: object, **kwargs: object) -> None:
        self.log(INFO, msg, *args, **kwargs)

    def warning(self, msg: str, *args: object, **kwargs: object) -> None:
        self.log(WARNING, msg, *args, **kwargs)

    def error(self, msg: str, *args: object, **kwargs: object) -> None:
        self.log(ERROR, msg, *args, **kwargs)

    def exception(self, msg: str, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("exc_info", True)
        self.log(ERROR, msg, *args, **kwargs)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        return level >= _settings["threshold"]


def get_logger(name: str) -> LazyLogger:
    return LazyLogger(name)
