"""Sending services' bounce events as JSON, mailed on: Postmark, Mailgun, SendGrid.

Each service documents the event its webhook posts; a relay that forwards
those events by mail (or a user who pastes one) gives us that JSON as text.
What each document says, per its service's documentation:

- Postmark's bounce webhook: one object, "RecordType": "Bounce", the address
  in "Email", "Type" (HardBounce, SoftBounce, Transient, DnsError, Blocked,
  ...) and the remote server's answer in "Details" ("smtp;550 5.1.1 ...").
- Mailgun's event webhook: "event-data" with "event": "failed", "severity"
  permanent or temporary, "recipient", and "delivery-status" ("code",
  "enhanced-code", "message", "description").
- SendGrid's event webhook: a list of events; "bounce" (with "type" bounce or
  blocked) and "deferred" name "email", "status" and "reason"/"response".

The reason is then read from the remote answer like any other diagnostic.
Amazon SES has a reader of its own (ses.py).
"""

from __future__ import annotations

import json

from . import Bounce, Failure

MAX_JSON = 256 * 1024
MAX_EVENTS = 100
# Postmark's bounce types that are a delivery failing for now; those not
# listed here or in _POSTMARK_FAILED (AutoResponder, SpamComplaint,
# Unsubscribe, ...) are not failures of delivery.
_POSTMARK_DELAYED = frozenset({"SoftBounce", "Transient", "DnsError"})
_POSTMARK_FAILED = frozenset({"HardBounce", "BadEmailAddress", "Blocked", "SpamNotification",
                              "ContentRelated", "VirusNotification", "ManuallyDeactivated", "Unknown"})


def read(bounce: Bounce) -> list[Failure]:
    doc = _document(bounce.full)
    events = doc if isinstance(doc, list) else [doc]
    found: list[Failure] = []
    for event in events[:MAX_EVENTS]:
        if not isinstance(event, dict):
            continue
        failure = _postmark(event) or _mailgun(event) or _sendgrid(event)
        if failure is not None and failure.address not in bounce.ours:
            found.append(failure)
    return found


def _document(text: str) -> object:
    """The JSON object or list a text part holds, when it holds one, else None."""
    markers = ('"RecordType"', '"event-data"', '"sg_event_id"', '"event":')
    i = min((j for j in (text.find(m) for m in markers) if j >= 0), default=-1)
    if i < 0:
        return None
    # The outermost bracket before the marker whose JSON reaches past it: the
    # first one in the text, else the nearest one (prose may come before the JSON).
    first = min((j for j in (text.find("["), text.find("{")) if 0 <= j < i), default=-1)
    nearest = max(text.rfind("[", 0, i), text.rfind("{", 0, i))
    for start in dict.fromkeys(j for j in (first, nearest) if j >= 0):
        try:
            doc, end = json.JSONDecoder().raw_decode(text[start:start + MAX_JSON])
        except (ValueError, RecursionError):   # not JSON, or nested to blow the stack
            continue
        if start + end > i:
            return doc
    return None


def _postmark(event: dict) -> Failure | None:
    kind = event.get("Type")
    if event.get("RecordType") != "Bounce" or not isinstance(kind, str):
        return None
    action = "delayed" if kind in _POSTMARK_DELAYED else "failed" if kind in _POSTMARK_FAILED else None
    address = _address(event.get("Email"))
    if action is None or not address:
        return None
    details = _text(event.get("Details")) or _text(event.get("Description"))
    return Failure(address, _without_type(details), action)


def _mailgun(event: dict) -> Failure | None:
    data = event.get("event-data", event)
    if not isinstance(data, dict) or data.get("event") != "failed":
        return None
    address = _address(data.get("recipient"))
    if not address:
        return None
    status = data.get("delivery-status")
    status = status if isinstance(status, dict) else {}
    code = _text(status.get("code"))
    words = " ".join(w for w in (_text(status.get("message")), _text(status.get("description"))) if w)
    enhanced = _text(status.get("enhanced-code")) or None
    diagnostic = f"{code} {enhanced or ''} {words}".split() if code.isdigit() else words.split()
    action = "delayed" if data.get("severity") == "temporary" else "failed"
    return Failure(address, " ".join(diagnostic), action, enhanced)


def _sendgrid(event: dict) -> Failure | None:
    kind = event.get("event")
    if kind not in ("bounce", "deferred"):
        return None
    address = _address(event.get("email"))
    if not address:
        return None
    text = _text(event.get("reason")) or _text(event.get("response"))
    status = _text(event.get("status")) or None
    return Failure(address, text, "failed" if kind == "bounce" else "delayed", status)


def _address(value: object) -> str:
    return value.strip().lower() if isinstance(value, str) and "@" in value and len(value) < 320 else ""


def _text(value: object) -> str:
    return " ".join(str(value).split())[:2000] if isinstance(value, (str, int)) else ""


def _without_type(details: str) -> str:
    """ "smtp;550 5.1.1 ..." as in a DSN's Diagnostic-Code: the reply without its type."""
    kind, sep, rest = details.partition(";")
    return rest.strip() if sep and kind.strip().lower() in ("smtp", "x-postfix") else details
