"""mailtools.bounces.textrules: the SMTP command a diagnostic names, and rule order."""

from __future__ import annotations

import pytest

from mailtools.bounces.textrules import find_reply_code, match_text, smtp_command


@pytest.mark.parametrize("text, command", [
    ("550 5.1.1 <a@b.example>: User unknown (in reply to RCPT TO command)", "RCPT"),          # Postfix
    ("550 Unknown user (in reply to end of DATA command)", "DATA"),
    ("SMTP error from remote mail server after RCPT TO:<a@b.example>: 550 no", "RCPT"),        # Exim
    ("SMTP error from remote mail server after end of data: 550 spam", "DATA"),
    ("SMTP error from remote mail server after MAIL FROM:<s@us.example> SIZE=1234: 550 no", "MAIL"),
    ("SMTP error from remote mail server after initial connection: 554 go away", "HELO"),
    (">>> MAIL From:<s@us.example>\n<<< 250 ok\n>>> RCPT To:<a@b.example>\n<<< 550 no such user", "RCPT"),  # sendmail
    (">>> DATA\n<<< 550 Unknown user a@b.example", "DATA"),
    ("192.0.2.1 does not like recipient.\nRemote host said: 550 no", "RCPT"),                  # qmail
    ("192.0.2.1 failed after I sent the message.\nRemote host said: 554 spam", "DATA"),
    ("Connected to 192.0.2.1 but my name was rejected.", "HELO"),
    ("mx.b.example [192.0.2.1] did not like our RCPT TO:\n550 5.1.1 no", "RCPT"),             # dma
    # Postfix: a server that refused the connection at its greeting.
    ("delivery temporarily suspended: host mx.b.example[192.0.2.1] refused to talk to me: 421 Service not "
     "available", "HELO"),
    ("550 5.1.1 user unknown", None),
    ("the data were lost", None),
    ("", None),
    (None, None),
])
def test_smtp_command(text, command):
    assert smtp_command(text) == command


@pytest.mark.parametrize("text, reason", [
    ("550 5.7.1 Service unavailable; client host blocked using Spamhaus; mailbox unavailable", "blocked"),
    ("Sender address rejected: Domain not found", "rejected"),
    ("Recipient address rejected: Domain not found", "hostunknown"),
    ("Recipient address rejected: User unknown in local recipient table", "userunknown"),
    ("Recipient address rejected: Internal system error", "systemerror"),
    ("Host not found, try again", "networkerror"),
    ("Host or domain name not found. Name service error for name=b.example type=MX: Host not found", "hostunknown"),
    ("554 Transaction failed: Duplicate header 'DKIM-Signature'.", "notcompliantrfc"),
    ("****** Message from InterScan E-Mail VirusWall NT ****** Exceeded Maximum Delivery Attempts", "expired"),
    ("552 5.2.3 Message length exceeds administrative limit", "exceedlimit"),
    # A multi-line reply read as one sentence, its repeated "550 5.7.1" prefixes dropped.
    ("550-5.7.1 Messages with multiple\n550 5.7.1 addresses in From: header are not accepted", "notcompliantrfc"),
    ("550-REJECTED - Blacklisted URL in message. 550-See http://lookup.uribl.com.", "spamdetected"),
    ("552-5.7.0 This message was blocked because its content presents a potential\n552-5.7.0 security issue",
     "policyviolation"),
    ("550 5.1.1 <a@b.example> - 192.0.2.1 has sent to too many recipients this hour", "speeding"),
    ("452 4.5.3 Too many recipients", "toomanyconn"),
])
def test_rule_order(text, reason):
    assert match_text(text) == reason


@pytest.mark.parametrize("text, code", [
    ("550 5.1.1 <a@b.example>... User Unknown", "550"),
    ("Remote host said: 554 delivery error", "554"),
    ("Invalid Address, ERROR_CODE :550, ERROR_CODE :Requested action not taken", "550"),  # Zoho
    ("5.1.1 only a status", None),
    ("port 25550 is closed", None),
])
def test_find_reply_code(text, code):
    assert find_reply_code(text) == code
