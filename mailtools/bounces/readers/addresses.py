"""Finding recipient addresses in a bounce's prose.

Stricter than dsn.addr_spec: prose is full of things with an "@" in them
(Message-IDs, "user@host" in paths, URLs), and a wrong address in a bounce
is a person we might disable. A domain needs a dot and a letter-only top
level; a local part the usual atom characters.
"""

from __future__ import annotations

import re

ADDRESS = re.compile(
    r"(?<![\w.@%+-])([A-Za-z0-9][A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{0,63}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24})(?![\w@-])"
)
# A line that is a header field of a quoted or summarised message, not a
# recipient list: "From: x@y", "Message-ID: <...>", "Original Sender: <x@y>",
# and Exchange Online's "Original Message Details" ("Sender Address: x@y").
HEADER_LINE = re.compile(
    r"^[\s*>-]*(?:from|to|cc|bcc|sender(?: address)?|reply-to|return-path|subject|date|message-?id"
    r"|in-reply-to|references|original[ -]sender|sender-mta|remote-mta|reporting-mta|x-[\w-]+|envelope-from"
    r"|received)\s*:",
    re.IGNORECASE)


def find(text: str, ours: frozenset[str]) -> list[str]:
    """Lower-cased addresses in *text*, in order, without ours and without repeats."""
    out: list[str] = []
    for m in ADDRESS.finditer(text):
        addr = _X400_PREFIX.sub("", m.group(1).strip(".").lower())
        if addr not in ours and addr not in out and not _not_a_recipient(text, m.start()):
            out.append(addr)
    return out


# Exchange 5.5 writes X.400-style "dda:SMTP=user@example.com".
_X400_PREFIX = re.compile(r"^smtp=")
_NOT_A_RECIPIENT = re.compile(
    r"(?:message-id:?|\bid|\bfrom:?|\bsender(?: address)?:?|envelope-from|contact|reply to"
    r"|send (?:e-?)?mail to|write to|mailto:)\s*<?$", re.IGNORECASE)


def _not_a_recipient(text: str, start: int) -> bool:
    # "<2024.ABC@mx.example>" after "Message-ID:" is an id; "mail from <x@y>" is a
    # sender, and so is Exchange Online's "Sender Address: x@y" (HTML-only NDRs lose
    # its line break); "please contact <help@isp.example>" is the MTA's boilerplate.
    return bool(_NOT_A_RECIPIENT.search(text[max(0, start - 20):start]))
