"""Just enough RFC 5322 for the enqueue path, on bytes, without the email package.

mq-send runs once per message from applications; importing ``email.parser``
costs ~15 ms, so headers are split and unfolded by hand here. The heavier
address parser is imported only when ``-t`` asks for it.
"""

from __future__ import annotations

import os
import re

from .. import addresses
from ..errors import DataError, UsageError

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")  # field-name = printable US-ASCII except ':'
# addr-spec: dot-atom or quoted local part (UTF-8 allowed, RFC 6531), then a domain.


def normalise_newlines(raw: bytes) -> bytes:
    """CRLF or LF in, LF out: the spool keeps LF and smtplib writes CRLF."""
    return raw.replace(b"\r\n", b"\n")


def split_headers(raw: bytes) -> tuple[list[tuple[str, str]], int]:
    """Parse the header block: [(name, unfolded value)], and where the body starts.

    A message must start with a header line; anything else is bad input (65).
    """
    if not raw.strip():
        raise DataError("empty message on standard input")
    if raw.startswith(b"From "):  # an mbox separator some callers leave in
        raw_start = raw.find(b"\n") + 1
    else:
        raw_start = 0
    end = raw.find(b"\n\n", raw_start)
    head = raw[raw_start:] if end < 0 else raw[raw_start:end + 1]
    body_at = len(raw) if end < 0 else end + 2
    headers: list[tuple[str, str]] = []
    for line in head.split(b"\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and headers:
            last_name, last_value = headers[-1]
            headers[-1] = (last_name, last_value + " " + line.strip().decode("utf-8", "replace"))
        elif _HEADER_LINE.match(line):
            name, _, value = line.partition(b":")
            headers.append((name.decode("ascii"), value.strip().decode("utf-8", "replace")))
        else:
            raise DataError(f"message has no valid header block (line {line[:60]!r}); "
                            "give an RFC 5322 message: headers, a blank line, the body")
    if not headers:
        raise DataError("message has no headers; give an RFC 5322 message")
    return headers, body_at


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers:
        if key.lower() == lower:
            return value
    return None


def check_address(address: str, what: str = "address") -> str:
    """Validate one envelope address given on the command line or found in headers."""
    if any(c in address for c in "\r\n\0"):
        raise UsageError(f"{what} contains a line break or NUL: refused (header injection)")
    if address.strip().lstrip("<").lstrip().startswith("-"):
        raise UsageError(f"{what} {address.strip()!r} starts with '-': refused (it would read as an option)")
    found = addresses.parse(address)
    if found is None:
        raise UsageError(f"{what} {address.strip()!r} is not a valid address (want user@domain)")
    return found


# One item of a plain address list: "a@b.example" or "Any Name <a@b.example>". Without quotes,
# comments, groups, escapes or an "@" in the name, RFC 5322's grammar has nothing left to parse.
_ADDR = r"[^\s\"<>(),;:\\@]+@[^\s\"<>(),;:\\@]+"
_PLAIN_ITEM = re.compile(rf"\s*(?:[^\"<>(),;:\\@]*<({_ADDR})>|({_ADDR}))\s*")
_NOT_PLAIN = frozenset('"()\\;:')


def _plain_addresses(values: list[str]) -> list[str] | None:
    """The addresses of plain lists (what mail programs write), or None when a real parser must read them.

    mq-send -t has a 30 ms budget and the stdlib's parser (email._parseaddr, with
    calendar, datetime and locale) costs ~2 ms of it: the lists almost every
    message has do not need it. tests/test_message.py checks this agrees with
    email.utils.getaddresses on generated lists.
    """
    out: list[str] = []
    for value in values:
        if _NOT_PLAIN.intersection(value):
            return None
        for item in value.split(","):
            if not item.strip():
                continue
            m = _PLAIN_ITEM.fullmatch(item)
            if m is None:
                return None
            out.append(m.group(1) or m.group(2))
    return out


def header_addresses(headers: list[tuple[str, str]], names: tuple[str, ...]) -> list[str]:
    """The addresses in the given headers (for -t and maildrop), parsed properly."""
    values = [value for key, value in headers if key.lower() in names]
    if not values:
        return []
    plain = _plain_addresses(values)
    if plain is not None:
        return plain
    import sys

    if "email.utils" not in sys.modules:
        try:
            # Deliberately private, on mq-send's budgeted path only (issue 12): importing the
            # public email.utils costs +6.5 ms over this parser it wraps (socket, random,
            # urllib; measured in the installed mq-send), i.e. "mq-send -t -i" from 24 to
            # ~31 ms, over its 30 ms budget. getaddresses() is a thin layer over AddressList;
            # tests/test_message.py checks the two agree, so a Python that changes the private
            # module fails a test instead of parsing differently. Every address is still
            # checked strictly afterwards. Where email.utils is loaded anyway (mq-flush's
            # maildrop intake, cron's bare names), the public function is used.
            from email._parseaddr import AddressList
        except ImportError:  # a Python without it: the public way
            pass
        else:
            return [addr for _, addr in AddressList(", ".join(values)).addresslist if addr]
    from email.utils import getaddresses

    return [addr for _, addr in getaddresses(values) if addr]


ADDRESS_HEADERS = ("from", "sender", "reply-to", "to", "cc")


def qualify(address: str, origin: str) -> str:
    """A bare name (``root``) gets ``@origin``, as Postfix's append_at_myorigin."""
    return address if "@" in address or not address else f"{address}@{origin}"


def may_have_bare_names(headers: list[tuple[str, str]]) -> bool:
    """Cheap test before parsing: fewer '@' than addresses in some address header."""
    return any(key.lower() in ADDRESS_HEADERS and value.count("@") < value.count(",") + 1
               for key, value in headers)


def qualify_headers(raw: bytes, origin: str) -> bytes:
    """Give bare names in From/Sender/Reply-To/To/Cc their @origin, as Postfix does for local mail.

    Cron writes ``From: root (Cron Daemon)`` and ``To: root``; a relay (Gmail,
    for one) refuses a From without a domain, and a reply to ``root`` goes
    nowhere. Only a header with a bare name is rewritten (unfolded, re-quoted
    by ``email.utils.formataddr``); every other byte stays as it was.
    """
    from email.utils import formataddr, getaddresses

    def fix(value: str) -> str | None:
        pairs = getaddresses([value])
        if all("@" in addr or not addr for _, addr in pairs):
            return None
        return ", ".join(formataddr((name, qualify(addr, origin))) for name, addr in pairs if addr)

    end = raw.find(b"\n\n")
    head, rest = (raw, b"") if end < 0 else (raw[:end + 1], raw[end + 1:])
    fields: list[list[bytes]] = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    out = []
    for field in fields:
        name, colon, _ = field[0].partition(b":")
        if colon and name.strip().lower().decode("ascii", "replace") in ADDRESS_HEADERS:
            value = " ".join(part.decode("utf-8", "replace").strip() for part in
                             [field[0].partition(b":")[2], *field[1:]])
            fixed = fix(value)
            if fixed is not None:
                field = [name + b": " + fixed.encode("utf-8")]
        out.extend(field)
    return b"\n".join(out) + rest


def strip_header(raw: bytes, name: str) -> bytes:
    """Remove every occurrence of one header (with continuation lines): Bcc under -t."""
    end = raw.find(b"\n\n")
    head, rest = (raw, b"") if end < 0 else (raw[:end + 1], raw[end + 1:])
    out, skipping = [], False
    target = name.lower().encode() + b":"
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(target)
        if not skipping:
            out.append(line)
    return b"\n".join(out) + rest


def make_message_id(domain: str, at: float) -> str:
    return f"<{int(at * 1000):x}.{os.urandom(6).hex()}@{domain}>"


def format_date(at: float) -> str:
    """RFC 5322 date without importing email.utils (~15 ms)."""
    import time

    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(at))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


