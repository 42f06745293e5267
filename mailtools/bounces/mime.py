"""Walk a bounce's MIME parts and read its prose, within bounds.

The input is whatever the internet sent: the walk is bounded in depth, part
count and characters. These helpers give the classifier the parts (marking
those inside a quoted original), the text of a part, the bounce's own prose,
the addresses it was delivered to, the quoted original's Message-ID and
Return-Path, and the sentence of prose about one recipient.
"""

from __future__ import annotations

import binascii
import re
from email.errors import MissingHeaderBodySeparatorDefect, NoBoundaryInMultipartDefect, StartBoundaryNotFoundDefect
from email.message import Message
from email.parser import BytesParser, HeaderParser

from mailtools.bounces.dsn import addr_spec, eight_bit, fold
from mailtools.bounces.lazyrx import LazyRx
from mailtools.bounces.textrules import ORIGINAL_MARKERS, match_text

MAX_TEXT = 256 * 1024        # characters of prose we scan
MAX_DEPTH = 50               # MIME nesting we walk
MAX_PARTS = 500              # MIME parts we look at
MAX_DIAGNOSTIC = 500
_REPORTS = frozenset({"message/delivery-status", "message/global-delivery-status", "message/feedback-report"})
_MSGID = re.compile(r"^\s*message-id:\s*(<[^<>\s]{1,300}>)", re.IGNORECASE | re.MULTILINE)
_RETPATH = re.compile(r"^\s*return-path:\s*<([^<>\s]{0,300})>", re.IGNORECASE | re.MULTILINE)
_TAGS = re.compile(r"<[^>]{0,2000}>")
_BLANK = re.compile(r"\n[ \t]*\n")
# Any printable character: besides RFC 2046's, MTAs use "@" (PowerMTA), "!" (Active!hunter)... in quotes,
# and parsers accept them; and more than RFC 2046's 70 of them (a host name in it can be long).
_BOUNDARY_LINE = re.compile(rb"^--([!-~]{1,200})[ \t]*\r?$", re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# The patterns below are for rare repairs and encodings: kept as text, compiled (and cached
# by re) the first time a message needs them, not at every start of the alias pipe.
_BOUNDARY_PARAM = rb'(?i)boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))'
_PART_START = rb"(?im)^--([!-~]{0,199}[!-,.-~])[ \t]*\r?\ncontent-"
# HTML line and paragraph breaks; a line end in the source after the tag is the same break, not another.
_LINE_TAGS = r"(?i)(?:<br\b[^>]{0,200}>|</(?:div|tr|li|h\d)\s*>)[ \t]*\r?\n?"
_PARAGRAPH_TAGS = r"(?i)(?:</p\s*>|</table\s*>)[ \t]*(?:\r?\n)?"
# "Content-Type: multipart/...;" with "boundary=" on the next line, unindented (see fold_parameters).
_UNFOLDED_BOUNDARY = rb";[ \t]*(\r?\n)boundary="
_NOT_BASE64 = rb"[^A-Za-z0-9+/]"


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
        if ctype in _REPORTS:
            _decode_report(part)
        payload = part.get_payload()
        if isinstance(payload, list) and (part.is_multipart() or ctype.startswith("message/")):
            quoted = inside or ctype in ("message/rfc822", "message/global")
            stack.extend((p, depth + 1, quoted) for p in reversed(payload) if isinstance(p, Message))
    return out


def _decode_report(part: Message) -> None:
    """A report part the parser could not split into its blocks, made plain text in place.

    The parser reads a message/delivery-status body as blocks of header fields
    whatever its transfer encoding: base64 comes out as one block of garbage,
    and the report would name nobody. And it reads message/global-delivery-status
    (RFC 6533, SMTPUTF8 mail) as one message: the per-message block for its
    header, every recipient's block in its body. The text is put back together
    from what the parser made of it, decoded, and left as the part's text
    (7bit), which dsn.blocks_from_payload reads.
    """
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    encoded = cte in ("base64", "quoted-printable")
    payload = part.get_payload()
    if not encoded and not (isinstance(payload, list) and part.get_content_type() == "message/global-delivery-status"):
        return
    if isinstance(payload, list):
        payload = "\n\n".join(_lines_of(sub) for sub in payload[:1000] if isinstance(sub, Message))
    if not isinstance(payload, str):
        return
    part.set_payload(payload)
    if not encoded:
        return
    data = _payload(part)
    if data is None:
        return
    part.set_payload(data[:MAX_TEXT].decode("utf-8", "replace"))
    part.replace_header("Content-Transfer-Encoding", "7bit")


def _lines_of(block: Message) -> str:
    """The lines a block of a report part was parsed from.

    The block's fields, then its payload: after the blank line that ended them,
    or, where a line that is no field ended them (a quoted-printable soft line
    break cuts a field's line short), right after.
    """
    # Raw values and bytes: items() and get_payload() would turn a UTF-8 address
    # (RFC 6533's SMTPUTF8 reports are 8-bit) into U+FFFD before it is read.
    fields = "\n".join(f"{name}: {eight_bit(value)}" for name, value in list(block.raw_items())[:100])
    body = block.get_payload(decode=True) if isinstance(block.get_payload(), str) else None
    rest = str(eight_bit(body.decode("ascii", "surrogateescape"))) if isinstance(body, bytes) else ""
    if not (fields and rest):
        return fields or rest
    cut = any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in block.defects)
    return fields + ("\n" if cut else "\n\n") + rest


