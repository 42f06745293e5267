"""Does the bounce classifier's verdict survive changes that do not change what a bounce says?

    python bench/invariance.py [--only crlf,rename] [--pairs N] [-v] [DIR_OR_FILE...]

The held-out bounces come from the same MTAs as ../shared/corpora/sisimai-dev, but each
is another message: other addresses and host names, line endings, header casing,
transfer encodings, charsets, more recipients, an mbox "From " line, the original left
out, another level of MIME nesting. This applies such changes to every message, one at a
time, and compares `classify()`'s verdict (kind; per recipient its address, after the
renaming, its reason and whether it is hard) with the verdict on the message as it came.
It prints how many verdicts each change altered and lists them.

With no arguments it reads ../shared/corpora/sisimai-dev/messages in place (a clone
without ../shared prints that it skipped). tests/test_classify_invariance.py runs the same
changes over the project's own samples.

The changes work on the bytes, line by line, following the MIME structure (boundaries,
part headers, the fields of a delivery-status part) as a mail client would, so that a
change to one part leaves the others byte for byte as they were. Each is one a real MTA,
relay or gateway makes (its docstring says which); changes that would take away what a
verdict rests on are not applied (the original left out where only it names the
recipient, a second recipient in a transcript about several). `python bench/invariance.py
--write DIR` writes every changed message that altered a verdict, to look at.

Known, not fixed (see the issue): rewrap on an Exim "malformed address" notice puts the
quoted address at the start of a line, where the readers take it for a recipient; Exim
does not wrap that line, so the change is not one Exim makes.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import os
import re
import sys
import time
from collections.abc import Callable
from email.parser import HeaderParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
try:
    import mailtools  # noqa: F401  # the installed package when there is one (make venv)
except ImportError:
    sys.path.insert(0, str(REPO))

from mailtools.bounces.classify import Verdict, classify  # noqa: E402

# ---------------------------------------------------------------------------------------
# The message as segments


class Segment:
    """A run of lines of one kind: "header" (a header block and the blank line ending it),
    "fields" (a delivery-status or feedback-report body), "body", or "boundary"."""

    __slots__ = ("kind", "lines", "ctype", "cte", "charset", "inside", "boundary", "role")

    def __init__(self, kind: str, lines: list[bytes], ctype: str = "text/plain", cte: str = "",
                 charset: str = "", inside: bool = False, boundary: bytes = b"", role: str = "") -> None:
        self.kind, self.lines, self.ctype, self.cte, self.charset = kind, lines, ctype, cte, charset
        self.inside = inside          # within a quoted original (message/rfc822 and below)
        self.boundary = boundary      # for a "boundary" segment: the token
        self.role = role              # for a "header": "top", "part", "message" (an original's)


_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)
_FIELD_NAME = re.compile(rb"^([!-9;-~]{1,76}):")
_EOL = re.compile(rb"\r?\n$")


def _eol(line: bytes) -> bytes:
    m = _EOL.search(line)
    return m.group(0) if m else b""


def _boundary_of(line: bytes, boundaries: set[bytes]) -> tuple[bytes, bool] | None:
    if not line.startswith(b"--"):
        return None
    token = line.rstrip()[2:]
    if token in boundaries:
        return token, False
    if token.endswith(b"--") and token[:-2] in boundaries:
        return token[:-2], True
    return None


def segments(raw: bytes) -> list[Segment]:
    """*raw* cut into segments; joining every segment's lines gives *raw* back."""
    boundaries: set[bytes] = set()    # declared by a multipart header seen so far
    lines = raw.splitlines(keepends=True)
    out: list[Segment] = []
    mode, role, inside = "header", "top", False
    current: list[bytes] = []
    ctype, cte, charset = "text/plain", "", ""
    index = 0
    if lines and lines[0].startswith(b"From "):
        out.append(Segment("envelope", [lines[0]]))
        index = 1
    for line in lines[index:]:
        found = _boundary_of(line, boundaries)
        if found is not None:
            if current:
                out.append(_finish(mode, current, ctype, cte, charset, inside, role))
            token, closing = found
            out.append(Segment("boundary", [line], boundary=token))
            mode, role, current, inside = ("body" if closing else "header"), "part", [], False
            ctype, cte, charset = ("epilogue" if closing else "text/plain"), "", ""
            continue
        current.append(line)
        if mode == "header" and not line.strip():
            parsed = HeaderParser().parsestr(b"".join(current).decode("latin-1"))
            ctype = parsed.get_content_type() if parsed.get("Content-Type") else "text/plain"
            cte = str(parsed.get("Content-Transfer-Encoding", "")).strip().lower()
            charset = str(parsed.get_param("charset", "") or "").lower()
            out.append(Segment("header", current, ctype, cte, charset, inside, role=role))
            current = []
            if ctype.startswith("multipart/"):
                declared = parsed.get_boundary()
                if declared:
                    boundaries.add(declared.encode("latin-1"))
                mode = "body"
            elif ctype in ("message/rfc822", "message/global") and cte not in ("base64", "quoted-printable"):
                mode, role, inside = "header", "message", True
            elif ctype in ("message/delivery-status", "message/global-delivery-status",
                           "message/feedback-report") and cte not in ("base64", "quoted-printable"):
                mode = "fields"
            else:
                mode = "body"
    if current:
        out.append(_finish(mode, current, ctype, cte, charset, inside, role))
    _mark_quoted_multiparts(out)
    return out


def _finish(mode: str, lines: list[bytes], ctype: str, cte: str, charset: str, inside: bool, role: str) -> Segment:
    kind = {"header": "header", "fields": "fields"}.get(mode, "body")
    return Segment(kind, lines, ctype, cte, charset, inside, role=role)


def _mark_quoted_multiparts(segs: list[Segment]) -> None:
    """Parts of a multipart original (inside message/rfc822) are quoted too."""
    quoted: set[bytes] = set()
    for seg in segs:
        if seg.kind == "header" and seg.inside and seg.ctype.startswith("multipart/"):
            parsed = HeaderParser().parsestr(b"".join(seg.lines).decode("latin-1"))
            b = parsed.get_boundary()
            if b:
                quoted.add(b.encode("latin-1"))
        elif seg.kind == "boundary" and seg.boundary in quoted:
            seg.inside = True
    inside = False
    for seg in segs:
        if seg.kind == "boundary":
            inside = seg.boundary in quoted
        elif inside:
            seg.inside = True


