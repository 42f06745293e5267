"""The alias pipe's library side: store one bounce durably, then process it.

Postfix's local(8) starts one process per bounce and reads its exit code:
75 means "keep it, try again later"; anything else but 0 is a permanent
failure, and a permanently failed bounce (null sender) is silently discarded.
So the command (cli/bounce_ingest.py) reads standard input, has the bytes
stored here first (``store_incoming``: any exception means 75), then calls
``process_incoming``, which never raises: what fails after storing is logged
in one line and left in ``bounces/incoming/``; ``bounce-ingest
--retry-incoming`` (run it from cron, next to the sweep) processes what was
left there. The pipe itself does not pick up leftovers: that would put other
processes' work on the hot path.

Start-up is the hot path (one Python process per bounce), so this module
imports only what storing needs; the classifier, SQLite and the records are
imported after the message is safe.
"""

from __future__ import annotations

import os

from ..log import DEBUG, ERROR, WARNING, event, wanted
from .store import MAX_SIZE, BounceStore, envelope_lines, with_envelope

TYPE_CHECKING = False  # typing costs ~3 ms of start-up (one process per bounce); only checkers need it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from ..config import Config
    from .ingest import Ingester, Outcome

LOGGER = __name__  # a name: logging is imported only when a line is wanted
CALLBACK_BUDGET = 5.0  # seconds of due callbacks a pipe run may spend after its bounce
STALE_TMP = 24 * 3600  # a file in bounces/tmp this old was left by a killed writer
BATCH_CALLBACK_BUDGET = 30.0  # the same for cron runs (--maildir, files, --retry-incoming)
RETRY_MIN_AGE = 60.0  # seconds: --retry-incoming leaves younger files, which may still be in a pipe's hands
LATER = f"bounce-ingest --retry-incoming will, once it is {RETRY_MIN_AGE:.0f} s old"


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


def pipe_envelope(environ: Mapping[str, str], prefix: str, kept: int, total: int) -> bytes:
    """The envelope lines of a piped bounce: Postfix's variables, and a note if it was cut."""
    note = None
    if total > kept:
        note = f"truncated: kept the first {MAX_SIZE} of {total} bytes"
        event(LOGGER, None, WARNING, size=total, status="truncated", detail=note)
    return envelope_lines(envelope_recipients(environ, prefix), environ.get("SENDER"), "pipe", note)


def store_incoming(config: Config, raw: bytes, envelope: bytes, now: float) -> tuple[BounceStore, str]:
    """Store ``raw`` durably in ``bounces/incoming/`` (fsynced); raises when it could not be."""
    store = BounceStore(config.spool)
    store.ensure()
    return store, store.put("incoming", with_envelope(raw, envelope), now)


def log_failure(what: str, exc: BaseException) -> None:
    """One line for a failure the caller survives (a traceback only with -vv)."""
    text = f"{what}: {exc}" if str(exc) else f"{what}: {type(exc).__name__}"
    try:
        event(LOGGER, None, ERROR, detail=text, exc_info=wanted(DEBUG))
    except Exception:  # noqa: BLE001 - logging must not turn a 0 or 75 into a traceback
        pass


def ingest_secret(config: Config) -> bytes | None:
    """The secret bounces are verified with; None when this spool never made its own.

    No secret at all: nothing was ever sent from this spool, so no bounce can
    verify (all go to unrecognized). A ``secret_file`` that is named but
    missing is a ConfigError (never "nothing verifies": the send log may be in
    a shared database), an unreadable one PermissionDenied: either way the
    bounce stays in incoming/ for a run after the fix.
    """
    from ..secret import load_secret, secret_path

    if not config.secret_file and not os.path.exists(secret_path(config.spool)):
        return None
    return load_secret(config.spool, create=False, secret_file=config.secret_file)


def open_ingester(config: Config, store: BounceStore) -> Ingester:
    """An Ingester with the spool's database and secret (writes allowed)."""
    from ..state import open_state
    from .ingest import Ingester

    secret = ingest_secret(config)  # first: a configuration error outranks a database that is down
    return Ingester(config, open_state(config), secret, store)