def attached_report(msg: Message) -> Message | None:
    """The delivery report *msg* passes on as its first attachment; else None.

    Relays and mailboxes that hand bounces on (a postmaster's "Fwd:", a
    gateway that quarantines and releases, the one sisimai calls "Unknown
    MTA #5" that sends it to "NotificationRecipients") attach the whole
    report as message/rfc822 under a note of their own, sometimes with the
    original after it. Only a multipart/report of delivery status attached
    to a message that has no report of its own is taken: a bounce's quoted
    original is never a report. Whether a person forwarded it (then it is
    hearsay, never hard) is the classifier's question, not this one's.
    """
    if msg.get_content_type() != "multipart/mixed":
        return None
    attached: list[Message] = []
    stack, looked = [msg], 0
    while stack and looked < 50:        # the note's own multiparts too (a gateway may wrap it again)
        children = stack.pop().get_payload()
        looked += 1
        for child in children[:20] if isinstance(children, list) else ():
            if not isinstance(child, Message) or child.get_content_type() in _REPORTS:
                return None
            if child.get_content_type() in ("message/rfc822", "message/global"):
                attached.append(child)
            elif child.get_content_maintype() == "multipart":
                stack.append(child)
    if not attached:
        return None
    inner = attached[0].get_payload()
    if not isinstance(inner, list) or not inner or not isinstance(inner[0], Message):
        return None
    report = inner[0]
    if report.get_content_type() != "multipart/report" or str(
            report.get_param("report-type", "") or "").lower() not in ("delivery-status", "global-delivery-status"):
        return None
    return report


def text_of(part: Message) -> str:
    payload: object = _payload(part)
    if payload is None:
        payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    payload = payload[:MAX_TEXT]
    charset = part.get_content_charset()
    if not charset or charset in ("us-ascii", "ascii") and (not payload.isascii() or b"\x1b$" in payload):
        charset = _undeclared_charset(payload)    # "us-ascii" is the label some MTAs write on anything
    try:
        text = payload.decode(charset, "replace")
    except LookupError:
        text = payload.decode("latin-1")
    if part.get_content_type() == "text/html":
        text = _html_text(text)
    return text


def _html_text(text: str) -> str:
    """The text of an HTML notice: line and paragraph breaks kept, tags dropped, entities decoded.

    Notices written only in HTML ("&lt;user@example.org&gt;", a line per
    <br>, a paragraph per <p>) must read as the same notice in plain text.
    """
    text = re.sub(_LINE_TAGS, "\n", text)
    text = re.sub(_PARAGRAPH_TAGS, "\n\n", text)
    text = _TAGS.sub(" ", text)
    if "&" in text:
        import html  # only HTML notices pay for its entity table

        text = html.unescape(text)
    return text


