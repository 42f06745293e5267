"""mailtools.bounces.readers.original: a notice naming no address (HAND-WRITTEN samples).

The wording imitates carriers' MMS gateways; the messages were written here.
"""

from __future__ import annotations

from conftest import prose_bounce

from mailtools.bounces.classify import classify
from mailtools.bounces.readers import Bounce
from mailtools.bounces.readers.original import read

MMS = """Message could not be delivered to mobile.
Error: No valid recipients for this MM

Original Message:
From: News <news@example.org>
To: 5555550100@mms.example.com
Subject: Newsletter
"""


def test_the_one_recipient_of_the_quoted_original_failed():
    v = classify(prose_bounce(MMS, subject="Undeliverable Message", sender="postmaster@mms.example.com"))
    assert [(r.address, r.reason, r.hard) for r in v.recipients] == [("5555550100@mms.example.com",
                                                                      "userunknown", True)]


def test_two_recipients_name_nobody():
    text = MMS.replace("To: 5555550100@mms.example.com", "To: a@mms.example.com, b@mms.example.com")
    assert read(Bounce(text, text, frozenset()), []) == []


def test_an_attached_original_is_preferred_and_our_addresses_skipped():
    bounce = Bounce("failed", "failed", frozenset({"news@example.org"}))
    assert [f.address for f in read(bounce, ["news@example.org", "one@example.com"])] == ["one@example.com"]

