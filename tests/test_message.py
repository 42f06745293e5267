"""message.py: the lean header parsing on mq-send's enqueue path agrees with the public email API."""

from __future__ import annotations

from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtools.outbound import message as msg

VALUES = [
    "bob@example.net", "Bob <bob@example.net>", '"Doe, John" <john@example.net>, carol@example.net',
    "root (Cron Daemon)", "root", "undisclosed-recipients:;", "a@b.example, , c@d.example",
    '"quoted local"@example.net', "Jürgen <jürgen@example.de>", "group: a@x.example, b@y.example;",
    "<odd@example.net> (comment)", "=?utf-8?q?J=C3=BCrgen?= <j@example.de>",
]


@pytest.mark.parametrize("value", VALUES)
def test_private_parser_agrees_with_getaddresses(value):
    """mq-send uses email._parseaddr to stay within 30 ms (see header_addresses): a Python whose
    private module drifts from the public getaddresses() fails here, not in production."""
    import sys

    public = [addr for _, addr in getaddresses([value]) if addr]
    saved = sys.modules.pop("email.utils")
    try:
        lean = msg.header_addresses([("To", value)], ("to",))
    finally:
        sys.modules["email.utils"] = saved
    assert lean == public


def test_qualify_headers_rewrites_only_bare_names():
    raw = b"From: root (Cron Daemon)\nTo: bob@example.net,\n root\nSubject: root\n\nroot\n"
    out = msg.qualify_headers(raw, "host.example.org")
    assert out == (b"From: Cron Daemon <root@host.example.org>\nTo: bob@example.net, root@host.example.org\n"
                   b"Subject: root\n\nroot\n")
    untouched = b"From: a@example.org\nTo: B <b@example.net>\n\nx\n"
    assert msg.qualify_headers(untouched, "host.example.org") == untouched


_LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.+-_=", min_size=1, max_size=12)
_DOMAIN = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8),
                   min_size=1, max_size=3).map(".".join)
_NAME = st.text(alphabet="ABCDEFGHabcdefgh .'-_=?!", max_size=15)
_ITEM = st.tuples(_NAME, _LOCAL, _DOMAIN, st.booleans(), st.sampled_from(["", " ", "  ", "\r\n "])).map(
    lambda t: f"{t[4]}{t[0]} <{t[1]}@{t[2]}>" if t[3] else f"{t[4]}{t[1]}@{t[2]}")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_ITEM, min_size=1, max_size=4).map(", ".join), min_size=1, max_size=3))
def test_the_plain_list_fast_path_agrees_with_getaddresses(values: list[str]) -> None:
    """mq-send -t reads plain lists (names, angle brackets, commas) without the stdlib's parser;
    where it answers at all, it answers what email.utils.getaddresses does."""
    assert msg._plain_addresses(values) == [addr for _, addr in getaddresses(values) if addr]


@pytest.mark.parametrize("value", VALUES)
def test_what_the_fast_path_declines_is_parsed_in_full(value: str) -> None:
    plain = msg._plain_addresses([value])
    public = [addr for _, addr in getaddresses([value]) if addr]
    assert plain is None or plain == public
    assert msg.header_addresses([("To", value)], ("to",)) == public