def read_only_ingester(config: Config) -> Ingester:
    """An Ingester for --dry-run: the database opened read-only if it exists, the secret only read.

    A dry run on a fresh machine creates nothing (and still classifies: nothing verifies).
    """
    from ..state import exists, open_state
    from .ingest import Ingester

    secret = ingest_secret(config)
    return Ingester(config, open_state(config, readonly=True) if exists(config) else None, secret)


def process_incoming(config: Config, store: BounceStore, names: list[str], now: float,
                     ingester: Ingester | None = None, callbacks_budget: float = CALLBACK_BUDGET,
                     always_callbacks: bool = False, arrived: dict[str, float] | None = None) -> list[Outcome]:
    """Process ``incoming/<name>`` for each name, then give due callbacks a moment; raises only ConfigError.

    A message that fails is logged and left in incoming/; the others go on.
    A configuration error (a named secret_file that is missing) leaves them
    all there and is raised: no bounce can be judged until it is fixed, and
    the caller says so (the pipe 75, the other modes 78).
    Callbacks run when this call recorded a bounce (the pipe: importing them
    costs start-up otherwise) or with ``always_callbacks`` (cron runs, which
    also retry the callbacks that failed before). ``arrived`` gives, per name,
    when it was stored, which is when it is recorded (else ``now``): a bounce
    kept through an outage happened then, not when a later run took it.
    """
    from ..errors import ConfigError

    try:
        ingester = ingester or open_ingester(config, store)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - stored is stored; --retry-incoming finishes it
        log_failure(f"stored as {' '.join(store.path('incoming', n) for n in names)} but not processed"
                    f" ({LATER})", exc)
        return []
    outcomes = []
    for name in names:
        try:
            outcomes.append(ingester.handle_incoming(name, arrived.get(name, now) if arrived else now))
        except FileNotFoundError:
            event(LOGGER, name, status="taken by another run")
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the rest
            log_failure(f"bounce {store.path('incoming', name)} left in incoming/ ({LATER})", exc)
    if always_callbacks or any(o.recorded for o in outcomes):
        run_callbacks(ingester.state, config, callbacks_budget, now)
    return outcomes


def run_callbacks(state: Any, config: Config, budget: float, now: float) -> None:
    """Run due callbacks for a while; their failure is theirs, never our exit code."""
    try:
        from . import callbacks

        callbacks.run_pending(state, config, now, budget_seconds=budget)
    except Exception as exc:  # noqa: BLE001
        log_failure("callbacks not run (a later run will)", exc)


def retry_incoming(config: Config, now: float, min_age: float = RETRY_MIN_AGE) -> dict[str, Any]:
    """Process what a crash or an error left in ``incoming/``, the files older than ``min_age`` s.

    Returns the summary the command prints: ``processed``; ``failed`` (tried,
    still there); ``too_young`` (younger than ``min_age``: a pipe may still
    be at work on them, so they are left) with ``next_eligible`` and
    ``last_eligible``, when the first and the last of them may be taken
    (Unix s, None when there are none); ``left_in_incoming``, both together.
    Each is recorded with the time it was stored, not ``now``.
    """
    import time

    store = BounceStore(config.spool)
    store.ensure()
    store.clean_tmp(time.time() - STALE_TMP)  # tmp files carry the real time
    arrivals = store.arrivals()  # stored bounces carry the clock's time
    due = {name: arrived for name, arrived in arrivals if arrived <= now - min_age}
    young = sorted(arrived + min_age for name, arrived in arrivals if name not in due)
    outcomes = process_incoming(config, store, list(due), now, callbacks_budget=BATCH_CALLBACK_BUDGET,
                                always_callbacks=True, arrived=due)
    failed = len({name for name, _ in store.arrivals(list(due))})
    summary = {"processed": len(outcomes), "failed": failed, "too_young": len(young),
               "left_in_incoming": failed + len(young), "next_eligible": young[0] if young else None,
               "last_eligible": young[-1] if young else None}
    event(LOGGER, None, processed=len(outcomes), failed=failed, too_young=len(young),
          left_in_incoming=failed + len(young), status="retried")
    return summary
