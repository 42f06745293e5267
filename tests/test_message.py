"""message.py: the lean header parsing on mq-send's enqueue path agrees with the public email API."""

from __future__ import annotations

from email.utils import getaddresses

import pytest

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
