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

_FIRST_FIELD = re.compile(r"^[ \t]*(?:final|original)-recipient:", re.IGNORECASE | re.MULTILINE)


def read(bounce: Bounce) -> list[Failure]:
    m = _FIRST_FIELD.search(bounce.full)
    if m is None:
        return []
    # Reporting-MTA and friends may come just before the first recipient block.
    start = bounce.full.rfind("\n\n", 0, m.start()) + 1
    text = "\n".join(line.strip() for line in bounce.full[start:start + 64 * 1024].splitlines())
    _, recipients = dsn.dsn_recipients(dsn.blocks_from_text(text))
    return [Failure(r.address, r.diagnostic or "", r.action or "failed", r.status)
            for r in recipients if r.address not in bounce.ours]
