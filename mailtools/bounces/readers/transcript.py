"""Notices that are an SMTP session transcript: the refused RCPT TO names the failing recipient.

Postfix's smtpd error notice to the postmaster ("Transcript of session
follows." then " In:  RCPT TO:<a@b>" / " Out: 550 ..." lines, smtpd_chat.c),
MDaemon's "Session Transcript" ("--> RCPT To:<a@b>" / "<-- 550 ..."),
hMailServer ("hMailServer sent: RCPT TO:<a@b>" / "Remote server replied: 550
..."), and sendmail's ">>> RCPT To:" / "<<< 550" all write the same thing: the
commands we sent and the replies we got, in order. The recipient whose RCPT
TO drew a 4xx/5xx reply failed with that reply; a refusal after DATA (or at
the end of data) fails every recipient the server had accepted.

Tried after the per-MTA sections reader, which reads most sendmail and
hMailServer notices by their opening already.
"""

from __future__ import annotations

import re

from ..lazyrx import LazyRx
from . import Bounce, Failure

MAX_TRANSCRIPT = 32 * 1024
MAX_RECIPIENTS = 50

_OPENING = LazyRx(r"transcript of session follows|session transcript|transcript of the session")
# A command line: the marker each of these MTAs writes before what it sent.
_SENT = re.compile(r"(?:^|\s)(?:in:|>>>|-->|sent:)\s*(rcpt\s+to|mail(?:\s+from)?|data|bdat|ehlo|helo|quit)\b:?\s*(.*)$",
                   re.IGNORECASE)
# A reply line: the marker before what the server answered, then the reply code.
_REPLY = re.compile(r"(?:^|\s)(?:out:|<<<|<--|replied:)\s*([245]\d\d)([ -].*)?$", re.IGNORECASE)
_ANGLE_ADDRESS = re.compile(r"<([^<>\s@]{1,64}@[^<>\s@]{1,255})>")


def read(bounce: Bounce) -> list[Failure]:
    m = _OPENING.search(bounce.prose)
    if m is None:
        return []
    failures: dict[str, Failure] = {}
    accepted: list[str] = []
    command, address = "", ""
    for line in bounce.prose[m.end():m.end() + MAX_TRANSCRIPT].splitlines():
        sent = _SENT.search(line)
        if sent is not None:
            command = sent.group(1).split()[0].upper()
            found = _ANGLE_ADDRESS.search(sent.group(2)) if command == "RCPT" else None
            address = found.group(1).lower() if found else ""
            continue
        reply = _REPLY.search(line)
        if reply is None or not command:
            continue
        code = reply.group(1)
        if code.startswith("2"):
            if command == "RCPT" and address and address not in accepted:
                accepted.append(address)
            continue
        # Written as sendmail writes a transcript, which the text rules read
        # for the command the reply answered.
        said = {"RCPT": f"RCPT TO:<{address}>", "MAIL": "MAIL FROM"}.get(command, command)
        text = f">>> {said} <<< {code}{reply.group(2) or ''}"
        action = "failed" if code.startswith("5") else "delayed"
        targets = [address] if command == "RCPT" else accepted if command in ("DATA", "BDAT") else []
        for target in targets:
            if target and target not in bounce.ours and target not in failures:
                failures[target] = Failure(target, " ".join(text.split()), action)
        if len(failures) >= MAX_RECIPIENTS:
            break
    return list(failures.values())
