"""mailtools.bounces.readers.transcript: notices that are an SMTP session transcript (HAND-WRITTEN samples).

Written after the layouts Postfix's smtpd_chat.c (" In:" / " Out:") and
MDaemon ("--> ..." / "<-- ...") use, with made-up hosts and addresses.
"""

from __future__ import annotations

from conftest import prose_bounce

from mailtools.bounces.classify import classify
from mailtools.bounces.readers import Bounce, transcript

POSTFIX_SMTPD = """Transcript of session follows.

 Out: 220 mx.example.net ESMTP
 In:  EHLO out.example.org
 Out: 250-mx.example.net
 Out: 250 DSN
 In:  MAIL FROM:<news@example.org> SIZE=2048
 Out: 250 2.1.0 Ok
 In:  RCPT TO:<one@example.net> ORCPT=rfc822;one@example.net
 Out: 250 2.1.5 Ok
 In:  RCPT TO:<gone@example.net>
 Out: 550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown in local recipient table
 In:  RCPT TO:<two@example.net>
 Out: 250 2.1.5 Ok
 In:  DATA
 Out: 354 End data with <CR><LF>.<CR><LF>
 Out: 451 4.3.0 Error: queue file write error
 In:  QUIT
 Out: 221 2.0.0 Bye

For other details, see the local mail logfile
"""

MDAEMON = """The attached message had PERMANENT fatal delivery errors!

YOU SHOULD NOT ATTEMPT TO RESEND THIS MESSAGE.

--- Session Transcript ---
 Mon 2024-12-02 10:00:00: Parsing message <pd5000000001.msg>
 Mon 2024-12-02 10:00:00: *  From: news@example.org
 Mon 2024-12-02 10:00:00: *  To: nobody@example.com
 Mon 2024-12-02 10:00:01: --> MAIL From:<news@example.org>
 Mon 2024-12-02 10:00:01: <-- 250 2.1.0 Ok
 Mon 2024-12-02 10:00:01: --> RCPT To:<nobody@example.com>
 Mon 2024-12-02 10:00:01: <-- 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown
--- End Transcript ---
"""


def test_the_refused_rcpt_fails_and_a_refusal_after_data_fails_the_accepted_ones():
    found = transcript.read(Bounce(POSTFIX_SMTPD, POSTFIX_SMTPD, frozenset()))
    assert [(f.address, f.action) for f in found] == [
        ("gone@example.net", "failed"), ("one@example.net", "delayed"), ("two@example.net", "delayed")]
    assert found[0].diagnostic.startswith(">>> RCPT TO:<gone@example.net> <<< 550 5.1.1")


def test_postfix_smtpd_transcript_through_classify():
    v = classify(prose_bounce(POSTFIX_SMTPD, subject="Postfix SMTP server: errors from out.example.org[192.0.2.1]"))
    got = {r.address: (r.reason, r.hard) for r in v.recipients}
    assert got == {"gone@example.net": ("userunknown", True), "one@example.net": ("systemerror", False),
                   "two@example.net": ("systemerror", False)}


def test_mdaemon_session_transcript():
    v = classify(prose_bounce(MDAEMON, subject="Permanent Delivery Failure"))
    assert v.kind == "bounce"
    assert [(r.address, r.status, r.reason, r.hard) for r in v.recipients] == [
        ("nobody@example.com", "5.1.1", "userunknown", True)]


def test_a_refusal_of_our_own_address_names_no_recipient():
    text = MDAEMON.replace("<-- 250 2.1.0 Ok", "<-- 553 5.1.8 <news@example.org>: Sender address rejected")
    text = text[:text.index(" Mon 2024-12-02 10:00:01: --> RCPT")]   # the session ended at MAIL FROM
    assert transcript.read(Bounce(text, text, frozenset())) == []


def test_no_transcript_no_failures():
    text = "Hello,\n\n In:  RCPT TO:<a@example.com>\n Out: 550 no\n"
    assert transcript.read(Bounce(text, text, frozenset())) == []
