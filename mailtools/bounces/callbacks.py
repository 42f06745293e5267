"""Callbacks: package hooks (on_bounce, on_disable, on_enable, on_complaint, on_unsubscribe) and webhooks.

A callback is queued as a row in the caller's transaction, so it exists if
and only if the bounce (or the disable, the enable) it reports was recorded.
It is run later, outside any transaction (a hook may take seconds), by
``run_pending``: a success deletes the row, a failure logs one line and
reschedules with backoff (MIN_BACKOFF doubling up to MAX_BACKOFF). A webhook
the receiver refuses (a 4xx other than 408/429), and any callback that failed
MAX_ATTEMPTS times (about three days of retries when something runs every few
minutes, as the cron example's --retry-incoming does), is given up: kept as a
dead letter that ``bounce-status --outbox`` lists and ``bounce-sweep --replay``
puts back. Nothing here raises to the caller and nothing is dropped, because
a bounce-ingest pipe that exits non-zero loses the bounce.

The hook or URL is looked up in the config when the callback runs, not when
it is queued, so an admin who fixes a broken hook path fixes the backlog too.
"""

from __future__ import annotations

import os
import time

from ..config import Config
from ..errors import MailtoolsError
from ..log import get_logger
from ..state.base import CallbackTarget

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need it
if TYPE_CHECKING:
    import logging
    from typing import Any

    from ..state.base import BounceEvent, Callback, StateStore

def _log() -> logging.Logger:
    """Asked for when a line is written: the alias pipe (one process per bounce) does not pay
    ``logging``'s import when its callbacks have nothing to say."""
    return get_logger(__name__)

HOOKS = {"bounce": "on_bounce", "disable": "on_disable", "enable": "on_enable",
         "complaint": "on_complaint", "unsubscribe": "on_unsubscribe"}
WEBHOOK_KINDS = ("complaint", "unsubscribe")  # and hard bounces (DESIGN "The daily policy", Callbacks)
MIN_BACKOFF = 60
MAX_BACKOFF = 6 * 3600
MAX_ATTEMPTS = 20  # 60 s doubling to 6 h: the 20th failure comes about three days after the first
MIN_TIMEOUT = 0.5  # a hook started near the end of a run's budget still gets this long


class GiveUp(Exception):
    """A failure that no retry can mend (a webhook's 4xx other than 408/429): kept as a dead letter."""


def targets(config: Config, kind: str, package_id: str | None = None, sending_domain: str | None = None,
            hard: bool = False) -> list[CallbackTarget]:
    """Who hears of a ``kind`` event: the state layer queues one outbox row for each.

    ``on_<kind>`` of ``package_id``; for an event without a package (a
    disable, an enable, a complaint or unsubscribe that covers all mail), of
    every package that has that hook. The platform webhook of
    ``sending_domain`` for a hard bounce, a complaint or an unsubscribe.
    """
    hook = HOOKS[kind]
    found = []
    if package_id is not None:
        package = config.packages.get(str(package_id))
        if package is not None and getattr(package, hook, None):
            found.append(CallbackTarget("command", str(package_id)))
    elif kind != "bounce":
        found += [CallbackTarget("command", pid) for pid, package in sorted(config.packages.items())
                  if getattr(package, hook, None)]
    if ((kind == "bounce" and hard) or kind in WEBHOOK_KINDS) and sending_domain:
        platform = config.platforms.get(sending_domain.lower())
        if platform is not None and platform.webhook:
            found.append(CallbackTarget("webhook", None, sending_domain.lower()))
    return found


def _resolve(config: Config, kind: str, target: str, package_id: str | None, domain: str | None) -> str:
    if target == "command":
        package = config.packages.get(package_id or "")
        return (getattr(package, HOOKS[kind], None) or "") if package else ""
    platform = config.platforms.get(domain or "")
    return platform.webhook if platform else ""


def _run_command(command: str, address: str, payload: str, timeout: float) -> None:
    """Run a hook in its own session; on timeout kill its whole process group.

    A hook is often a shell script whose children (curl, sleep, php) would
    outlive a kill of the shell alone, orphaned under PID 1 and still holding
    the pipe's stderr open, so ``communicate`` would wait for them too.
    """
    import shlex  # only a run of a hook needs these
    import subprocess

    argv = shlex.split(command) + [address]
    try:
        child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise RuntimeError(f"cannot run {argv[0]}: {exc.strerror}") from None
    try:
        _, stderr = child.communicate(payload.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(child.pid)
        child.communicate()  # reap it; the group is gone, so its pipes are closed
        raise RuntimeError(f"timed out after {timeout:g}s; its process group was killed") from None
    except BaseException:
        _kill_group(child.pid)  # interrupted (SIGTERM, ^C): leave no hook behind
        child.wait()
        raise
    finally:
        # The hook is done, but what it started in the background is not ours to keep.
        _kill_group(child.pid)
    if child.returncode != 0:
        tail = stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"exit {child.returncode}" + (f": {tail[-1][:200]}" if tail else ""))


