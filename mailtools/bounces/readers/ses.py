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
    text = bounce.full
    i = text.find('"notificationType"')
    if i < 0:
        return []
    start = text.rfind("{", 0, i)
    try:
        doc, _ = json.JSONDecoder().raw_decode(text[start:start + MAX_JSON]) if start >= 0 else (None, 0)
    except (ValueError, RecursionError):   # not JSON, or nested to blow the stack
        return []
    if not isinstance(doc, dict):
        return []
    if "Message" in doc and isinstance(doc["Message"], str):      # the SNS envelope around it
        try:
            doc = json.loads(doc["Message"][:MAX_JSON])
        except (ValueError, RecursionError):
            return []
    kind = str(doc.get("notificationType") or doc.get("eventType") or "")
    if kind == "Bounce":
        return [_failure(r) for r in _list(doc.get("bounce"), "bouncedRecipients") if _address(r)]
    if kind == "Delivery":
        return [Failure(a.lower(), "", "delivered", "2.0.0")
                for a in _list(doc.get("delivery"), "recipients") if isinstance(a, str) and "@" in a]
    return []


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