def join(segs: list[Segment]) -> bytes:
    return b"".join(b"".join(s.lines) for s in segs)


def _body_bytes(seg: Segment) -> tuple[bytes, bytes]:
    """(a body's content, the line end before the next boundary, which belongs to the boundary)."""
    data = b"".join(seg.lines)
    end = _eol(data)
    return data[: len(data) - len(end)], end


def decode_body(seg: Segment) -> bytes:
    data, _ = _body_bytes(seg)
    if seg.cte == "base64":
        try:
            return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data) + b"==", validate=False)
        except binascii.Error:
            return data
    if seg.cte == "quoted-printable":   # trailing white space deleted first (RFC 2045, 6.7 (3))
        return binascii.a2b_qp(b"\n".join(line.rstrip(b" \t\r") for line in data.split(b"\n")))
    return data


def encode_body(seg: Segment, content: bytes, cte: str, eol: bytes) -> None:
    """Set *seg*'s lines to *content* in transfer encoding *cte*, lines ending in *eol*."""
    _, end = _body_bytes(seg)
    if cte == "base64":
        text = base64.encodebytes(content).replace(b"\n", eol)
    elif cte == "quoted-printable":
        # line by line, so the line ends stay hard line breaks of the text
        pieces = re.split(rb"\r?\n", content)
        text = eol.join(binascii.b2a_qp(p, istext=False).replace(b"=\n", b"=" + eol) for p in pieces)
    else:
        text = content
    if text and not text.endswith(eol):
        text += eol
    seg.lines = text.splitlines(keepends=True)
    if end and seg.lines:
        last = seg.lines[-1]
        seg.lines[-1] = last[: len(last) - len(_eol(last))] + end
    elif end:
        seg.lines = [end]
    seg.cte = cte


def set_field(header: Segment, name: bytes, value: bytes | None) -> None:
    """Replace (or add before the blank line, or remove when *value* is None) field *name*."""
    eol = _eol(header.lines[0]) or b"\n"
    out: list[bytes] = []
    skipping = False
    placed = False
    for line in header.lines:
        if skipping and line[:1] in (b" ", b"\t"):
            continue
        skipping = False
        m = _FIELD_NAME.match(line)
        if m and m.group(1).lower() == name.lower():
            skipping = True
            if value is not None and not placed:
                out.append(m.group(1) + b": " + value + eol)
                placed = True
            continue
        if not line.strip() and value is not None and not placed:
            out.append(name + b": " + value + eol)
            placed = True
        out.append(line)
    header.lines = out


def field(header: Segment, name: str) -> str | None:
    parsed = HeaderParser().parsestr(b"".join(header.lines).decode("latin-1"))
    value = parsed.get(name)
    return None if value is None else str(value)


