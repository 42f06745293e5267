"""Amazon SES notifications (the JSON SES posts to SNS, mailed on by a subscription).

The format is Amazon's documented "Amazon SNS notification contents": a
notificationType of Bounce (bounce.bouncedRecipients: emailAddress, action,
status, diagnosticCode) or Delivery (delivery.recipients). Complaints are
feedback, read elsewhere; anything else names no failure.
"""

from __future__ import annotations

import json

from . import Bounce, Failure

MAX_JSON = 256 * 1024


def read(bounce: Bounce) -> list[Failure]:
    doc = _document(bounce.full)
    if doc is None:
        return []
    kind = str(doc.get("notificationType") or doc.get("eventType") or "")
    if kind == "Bounce":
        return [_failure(r) for r in _list(doc.get("bounce"), "bouncedRecipients") if _address(r)]
    if kind == "Delivery":
        return [Failure(a.lower(), "", "delivered", "2.0.0")
                for a in _list(doc.get("delivery"), "recipients") if isinstance(a, str) and "@" in a]
    return []


# The notification's type field: "notificationType" in SNS notifications,
# "eventType" in a configuration set's event publishing. Inside the SNS
# envelope (what an email-json subscription mails) the notification is a JSON
# string, its quotes escaped, so the name is looked for without them.
_MARKERS = ("notificationType", "eventType")


def _document(text: str) -> dict | None:
    """The SES notification *text* holds (unwrapped from its SNS envelope), or None."""
    i = min((j for j in (text.find(m) for m in _MARKERS) if j >= 0), default=-1)
    if i < 0:
        return None
    # The nearest brace before the name opens the notification when it is mailed
    # raw; in the envelope that brace is inside a string, and the first one opens it.
    for start in dict.fromkeys(j for j in (text.rfind("{", 0, i), text.find("{", 0, i)) if j >= 0):
        try:
            doc, end = json.JSONDecoder().raw_decode(text[start:start + MAX_JSON])
        except (ValueError, RecursionError):   # not JSON, or nested to blow the stack
            continue
        if not isinstance(doc, dict) or start + end <= i:
            continue
        message = doc.get("Message")
        if isinstance(message, str):            # the SNS envelope around it
            try:
                doc = json.loads(message[:MAX_JSON])
            except (ValueError, RecursionError):
                return None
        return doc if isinstance(doc, dict) else None
    return None


def _list(section: object, key: str) -> list:
    value = section.get(key) if isinstance(section, dict) else None
    return value[:100] if isinstance(value, list) else []


def _address(r: object) -> str:
    value = r.get("emailAddress") if isinstance(r, dict) else None
    return value.lower() if isinstance(value, str) and "@" in value else ""


def _failure(r: dict) -> Failure:
    diagnostic = str(r.get("diagnosticCode") or "")
    kind, sep, rest = diagnostic.partition(";")
    if sep and " " not in kind.strip():
        diagnostic = rest.strip()          # "smtp; 550 5.1.1 ..." as in a DSN
    status = r.get("status") if isinstance(r.get("status"), str) else None
    return Failure(_address(r), diagnostic, str(r.get("action") or "failed").lower(), status)
