"""The last resort: a failure notice naming no address, about a message sent to one person.

Carriers' MMS gateways (Verizon's "Message could not be delivered to
mobile") and some filters say only that the message failed and attach or
quote it. When the quoted original was addressed to exactly one recipient,
that recipient is the one who failed. Used only for messages that look like
delivery failures and after every other reader and flufl.bounce found
nobody; with two or more recipients we cannot tell which one failed.
"""

from __future__ import annotations

import re

from . import Bounce, Failure
from .addresses import find

_TO = re.compile(r"^[ \t]*to:[ \t]*(.{1,998}(?:\n[ \t]+.{1,998}){0,20})", re.IGNORECASE | re.MULTILINE)
_COPY = re.compile(r"^[ \t]*-*[ \t]*(?:original message|returned message|unsent message|below this line|"
                   r"message headers follow|.{0,40}copy of (?:the|your) message)", re.IGNORECASE | re.MULTILINE)


def read(bounce: Bounce, quoted_to: list[str]) -> list[Failure]:
    """*quoted_to*: the To and Cc of the attached original, when one is attached."""
    recipients = [a for a in quoted_to if a not in bounce.ours]
    if not quoted_to:
        copy = _COPY.search(bounce.full)
        to = _TO.search(bounce.full, copy.end()) if copy else None
        recipients = find(to.group(1), bounce.ours) if to else []
    if len(recipients) != 1:
        return []
    return [Failure(recipients[0], " ".join(bounce.prose.split()))]
