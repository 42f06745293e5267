"""RFC 3464 fields written into the prose instead of a delivery-status part.

Amazon WorkMail, some Exchange and qmail-ldap set-ups, and gateways that
flatten MIME paste "Final-Recipient: / Action: / Status: / Diagnostic-Code:"
blocks into a text part ("Technical report:"). The fields mean what they
mean in a DSN, so dsn.py reads them.
"""

from __future__ import annotations

import re

from .. import dsn
from . import Bounce, Failure

_FIELD_LINE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,76}:")
# RFC 3464's per-message and per-recipient fields: a line starting with one
# of them starts a field, however it is indented.
_DSN_FIELDS = frozenset({
    "reporting-mta", "dsn-gateway", "received-from-mta", "arrival-date", "original-envelope-id",
    "original-recipient", "final-recipient", "action", "status", "remote-mta", "diagnostic-code",
    "last-attempt-date", "final-log-id", "will-retry-until"})


def _dsn_field(line: str) -> bool:
    name = line.partition(":")[0].strip().lower()
    return name in _DSN_FIELDS or name.startswith("x-")
_FIRST_FIELD = re.compile(r"^[ \t]*(?:final|original)-recipient:", re.IGNORECASE | re.MULTILINE)


def read(bounce: Bounce) -> list[Failure]:
    m = _FIRST_FIELD.search(bounce.full)
    if m is None:
        return []
    # Reporting-MTA and friends may come just before the first recipient block.
    start = bounce.full.rfind("\n\n", 0, m.start()) + 1
    _, recipients = dsn.dsn_recipients(dsn.blocks_from_text(_dedent(bounce.full[start:start + 64 * 1024])))
    return [Failure(r.address, r.diagnostic or "", r.action or "failed", r.status)
            for r in recipients if r.address not in bounce.ours]


def _dedent(text: str) -> str:
    """The fields flush left, as in a delivery-status part, their folded values still folded.

    A pasted report is often indented as a whole; a line indented deeper than
    the field before it continues that field's value ("Diagnostic-Code: smtp;
    550 ...\n    mailbox unavailable"), even when it reads like "word: text",
    unless it starts with a DSN field's name (gateways indent those unevenly).
    """
    lines: list[str] = []
    field_indent = -1
    for line in text.splitlines():
        body = line.lstrip()
        indent = len(line) - len(body)
        if not body:
            field_indent = -1
            lines.append("")
        elif field_indent >= 0 and indent > field_indent and not _dsn_field(body):
            lines.append(" " + body)
        else:
            field_indent = indent if _FIELD_LINE.match(body) else -1
            lines.append(body)
    return "\n".join(lines)
