"""mailtools.bounces.readers.ses: Amazon SES notifications (HAND-WRITTEN samples).

The JSON follows Amazon's documented "Amazon SNS notification contents for
Amazon SES"; the addresses, ids and times are made up.
"""

from __future__ import annotations

import json

from conftest import prose_bounce

from mailtools.bounces.classify import classify


def _notification(kind: str, body: dict) -> bytes:
    doc = {"notificationType": kind, kind.lower(): body,
           "mail": {"timestamp": "2024-12-02T10:00:00.000Z", "source": "news@example.org",
                    "messageId": "0100018a-made-up", "destination": ["gone@example.com"]}}
    return prose_bounce(json.dumps(doc), subject="Amazon SES Notification", sender="no-reply@sns.example.com")


def test_permanent_bounce():
    v = classify(_notification("Bounce", {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "gone@example.com", "action": "failed", "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}))
    assert v.kind == "bounce"
    [r] = v.recipients
    assert (r.address, r.status, r.reply_code, r.reason, r.hard) == ("gone@example.com", "5.1.1", "550",
                                                                      "userunknown", True)


def test_mailbox_full_is_soft():
    v = classify(_notification("Bounce", {
        "bounceType": "Transient", "bounceSubType": "MailboxFull",
        "bouncedRecipients": [{"emailAddress": "Full@Example.com", "action": "failed", "status": "5.2.2",
                               "diagnosticCode": "smtp; 552 5.2.2 mailbox full"}]}))
    assert [(r.address, r.reason, r.hard) for r in v.recipients] == [("full@example.com", "mailboxfull", False)]


def test_delivery_notification_is_not_a_bounce():
    v = classify(_notification("Delivery", {"recipients": ["fine@example.com"], "smtpResponse": "250 ok"}))
    assert v.kind == "delivered"
    assert [(r.address, r.hard) for r in v.recipients] == [("fine@example.com", False)]


def test_broken_json_names_nobody():
    v = classify(prose_bounce('{"notificationType": "Bounce", "bounce": {"bouncedRecipients": [',
                              subject="Amazon SES Notification", sender="no-reply@sns.example.com"))
    assert not any(r.hard for r in v.recipients)
