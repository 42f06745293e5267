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


def _envelope(doc: dict) -> bytes:
    # HAND-WRITTEN: what an SNS "email-json" subscription mails, per Amazon's
    # "Amazon SNS message and JSON formats": the notification is the envelope's
    # "Message", a JSON string with its quotes escaped.
    env = {"Type": "Notification", "MessageId": "made-up-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:bounces",
           "Message": json.dumps(doc), "Timestamp": "2024-12-02T10:00:08.000Z", "SignatureVersion": "1"}
    return prose_bounce(json.dumps(env, indent=2), subject="AWS Notification Message",
                        sender="no-reply@sns.example.com")


def test_a_bounce_inside_the_sns_envelope():
    v = classify(_envelope({"notificationType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "gone@example.com", "action": "failed", "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}))
    assert v.kind == "bounce"
    assert [(r.address, r.reason, r.hard) for r in v.recipients] == [("gone@example.com", "userunknown", True)]


def test_a_delivery_inside_the_sns_envelope():
    v = classify(_envelope({"notificationType": "Delivery", "delivery": {"recipients": ["fine@example.com"]}}))
    assert (v.kind, [r.address for r in v.recipients]) == ("delivered", ["fine@example.com"])


def test_event_publishing_names_every_recipient():
    # HAND-WRITTEN: a configuration set's event ("eventType", no "notificationType"), in the envelope.
    v = classify(_envelope({"eventType": "Bounce", "bounce": {
        "bounceType": "Transient", "bounceSubType": "MailboxFull",
        "bouncedRecipients": [
            {"emailAddress": "one@example.com", "action": "failed", "status": "5.1.1",
             "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
            {"emailAddress": "two@example.com", "action": "failed", "status": "5.2.2",
             "diagnosticCode": "smtp; 552 5.2.2 mailbox full"}]}}))
    assert [(r.address, r.reason, r.hard) for r in v.recipients] == [
        ("one@example.com", "userunknown", True), ("two@example.com", "mailboxfull", False)]
