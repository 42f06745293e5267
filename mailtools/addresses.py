"""What counts as an email address: one rule for every command.

mq-send's envelope, bounce-disable's lists, bounce-enable and bounce-status
--events all ask here, so an address one of them takes (and the sweep may
disable) the others can name too. The form is RFC 5321's path without its
angle brackets: a dot-atom-ish or quoted local part, ``@``, a domain or an
address literal; no blanks, no second ``@``; at most 254 octets (RFC 5321's
256 less the brackets).
"""

from __future__ import annotations

import re

MAX_LENGTH = 254
_ADDRESS = re.compile(r'(?:[^\s"@<>(),;:\\\[\]]+|"(?:[^"\\\r\n]|\\.)+")@(?:[^\s@<>(),;:"\\\[\]]+|\[[^\]\s]+\])')


def parse(raw: str) -> str | None:
    """The address ``raw`` holds, without blanks and ``<>`` around it, or None when it holds none."""
    address = raw.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    if len(address) > MAX_LENGTH or not _ADDRESS.fullmatch(address):
        return None
    return address