def _kill_group(pgid: int) -> None:
    import signal  # only a run of a hook needs it

    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is empty already


def run_pending(state: StateStore, config: Config, now: float, budget_seconds: float = 60) -> int:
    """Run the callbacks due at ``now``; return how many succeeded. Never raises.

    ``budget_seconds`` is wall time (not the policy clock): no callback is
    started after it is spent, and none runs past it (its timeout is cut to
    what is left), so a hanging hook cannot hold a bounce-ingest pipe or the
    daily sweep for long; the rest wait for the next run.
    """
    timeout = config.bounce.callback_timeout
    started = time.monotonic()  # the budget is real time, whatever MAILTOOLS_NOW says
    done = 0
    try:
        due = state.due_callbacks(now)
    except MailtoolsError as exc:
        _log().warning("callbacks: cannot read the queue: %s", exc)
        return 0
    for number, callback in enumerate(due):
        left = budget_seconds - (time.monotonic() - started)
        if number and left <= 0:
            _log().info("callbacks: time budget spent; %d wait for the next run", len(due) - number)
            break
        try:
            # The claim: a lease past the timeout, so two runners (ingest and sweep) never run one twice,
            # and a runner killed mid-hook leaves it to be retried once the lease is over.
            if not state.claim_callback(callback.id, now, now + timeout + 300):
                continue
            what = _resolve(config, callback.kind, callback.target, callback.package_id, callback.sending_domain)
            if not what:
                # Kept, not dropped: an admin who puts the hook back replays it (bounce-sweep --replay).
                _give_up(state, callback, now, "no {} configured for {} {}".format(
                    HOOKS[callback.kind] if callback.target == "command" else "webhook",
                    "package" if callback.target == "command" else "platform",
                    callback.package_id or callback.sending_domain))
                continue
            this_timeout = max(MIN_TIMEOUT, min(timeout, left))
            try:
                if callback.target == "command":
                    _run_command(what, callback.address, callback.payload, this_timeout)
                else:
                    from . import webhooks  # HTTP only when a webhook is due: the pipe's start-up pays nothing

                    webhooks.deliver(config, what, callback, now, this_timeout)
            except GiveUp as exc:
                _give_up(state, callback, now, str(exc))
                continue
            except Exception as exc:  # any failure of the hook is logged and retried, never raised
                _failed(state, callback, now, exc)
                continue
            state.callback_done(callback.id)
            _log().info("callback=%s target=%s to=%s attempts=%d status=done", callback.kind, callback.target,
                     callback.address, callback.attempts + 1)
            done += 1
        except MailtoolsError as exc:
            _log().warning("callbacks: database error, stopping this run: %s", exc)
            break
    return done


def _failed(state: StateStore, callback: Callback, now: float, exc: Exception) -> None:
    """Retry later with backoff (or after the server's Retry-After); give up after MAX_ATTEMPTS."""
    attempts = callback.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _give_up(state, callback, now, f"{exc} (gave up after {attempts} attempts)")
        return
    delay = min(MAX_BACKOFF, max(MIN_BACKOFF * 2 ** min(callback.attempts, 20), getattr(exc, "retry_after", 0)))
    _log().warning("callback=%s target=%s to=%s attempts=%d status=deferred retry_in=%ds error=%s",
                callback.kind, callback.target, callback.address, attempts, delay, exc)
    state.callback_failed(callback.id, now + delay, str(exc))


def _give_up(state: StateStore, callback: Callback, now: float, error: str) -> None:
    _log().warning("callback=%s target=%s to=%s attempts=%d status=dead id=%d error=%s (kept: bounce-status"
                " --outbox lists it, bounce-sweep --replay %d retries it)", callback.kind, callback.target,
                callback.address, callback.attempts + 1, callback.id, error, callback.id)
    state.give_up_callback(callback.id, now, error)


def event_json(event: BounceEvent, kind: str) -> dict[str, Any]:
    """The JSON a hook reads on stdin for a recorded event."""
    data = event._asdict()
    data["event"] = kind
    if "address" in data:
        data["address"] = data["address"].lower()
    return data

