"""Put one message into the spool: what mq-send, maildrop intake and notices share."""

from __future__ import annotations

import os

from ..clock import now as clock_now
from ..config import Config
from ..errors import UsageError
from ..log import event
from . import message as msg
from .envelope import Envelope, Recipient
from .spool import Spool
from .verp import hash_length

LOGGER = "mailtools.outbound.submit"  # a name: mq-send imports logging only when a line goes somewhere
MAX_RECIPIENTS = 10_000


def submit(config: Config, spool: Spool, raw: bytes, sender: str | None, recipients: list[str], *,
           user_id: str | None = None, package_id: str | None = None, extract: bool = False,
           full_name: str | None = None, bypass_suppression: bool = False,
           source: str = "mq-send", queue_id: str | None = None) -> Envelope:
    """Validate and enqueue one message; return its envelope once it is durable."""
    envelope, raw = build(config, raw, sender, recipients, user_id=user_id, package_id=package_id,
                          extract=extract, full_name=full_name, bypass_suppression=bypass_suppression,
                          source=source, queue_id=queue_id or spool.new_id())
    spool.ensure()
    spool.enqueue(envelope, raw)
    event(LOGGER, envelope.id, uid=getattr(envelope, "uid", os.getuid()), from_=envelope.sender, size=len(raw),
          nrcpt=len(envelope.recipients), source=source)
    return envelope


def build(config: Config, raw: bytes, sender: str | None, recipients: list[str], *, queue_id: str,
          user_id: str | None = None, package_id: str | None = None, extract: bool = False,
          full_name: str | None = None, bypass_suppression: bool = False,
          source: str = "mq-send") -> tuple[Envelope, bytes]:
    """Validate one message and make its envelope and final bytes (nothing written).

    ``extract`` is sendmail's -t: recipients from To/Cc/Bcc are added to those
    given, and Bcc is removed from the message. Date and Message-ID are added
    when missing. Raises UsageError/DataError for bad input and TempFailure
    when the spool cannot take the message (a full disk).
    """
    raw = msg.normalise_newlines(raw)
    if raw.startswith(b"From "):
        raw = raw[raw.find(b"\n") + 1:]
    headers, _ = msg.split_headers(raw)
    rcpts = [msg.check_address(r, "recipient") for r in recipients]
    if extract:
        rcpts += [msg.check_address(a, "recipient in To/Cc/Bcc")
                  for a in msg.header_addresses(headers, ("to", "cc", "bcc"))]
        raw = msg.strip_header(raw, "bcc")
    raw = msg.fit_line_length(raw, headers)
    rcpts = _unique(rcpts)
    if not rcpts:
        raise UsageError("no recipients: give them as arguments, or use -t to read To/Cc/Bcc")
    if len(rcpts) > MAX_RECIPIENTS:
        raise UsageError(f"{len(rcpts)} recipients; at most {MAX_RECIPIENTS} in one message")
    sender = msg.check_address(sender, "sender") if sender else _sender_from(headers)
    if full_name is not None and any(c in full_name for c in "\r\n\0"):
        raise UsageError("full name (-F) contains a line break: refused (header injection)")
    hash_length(config.bounce.prefix, user_id, package_id)  # the ids are valid and leave room for the VERP hash

    at = clock_now()
    added = []
    message_id = msg.header(headers, "message-id")
    if not message_id:
        message_id = msg.make_message_id(msg.domain_of(sender) or "localhost", at)
        added.append(f"Message-ID: {message_id}")
    if not msg.header(headers, "date"):
        added.append(f"Date: {msg.format_date(at)}")
    if not msg.header(headers, "from"):
        added.append(f"From: {full_name} <{sender}>" if full_name else f"From: {sender}")
    if added:
        raw = "\n".join(added).encode("utf-8") + b"\n" + raw
    envelope = Envelope(id=queue_id, sender=sender, recipients=[Recipient(r) for r in rcpts],
                        message_id=message_id.strip(), user_id=user_id or None,
                        package_id=package_id or None, created=at,
                        bypass_suppression=bypass_suppression, source=source)
    if config.dkim.enabled:
        from .dkimsign import sign  # dkimpy costs ~80 ms to import: only when signing

        raw = sign(config.dkim, raw)
        envelope.dkim = True
    return envelope, raw


def _sender_from(headers: list[tuple[str, str]]) -> str:
    """No -f: the From address, else the invoking user at this host (as sendmail does)."""
    found = msg.header_addresses(headers, ("from",)) if msg.header(headers, "from") else []
    if found:
        return msg.check_address(found[0], "sender (From header)")
    import pwd

    user = pwd.getpwuid(os.getuid()).pw_name
    return msg.check_address(f"{user}@{os.uname().nodename}", "sender")


def _unique(addresses: list[str]) -> list[str]:
    seen, out = set(), []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out
