"""Suppressions that people ask for: complaints, unsubscribes, and lists put in by hand.

DESIGN "Suppression": an address is suppressed for a reason (bounce,
complaint, unsubscribe, manual), each with its time and origin. The state
layer records a suppression with its event and callbacks in one transaction
(``StateStore.record_suppressions``); this module decides what that row says
and reads the lists that ``bounce-disable`` imports (the command reads stdin,
the library only gets lines).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from .. import addresses
from ..config import Config
from ..log import get_logger
from ..state.base import REASONS, SuppressionRecord
from . import callbacks

log = get_logger(__name__)
HOOKED = ("complaint", "unsubscribe")  # reasons whose hooks and webhook hear of them


def record(config: Config, address: str, reason: str, origin: str, now: float, *, scope: str | None = None,
           package_id: str | None = None, user_id: str | None = None, message_id: str | None = None,
           sending_domain: str | None = None, detail: str | None = None, key: str | None = None,
           hooks: bool = True) -> SuppressionRecord:
    """The row that suppresses ``address`` (for all mail, or ``scope``'s) with its event and callbacks.

    ``hooks`` False: no on_complaint/on_unsubscribe and no webhook (an imported
    list is old news to the platform it came from).
    """
    address = address.strip().lower()
    targets = tuple(callbacks.targets(config, reason, package_id, (sending_domain or "").lower() or None)) \
        if hooks and reason in HOOKED else ()
    payload: dict[str, Any] = {
        "id": key or f"{reason}:{origin}:{scope or ''}:{address}:{now!r}", "event": reason, "type": reason,
        "address": address, "reason": detail or origin, "origin": origin, "hard": False,
        "message_id": message_id, "package_id": package_id, "user_id": user_id, "scope": scope, "time": now}
    return SuppressionRecord(address, reason, origin, now, scope, package_id, user_id, message_id, sending_domain,
                             detail, key, targets, payload)


# -- lists in (bounce-disable) ----------------------------------------------------------------

class Entry(NamedTuple):
    """One address of an imported list."""

    address: str
    reason: str
    origin: str
    since: float | None = None  # kept from an export; None: now
    packages: tuple[str, ...] = ()  # unsubscribed from these packages' mail only
    package_origins: dict[str, tuple[str, float | None]] = {}  # noqa: RUF012 - per package: (origin, since)


class Skipped(NamedTuple):
    line: int  # 1-based
    text: str
    why: str


def check_address(raw: str) -> str | None:
    """The address lower-cased, or None when it is not one (a header, a blank, garbage)."""
    address = addresses.parse(raw)
    return address.lower() if address is not None else None


def parse_list(lines: list[str], default_reason: str = "manual", origin: str = "bounce-disable"
               ) -> tuple[list[Entry], list[Skipped]]:
    """The entries of a list, and each line skipped with why.

    A line is an address; or CSV ``address,reason[,origin]``; or a JSON object
    as ``bounce-status --disabled --json`` prints it (address, suppressed,
    origin, suppressed_since, unsubscribed_packages), so an export
    re-imports with its reasons, origins and times. Blank lines and ``#``
    comments are passed over silently; a CSV header line is skipped and said.
    """
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    for number, text in enumerate(lines, 1):
        line = text.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        try:
            entry = _json_entry(line) if line.startswith("{") else _csv_entry(line, default_reason, origin)
        except ValueError as exc:
            skipped.append(Skipped(number, line[:200], str(exc)))
            continue
        entries.append(entry)
    return entries, skipped


def _csv_entry(line: str, default_reason: str, origin: str) -> Entry:
    whole = check_address(line)
    if whole is not None:  # a bare address, also one with a quoted local part ("q r"@x) that CSV would unquote
        return Entry(whole, default_reason, origin)
    import csv

    fields = [f.strip() for f in next(csv.reader([line]))]
    if len(fields) > 3:
        raise ValueError(f"{len(fields)} fields; expected address[,reason[,origin]]")
    address = check_address(fields[0])
    if address is None:
        raise ValueError(f"not an address: {fields[0][:80]!r}")
    reason = (fields[1] if len(fields) > 1 and fields[1] else default_reason).lower()
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r} (one of {', '.join(REASONS)})")
    return Entry(address, reason, fields[2] if len(fields) > 2 and fields[2] else origin)


def _json_entry(line: str) -> Entry:
    try:
        data = json.loads(line)
    except ValueError:
        raise ValueError("a line starting with '{' that is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("JSON that is not an object")
    address = check_address(str(data.get("address", "")))
    if address is None:
        raise ValueError(f"not an address: {str(data.get('address'))[:80]!r}")
    reason = data.get("suppressed")
    packages = data.get("unsubscribed_packages") or []
    if reason is None and not packages:
        raise ValueError("this address was not suppressed (suppressed is null, no unsubscribed_packages)")
    if reason is not None and reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r} (one of {', '.join(REASONS)})")
    since = data.get("suppressed_since")
    if since is not None and not isinstance(since, (int, float)):
        raise ValueError(f"suppressed_since is not a number: {since!r}")
    if not isinstance(packages, list) or not all(isinstance(p, str) and p for p in packages):
        raise ValueError("unsubscribed_packages is not a list of package ids")
    return Entry(address, reason or "", str(data.get("origin") or "import"), since, tuple(packages),
                 _package_origins(data.get("package_unsubscribes")))


def _package_origins(details: Any) -> dict[str, tuple[str, float | None]]:
    """bounce-status's package_unsubscribes: each package's own origin and time, so an export keeps them."""
    if details is None:
        return {}
    if not isinstance(details, list) or not all(isinstance(d, dict) and isinstance(d.get("package_id"), str)
                                                for d in details):
        raise ValueError("package_unsubscribes is not a list of {package_id, origin, since} objects")
    found = {}
    for d in details:
        since = d.get("since")
        if since is not None and not isinstance(since, (int, float)):
            raise ValueError(f"package_unsubscribes: since is not a number: {since!r}")
        found[d["package_id"]] = (str(d.get("origin") or "import"), since)
    return found


def _rows(config: Config, entry: Entry, now: float) -> list[SuppressionRecord]:
    """One row for all mail (when it has a reason), one per package it left."""
    at = now if entry.since is None else float(entry.since)
    rows = [record(config, entry.address, entry.reason, entry.origin, at, hooks=False)] if entry.reason else []
    for package in entry.packages:
        origin, since = entry.package_origins.get(package, (entry.origin, entry.since))
        rows.append(record(config, entry.address, "unsubscribe", origin, now if since is None else float(since),
                           scope=package, package_id=package, hooks=False))
    return rows


def disable(config: Config, entries: list[Entry], now: float) -> list[bool]:
    """Suppress every entry in one transaction; per entry, whether it suppressed anything new.

    The database must exist (TempFailure, 75, naming it otherwise): a
    mistyped --spool must not create an empty one that nothing reads.
    """
    from ..state import open_state

    per_entry = [_rows(config, entry, now) for entry in entries]
    state = open_state(config, create=False)
    try:
        results = iter(state.record_suppressions([row for rows in per_entry for row in rows]))
    finally:
        state.close()
    taken = [any([next(results) for _ in rows]) for rows in per_entry]
    for entry, new in zip(entries, taken, strict=True):
        if new:
            log.info("suppress: to=<%s> reason=%s origin=%s", entry.address, entry.reason or "unsubscribe",
                     entry.origin)
    return taken
