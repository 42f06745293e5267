"""Walk a bounce's MIME parts and read its prose, within bounds.

The input is whatever the internet sent: the walk is bounded in depth, part
count and characters. These helpers give the classifier the parts (marking
those inside a quoted original), the text of a part, the bounce's own prose,
the addresses it was delivered to, the quoted original's Message-ID and
Return-Path, and the sentence of prose about one recipient.
"""

from __future__ import annotations

import re
from email.errors import StartBoundaryNotFoundDefect
from email.message import Message
from email.parser import BytesParser, HeaderParser

from mailtools.bounces.dsn import addr_spec, fold
from mailtools.bounces.textrules import ORIGINAL_MARKERS, match_text

MAX_TEXT = 256 * 1024        # characters of prose we scan
MAX_DEPTH = 50               # MIME nesting we walk
MAX_PARTS = 500              # MIME parts we look at
MAX_DIAGNOSTIC = 500
_MSGID = re.compile(r"^\s*message-id:\s*(<[^<>\s]{1,300}>)", re.IGNORECASE | re.MULTILINE)
_RETPATH = re.compile(r"^\s*return-path:\s*<([^<>\s]{0,300})>", re.IGNORECASE | re.MULTILINE)
_TAGS = re.compile(r"<[^>]{0,2000}>")
_BLANK = re.compile(r"\n[ \t]*\n")
_BOUNDARY_LINE = re.compile(rb"^--([\w'()+,\-./:=?]{1,70})[ \t]*\r?$", re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def walk(msg: Message) -> list[tuple[Message, bool]]:
    """Parts of *msg*, depth- and count-bounded; the flag marks a quoted original."""
    out: list[tuple[Message, bool]] = []
    stack: list[tuple[Message, int, bool]] = [(msg, 0, False)]
    while stack and len(out) < MAX_PARTS:
        part, depth, inside = stack.pop()
        out.append((part, inside))
        if depth >= MAX_DEPTH:
            continue
        ctype = part.get_content_type()
        payload = part.get_payload()
        if isinstance(payload, list) and (part.is_multipart() or ctype.startswith("message/")):
            quoted = inside or ctype in ("message/rfc822", "message/global")
            stack.extend((p, depth + 1, quoted) for p in reversed(payload) if isinstance(p, Message))
    return out


def text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload[:MAX_TEXT].decode(charset, "replace")
    except LookupError:
        text = payload[:MAX_TEXT].decode("latin-1")
    if part.get_content_type() == "text/html":
        text = _TAGS.sub(" ", text)
    return text


def prose(parts: list[tuple[Message, bool]]) -> tuple[str, str]:
    """(prose before any copy of the original, all the bounce's own text)."""
    chunks: list[str] = []
    size = 0
    for part, inside in parts:
        if inside or part.get_content_maintype() != "text" or size > MAX_TEXT:
            continue
        if part.get_content_type() in ("text/rfc822-headers", "text/html") and chunks:
            continue
        text = text_of(part).replace("\r\n", "\n")
        chunks.append(text)
        size += len(text)
    full = "\n".join(chunks)[:MAX_TEXT]
    m = ORIGINAL_MARKERS.search(full)
    return (full[: m.start()] if m else full), full


def delivered_to(msg: Message) -> list[str]:
    return addresses(msg, ("Delivered-To", "X-Original-To", "To"))


def original_headers(parts: list[tuple[Message, bool]]) -> Message | None:
    """The header fields of the original message a bounce attaches, if it attaches one."""
    for part, _ in parts:
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            sub = part.get_payload()
            if isinstance(sub, list) and sub and isinstance(sub[0], Message):
                return sub[0]
            if isinstance(sub, str):
                return HeaderParser().parsestr(sub[:MAX_TEXT], headersonly=True)
        elif ctype in ("text/rfc822-headers", "message/global-headers"):
            return HeaderParser().parsestr(text_of(part), headersonly=True)
    return None


def addresses(msg: Message | None, names: tuple[str, ...]) -> list[str]:
    """The addresses in header fields *names* of *msg*, lower-cased, in order."""
    out: list[str] = []
    if msg is None:
        return out
    for name in names:
        for value in (msg.get_all(name) or [])[:10]:
            for piece in fold(value).split(","):
                addr = addr_spec(piece)
                if addr and addr not in out:
                    out.append(addr)
    return out[:20]


def original_ids(parts: list[tuple[Message, bool]]) -> tuple[str | None, str | None]:
    """Message-ID and Return-Path of the original message quoted in a bounce."""
    headers = original_headers(parts)
    msgid = retpath = None
    if headers is not None:
        m = _MSGID.search("Message-ID: " + fold(headers.get("Message-ID", "")))
        msgid = m.group(1) if m else None
        m = _RETPATH.search("Return-Path: " + fold(headers.get("Return-Path", "")))
        retpath = m.group(1) or None if m else None
    if msgid is None or retpath is None:
        _, full = prose([(p, False) for p, inside in parts if not inside])
        if msgid is None:
            m = _MSGID.search(full)
            msgid = m.group(1) if m else None
        if retpath is None:
            m = _RETPATH.search(full)
            retpath = m.group(1) or None if m else None
    return msgid, retpath


def fold_parameters(raw: bytes) -> bytes:
    """*raw* with a part's "boundary=" parameter folded back into its Content-Type field.

    Some gateways (Apache James, and carriers' MMS gateways built on it)
    write "Content-Type: multipart/alternative;" and put "boundary=..." on
    the next line without the leading white space that would continue the
    field: the parser ends the part's header there and the part has no
    boundary, so its text is lost.
    """
    for newline in (b"\n", b"\r\n"):
        broken = b";" + newline + b"boundary="
        if broken in raw:
            raw = raw.replace(broken, b";" + newline + b"\tboundary=")
    return raw


def repair_boundary(msg: Message, raw: bytes) -> Message:
    """*msg* re-parsed with the boundary its body uses, when the declared one is never found.

    Gateways that rewrite a bounce's header sometimes change the boundary
    parameter and not the body: the parser then sees one part of garbage.
    The first "--token" line of the body is the boundary in use.
    """
    declared = msg.get_boundary()
    if declared is None and msg.get("Content-Type") is None:
        return _undeclared_multipart(msg, raw)
    if not declared or not any(isinstance(d, StartBoundaryNotFoundDefect) for d in msg.defects):
        return msg
    end = _HEADER_END.search(raw)
    head, body = (raw[:end.start()], raw[end.start():]) if end else (raw, b"")
    m = _BOUNDARY_LINE.search(body)
    if m is None or declared.encode() not in head:
        return msg
    return BytesParser().parsebytes(head.replace(declared.encode(), m.group(1), 1) + body)


def _undeclared_multipart(msg: Message, raw: bytes) -> Message:
    """*msg* re-parsed as multipart when its header has no Content-Type but its body is MIME parts.

    Local mailers (sendmail's cron and queue-run notices, some gateways) drop
    the top-level Content-Type and keep the body: "--token" lines, each
    followed by the part's own header fields. Only a body whose first such
    token opens a delivery-status part is taken for MIME: a prose bounce
    quoting a multipart original has "--token" lines too.
    """
    end = _HEADER_END.search(raw)
    if end is None:
        return msg
    body = raw[end.start():]
    m = _BOUNDARY_LINE.search(body)
    if m is None or (b"--" + m.group(1) + b"\ncontent-type: message/delivery-status").lower() not in \
            body.replace(b"\r\n", b"\n").lower():
        return msg
    head = raw[:end.start()] + b'\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="' + m.group(1) + b'"'
    return BytesParser().parsebytes(head + body)


def near(prose: str, address: str) -> str:
    """The paragraph of *prose* about *address*: where a non-DSN bounce gives the reason.

    Bounces often name the address twice (a list, then a transcript); the
    first paragraph that states a reason is the one we want.
    """
    low, needle = prose.lower(), address.lower()
    first = ""
    i = low.find(needle)
    for _ in range(5):
        if i < 0:
            break
        start = low.rfind("\n", 0, i) + 1
        m = _BLANK.search(prose, i)
        end = m.start() if m else len(prose)
        for _ in range(2):
            if not m or end - start >= len(address) + 24:
                break
            # "<addr>:" alone on its line, the reason in the next paragraph (or, after
            # Domino's "because:" on a line of its own, the one after that).
            m = _BLANK.search(prose, m.end())
            end = m.start() if m else len(prose)
        para = prose[start:min(end, start + 1500)].strip()
        if match_text(para):
            return para
        first = first or para
        i = low.find(needle, max(end, i + 1))
    return first


def trim(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text[:MAX_DIAGNOSTIC] or None