def _undeclared_charset(payload: bytes) -> str:
    """The charset of text whose Content-Type lost (or never had) its charset parameter.

    ISO-2022-JP announces itself with its escape sequences (RFC 1468); other
    text is UTF-8 when it decodes as UTF-8, else most likely Windows-1252 (a
    superset of Latin-1 for prose), what Western Windows mail servers write.
    """
    if b"\x1b$B" in payload or b"\x1b$@" in payload:
        return "iso-2022-jp"
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _payload(part: Message) -> bytes | None:
    """A leaf part's bytes, transfer encoding undone the way RFC 2045 asks; None for the email package to do it.

    The email package compares the Content-Transfer-Encoding value as it came:
    "base64 " (a trailing space, as some MTAs and relays write it) is not
    decoded at all. And it decodes "=" followed by a space as a literal "=",
    where a quoted-printable decoder must first delete the line's trailing
    white space (RFC 2045, 6.7 (3)): a soft line break that picked up a space
    in transit would split a status code ("5.1.= " then "1").
    """
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte not in ("base64", "quoted-printable") or part.is_multipart():
        return None
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    raw = _bytes_of(payload)
    if cte == "quoted-printable":
        # line by line: a regex for "white space before a line end" is quadratic on a long run of it
        return binascii.a2b_qp(b"\n".join(line.rstrip(b" \t\r") for line in raw.split(b"\n")))
    data = re.sub(_NOT_BASE64, b"", raw)      # line ends, white space, and the padding, put back below
    if len(data) % 4 == 1:
        data = data[:-1]                  # a stray character: no whole byte in it
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except binascii.Error:
        return None


def _bytes_of(payload: str) -> bytes:
    """A str payload as the bytes that came, the way the email package turns it back (bounded)."""
    try:
        return payload[:MAX_TEXT * 3].encode("ascii", "surrogateescape")
    except UnicodeEncodeError:   # a payload set as text, or 8-bit text the parser kept
        return payload[:MAX_TEXT * 3].encode("utf-8", "surrogateescape")


def prose(parts: list[tuple[Message, bool]]) -> tuple[str, str]:
    """(prose before any copy of the original, all the bounce's own text)."""
    chunks: list[str] = []
    size = 0
    alternatives = _html_alternatives(parts)
    for part, inside in parts:
        if inside or part.get_content_maintype() != "text" or size > MAX_TEXT:
            continue
        ctype = part.get_content_type()
        if ctype == "text/rfc822-headers" and chunks or ctype == "text/html" and (
                id(part) in alternatives or size > _NOTE):
            continue
        text = text_of(part).replace("\r\n", "\n")
        chunks.append(text)
        size += len(text)
    full = "\n".join(chunks)[:MAX_TEXT]
    m = ORIGINAL_MARKERS.search(full)
    return (full[: m.start()] if m else full), full


# Text before an HTML part longer than a gateway's note ("Scanned by ..."): the notice itself
# is in it, and the HTML is its copy, or the original's body flattened into the bounce.
_NOTE = 200


def _html_alternatives(parts: list[tuple[Message, bool]]) -> set[int]:
    """ids of the HTML parts that are the alternative of a plain-text one (the same notice twice)."""
    out: set[int] = set()
    for part, _ in parts:
        if part.get_content_type() == "multipart/alternative":
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if any(c.get_content_type() == "text/plain" for c in children):
                out.update(id(c) for c in children if c.get_content_type() == "text/html")
    return out


def delivered_to(msg: Message) -> list[str]:
    return addresses(msg, ("Delivered-To", "X-Original-To", "To"))


def original_headers(parts: list[tuple[Message, bool]]) -> Message | None:
    """The header fields of the original message a bounce attaches, if it attaches one."""
    for part, _ in parts:
        ctype = part.get_content_type()
        # message/global-headers (RFC 6533) is parsed as a message too: its header is the original's
        if ctype in ("message/rfc822", "message/global") or ctype == "message/global-headers" and part.is_multipart():
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
    if b"\nboundary=" not in raw:
        return raw
    return re.sub(_UNFOLDED_BOUNDARY, rb";\1\tboundary=", raw)


