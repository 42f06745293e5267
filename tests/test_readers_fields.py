"""mailtools.bounces.readers.fields: DSN fields pasted into prose (HAND-WRITTEN sample).

Written after the layout Amazon WorkMail and flattening gateways use: a
sentence, the recipient, then "Technical report:" and RFC 3464 fields.
"""

from __future__ import annotations

from conftest import prose_bounce

from mailtools.bounces.classify import classify

WORKMAIL = """An error occurred while trying to deliver the mail to the following recipients:
gone@example.com

Technical report:

Reporting-MTA: dsn; out.example.net
Action: failed
Final-Recipient: rfc822; gone@example.com
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>... User Unknown
Status: 5.1.1
"""


def test_fields_in_prose_are_read_as_a_dsn():
    v = classify(prose_bounce(WORKMAIL, subject="Delivery Status Notification (Failure)"))
    assert v.kind == "bounce"
    [r] = v.recipients
    assert (r.address, r.action, r.status, r.reason, r.hard) == ("gone@example.com", "failed", "5.1.1",
                                                                  "userunknown", True)


def test_a_delayed_action_is_a_delay():
    v = classify(prose_bounce(WORKMAIL.replace("Action: failed", "Action: delayed").replace("5.1.1", "4.4.1"),
                              subject="Delivery Status Notification (Delay)"))
    assert v.kind == "delay"
    assert not any(r.hard for r in v.recipients)


def test_a_folded_diagnostic_keeps_its_continuation_lines():
    # Postfix folds a long Diagnostic-Code; a gateway that flattens the report
    # into text keeps the fold. The cause is on the continuation line.
    text = """I'm sorry to have to inform you that the message returned
below could not be delivered to one or more destinations.

Reporting-MTA: dns; relay.example.net

Final-Recipient: rfc822; gone@example.com
Action: failed
Status: 4.0.0
Diagnostic-Code: X-Postfix; delivery temporarily
    suspended: host mx.example.com[192.0.2.9] refused to talk to me: 421
    Service not available, closing transmission channel
"""
    [r] = classify(prose_bounce(text, subject="Undelivered Mail Returned to Sender")).recipients
    assert "refused to talk to me: 421 Service not available" in (r.diagnostic or "")
    assert r.reason != "expired" and not r.hard


def test_unevenly_indented_fields_are_still_fields():
    text = """Technical report:

Reporting-MTA: dns; relay.example.net
   Arrival-Date: Mon, 2 Dec 2024 10:00:00 +0100

Final-Recipient: rfc822; gone@example.com
  Action: failed
  Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>... User Unknown
"""
    [r] = classify(prose_bounce(text, subject="Delivery Status Notification (Failure)")).recipients
    assert (r.address, r.action, r.status, r.reason, r.hard) == ("gone@example.com", "failed", "5.1.1",
                                                                  "userunknown", True)
