"""Put one message into the spool: what mq-send, maildrop intake and notices share."""

from __future__ import annotations

import os

from ..config import Config
from ..errors import UsageError
from ..log import event
from . import message as msg
from .envelope import UNSUBSCRIBE_PER_RECIPIENT as PER_RECIPIENT
from .envelope import Envelope, Recipient
from .origin import myorigin
from .spool import Spool
from .verp import hash_length

LOGGER = "mailtools.outbound.submit"  # a name: mq-send imports logging only when a line goes somewhere
MAX_RECIPIENTS = 10_000


def submit(config: Config, spool: Spool, raw: bytes, sender: str | None, recipients: list[str], *,
           user_id: str | None = None, package_id: str | None = None, extract: bool = False,
           full_name: str | None = None, bypass_suppression: bool = False,
           source: str = "mq-send", queue_id: str | None = None, now: float,
           unsubscribe: bool = False) -> Envelope:
    """Validate and enqueue one message; return its envelope once it is durable.

    A caller who cannot write ``queued/`` (PHP as www-data, a user's crontab)
    gets its message into ``maildrop/`` instead, with its envelope: mq-flush
    takes it in, with the caller's uid (DESIGN spool rule 8).
    """
    envelope, raw = build(config, raw, sender, recipients, user_id=user_id, package_id=package_id,
                          extract=extract, full_name=full_name, bypass_suppression=bypass_suppression,
                          source=source, queue_id=queue_id or spool.new_id(now), now=now, uid=os.getuid(),
                          sign=False, unsubscribe=unsubscribe)
    spool.ensure()
    if not spool.can_queue():
        spool.drop(envelope, raw)
        log_queued(envelope, len(raw), "maildrop")  # mq-flush takes it in, and logs it again as queued
        return envelope
    if config.dkim.enabled and envelope.unsubscribe != PER_RECIPIENT:
        raw = sign_message(config, envelope, raw)  # a per-recipient copy is signed at delivery
    spool.enqueue(envelope, raw)
    log_queued(envelope, len(raw), "queued")
    return envelope


def log_queued(envelope: Envelope, size: int, where: str) -> None:
    """Postfix's pickup/qmgr line: "ID: uid=N from=<a> size=N nrcpt=N"."""
    event(LOGGER, envelope.id, uid=envelope.uid, from_=envelope.sender, size=size, nrcpt=len(envelope.recipients),
          source=envelope.source, queue=where)