def repair_boundary(msg: Message, raw: bytes) -> Message:
    """*msg* re-parsed with the boundary its body uses, when the declared one is never found.

    Gateways that rewrite a bounce's header sometimes change the boundary
    parameter and not the body: the parser then sees one part of garbage.
    The first "--token" line of the body is the boundary in use.
    """
    declared = msg.get_boundary()
    if declared is None and msg.get("Content-Type") is None:
        return _undeclared_multipart(msg, raw)
    if declared is None and msg.get_content_maintype() == "multipart":
        return _boundary_lost(msg, raw)
    if not declared or not any(isinstance(d, StartBoundaryNotFoundDefect) for d in msg.defects):
        return _repair_inner_boundary(msg, raw)
    end = _HEADER_END.search(raw)
    head, body = (raw[:end.start()], raw[end.start():]) if end else (raw, b"")
    m = _BOUNDARY_LINE.search(body)
    if m is None or declared.encode() not in head:
        return msg
    return BytesParser().parsebytes(head.replace(declared.encode(), m.group(1), 1) + body)


def _boundary_lost(msg: Message, raw: bytes) -> Message:
    """*msg* re-parsed when its Content-Type says multipart but lost the boundary parameter.

    A gateway that rewrites the field can drop its parameters. The body's
    first "--token" line that opens a part (header fields under it), or else
    the first that also closes the parts ("--token--"), gives the boundary;
    the field says it is MIME, so nothing else is needed.
    """
    end = _HEADER_END.search(raw)
    if end is None:
        return msg
    head, body = raw[:end.start()], raw[end.start():]
    token = _token_of(body)
    field = re.search(rb"(?im)^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", head)
    if token is None or field is None:
        return msg
    head = head[:field.end()] + b'; boundary="' + token + b'"' + head[field.end():]
    return BytesParser().parsebytes(head + body)


def _repair_lost_inner_boundaries(msg: Message) -> None:
    """Multiparts below the top (a report a gateway wrapped or attached) that lost their boundary, split in place.

    The same rule as _boundary_lost's, on the part's own text.
    """
    for _, part in zip(range(MAX_PARTS), msg.walk(), strict=False):
        if not any(isinstance(d, NoBoundaryInMultipartDefect) for d in part.defects) or part is msg:
            continue
        payload = part.get_payload()
        if not isinstance(payload, str):
            continue
        body = b"\n" + _bytes_of(payload)
        token = _token_of(body)
        if token is None:
            continue
        head = b"Content-Type: " + part.get_content_type().encode() + b'; boundary="' + token + b'"\n'
        part.set_payload(BytesParser().parsebytes(head + body).get_payload())
        part.set_param("boundary", token.decode("ascii", "replace"))


def _token_of(body: bytes) -> bytes | None:
    """The boundary a multipart body uses: its first "--token" line that opens a part (header
    fields under it), or, where the first part has no header, the first that also closes them."""
    m = re.search(_PART_START, body)
    if m is not None:
        return m.group(1)
    tokens = [b.group(1) for b in _BOUNDARY_LINE.finditer(body[:MAX_TEXT])]
    closing = {t[:-2] for t in tokens if t.endswith(b"--")}
    return next((t for t in tokens if t in closing), None)


def _repair_inner_boundary(msg: Message, raw: bytes) -> Message:
    """*msg* re-parsed when a multipart one level down (or more) declares a boundary its body never uses.

    The same rewrite as repair_boundary's, on a report a gateway has wrapped in
    multipart/mixed of its own: one declared boundary never found, and one
    "--token" line that opens a part ("Content-..." under it) no header
    declares, is that part's boundary.
    """
    _repair_lost_inner_boundaries(msg)
    if not any(isinstance(d, StartBoundaryNotFoundDefect) for part in msg.walk() for d in part.defects):
        return msg
    declared = {m.group(1) or m.group(2) for m in re.finditer(_BOUNDARY_PARAM, raw)}
    used = {m.group(1) for m in re.finditer(_PART_START, raw)}
    missing = [d for d in declared if b"\n--" + d not in raw]
    unknown = used - declared
    if len(missing) != 1 or len(unknown) != 1:
        return msg
    token = unknown.pop()
    return BytesParser().parsebytes(re.sub(rb'(boundary\s*=\s*"?)' + re.escape(missing[0]),
                                           lambda m: m.group(1) + token, raw, count=1, flags=re.IGNORECASE))


