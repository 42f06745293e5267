"""mailtools.bounces.readers.addresses: which things with an "@" in prose are recipients."""

from __future__ import annotations

import pytest

from mailtools.bounces.readers.addresses import HEADER_LINE, find


@pytest.mark.parametrize("text, found", [
    ("<Gone@Example.COM>: no such user", ["gone@example.com"]),
    ("550 5.1.1 <a@example.com>... User unknown; also b@example.org.", ["a@example.com", "b@example.org"]),
    ("Message-ID: <20241202.ABC@mx.example.com>", []),
    ("not accepting mail from news@example.org", []),
    ("(envelope-from news@example.org)", []),
    ("please contact <support@isp.example> or send mail to postmaster@isp.example", []),
    ("dda:SMTP=userx@example.COM; on Fri", ["userx@example.com"]),
    ("user@localhost and user@host", []),           # no top-level domain: not a mail address
    ("see https://example.com/a@b and x@y.z1", []),
    ("Sender Address:\tnews@example.org Recipient Address: a@example.com", ["a@example.com"]),
])
def test_find(text, found):
    assert find(text, frozenset()) == found


def test_ours_are_left_out():
    assert find("<a@example.com> <b@example.com>", frozenset({"a@example.com"})) == ["b@example.com"]


@pytest.mark.parametrize("line, header", [
    ("From: news@example.org", True), ("   * To: recip@example.com", True), ("Original Sender: <x@y.example>", True),
    ("Sender Address: news@example.org", True),
    ("  gone@example.org", False), ("<gone@example.org>:", False),
])
def test_header_lines(line, header):
    assert bool(HEADER_LINE.match(line)) == header