def _eol_of(raw: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in raw[:4000] else b"\n"


def _bodies(segs: list[Segment]) -> list[tuple[Segment, Segment]]:
    """(header, body) pairs: a body segment and the header block it follows."""
    pairs = []
    for i, seg in enumerate(segs):
        if seg.kind in ("body", "fields") and i and segs[i - 1].kind == "header":
            pairs.append((segs[i - 1], seg))
    return pairs


# ---------------------------------------------------------------------------------------
# The changes. Each takes raw bytes and gives (changed bytes, how verdicts map) or None
# when it does not apply to this message.


class Mapping:
    """How to turn the original verdict into the one the changed message must give."""

    def __init__(self, rename: Callable[[str], str] | None = None,
                 duplicate: tuple[set[str], str] | None = None, keeps_addresses: bool = False) -> None:
        self.rename = rename or (lambda a: a)
        # Only when every recipient is still named somewhere in the changed message (left
        # out with the original, the change took away what the verdict rests on).
        self.keeps_addresses = keeps_addresses
        # (the addresses of the block copied, the made-up local part of the copy)
        self.duplicate = duplicate


Changed = tuple[bytes, Mapping] | None


def crlf(raw: bytes) -> Changed:
    if b"\r\n" in raw:
        return None
    return re.sub(rb"\r?\n", b"\r\n", raw), Mapping()


def mbox_from(raw: bytes) -> Changed:
    if raw.startswith(b"From "):
        return None
    return b"From MAILER-DAEMON  Wed Dec  2 00:00:00 2026" + _eol_of(raw) + raw, Mapping()


def _recase(how: Callable[[bytes], bytes]) -> Callable[[bytes], Changed]:
    def change(raw: bytes) -> Changed:
        segs = segments(raw)
        for seg in segs:
            if seg.kind in ("header", "fields"):
                seg.lines = [_FIELD_NAME.sub(lambda m: how(m.group(1)) + b":", line, count=1)
                             if line[:1] not in (b" ", b"\t") else line for line in seg.lines]
        out = join(segs)
        return (out, Mapping()) if out != raw else None
    return change


header_lower = _recase(bytes.lower)
header_upper = _recase(bytes.upper)


def trailing_space(raw: bytes) -> Changed:
    """A space after every line that is not blank (a blank line with a space is no longer blank)."""
    segs = segments(raw)
    for seg in segs:
        if seg.kind == "body" and seg.cte == "base64":
            continue
        seg.lines = [line[: len(line) - len(_eol(line))] + b" " + _eol(line) if line.strip() and _eol(line)
                     else line for line in seg.lines]
    return join(segs), Mapping()


def received_chain(raw: bytes) -> Changed:
    segs = segments(raw)
    top = next((s for s in segs if s.kind == "header"), None)
    if top is None:
        return None
    eol = _eol_of(raw)
    hops = [
        b"Received: from mx2.relay.example.net (mx2.relay.example.net [192.0.2.25])" + eol
        + b"\tby inbound.lists.example.org (Postfix) with ESMTPS id 4Xk9Zq1Rz7z9sWm" + eol
        + b"\tfor <bounces+list@lists.example.org>; Wed, 2 Dec 2026 00:00:03 +0000 (UTC)" + eol,
        b"Received: from localhost (localhost [127.0.0.1])" + eol
        + b"\tby mx2.relay.example.net (8.17.1/8.17.1) with ESMTP id 0B20000R012345" + eol
        + b"\tfor <bounces+list@lists.example.org>; Tue, 1 Dec 2026 23:59:58 -0100" + eol,
    ]
    start = 1 if top.lines and top.lines[0].startswith(b"From ") else 0
    top.lines[start:start] = hops
    return join(segs), Mapping()


# A host name's own part ("example" of mx.example.co.jp) is what is renamed; the
# registry part (co.jp) and the names rules know (providers) stay.
_TWO_LEVEL = re.compile(rb"\.(?:co|ne|or|ac|ad|ed|go|gr|lg|com|net|org|gov|edu)\.[a-z]{2}$")
_ADDRESS = re.compile(rb"([A-Za-z0-9][A-Za-z0-9._%+=-]{0,63})@((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24})"
                      rb"(?![A-Za-z0-9-])")
# Local parts with a meaning of their own: who wrote the notice.
_ROLE_LOCALS = frozenset({
    b"mailer-daemon", b"mailer_daemon", b"mail-daemon", b"maildaemon", b"postmaster", b"root", b"daemon",
    b"nobody", b"mail", b"mdaemon", b"administrator", b"admin", b"abuse", b"noreply", b"no-reply",
    b"bounce", b"bounces", b"mail.daemon", b"mailerdaemon", b"auto-reply", b"autoreply", b"post_master",
})
# A list's role addresses say what wrote the notice (RFC 2142; Mailman's -owner/-bounces, FML's -admin):
# the list's name before them is renamed, the role kept.
_ROLE_SUFFIXES = (b"-admin", b"-owner", b"-bounces", b"-request", b"-help", b"-return", b"-ctl")
_KNOWN: set[bytes] | None = None


def known_hosts() -> set[bytes]:
    """Domain names the classifier's own rules mention (providers): renaming them changes meaning."""
    global _KNOWN
    if _KNOWN is None:
        found: set[bytes] = set()
        src = REPO / "mailtools" / "bounces"
        for path in list(src.glob("*.py")) + list(src.glob("readers/*.py")):
            # a regex's escapes: "\\bmessagelabs\\.com\\b" names messagelabs.com
            text = re.sub(rb"\\+b", b" ", path.read_bytes()).replace(b"\\", b"").lower()
            for m in re.finditer(rb"[a-z0-9-]{2,}(?:\.[a-z0-9-]{2,})*\.(?:com|net|org|jp|de|fr|uk|ru|it|br|"
                                 rb"nl|cn|kr|au|ca|es|be|ch|at|pl|in|io|biz|info)\b", text):
                found.add(m.group(0))
        # the documentation names (RFC 2606) in comments are no provider
        _KNOWN = {h for h in found if not re.search(rb"(?:^|\.)example\.", h)}
    return _KNOWN


def _is_known(domain: bytes) -> bool:
    known = known_hosts()
    labels = domain.split(b".")
    return any(b".".join(labels[i:]) in known for i in range(len(labels) - 1))


def _base(domain: bytes) -> bytes:
    """The registered part of a host name: example.co.jp of mx.example.co.jp."""
    labels = domain.split(b".")
    keep = 3 if _TWO_LEVEL.search(domain) else 2
    return b".".join(labels[-keep:])


def _made_up(kind: bytes, value: bytes, used: dict[bytes, bytes]) -> bytes:
    if value not in used:
        digest = hashlib.sha1(value).hexdigest()[:4].encode()
        used[value] = kind + digest
    return used[value]


def rename(raw: bytes) -> Changed:
    """Every address's local part and its domain's own name, consistently, wherever they appear."""
    locals_: dict[bytes, bytes] = {}
    domains: dict[bytes, bytes] = {}
    segs = segments(raw)
    decoded = [decode_body(s) if s.kind == "body" and s.cte in ("base64", "quoted-printable") else None
               for s in segs]
    for text in [b"".join(s.lines) for s in segs] + [d for d in decoded if d]:
        for m in _ADDRESS.finditer(text):
            local, domain = m.group(1).lower(), m.group(2).lower()
            if local not in _ROLE_LOCALS and not local.startswith(b"bounce"):
                role = next((r for r in _ROLE_SUFFIXES if local.endswith(r) and len(local) > len(r)), None)
                if role is None:
                    _made_up(b"rcpt", local, locals_)
                else:
                    locals_[local] = b"list" + hashlib.sha1(local[:-len(role)]).hexdigest()[:4].encode() + role
            if not _is_known(domain):
                base = _base(domain)
                if base not in domains:
                    domains[base] = b"host" + hashlib.sha1(base).hexdigest()[:4].encode() + b".sample.org.uk"
    if not locals_ and not domains:
        return None
    by_length = sorted(domains, key=len, reverse=True)
    # a host name ends where no letter, digit or inner hyphen follows ("host.example.com--" ends it)
    host_rx = re.compile(rb"(?<![A-Za-z0-9-])(" + b"|".join(re.escape(d) for d in by_length)
                         + rb")(?![A-Za-z0-9]|-[A-Za-z0-9])", re.IGNORECASE) if domains else None

    def sub(text: bytes) -> bytes:
        def address(m: re.Match[bytes]) -> bytes:
            local = m.group(1)
            return locals_.get(local.lower(), local) + b"@" + m.group(2)
        text = _ADDRESS.sub(address, text)
        if host_rx is not None:
            text = host_rx.sub(lambda m: domains[m.group(1).lower()], text)
        return text

    for seg, dec in zip(segs, decoded, strict=True):
        if dec is not None:
            encode_body(seg, sub(dec), seg.cte, _eol(seg.lines[0]) or b"\n")
        else:
            seg.lines = [sub(line) for line in seg.lines]

    def renamed(address: str) -> str:
        return sub(address.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape").lower()
    return join(segs), Mapping(rename=renamed)


def _reencode(cte: str) -> Callable[[bytes], Changed]:
    def change(raw: bytes) -> Changed:
        segs = segments(raw)
        done = False
        for header, body in _bodies(segs):
            if header.inside or header.ctype != "text/plain" or body.cte in ("base64", "quoted-printable"):
                continue
            content, _ = _body_bytes(body)
            if field(header, "Content-Type") is None:
                if re.search(rb"(?im)^--\S+[ \t]*\r?\ncontent-", content):
                    continue    # MIME parts under a header that lost its Content-Type: not one text
                set_field(header, b"Content-Type", b"text/plain")   # an MTA that encodes declares it
            if not content.strip():
                continue
            eol = _eol(header.lines[0]) or b"\n"
            encode_body(body, content, cte, eol)
            set_field(header, b"Content-Transfer-Encoding", cte.encode())
            if header.role == "top" and field(header, "MIME-Version") is None:
                set_field(header, b"MIME-Version", b"1.0")
            done = True
        return (join(segs), Mapping()) if done else None
    return change


base64_text = _reencode("base64")
qp_text = _reencode("quoted-printable")


def to_utf8(raw: bytes) -> Changed:
    """Text parts in another charset (ISO-2022-JP, Windows-1252, ...) transcoded to UTF-8."""
    segs = segments(raw)
    done = False
    for header, body in _bodies(segs):
        if header.inside or not header.ctype.startswith("text/") or header.charset in (
                "", "us-ascii", "ascii", "utf-8", "utf8"):
            continue
        content = decode_body(body)
        try:
            text = content.decode(header.charset)
        except (LookupError, UnicodeDecodeError):
            continue
        eol = _eol(header.lines[0]) or b"\n"
        encode_body(body, text.encode("utf-8"), "base64", eol)
        set_field(header, b"Content-Transfer-Encoding", b"base64")
        ctype = field(header, "Content-Type") or ""
        set_field(header, b"Content-Type", re.sub(r"(?i)charset\s*=\s*\"?[^\";\s]+\"?", "charset=utf-8",
                                                   " ".join(ctype.split())).encode())
        done = True
    return (join(segs), Mapping()) if done else None


def _encode_report(cte: str) -> Callable[[bytes], Changed]:
    def change(raw: bytes) -> Changed:
        """The delivery-status part itself in *cte*, as gateways that encode every part write it."""
        segs = segments(raw)
        done = False
        for header, body in _bodies(segs):
            if header.inside or body.kind != "fields" or header.ctype == "message/feedback-report":
                continue
            content, _ = _body_bytes(body)
            encode_body(body, content, cte, _eol(header.lines[0]) or b"\n")
            set_field(header, b"Content-Transfer-Encoding", cte.encode())
            done = True
        return (join(segs), Mapping()) if done else None
    return change


base64_report = _encode_report("base64")
qp_report = _encode_report("quoted-printable")


def recharset(raw: bytes) -> Changed:
    """UTF-8 (or undeclared) text with non-ASCII characters in a local charset instead:
    ISO-2022-JP for Japanese, Windows-1252 for Western text (what such MTAs write)."""
    segs = segments(raw)
    done = False
    for header, body in _bodies(segs):
        if header.inside or not header.ctype.startswith("text/") or header.charset not in ("", "utf-8", "utf8"):
            continue
        content = decode_body(body)
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text.isascii():
            continue
        for charset in ("iso-2022-jp", "windows-1252"):
            try:
                encoded = text.encode(charset)
            except UnicodeEncodeError:
                continue
            eol = _eol(header.lines[0]) or b"\n"
            encode_body(body, encoded, "base64", eol)
            set_field(header, b"Content-Transfer-Encoding", b"base64")
            ctype = field(header, "Content-Type") or "text/plain"
            ctype = re.sub(r"(?i);\s*charset\s*=\s*\"?[^\";\s]+\"?", "", " ".join(ctype.split()))
            set_field(header, b"Content-Type", f"{ctype}; charset={charset}".encode("latin-1"))
            done = True
            break
    return (join(segs), Mapping()) if done else None


def global_types(raw: bytes) -> Changed:
    """The report and original as RFC 6533/6532 types (message/global-delivery-status, message/global),
    as Postfix and others write them for SMTPUTF8 mail."""
    segs = segments(raw)
    names = {"message/delivery-status": "message/global-delivery-status", "message/rfc822": "message/global",
             "text/rfc822-headers": "message/global-headers"}
    done = False
    for seg in segs:
        if seg.kind == "header" and not seg.inside and seg.ctype in names:
            value = " ".join((field(seg, "Content-Type") or "").split())
            set_field(seg, b"Content-Type", re.sub(re.escape(seg.ctype), names[seg.ctype], value,
                                                   count=1, flags=re.IGNORECASE).encode("latin-1"))
            done = True
    return (join(segs), Mapping()) if done else None


def original_as_text(raw: bytes) -> Changed:
    """The original attached as text/rfc822-headers, what RFC 3462 offers for returning only
    the header (here the whole of it), instead of message/rfc822: in a report only."""
    segs = segments(raw)
    if not any(s.kind == "header" and s.role == "top" and s.ctype == "multipart/report" for s in segs):
        return None
    done = False
    for seg in segs:
        if seg.kind == "header" and not seg.inside and seg.ctype == "message/rfc822":
            set_field(seg, b"Content-Type", b"text/rfc822-headers")
            done = True
    return (join(segs), Mapping()) if done else None


def ascii_label(raw: bytes) -> Changed:
    """8-bit text labelled charset=us-ascii, as MTAs that always write that label send it (the
    bytes stay as they were)."""
    segs = segments(raw)
    done = False
    for header, body in _bodies(segs):
        if header.inside or not header.ctype.startswith("text/") or field(header, "Content-Type") is None:
            continue
        if decode_body(body).isascii() or header.charset in ("us-ascii", "ascii"):
            continue
        value = " ".join((field(header, "Content-Type") or "").split())
        value = re.sub(r"(?i);\s*charset\s*=\s*(\"[^\"]*\"|[^;\s]*)", "", value) + "; charset=us-ascii"
        set_field(header, b"Content-Type", value.encode("latin-1"))
        done = True
    return (join(segs), Mapping()) if done else None


def html_only(raw: bytes) -> Changed:
    """The bounce's plain text as HTML instead (escaped, a <br> per line), as MTAs that write
    only HTML notices send it."""
    import html

    segs = segments(raw)
    done = False
    for header, body in _bodies(segs):
        if header.inside or header.ctype != "text/plain" or field(header, "Content-Type") is None:
            continue
        content = decode_body(body)
        charset = header.charset or "utf-8"
        try:
            text = content.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        eol = _eol(header.lines[0]) or b"\n"
        lines = [html.escape(line) + "<br>" for line in text.splitlines()]
        page = "<html><body><p>" + "\n".join(lines) + "</p></body></html>"
        encode_body(body, page.encode("utf-8"), "base64", eol)
        set_field(header, b"Content-Transfer-Encoding", b"base64")
        set_field(header, b"Content-Type", b"text/html; charset=utf-8")
        done = True
    return (join(segs), Mapping()) if done else None


def bare_content_type(raw: bytes) -> Changed:
    """Content-Type fields lose every parameter but the boundary, and a charset of plain ASCII text."""
    segs = segments(raw)
    done = False
    for i, seg in enumerate(segs):
        if seg.kind != "header" or seg.inside:
            continue
        value = field(seg, "Content-Type")
        if value is None or not value.partition(";")[2].strip():
            continue    # no parameters to lose ("multipart/alternative;" with its boundary unfolded)
        body = segs[i + 1] if i + 1 < len(segs) and segs[i + 1].kind in ("body", "fields") else None
        ascii_text = body is not None and body.cte not in ("base64", "quoted-printable") and all(
            b < 0x80 for line in body.lines for b in line)
        kept = [value.split(";")[0].strip()]
        for param in value.split(";")[1:]:
            name = param.split("=")[0].strip().lower()
            if name == "boundary" or name == "charset" and not ascii_text:
                kept.append(" ".join(param.split()))
        new = "; ".join(kept)
        if new != " ".join(value.split()):
            set_field(seg, b"Content-Type", new.encode("latin-1"))
            done = True
    return (join(segs), Mapping()) if done else None


def _top_content_type(how: Callable[[str], str | None], only: str = "multipart/") -> Callable[[bytes], Changed]:
    def change(raw: bytes) -> Changed:
        segs = segments(raw)
        top = next((s for s in segs if s.kind == "header" and s.role == "top"), None)
        value = field(top, "Content-Type") if top is not None else None
        if top is None or value is None or not top.ctype.startswith(only):
            return None
        new = how(" ".join(value.split()))
        set_field(top, b"Content-Type", None if new is None else new.encode("latin-1"))
        return join(segs), Mapping()
    return change


# The top-level multipart's boundary parameter lost (a gateway that rewrote the field), or the
# whole field of a report: the body's "--token" lines are all that says where the parts are.
# (A multipart/mixed prose bounce without its field is text/plain that happens to hold "--" lines.)
lost_boundary = _top_content_type(lambda v: re.sub(r'(?i);\s*boundary\s*=\s*("[^"]*"|[^;\s]*)', "", v))
no_top_content_type = _top_content_type(lambda v: None, only="multipart/report")


def without_original(raw: bytes) -> Changed:
    """The quoted original (message/rfc822 or its headers) left out, as many MTAs do.

    Not from a feedback report (RFC 5965 requires the original there, and it may be
    the only place the complained-about recipient is named).
    """
    segs = segments(raw)
    if any(s.kind == "fields" and s.ctype == "message/feedback-report" for s in segs):
        return None
    out: list[Segment] = []
    skip_until: bytes | None = None
    removed = False
    for i, seg in enumerate(segs):
        if skip_until is not None:
            if seg.kind == "boundary" and seg.boundary == skip_until:
                skip_until = None
            else:
                continue
        if (seg.kind == "boundary" and not seg.inside and i + 1 < len(segs) and segs[i + 1].kind == "header"
                and segs[i + 1].ctype in ("message/rfc822", "message/global", "text/rfc822-headers",
                                          "message/global-headers")):
            skip_until = seg.boundary
            removed = True
            continue
        out.append(seg)
    return (join(out), Mapping(keeps_addresses=True)) if removed else None


def nest_mixed(raw: bytes) -> Changed:
    """The whole bounce body one level deeper: a gateway's multipart/mixed around it."""
    segs = segments(raw)
    top = next((s for s in segs if s.kind == "header"), None)
    if top is None or top.role != "top" or field(top, "Content-Type") is None:
        return None
    eol = _eol_of(raw)
    moved: list[bytes] = []
    kept: list[bytes] = []
    taking = False
    for line in top.lines[:-1]:
        if line[:1] in (b" ", b"\t") and taking is not None:
            (moved if taking else kept).append(line)
            continue
        m = _FIELD_NAME.match(line)
        taking = bool(m and m.group(1).lower().startswith(b"content-"))
        (moved if taking else kept).append(line)
    outer = b"=_gateway_wrap_0001"
    head = b"".join(kept) + b"Content-Type: multipart/mixed; boundary=\"" + outer + b"\"" + eol + eol
    rest = join(segs[segs.index(top) + 1:])
    note = (b"--" + outer + eol + b"Content-Type: text/plain; charset=us-ascii" + eol + eol
            + b"This message was scanned by the gateway." + eol + eol)
    inner = b"--" + outer + eol + b"".join(moved) + eol + rest
    if not inner.endswith(eol):
        inner += eol
    return head + note + inner + b"--" + outer + b"--" + eol, Mapping()


def attached(raw: bytes) -> Changed:
    """The whole delivery report attached (message/rfc822) to a short note in multipart/mixed, as
    a relay or a mailbox that passes bounces on as attachments sends it. Only a multipart/report
    of delivery status: an attached prose notice is indistinguishable from a forwarded letter."""
    segs = segments(raw)
    top = next((s for s in segs if s.kind == "header" and s.role == "top"), None)
    if top is None or top.ctype != "multipart/report" or "delivery-status" not in (
            field(top, "Content-Type") or "").lower():
        return None
    if segs and segs[0].kind == "envelope":
        raw = raw.partition(b"\n")[2]
    eol = _eol_of(raw)
    subject = field(top, "Subject") or ""
    outer = b"=_relay_attach_0001"
    head = (b"From: Postmaster <postmaster@relay.example.net>" + eol + b"To: bounces@lists.example.org" + eol
            + b"Subject: Fwd: " + " ".join(subject.split()).encode("latin-1", "replace") + eol
            + b"MIME-Version: 1.0" + eol + b'Content-Type: multipart/mixed; boundary="' + outer + b'"' + eol + eol)
    note = (b"--" + outer + eol + b"Content-Type: text/plain; charset=us-ascii" + eol + eol
            + b"A delivery report for your message is attached." + eol + eol)
    body = b"--" + outer + eol + b"Content-Type: message/rfc822" + eol + eol + raw
    if not body.endswith(eol):
        body += eol
    return head + note + body + b"--" + outer + b"--" + eol, Mapping()


_SECOND = b"second.recipient"
_ANY_ADDRESS = re.compile(rb"([^\s<>;:\"(),\[\]]+)@([^\s<>;:\"(),\[\]]*[^\s<>;:\"(),\[\].])")


def second_recipient(raw: bytes) -> Changed:
    """The last per-recipient block of the DSN again, for another (made-up) recipient at the same domain.

    An MTA that reports two recipients writes a block for each, and in its prose a
    paragraph for each: the prose paragraph naming the recipient is copied too.
    """
    segs = segments(raw)
    eol = _eol_of(raw)
    for seg in segs:
        if seg.kind != "fields" or seg.inside or seg.ctype == "message/feedback-report":
            continue
        text = b"".join(seg.lines)
        blocks = re.split(rb"(\r?\n[ \t]*\r?\n)", text)
        for j in range(len(blocks) - 1, -1, -1):
            block = blocks[j]
            m = re.search(rb"(?im)^final-recipient:[^\r\n]*", block)
            if not m:
                continue
            names = {a.group(0).lower() for a in _ANY_ADDRESS.finditer(block)
                     if re.search(rb"(?im)^(?:final|original)-recipient:[^\r\n]*" + re.escape(a.group(0)), block)}
            if not names:
                continue

            def other(m: re.Match[bytes], names: set[bytes] = names) -> bytes:
                return _SECOND + b"@" + m.group(2) if m.group(0).lower() in names else m.group(0)
            copy = _ANY_ADDRESS.sub(other, block)
            pieces = blocks[: j + 1] + [eol + eol, copy.rstrip(b"\r\n") + (eol if block.endswith(b"\n") else b"")]
            seg.lines = b"".join(pieces + blocks[j + 1:]).splitlines(keepends=True)
            _copy_paragraphs(segs, names, other)
            return join(segs), Mapping(duplicate=({n.decode("utf-8", "replace") for n in names},
                                                  _SECOND.decode()))
    return None


def recipients_unseparated(raw: bytes) -> Changed:
    """second-rcpt, without the blank line between the two recipients' blocks (some MTAs write
    one recipient's fields right after the other's)."""
    result = second_recipient(raw)
    if result is None:
        return None
    changed, mapping = result
    segs = segments(changed)
    for seg in segs:
        if seg.kind != "fields" or seg.inside:
            continue
        text = b"".join(seg.lines)
        joined = re.sub(rb"(\r?\n)[ \t]*\r?\n(?=(?:final|original)-recipient:[^\r\n]*" + _SECOND + rb"@)",
                        rb"\1", text, count=1, flags=re.IGNORECASE)
        if joined != text:
            seg.lines = joined.splitlines(keepends=True)
            return join(segs), mapping
    return None


def _copy_paragraphs(segs: list[Segment], names: set[bytes], other: Callable[[re.Match[bytes]], bytes],
                     every: bool = False, avoid: frozenset[bytes] = frozenset()) -> bool:
    """The first paragraph of the bounce's own text naming one of *names* (or *every* one) again, renamed.

    Only above a quoted original ("----- Original message -----", as the classifier
    finds it): the original names the recipient too, and is not the bounce's text. Not a
    paragraph that also names one of *avoid* (a transcript about several recipients).
    """
    from mailtools.bounces.textrules import ORIGINAL_MARKERS

    copied = False
    for header, body in _bodies(segs):
        if body.inside or body.kind != "body" or not header.ctype.startswith("text/"):
            continue
        encoded = body.cte in ("base64", "quoted-printable")
        text = decode_body(body) if encoded else b"".join(body.lines)
        m = ORIGINAL_MARKERS.search(text.decode("latin-1"))
        own, quoted = (text[:m.start()], text[m.start():]) if m else (text, b"")
        paragraphs = re.split(rb"(\r?\n[ \t]*\r?\n)", own)
        # not a quoted header block ("To: a@b", the original's summary): that is not about the failure
        found = [j for j in range(0, len(paragraphs), 2) if any(n in paragraphs[j].lower() for n in names)
                 and not re.search(rb"(?im)^[ \t]*to:[^\n]*@", paragraphs[j])
                 and not any(a in paragraphs[j].lower() for a in avoid)]
        for j in reversed(found if every else found[:1]):     # the last first: the indexes stay right
            sep = paragraphs[j + 1] if j + 1 < len(paragraphs) else _eol(text) * 2 or b"\n\n"
            paragraphs[j + 1:j + 1] = [sep, _ANY_ADDRESS.sub(other, paragraphs[j])]
        if not found:
            continue
        copied = True
        changed = b"".join(paragraphs) + quoted
        if encoded:
            encode_body(body, changed, body.cte, _eol(header.lines[0]) or b"\n")
        else:
            body.lines = changed.splitlines(keepends=True)
    return copied


def rewrap(raw: bytes) -> Changed:
    """The bounce's own prose lines longer than 78 columns wrapped at 72, as many MTAs wrap.

    Only plain text outside the original and outside the report fields; the wrapped
    part is indented 4 more than the line it continues (Postfix's bounce(8) wraps its
    diagnostics so, src/bounce/bounce_notify_util.c), so it stays in its paragraph.
    Lines that look like "Name: value" fields are left alone (folding them needs white
    space, which is a separate change: dsn_fold).
    """
    segs = segments(raw)
    done = False
    for header, body in _bodies(segs):
        if body.inside or body.kind != "body" or header.ctype != "text/plain" or body.cte in (
                "base64", "quoted-printable"):
            continue
        out = []
        for line in body.lines:
            eol = _eol(line)
            content = line[: len(line) - len(eol)]
            if len(content) <= 78 or _FIELD_NAME.match(content) or b" " not in content.strip():
                out.append(line)
                continue
            indent = content[: len(content) - len(content.lstrip())]
            words = content.split()
            cur = indent
            for w in words:
                if len(cur) + len(w) + 1 > 72 and cur.strip():
                    out.append(cur.rstrip() + (eol or b"\n"))
                    cur = indent + b"    "    # a hanging indent, as Postfix's line_wrap() writes it
                cur += (b" " if cur.strip() else b"") + w
            out.append(cur + eol)
            done = True
        body.lines = out
    return (join(segs), Mapping()) if done else None


def dsn_fold(raw: bytes) -> Changed:
    """Report fields longer than 78 columns folded at white space (RFC 5322 folding)."""
    segs = segments(raw)
    done = False
    for seg in segs:
        if seg.kind != "fields" or seg.inside:
            continue
        out = []
        for line in seg.lines:
            eol = _eol(line)
            content = line[: len(line) - len(eol)]
            if len(content) <= 78 or not _FIELD_NAME.match(content):
                out.append(line)
                continue
            cur = b""
            for w in content.split(b" "):
                if cur and len(cur) + len(w) + 1 > 72:
                    out.append(cur + (eol or b"\n"))
                    cur = b" " + w
                else:
                    cur = cur + b" " + w if cur else w
            out.append(cur + eol)
            done = True
        seg.lines = out
    return (join(segs), Mapping()) if done else None


def second_recipient_prose(raw: bytes) -> Changed:
    """A bounce without report fields naming a second (made-up) recipient the way it names the first:
    each paragraph of its own text about the first recipient again, for the other, and the
    other added to an X-Failed-Recipients field."""
    segs = segments(raw)
    if any(s.kind == "fields" and not s.inside for s in segs) or b'"notificationType"' in raw:
        return None     # a report, or a JSON notification: both list recipients in their own way
    verdict = classify(raw)
    if verdict.kind not in ("bounce", "delay") or not verdict.recipients:
        return None
    address = verdict.recipients[0].address.encode("utf-8", "surrogateescape")
    names = {address}
    top = next((s for s in segs if s.kind == "header"), None)
    if top is not None and any(address in (field(top, f) or "").lower().encode() for f in ("To", "From")):
        return None     # a message bounced to its own recipient: the readers leave such addresses out

    def other(m: re.Match[bytes]) -> bytes:
        return _SECOND + b"@" + m.group(2) if m.group(0).lower() in names else m.group(0)
    others = frozenset(r.address.encode("utf-8", "surrogateescape") for r in verdict.recipients) - names
    if not _copy_paragraphs(segs, names, other, every=True, avoid=others):
        return None
    if top is not None:
        value = field(top, "X-Failed-Recipients")
        if value is not None and address.decode() in value.lower():
            set_field(top, b"X-Failed-Recipients", " ".join(value.split()).encode("latin-1") + b", "
                      + _SECOND + b"@" + address.partition(b"@")[2])
    return join(segs), Mapping(duplicate=({address.decode("utf-8", "surrogateescape")}, _SECOND.decode()))


def fold_headers(raw: bytes) -> Changed:
    """The bounce's own header fields longer than 40 columns folded at their first space after 30."""
    segs = segments(raw)
    top = next((s for s in segs if s.kind == "header" and s.role == "top"), None)
    if top is None:
        return None
    out = []
    for line in top.lines:
        eol = _eol(line)
        content = line[: len(line) - len(eol)]
        cut = content.find(b" ", 30)
        if len(content) > 40 and _FIELD_NAME.match(content) and cut > 0 and content[cut + 1:].strip() \
                and not content.lower().startswith((b"content-", b"mime-")):
            out.append(content[:cut] + (eol or b"\n") + b"\t" + content[cut + 1:] + eol)
        else:
            out.append(line)
    if out == top.lines:
        return None
    top.lines = out
    return join(segs), Mapping()


def content_type_case(raw: bytes) -> Changed:
    """MIME types and parameter names in capitals ("Multipart/Report; Report-Type=Delivery-Status"):
    RFC 2045 says they are case-insensitive."""
    segs = segments(raw)
    done = False
    for seg in segs:
        if seg.kind != "header":
            continue
        value = field(seg, "Content-Type")
        if value is None:
            continue
        value = " ".join(value.split())
        kind, _, params = value.partition(";")
        params = re.sub(r"(?i)(^|;)\s*(report-type|charset)\s*=\s*\"?([^\";]*)\"?",
                        lambda m: f"{m.group(1)} {m.group(2).upper()}={m.group(3).upper()}", params)
        params = re.sub(r"(?i)(^|;)\s*boundary\s*=", r"\1 BOUNDARY=", params)
        new = kind.title() + (";" + params if ";" in value else "")
        if new != value:
            set_field(seg, b"Content-Type", new.encode("latin-1"))
            done = True
    return (join(segs), Mapping()) if done else None


def angle_recipients(raw: bytes) -> Changed:
    """Final-Recipient and Original-Recipient addresses in angle brackets ("rfc822; <a@b>")."""
    segs = segments(raw)
    done = False
    for seg in segs:
        if seg.kind != "fields" or seg.inside:
            continue
        new = [re.sub(rb"(?i)^((?:final|original)-recipient:\s*rfc822;\s*)([^<\s][^\s]*@[^\s>]+)",
                      rb"\1<\2>", line) for line in seg.lines]
        if new != seg.lines:
            seg.lines, done = new, True
    return (join(segs), Mapping()) if done else None


def encoded_subject(raw: bytes) -> Changed:
    """The Subject as an RFC 2047 encoded-word, as MTAs with localised notices write it."""
    segs = segments(raw)
    top = next((s for s in segs if s.kind == "header" and s.role == "top"), None)
    value = field(top, "Subject") if top is not None else None
    if top is None or value is None or "=?" in value or not value.strip():
        return None
    text = " ".join(value.split())
    as_utf8 = text.encode("latin-1").decode("utf-8", "replace").encode()   # the parser gave bytes as latin-1
    encoded = "=?UTF-8?B?" + base64.b64encode(as_utf8).decode() + "?="
    set_field(top, b"Subject", encoded.encode())
    return join(segs), Mapping()


CHANGES: dict[str, Callable[[bytes], Changed]] = {
    "crlf": crlf,
    "mbox-from": mbox_from,
    "header-lower": header_lower,
    "header-upper": header_upper,
    "rename": rename,
    "base64-text": base64_text,
    "qp-text": qp_text,
    "to-utf8": to_utf8,
    "recharset": recharset,
    "ascii-label": ascii_label,
    "html-only": html_only,
    "global-types": global_types,
    "original-as-text": original_as_text,
    "base64-report": base64_report,
    "qp-report": qp_report,
    "bare-ctype": bare_content_type,
    "lost-boundary": lost_boundary,
    "no-top-ctype": no_top_content_type,
    "rewrap": rewrap,
    "dsn-fold": dsn_fold,
    "second-rcpt": second_recipient,
    "second-rcpt-prose": second_recipient_prose,
    "rcpt-unseparated": recipients_unseparated,
    "fold-headers": fold_headers,
    "ctype-case": content_type_case,
    "angle-rcpt": angle_recipients,
    "encoded-subject": encoded_subject,
    "no-original": without_original,
    "nest-mixed": nest_mixed,
    "attached": attached,
    "trailing-space": trailing_space,
    "received": received_chain,
}


# ---------------------------------------------------------------------------------------
# Comparing verdicts

Summary = tuple[str, tuple[tuple[str, str, bool], ...]]


def summary(verdict: Verdict) -> Summary:
    seen = sorted({(r.address, r.reason, r.hard) for r in verdict.recipients})
    return verdict.kind, tuple(seen)


def expected(original: Verdict, mapping: Mapping) -> Summary:
    kind, recipients = summary(original)
    out = {(mapping.rename(a), reason, hard) for a, reason, hard in recipients}
    if mapping.duplicate is not None:
        old, local = mapping.duplicate
        for a, reason, hard in recipients:
            if a in old:
                out.add((local + "@" + a.partition("@")[2], reason, hard))
    return kind, tuple(sorted(out))


Outcome = tuple[str, bytes, Summary, Summary]


def outcomes(raw: bytes, names: list[str] | None = None) -> list[Outcome]:
    """[(change, changed message, what the verdict should be, what it is)] for every change that applies."""
    base = classify(raw)
    out = []
    for name in names or list(CHANGES):
        result = CHANGES[name](raw)
        if result is None:
            continue
        changed, mapping = result
        want = expected(base, mapping)
        if mapping.keeps_addresses and not all(a.encode() in changed.lower() for a, _, _ in want[1]):
            continue
        out.append((name, changed, want, summary(classify(changed))))
    return out


def pair_outcomes(raw: bytes, pairs: list[tuple[str, str]]) -> list[Outcome]:
    """outcomes() of two changes, one after the other ("a+b"): corruptions come in company."""
    base = classify(raw)
    out = []
    for first, second in pairs:
        result = CHANGES[first](raw)
        if result is None or result[1].keeps_addresses:
            continue
        changed, mapping = result
        again = CHANGES[second](changed)
        if again is None or again[1].keeps_addresses or again[1].duplicate is not None:
            continue
        changed, then = again
        kind, recipients = expected(base, mapping)
        want = kind, tuple(sorted((then.rename(a), reason, hard) for a, reason, hard in recipients))
        out.append((f"{first}+{second}", changed, want, summary(classify(changed))))
    return out


def check(raw: bytes, names: list[str] | None = None) -> list[tuple[str, Summary, Summary]]:
    """[(change, what the verdict should be, what it is)] for every change that altered it."""
    return [(name, want, got) for name, _, want, got in outcomes(raw, names) if want != got]


def corpus() -> Path | None:
    if os.environ.get("MAILTOOLS_CORPORA"):
        return Path(os.environ["MAILTOOLS_CORPORA"]) / "sisimai-dev" / "messages"
    for parent in REPO.parents:
        found = parent / "shared" / "corpora" / "sisimai-dev" / "messages"
        if found.is_dir():
            return found
    return None


def _show(s: Summary) -> str:
    return s[0] + " " + ", ".join(f"{a} {r}{' HARD' if h else ''}" for a, r, h in s[1]) if s[1] else s[0]


def run(files: list[Path], names: list[str], write: str | None = None,
        pairs: int = 0) -> tuple[dict[str, int], dict[str, list]]:
    """({change: messages it applied to}, {change: [(file, should be, is)] where it altered the verdict}).

    With *pairs*, that many random pairs of *names* per message instead (seeded by the file name).
    """
    import random

    applied: dict[str, int] = {} if pairs else dict.fromkeys(names, 0)
    altered: dict[str, list[tuple[Path, Summary, Summary]]] = {} if pairs else {n: [] for n in names}
    for path in files:
        raw = path.read_bytes()
        if pairs:
            rng = random.Random(path.name)
            found = pair_outcomes(raw, [tuple(rng.sample(names, 2)) for _ in range(pairs)])  # type: ignore[misc]
        else:
            found = outcomes(raw, names)
        for name, changed, want, got in found:
            applied[name] = applied.get(name, 0) + 1
            altered.setdefault(name, [])
            if want != got:
                altered[name].append((path, want, got))
                if write:
                    Path(write).mkdir(parents=True, exist_ok=True)
                    (Path(write) / f"{path.stem}.{name}.eml").write_bytes(changed)
    return applied, altered


def measure(quick: bool = False) -> list[dict]:
    """The bench row for `make bench` (bench/run.py's "invariance" section)."""
    import common

    where = corpus()
    if where is None:
        raise common.Skipped("no shared/corpora beside the repository (the labelled bounces are kept outside it)")
    load = common.load()
    files = sorted(where.glob("*.eml"))
    applied, altered = run(files, list(CHANGES))
    total = sum(len(v) for v in altered.values())
    return [common.row("invariance", f"verdicts changed by a meaning-preserving change, {where.parent.name}",
                       f"{total} of {sum(applied.values())} ({len(CHANGES)} changes, {len(files)} messages)",
                       goal="0", ok=total == 0, command="python bench/invariance.py -v", load=load, value=total,
                       altered={n: [p.name for p, _, _ in v] for n, v in altered.items() if v})]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="messages or directories (default: the dev corpus)")
    ap.add_argument("--only", help="comma-separated changes: " + ",".join(CHANGES))
    ap.add_argument("-v", "--verbose", action="store_true", help="show the verdicts that changed")
    ap.add_argument("--write", metavar="DIR", help="write each changed message that altered a verdict here")
    ap.add_argument("--pairs", type=int, default=0, metavar="N",
                    help="N random pairs of changes per message, one after the other, instead of one at a time")
    args = ap.parse_args(argv)
    names = args.only.split(",") if args.only else list(CHANGES)
    unknown = set(names) - set(CHANGES)
    if unknown:
        ap.error(f"unknown change(s): {', '.join(sorted(unknown))}")
    paths = [Path(p) for p in args.paths]
    if not paths:
        where = corpus()
        if where is None:
            print("skipped: no ../shared/corpora beside the repository")
            return 0
        paths = [where]
    files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*.eml")))
    start = time.monotonic()
    applied, altered = run(files, names, args.write, args.pairs)
    shown = sorted(applied) if args.pairs else names
    width = max(map(len, shown), default=6) + 2
    print(f"{'change':<{width}} {'applied':>8} {'altered':>8}")
    for name in shown:
        if not args.pairs or altered[name]:
            print(f"{name:<{width}} {applied[name]:>8} {len(altered[name]):>8}")
    total = sum(len(v) for v in altered.values())
    print(f"{'total':<{width}} {sum(applied.values()):>8} {total:>8}   ({len(files)} messages, "
          f"{time.monotonic() - start:.1f} s)")
    for name in shown:
        for path, want, got in altered[name]:
            print(f"{name}: {path.name}")
            if args.verbose:
                print(f"    was: {_show(want)}\n    now: {_show(got)}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