def _undeclared_multipart(msg: Message, raw: bytes) -> Message:
    """*msg* re-parsed as multipart when its header has no Content-Type but its body is MIME parts.

    Local mailers (sendmail's cron and queue-run notices, some gateways) drop
    the top-level Content-Type and keep the body: "--token" lines, each
    followed by the part's own header fields. Only a body whose first such
    token opens a report part (delivery status or a feedback report) is
    taken for MIME: a prose bounce quoting a multipart original has "--token"
    lines too.
    """
    end = _HEADER_END.search(raw)
    if end is None:
        return msg
    body = raw[end.start():]
    m = _BOUNDARY_LINE.search(body)
    # the part's Content-Type among its header fields (Postfix puts Content-Description first)
    if m is None or not re.search(rb"(?im)^--" + re.escape(m.group(1)) + rb"[ \t]*\r?\n(?:[^\r\n]+\r?\n){0,10}?"
                                  rb"content-type:[ \t]*message/(?:(?:global-)?delivery-status|feedback-report)",
                                  body):
        return msg
    head = raw[:end.start()] + b'\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="' + m.group(1) + b'"'
    return BytesParser().parsebytes(head + body)


# A command line and the failing reply under it, in a transcript ("... while talking to").
# Compiled on first use: only a notice with a transcript pays for it.
_EXCHANGE = LazyRx(r"^>>> ?([^\n]{1,300})\n<<< ?[45]\d\d\b[^\n]{0,300}", re.MULTILINE)


def near(prose: str, address: str) -> str:
    """The paragraph of *prose* about *address*: where a non-DSN bounce gives the reason.

    Bounces often name the address twice (a list, then a transcript); the
    first paragraph that states a reason is the one we want. It comes back
    on one line: where an MTA wrapped it ("(in reply to RCPT\n    TO
    command)") depends on the length of the address and host names in it.
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
        end = _next_entry(prose, low, i, end, needle)
        para = " ".join(prose[start:min(end, start + 1500)].split())
        if match_text(para):
            return para
        first = first or para
        i = low.find(needle, max(end, i + 1))
    return first


def refused_exchange(prose: str, address: str) -> str:
    """The command naming *address* and the 4xx/5xx reply to it, from a session transcript, or "".

    sendmail and Courier copy the SMTP session into the notice (">>> RCPT
    To:<a@b.example>" then "<<< 550 ..."); the reason paragraph above it
    quotes only the reply, so the command that was refused is found here.
    """
    if ">>>" not in prose:
        return ""
    needle = address.lower()
    for m in _EXCHANGE.compiled().finditer(prose.lower()):
        if needle in m.group(1):
            return m.group(0)
    return ""


def _next_entry(prose: str, low: str, i: int, end: int, needle: str) -> int:
    """Where the entry for another address begins between *i* and *end*, else *end*.

    Exim and sendmail list several failed recipients without a blank line
    between them: the paragraph of one must not take the next one's reason.
    An entry's head is a line that is nothing but an address (Exim's
    "  a@b.example", sendmail's "<a@b.example>", qmail's "<a@b.example>:").
    A plain scan: a regex compiled for it costs the alias pipe ~0.3 ms.
    """
    pos = low.find("\n", i, end)
    while pos >= 0:
        nxt = low.find("\n", pos + 1, end)
        line = low[pos + 1:end if nxt < 0 else nxt].strip().rstrip(":")
        if line.startswith("<") and line.endswith(">"):
            line = line[1:-1]
        if line.count("@") == 1 and line != needle and not any(c in line for c in " \t<>") \
                and 0 < line.index("@") < len(line) - 1:
            return pos
        pos = nxt
    return end


def trim(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text[:MAX_DIAGNOSTIC] or None