MAX_LINE = 998  # octets, without CRLF (RFC 5322 2.1.1); servers answer "500 line too long" past it


def fit_line_length(raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    """Make every line fit SMTP's limit, or refuse the message (65) at the door.

    Applications often write HTML as one long line. A single-part body in
    7bit/8bit is re-encoded as quoted-printable, which changes no character
    once decoded; anything else (a long header line, a long line inside a
    multipart message) is refused here with the reason, rather than queued to
    be dropped later by the server's 500.
    """
    if all(len(line) <= MAX_LINE for line in raw.split(b"\n")):
        return raw
    end = raw.find(b"\n\n")
    head, body = (raw, b"") if end < 0 else (raw[:end + 1], raw[end + 2:])
    if any(len(line) > MAX_LINE for line in head.split(b"\n")):
        raise DataError(f"a header line is longer than {MAX_LINE} characters (RFC 5322 2.1.1); fold it")
    ctype = (header(headers, "content-type") or "").strip().lower()
    encoding = (header(headers, "content-transfer-encoding") or "7bit").strip().lower()
    if ctype.startswith("multipart/") or encoding not in ("7bit", "8bit", "binary"):
        raise DataError(f"a line is longer than {MAX_LINE} characters (RFC 5322 2.1.1); "
                        "encode that part as quoted-printable or base64")
    import quopri

    head = strip_header(head, "content-transfer-encoding")
    added = [b"Content-Transfer-Encoding: quoted-printable"]
    if not ctype:
        added.append(b"Content-Type: text/plain; charset=utf-8")
    if not header(headers, "mime-version"):
        added.append(b"MIME-Version: 1.0")
    return head + b"\n".join(added) + b"\n\n" + quopri.encodestring(body)
