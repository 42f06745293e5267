"""Read a bounce's report fields (the MIME walk and the prose are in mime.py).

RFC 3464 delivery-status and RFC 5965 feedback-report parts are both blocks
of "Name: value" header fields separated by blank lines. The compat32 parser
sometimes hands us those blocks already parsed (a list of Message objects)
and sometimes as a string (wrong charset, transfer encoding, broken MIME);
both are reduced here to plain dicts with lower-cased names and
whitespace-folded values, bounded in size, so nothing downstream has to care
which it was.
"""

from __future__ import annotations

import re

_MAX_BLOCKS = 200          # recipients in one DSN we are willing to read
_MAX_VALUE = 2000          # characters kept of one field value
_WS = re.compile(r"\s+")
_FIELD = re.compile(r"^([A-Za-z0-9][A-Za-z0-9\-]{0,76}):[ \t]*(.*)$")
_ANGLE = re.compile(r"<([^<>\s]{1,320})>")
_ADDR = re.compile(r"[^\s<>\"(),;:]{1,200}@[^\s<>\"(),;:]{1,200}")
# A quoted local part ("x y"@example.org): mq-send delivers to one, so its bounce must name it.
_QUOTED = re.compile(r'"(?:[^"\\\r\n]|\\.){1,64}"@[^\s<>"(),;:]{1,200}')
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY = re.compile(r"^([245][0-5]\d)\b")
_ACTIONS = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})


class DsnRecipient:
    """One per-recipient block of a delivery-status report.

    A plain class, not a dataclass: each @dataclass costs ~1 ms at import.
    """

    __slots__ = ("address", "action", "status", "diagnostic_type", "diagnostic", "remote_mta")

    def __init__(self, address: str, action: str | None, status: str | None,
                 diagnostic_type: str | None, diagnostic: str | None, remote_mta: str = "") -> None:
        self.address, self.action, self.status = address, action, status
        self.diagnostic_type, self.diagnostic = diagnostic_type, diagnostic
        self.remote_mta = remote_mta    # "dns; mx.example.com": whose reply the diagnostic is


def fold(value: object) -> str:
    """Collapse a header value (str or email Header) to one trimmed line."""
    try:
        text = str(value)
    except Exception:
        return ""
    return _WS.sub(" ", text[:_MAX_VALUE * 2]).strip()[:_MAX_VALUE]


def eight_bit(value: object) -> object:
    """A value whose 8-bit bytes the parser kept as surrogates, read as UTF-8 (RFC 6533), else Latin-1.

    A non-English reply in a Diagnostic-Code ("550 Empfänger unbekannt")
    would otherwise reach the text rules as U+FFFD.
    """
    if isinstance(value, str) and not value.isascii():
        try:
            raw = value.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:
            return value        # real characters, not escaped bytes
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    return value


def blocks_from_payload(payload: object) -> list[dict[str, str]]:
    """Turn a delivery-status or feedback-report payload into field dicts."""
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for sub in payload[:_MAX_BLOCKS]:
            items = getattr(sub, "raw_items", None)
            if items is None:
                continue
            block: dict[str, str] = {}
            for name, value in list(items())[:100]:
                key = str(name).lower()
                if _next_recipient(block, key):
                    blocks.append(block)
                    block = {}
                block.setdefault(key, fold(eight_bit(value)))
            blocks.append(block)
        return blocks[:_MAX_BLOCKS]
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    if isinstance(payload, str):
        return blocks_from_text(str(eight_bit(payload)))
    return blocks


