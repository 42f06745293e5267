"""mailtools.bounces.mime: what a bounce's prose says about each address."""

from __future__ import annotations

import pytest

from mailtools.bounces.classify import classify
from mailtools.bounces.mime import near, refused_exchange

# HAND-WRITTEN in Exim 4's layout (deliver.c): failed addresses one after another, no blank line between.
EXIM_LIST = """This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  full@example.org
    host mx.example.org [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<full@example.org>:
    552 5.2.2 <full@example.org>: Mailbox full
  nobody@nowhere.example
    Unrouteable address
  off@example.org
    host mx.example.org [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<off@example.org>:
    550 5.2.1 <off@example.org>: Mailbox disabled
"""

# HAND-WRITTEN in sendmail 8's layout (savemail.c): the list of addresses before the transcript.
SENDMAIL_LIST = """   ----- The following addresses had permanent fatal errors -----
<gone@example.org>
    (reason: 550 5.1.1 <gone@example.org>... User unknown)
<full@example.org>
    (reason: 552 5.2.2 Mailbox full)

   ----- Transcript of session follows -----
"""

# HAND-WRITTEN in qmail-send's layout: the address alone on its line, the reason naming it again.
QMAIL_ENTRY = """<a@example.org>:
192.0.2.1 does not like recipient.
Remote host said: 550 5.1.1 <a@example.org>... User unknown
Giving up on 192.0.2.1.
"""


@pytest.mark.parametrize("prose, address, says, not_says", [
    (EXIM_LIST, "nobody@nowhere.example", "Unrouteable address", "Mailbox disabled"),
    (EXIM_LIST, "full@example.org", "Mailbox full", "Unrouteable"),
    (EXIM_LIST, "off@example.org", "Mailbox disabled", "Mailbox full"),
    (SENDMAIL_LIST, "gone@example.org", "User unknown", "Mailbox full"),
    (SENDMAIL_LIST, "full@example.org", "Mailbox full", "User unknown"),
    # The same address again on a line of its own is not another entry.
    (QMAIL_ENTRY, "a@example.org", "User unknown", "nothing else"),
])
def test_near_stops_at_the_next_entry(prose: str, address: str, says: str, not_says: str) -> None:
    text = near(prose, address)
    assert says in text
    assert not_says not in text


def test_an_exim_dsn_without_diagnostic_code_takes_each_address_its_own_reason() -> None:
    # HAND-WRITTEN Exim 4 DSN: the DSN part has Diagnostic-Code only for SMTP errors, so the
    # router's "Unrouteable address" is read from the prose list above.
    fields = "".join(f"Action: failed\nFinal-Recipient: rfc822;{a}\nStatus: 5.0.0\n\n" for a in (
        "full@example.org", "nobody@nowhere.example", "off@example.org"))
    raw = ("From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nTo: news@news.example.com\n"
           "Subject: Mail delivery failed: returning message to sender\nMIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           f"--b\nContent-type: text/plain; charset=us-ascii\n\n{EXIM_LIST}\n--b\n"
           f"Content-type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n{fields}--b--\n")
    got = {r.address: (r.reason, r.hard) for r in classify(raw.encode()).recipients}
    assert got["nobody@nowhere.example"] == ("hostunknown", True)
    assert got["full@example.org"] == ("mailboxfull", False)
    assert got["off@example.org"] == ("suspend", False)


def test_a_global_dsn_keeps_a_utf8_address() -> None:
    # HAND-WRITTEN in Postfix 3's SMTPUTF8 layout (RFC 6533): message/global-delivery-status, 8-bit UTF-8.
    raw = ("From: MAILER-DAEMON@mail.example.net (Mail Delivery System)\nTo: news@news.example.com\n"
           "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           "--b\nContent-Type: text/plain; charset=utf-8\n\n<jörg@example.de>: host mx.example.de[192.0.2.9] said: "
           "550 5.1.1 <jörg@example.de>: User unknown (in reply to RCPT TO command)\n\n"
           "--b\nContent-Type: message/global-delivery-status\n\nReporting-MTA: dns; mail.example.net\n\n"
           "Final-Recipient: rfc822; jörg@example.de\nAction: failed\nStatus: 5.1.1\n"
           "Diagnostic-Code: smtp; 550 5.1.1 <jörg@example.de>: User unknown\n\n--b--\n").encode()
    [r] = classify(raw).recipients
    assert (r.address, r.reason, r.hard) == ("jörg@example.de", "userunknown", True)


# HAND-WRITTEN in sendmail 8's layout (deliver.c's "... while talking to" transcript).
SENDMAIL_TRANSCRIPT = """   ----- Transcript of session follows -----
... while talking to mx.example.org.:
>>> RCPT To:<ok@example.org>
<<< 250 2.1.5 Ok
>>> RCPT To:<gone@example.org>
<<< 550 Requested action not taken: mailbox unavailable
550 5.1.1 <gone@example.org>... User unknown
>>> DATA
<<< 554 5.7.1 Message rejected as spam
"""


def test_refused_exchange_is_the_command_naming_the_address_and_its_failing_reply() -> None:
    assert refused_exchange(SENDMAIL_TRANSCRIPT, "gone@example.org") == (
        ">>> rcpt to:<gone@example.org>\n<<< 550 requested action not taken: mailbox unavailable")
    assert refused_exchange(SENDMAIL_TRANSCRIPT, "ok@example.org") == ""     # accepted: the failure came later
    assert refused_exchange("550 5.1.1 no transcript", "gone@example.org") == ""


def test_a_sendmail_dsn_takes_the_command_from_its_transcript() -> None:
    # HAND-WRITTEN sendmail 8 DSN: Diagnostic-Code quotes a vague reply with Status 5.0.0; only the
    # transcript says it answered RCPT TO, which makes it the address's (not a filter's) refusal.
    prose = ("   ----- The following addresses had permanent fatal errors -----\n<gone@example.org>\n"
             "    (reason: 550 Requested action not taken: mailbox unavailable)\n\n" + SENDMAIL_TRANSCRIPT)
    raw = ("From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.net>\nTo: news@news.example.com\n"
           "Subject: Returned mail: see transcript for details\nMIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           f"--b\n\n{prose}\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.net\n\n"
           "Final-Recipient: RFC822; gone@example.org\nAction: failed\nStatus: 5.0.0\nRemote-MTA: DNS; mx.example.org\n"
           "Diagnostic-Code: SMTP; 550 Requested action not taken: mailbox unavailable\n\n--b--\n")
    [r] = classify(raw.encode()).recipients
    assert (r.reason, r.hard) == ("userunknown", True)
