"""The alias-pipe entry: one bounce on stdin, exit 0 or 75 and nothing else.

Postfix's local(8) starts one process per bounce and reads our exit code:
75 means "keep it, try again later"; anything else but 0 is a permanent
failure, and a permanently failed bounce (null sender) is silently discarded.
So: store the bytes durably first (75 if that fails), then exit 0 whatever
happens next. What fails after storing is logged in one line and left in
``bounces/incoming/``; ``bounce-ingest --retry-incoming`` (run it from cron,
next to the sweep) processes what was left there. The pipe itself does not
pick up leftovers: that would put other processes' work on the hot path.

Start-up is the hot path (one Python process per bounce), so this module
imports only what storing needs; the classifier, SQLite and the records are
imported after the message is safe.
"""

from __future__ import annotations

import os
import sys

from ..errors import EX_OK, EX_TEMPFAIL
from ..log import DEBUG, get_logger
from .store import MAX_SIZE, BounceStore, envelope_lines, read_capped, with_envelope

TYPE_CHECKING = False  # typing costs ~3 ms of start-up (one process per bounce); only checkers need it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import IO, Any

log = get_logger("mailtools.bounces")
CALLBACK_BUDGET = 5.0  # seconds of due callbacks a pipe run may spend after its bounce
STALE_TMP = 24 * 3600  # a file in bounces/tmp this old was left by a killed writer
BATCH_CALLBACK_BUDGET = 30.0  # the same for cron runs (--maildir, files, --retry-incoming)


def envelope_recipients(environ: Mapping[str, str], prefix: str) -> list[str]:
    """Our address as Postfix's local(8) gives it: ORIGINAL_RECIPIENT, RECIPIENT, EXTENSION."""
    found = [environ.get("ORIGINAL_RECIPIENT", ""), environ.get("RECIPIENT", "")]
    extension = environ.get("EXTENSION", "")
    domain = environ.get("RECIPIENT", "").rpartition("@")[2] or environ.get("DOMAIN", "") or "localhost"
    if extension:
        # After alias expansion RECIPIENT may be the alias itself; the
        # extension still holds "<user>-<hash>-<package>".
        found.append(f"{prefix}-{extension}@{domain}")
    return [a for a in dict.fromkeys(found) if a]


def run(spool: str | None = None, config_file: str | None = None, verbose: int = 0, quiet: bool = False,
        stdin: IO[bytes] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The whole pipe mode; returns 0 or 75, never raises."""
    environ = os.environ if environ is None else environ
    try:
        from ..cli.exits import setup_logging
        from ..config import load_config

        setup_logging(verbose, quiet)
        config = load_config(config_file, spool)
        if config.log.syslog:
            setup_logging(verbose, quiet, True, config.log.facility, config.log.level)
        raw, total = read_capped(stdin if stdin is not None else sys.stdin.buffer)
        note = None
        if total > len(raw):
            note = f"truncated: kept the first {MAX_SIZE} of {total} bytes"
            log.warning("message of %d bytes: %s", total, note)
        envelope = envelope_lines(envelope_recipients(environ, config.bounce.prefix),
                                  environ.get("SENDER"), "pipe", note)
        store = BounceStore(config.spool)
        store.ensure()
        name = store.put("incoming", with_envelope(raw, envelope))
    except BaseException as exc:  # noqa: B036 - anything before storing is "try again later"
        _log_error("not stored, Postfix will retry (exit 75)", exc)
        return EX_TEMPFAIL
    try:
        process_incoming(config, store, [name])
    except BaseException as exc:  # noqa: B036 - stored is stored: exit 0 whatever happens now
        _log_error(f"stored as bounces/incoming/{name} but not processed "
                   "(bounce-ingest --retry-incoming will)", exc)
    return EX_OK


def _log_error(what: str, exc: BaseException) -> None:
    text = f"{what}: {exc}" if str(exc) else f"{what}: {type(exc).__name__}"
    try:
        log.error(text.replace("\n", " "), exc_info=log.isEnabledFor(DEBUG))
    except Exception:  # noqa: BLE001 - logging must not turn a 0 or 75 into a traceback
        pass


def open_ingester(config: Any, store: BounceStore) -> Any:
    """An Ingester with the spool's database and secret (writes allowed)."""
    from ..secret import load_secret, secret_path
    from ..state import open_state
    from .ingest import Ingester

    state = open_state(config)
    # No secret at all: nothing was ever sent from this spool, so no bounce
    # can verify (all go to unrecognized). An unreadable one is an error:
    # the bounce stays in incoming/ for a retry.
    path = secret_path(config.spool, config.secret_file)
    secret = load_secret(config.spool, create=False, secret_file=config.secret_file) if os.path.exists(path) else None
    return Ingester(config, state, secret, store)


def process_incoming(config: Any, store: BounceStore, names: list[str], ingester: Any = None,
                     callbacks_budget: float = CALLBACK_BUDGET, always_callbacks: bool = False) -> list[Any]:
    """Process ``incoming/<name>`` for each name, then give due callbacks a moment.

    A message that fails is logged and left in incoming/; the others go on.
    Callbacks run when this call recorded a bounce (the pipe: importing them
    costs start-up otherwise) or with ``always_callbacks`` (cron runs, which
    also retry the callbacks that failed before).
    """
    ingester = ingester or open_ingester(config, store)
    outcomes = []
    for name in names:
        try:
            outcomes.append(ingester.handle_incoming(name))
        except FileNotFoundError:
            log.info("bounce %s was taken by another run", name)
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the rest
            _log_error(f"bounce {name} left in incoming/", exc)
    if always_callbacks or any(o.recorded for o in outcomes):
        run_callbacks(ingester.state, config, callbacks_budget)
    return outcomes


def run_callbacks(state: Any, config: Any, budget: float) -> None:
    """Run due callbacks for a while; their failure is theirs, never our exit code."""
    try:
        from ..clock import now
        from . import callbacks

        callbacks.run_pending(state, config, now(), budget_seconds=budget)
    except Exception as exc:  # noqa: BLE001
        _log_error("callbacks not run (a later run will)", exc)


def retry_incoming(config: Any, min_age: float) -> int:
    """Process what a crash or an error left in ``incoming/`` (older than ``min_age`` s)."""
    import time

    store = BounceStore(config.spool)
    store.ensure()
    from ..clock import now

    store.clean_tmp(time.time() - STALE_TMP)  # tmp files carry the real time
    names = store.incoming(older_than=now() - min_age)  # stored bounces carry the clock's
    outcomes = process_incoming(config, store, names, callbacks_budget=BATCH_CALLBACK_BUDGET,
                                always_callbacks=True)
    log.info("retried %d bounces left in incoming/, %d processed", len(names), len(outcomes))
    return EX_OK
