"""Callbacks: package hooks (on_bounce, on_disable, on_enable) and platform webhooks.

A callback is queued as a row in the caller's transaction, so it exists if
and only if the bounce (or the disable, the enable) it reports was recorded.
It is run later, outside any transaction (a hook may take seconds), by
``run_pending``: a success deletes the row, a failure logs one line and
reschedules with backoff. Nothing here raises to the caller and nothing is
dropped, because a bounce-ingest pipe that exits non-zero loses the bounce.

The hook or URL is looked up in the config when the callback runs, not when
it is queued, so an admin who fixes a broken hook path fixes the backlog too.
"""

from __future__ import annotations

import json
import sqlite3
import time

from ..config import Config
from ..log import get_logger

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need it
if TYPE_CHECKING:
    import logging
    from typing import Any


def _log() -> logging.Logger:
    """Asked for when a line is written: the alias pipe (one process per bounce) does not pay
    ``logging``'s import when its callbacks have nothing to say."""
    return get_logger("mailtools.callbacks")


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS callbacks (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,            -- bounce | disable | enable
        target TEXT NOT NULL,          -- command | webhook
        package_id TEXT, sending_domain TEXT,
        address TEXT NOT NULL, payload TEXT NOT NULL,
        created REAL NOT NULL, next_try REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)""",
    "CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(next_try)",
)
HOOKS = {"bounce": "on_bounce", "disable": "on_disable", "enable": "on_enable"}
MIN_BACKOFF = 60
MAX_BACKOFF = 6 * 3600


def ensure_schema(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA:
        conn.execute(statement)


def queue(conn: sqlite3.Connection, config: Config, kind: str, address: str, event: dict[str, Any],
          package_id: str | None, sending_domain: str | None) -> int:
    """Insert the callbacks ``kind`` calls for, in the caller's transaction; return how many.

    ``on_<kind>`` of ``package_id``; for a disable or an enable without a
    package (the flag is global), of every package that has that hook. The
    platform webhook of ``sending_domain`` for a hard bounce. The callers
    (record_bounce, the sweep, enable) have made the schema already: this runs
    once per recorded bounce.
    """
    hook = HOOKS[kind]
    payload = json.dumps(event, sort_keys=True)
    now = float(event.get("time") or 0)
    rows = []
    if package_id is not None:
        package = config.packages.get(str(package_id))
        if package is not None and getattr(package, hook):
            rows.append(("command", str(package_id), None))
    elif kind != "bounce":
        rows += [("command", pid, None) for pid, package in sorted(config.packages.items()) if getattr(package, hook)]
    if kind == "bounce" and event.get("hard") and sending_domain:
        platform = config.platforms.get(sending_domain.lower())
        if platform is not None and platform.webhook:
            rows.append(("webhook", None, sending_domain.lower()))
    conn.executemany(
        "INSERT INTO callbacks(kind, target, package_id, sending_domain, address, payload, created, next_try)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(kind, target, pid, domain, address, payload, now, now) for target, pid, domain in rows])
    return len(rows)


def _resolve(config: Config, kind: str, target: str, package_id: str | None, domain: str | None) -> str:
    if target == "command":
        package = config.packages.get(package_id or "")
        return getattr(package, HOOKS[kind]) if package else ""
    platform = config.platforms.get(domain or "")
    return platform.webhook if platform else ""


def _run_command(command: str, address: str, payload: str, timeout: float) -> None:
    import shlex  # only a run of a hook needs these
    import subprocess

    argv = shlex.split(command) + [address]
    try:
        done = subprocess.run(argv, input=payload.encode(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"timed out after {timeout:g}s") from None
    except OSError as exc:
        raise RuntimeError(f"cannot run {argv[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"exit {done.returncode}" + (f": {tail[-1][:200]}" if tail else ""))


def _post(url_template: str, address: str, payload: str, timeout: float) -> None:
    import urllib.error  # lazily: most runs have no webhook
    import urllib.parse
    import urllib.request

    url = url_template.replace("{address}", urllib.parse.quote(address, safe=""))
    request = urllib.request.Request(url, data=payload.encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "mailtools-bounce"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"HTTP {exc.code} from {url}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RuntimeError(f"POST {url}: {getattr(exc, 'reason', exc)}") from None
    if not 200 <= status < 300:
        raise RuntimeError(f"HTTP {status} from {url}")


def run_pending(conn: sqlite3.Connection, config: Config, now: float, budget_seconds: float = 60) -> int:
    """Run the callbacks due at ``now``; return how many succeeded. Never raises.

    ``budget_seconds`` is wall time (not the policy clock): no callback is
    started after it is spent, so a backlog of slow hooks cannot hold a
    bounce-ingest pipe or the daily sweep for long; the rest wait for the next run.
    """
    timeout = config.bounce.callback_timeout
    started = time.monotonic()
    done = 0
    try:
        ensure_schema(conn)
        due = conn.execute("SELECT id, kind, target, package_id, sending_domain, address, payload, attempts"
                           " FROM callbacks WHERE next_try <= ? ORDER BY next_try, id", (now,)).fetchall()
    except sqlite3.Error as exc:
        _log().warning("callbacks: cannot read the queue: %s", exc)
        return 0
    for number, (cid, kind, target, pid, domain, address, payload, attempts) in enumerate(due):
        if number and time.monotonic() - started > budget_seconds:
            _log().info("callbacks: time budget spent; %d wait for the next run", len(due) - number)
            break
        try:
            # The claim: a lease past the timeout, so two runners (ingest and sweep) never run one twice,
            # and a runner killed mid-hook leaves it to be retried once the lease is over.
            claimed = conn.execute("UPDATE callbacks SET next_try = ? WHERE id = ? AND next_try <= ?",
                                   (now + timeout + 300, cid, now)).rowcount
            if not claimed:
                continue
            what = _resolve(config, kind, target, pid, domain)
            if not what:
                _log().warning("callbacks: no %s configured any more for %s %s; dropping the %s callback for %s",
                            HOOKS[kind] if target == "command" else "webhook", "package" if pid else "platform",
                            pid or domain, kind, address)
                conn.execute("DELETE FROM callbacks WHERE id = ?", (cid,))
                continue
            try:
                if target == "command":
                    _run_command(what, address, payload, timeout)
                else:
                    _post(what, address, payload, timeout)
            except Exception as exc:  # any failure of the hook is logged and retried, never raised
                delay = min(MAX_BACKOFF, MIN_BACKOFF * 2 ** min(attempts, 20))
                _log().warning("callbacks: %s %s for %s failed (attempt %d, retry in %ds): %s",
                            kind, target, address, attempts + 1, delay, exc)
                conn.execute("UPDATE callbacks SET attempts = attempts + 1, next_try = ?, last_error = ?"
                             " WHERE id = ?", (now + delay, str(exc)[:500], cid))
                continue
            conn.execute("DELETE FROM callbacks WHERE id = ?", (cid,))
            done += 1
        except sqlite3.Error as exc:
            _log().warning("callbacks: database error, stopping this run: %s", exc)
            break
    return done