def blocks_from_text(text: str) -> list[dict[str, str]]:
    """Parse "Name: value" blocks separated by blank lines from *text*."""
    blocks: list[dict[str, str]] = []
    block: dict[str, str] = {}
    last: str | None = None
    for line in text[:256 * 1024].splitlines():
        if not line.strip():
            if block:
                blocks.append(block)
                if len(blocks) >= _MAX_BLOCKS:
                    return blocks
            block, last = {}, None
            continue
        if line[:1] in (" ", "\t") and last is not None:
            block[last] = (block[last] + " " + line.strip())[:_MAX_VALUE]
            continue
        m = _FIELD.match(line)
        if m:
            last = m.group(1).lower()
            if _next_recipient(block, last):
                blocks.append(block)
                block = {}
            block.setdefault(last, m.group(2).strip()[:_MAX_VALUE])
        else:
            last = None
    if block:
        blocks.append(block)
    return blocks


def _next_recipient(block: dict[str, str], name: str) -> bool:
    """Does field *name* begin another recipient's fields, though no blank line came before it?

    Some MTAs write the recipients' blocks one after the other without the
    blank line RFC 3464 puts between them. The order of the fields within a
    block varies (Action first, the address last...), so only an address
    field (Original- or Final-Recipient) the block already has is taken for
    the next recipient's.
    """
    return name in ("final-recipient", "original-recipient") and name in block


def typed_value(value: str | None) -> tuple[str | None, str]:
    """Split "rfc822; a@b" / "smtp; 550 ..." into (type, rest)."""
    if not value:
        return None, ""
    kind, sep, rest = value.partition(";")
    if sep and len(kind) <= 40 and " " not in kind.strip():
        return kind.strip().lower() or None, rest.strip()
    return None, value.strip()


def addr_spec(value: str | None) -> str | None:
    """The lower-cased addr-spec in a header-ish value, or None."""
    if not value:
        return None
    value = value.strip()
    m = _QUOTED.search(value) if '"@' in value else None
    if m:
        return m.group(0).lower()
    m = _ANGLE.search(value)
    if m and "@" in m.group(1):
        return m.group(1).strip().lower()
    m = _ADDR.search(value)
    if m:
        return m.group(0).strip(".'").lower()
    return None


def clean_status(value: str | None) -> str | None:
    """A well-formed RFC 3463 code from a Status field ("5.1.1 (text)" too)."""
    if not value:
        return None
    m = _STATUS.match(value.strip())
    return ".".join(m.groups()) if m else None


def clean_reply(value: str | None) -> str | None:
    """The SMTP reply code a diagnostic starts with ("550-5.1.1" too)."""
    if not value:
        return None
    m = _REPLY.match(value.strip())
    return m.group(1) if m else None


def dsn_recipients(blocks: list[dict[str, str]]) -> tuple[dict[str, str], list[DsnRecipient]]:
    """Split DSN blocks into the per-message fields and the recipient blocks."""
    per_message: dict[str, str] = {}
    recipients: list[DsnRecipient] = []
    for block in blocks:
        raw_rcpt = block.get("final-recipient") or block.get("original-recipient")
        if raw_rcpt is None:
            if not recipients:
                for k, v in block.items():
                    per_message.setdefault(k, v)
            continue
        _, rcpt = typed_value(raw_rcpt)
        address = addr_spec(rcpt)
        original = addr_spec(typed_value(block.get("original-recipient"))[1])
        if original and (not address or "." not in address.rpartition("@")[2]):
            # Final-Recipient names an internal mailbox ("user@sims-ms-daemon"):
            # the address we sent to is the better name for the recipient.
            address = original
        if not address:
            continue
        action = (block.get("action") or "").strip().lower().split(" ")[0] or None
        if action not in _ACTIONS:
            # "failure"/"expired" and other home-grown words seen in the wild.
            action = {"failure": "failed", "expired": "failed", "deliverable": "delivered",
                      "delay": "delayed"}.get(action or "", None)
        dtype, diag = typed_value(block.get("diagnostic-code"))
        recipients.append(DsnRecipient(
            address=address,
            action=action,
            status=clean_status(block.get("status")),
            diagnostic_type=dtype,
            diagnostic=diag or None,
            remote_mta=block.get("remote-mta", ""),
        ))
    return per_message, recipients