def build(config: Config, raw: bytes, sender: str | None, recipients: list[str], *, queue_id: str,
          now: float, user_id: str | None = None, package_id: str | None = None, extract: bool = False,
          full_name: str | None = None, bypass_suppression: bool = False,
          source: str = "mq-send", uid: int | None = None, sign: bool = True,
          unsubscribe: bool = False) -> tuple[Envelope, bytes]:
    """Validate one message and make its envelope and final bytes (nothing written).

    ``extract`` is sendmail's -t: recipients from To/Cc/Bcc are added to those
    given, and Bcc is removed from the message. Date and Message-ID are added
    when missing. A bare name gets @myorigin; ``sender`` "" or "<>" is the
    null sender. Raises UsageError/DataError for bad input and TempFailure
    when the spool cannot take the message (a full disk).
    """
    raw = msg.normalise_newlines(raw)
    if raw.startswith(b"From "):
        raw = raw[raw.find(b"\n") + 1:]
    headers, _ = msg.split_headers(raw)
    origin = _Origin(config)
    if msg.may_have_bare_names(headers):
        raw = msg.qualify_headers(raw, origin.get())
        headers, _ = msg.split_headers(raw)
    rcpts = [msg.check_address(origin.qualify(r), "recipient") for r in recipients]
    if extract:
        rcpts += [msg.check_address(origin.qualify(a), "recipient in To/Cc/Bcc")
                  for a in msg.header_addresses(headers, ("to", "cc", "bcc"))]
        raw = msg.strip_header(raw, "bcc")
    raw = msg.fit_line_length(raw, headers)
    rcpts = _unique(rcpts)
    if not rcpts:
        raise UsageError("no recipients: give them as arguments, or use -t to read To/Cc/Bcc")
    if len(rcpts) > MAX_RECIPIENTS:
        raise UsageError(f"{len(rcpts)} recipients; at most {MAX_RECIPIENTS} in one message")
    if sender is not None and sender.strip() in ("", "<>"):
        sender = ""  # the null sender (-f '<>' or -f ''): nothing bounces back
    elif sender:
        sender = msg.check_address(origin.qualify(sender.strip()), "sender")
    else:
        sender = _sender_from(headers, origin, uid)
    if full_name is not None and any(c in full_name for c in "\r\n\0"):
        raise UsageError("full name (-F) contains a line break: refused (header injection)")
    hash_length(config.bounce.prefix, user_id, package_id)  # the ids are valid and leave room for the VERP hash

    added = []
    message_id = msg.header(headers, "message-id")
    if not message_id:
        message_id = msg.make_message_id(msg.domain_of(sender) or origin.get(), now)
        added.append(f"Message-ID: {message_id}")
    if not msg.header(headers, "date"):
        added.append(f"Date: {msg.format_date(now)}")
    if not msg.header(headers, "from"):
        author = sender or _caller(origin, uid)
        added.append(f"From: {full_name} <{author}>" if full_name else f"From: {author}")
    if added:
        raw = "\n".join(added).encode("utf-8") + b"\n" + raw
    envelope = Envelope(id=queue_id, sender=sender, recipients=[Recipient(r) for r in rcpts],
                        message_id=message_id.strip(), user_id=user_id or None,
                        package_id=package_id or None, created=now,
                        bypass_suppression=bypass_suppression, source=source, uid=uid)
    if unsubscribe or config.packages:
        from . import list_unsubscribe  # one-click headers (issue 14): per recipient, so maybe signed later

        if list_unsubscribe.wanted(config, unsubscribe, package_id):
            raw = list_unsubscribe.at_enqueue(config, envelope, raw)
    if sign and config.dkim.enabled and envelope.unsubscribe != PER_RECIPIENT:
        raw = sign_message(config, envelope, raw)
    return envelope, raw


def sign_message(config: Config, envelope: Envelope, raw: bytes) -> bytes:
    """DKIM-sign at enqueue (not for maildrop: the caller cannot read the key; intake signs)."""
    from .dkimsign import sign  # dkimpy costs ~80 ms to import: only when signing

    envelope.dkim = True
    return sign(config.dkim, raw)


class _Origin:
    """myorigin, looked up the first time a bare name needs it."""

    def __init__(self, config: Config) -> None:
        self.configured = config.myorigin
        self.value: str | None = None

    def get(self) -> str:
        if self.value is None:
            self.value = myorigin(self.configured)
        return self.value

    def qualify(self, address: str) -> str:
        return address if "@" in address or not address.strip() else msg.qualify(address.strip(), self.get())


def _caller(origin: _Origin, uid: int | None) -> str:
    """The user who ran mq-send (or owned the maildrop file), at myorigin, as sendmail does."""
    import pwd

    uid = os.getuid() if uid is None else uid
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = f"uid{uid}"  # a uid without a passwd entry (a container's) still gets an address
    return msg.check_address(msg.qualify(user, origin.get()), "sender")


def _sender_from(headers: list[tuple[str, str]], origin: _Origin, uid: int | None) -> str:
    """No -f: the From address, else the invoking user at myorigin (as sendmail does)."""
    found = msg.header_addresses(headers, ("from",)) if msg.header(headers, "from") else []
    if found:
        return msg.check_address(origin.qualify(found[0]), "sender (From header)")
    return _caller(origin, uid)


def _unique(addresses: list[str]) -> list[str]:
    seen, out = set(), []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out
