"""mailtools.bounces.readers.espjson: Postmark, Mailgun and SendGrid events mailed on (HAND-WRITTEN samples).

Each JSON follows the field names of its service's documented webhook
payload; addresses, ids and times are made up.
"""

from __future__ import annotations

import json

from conftest import prose_bounce

from mailtools.bounces.classify import classify
from mailtools.bounces.readers import Bounce, espjson


def _mailed(doc: object) -> bytes:
    return prose_bounce(json.dumps(doc, indent=2), subject="Bounce notification", sender="events@relay.example")


def _verdicts(doc: object) -> list[tuple]:
    return [(r.address, r.action, r.status, r.reason, r.hard) for r in classify(_mailed(doc)).recipients]


def test_postmark_hard_bounce():
    doc = {"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "TypeCode": 1, "Name": "Hard bounce",
           "MessageID": "00000000-0000-0000-0000-000000000000", "Email": "Gone@Example.com",
           "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
           "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
           "BouncedAt": "2024-12-02T10:00:00Z", "Inactive": True}
    assert _verdicts(doc) == [("gone@example.com", "failed", "5.1.1", "userunknown", True)]


def test_postmark_soft_bounce_is_a_delay_and_an_autoresponder_is_no_failure():
    soft = {"RecordType": "Bounce", "Type": "SoftBounce", "Email": "full@example.com",
            "Details": "smtp;452 4.2.2 The email account that you tried to reach is over quota."}
    assert _verdicts(soft) == [("full@example.com", "delayed", "4.2.2", "mailboxfull", False)]
    away = dict(soft, Type="AutoResponder", Details="Out of office")
    assert espjson.read(Bounce("", json.dumps(away), frozenset())) == []


def test_mailgun_permanent_failure():
    doc = {"signature": {"timestamp": "1733133600", "token": "t", "signature": "s"},
           "event-data": {"event": "failed", "severity": "permanent", "reason": "bounce",
                          "recipient": "gone@example.com",
                          "delivery-status": {"code": 550, "enhanced-code": "5.1.1",
                                              "message": "5.1.1 The email account that you tried to reach does "
                                                         "not exist.", "description": "", "attempt-no": 1}}}
    assert _verdicts(doc) == [("gone@example.com", "failed", "5.1.1", "userunknown", True)]


def test_mailgun_temporary_failure_is_a_delay():
    doc = {"event-data": {"event": "failed", "severity": "temporary", "recipient": "slow@example.com",
                          "delivery-status": {"code": 421, "message": "4.7.0 Try again later, closing connection."}}}
    [(address, action, _, _, hard)] = _verdicts(doc)
    assert (address, action, hard) == ("slow@example.com", "delayed", False)


def test_sendgrid_events():
    doc = [{"email": "gone@example.com", "event": "bounce", "type": "bounce", "status": "5.1.1",
            "reason": "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown",
            "sg_event_id": "e1", "timestamp": 1733133600},
           {"email": "listed@example.net", "event": "bounce", "type": "blocked", "status": "5.7.1",
            "reason": "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
            "sg_event_id": "e2", "timestamp": 1733133600},
           {"email": "ok@example.org", "event": "delivered", "response": "250 OK", "sg_event_id": "e3"}]
    assert _verdicts(doc) == [("gone@example.com", "failed", "5.1.1", "userunknown", True),
                              ("listed@example.net", "failed", "5.7.1", "blocked", False)]


def test_not_json_or_not_an_event():
    for text in ('"event": not json', json.dumps({"event": "opened", "email": "a@example.com"}),
                 json.dumps({"RecordType": "Delivery", "Email": "a@example.com"})):
        assert espjson.read(Bounce(text, text, frozenset())) == []


def test_our_own_address_is_never_a_recipient():
    doc = [{"email": "news@example.org", "event": "bounce", "status": "5.1.1", "reason": "550 no such user"}]
    text = json.dumps(doc)
    assert espjson.read(Bounce(text, text, frozenset({"news@example.org"}))) == []
