"""Write the hand-written sample messages in this directory.

Every message here is made up (see ../README.md): the wording of each
diagnostic follows what the named provider or MTA is known to send, but the
messages were written by hand, not received. Run from anywhere:
    python tests/data/bounces/synthetic/make_samples.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
VERP = "bounce-42-3f9a2c1d-7@lists.example.org"
ORIG = """Return-Path: <{verp}>
Received: from mail.example.org (mail.example.org [192.0.2.10])
\tby mx.example.org (Postfix) with ESMTP id 4QX1Y2Z3
From: Example Lists <news@example.org>
To: {rcpt}
Subject: November newsletter
Message-ID: <{tag}.20241105@example.org>
Date: Tue, 5 Nov 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello, here is our newsletter. Unknown users and blocked accounts: see page 2.
"""


def dsn(tag: str, rcpt: str, action: str, status: str, diag: str, *,
        mta: str = "mx.example.org", subject: str = "Undelivered Mail Returned to Sender",
        sender: str = "MAILER-DAEMON@mx.example.org", prose: str = "",
        extra_rcpts: str = "", diag_type: str = "smtp") -> str:
    boundary = f"=_{tag}_boundary"
    prose = prose or f"Your message to {rcpt} could not be delivered.\n\n<{rcpt}>: {diag}"
    return f"""Return-Path: <>
Delivered-To: {VERP}
X-Original-To: {VERP}
Received: from {mta} (unknown [198.51.100.7])
\tby lists.example.org (Postfix) with ESMTP id 8ABCD1234
\tfor <{VERP}>; Tue, 5 Nov 2024 10:00:05 +0000 (UTC)
Date: Tue, 5 Nov 2024 10:00:05 +0000
From: Mail Delivery System <{sender}>
To: {VERP}
Subject: {subject}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{boundary}"
Message-Id: <{tag}.dsn@{mta}>

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

{prose}

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; {mta}
Arrival-Date: Tue, 5 Nov 2024 10:00:01 +0000

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822; {rcpt}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.destination.example
Diagnostic-Code: {diag_type}; {diag}
{extra_rcpts}
--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{ORIG.format(verp=VERP, rcpt=rcpt, tag=tag).split(chr(10) + chr(10))[0]}

--{boundary}--
"""


def plain(tag: str, subject: str, sender: str, body: str, headers: str = "") -> str:
    return f"""Return-Path: <>
Delivered-To: {VERP}
Date: Tue, 5 Nov 2024 10:00:05 +0000
From: {sender}
To: {VERP}
Subject: {subject}
Message-Id: <{tag}.plain@mx.example.net>
{headers}MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

{body}
"""


def exim(tag: str, rcpt: str, detail: str, subject: str = "Mail delivery failed: returning message to sender",
         intro: str = "This message was created automatically by mail delivery software.\n\n"
         "A message that you sent could not be delivered to one or more of its\n"
         "recipients. This is a permanent error. The following address(es) failed:") -> str:
    body = f"""{intro}

  {rcpt}
    {detail}

------ This is a copy of the message, including all the headers. ------

{ORIG.format(verp=VERP, rcpt=rcpt, tag=tag)}"""
    return plain(tag, subject, "Mail Delivery System <Mailer-Daemon@mx.example.net>", body,
                 "X-Failed-Recipients: " + rcpt + "\nAuto-Submitted: auto-replied\n")


SAMPLES: dict[str, str] = {
    # -- DSNs, one per reason -------------------------------------------------
    "gmail_mailboxfull.eml": dsn(
        "gmfull", "full.person@gmail.example", "failed", "5.2.2",
        "552-5.2.2 The email account that you tried to reach is over quota. Please direct the "
        "recipient to https://support.google.com/mail/?p=OverQuotaPerm", mta="mx.google.example",
        subject="Delivery Status Notification (Failure)"),
    "gmail_suspend.eml": dsn(
        "gmsusp", "gone.away@gmail.example", "failed", "5.2.1",
        "550-5.2.1 The email account that you tried to reach is inactive. For more information, "
        "go to https://support.google.com/mail/?p=DisabledUser", mta="mx.google.example"),
    "gmail_dmarc.eml": dsn(
        "gmdmarc", "someone@gmail.example", "failed", "5.7.26",
        "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and "
        "Gmail users, and has been blocked. The sender must authenticate with at least one of SPF "
        "or DKIM.", mta="mx.google.example"),
    "gmail_requireptr.eml": dsn(
        "gmptr", "someone@gmail.example", "failed", "5.7.25",
        "550-5.7.25 [192.0.2.10] The IP address sending this message does not have a PTR record "
        "setup, or the corresponding forward DNS entry does not point to the sending IP.",
        mta="mx.google.example"),
    "gmail_userunknown.eml": dsn(
        "gmuser", "no.such.person@gmail.example", "failed", "5.1.1",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos", mta="mx.google.example"),
    "outlook_userunknown.eml": dsn(
        "olnf", "nobody@contoso.example", "failed", "5.1.10",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.example not found by "
        "SMTP address lookup", mta="outlook.example", subject="Undeliverable: November newsletter",
        sender="postmaster@outlook.example"),
    "outlook_blocklist.eml": dsn(
        "olbl", "friend@hotmail.example", "failed", "5.7.1",
        "550 5.7.1 Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your "
        "Internet service provider since part of their network is on our block list (S3150).",
        mta="outlook.example", subject="Undeliverable: November newsletter"),
    "spamhaus_mailbox_unavailable.eml": dsn(
        "shmu", "reader@isp.example", "failed", "5.0.0",
        "550 Requested action not taken: mailbox unavailable (Client host [192.0.2.10] blocked "
        "using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10)"),
    "postfix_hostunknown.eml": dsn(
        "pfhost", "user@no-such-domain.example", "failed", "5.4.4",
        "Host or domain name not found. Name service error for name=no-such-domain.example "
        "type=AAAA: Host not found", diag_type="X-Postfix"),
    "postfix_relaydenied.eml": dsn(
        "pfrelay", "user@other.example", "failed", "5.7.1",
        "554 5.7.1 <user@other.example>: Relay access denied"),
    "postfix_nullmx.eml": dsn(
        "pfnullmx", "user@nomail.example", "failed", "5.1.10",
        "Domain nomail.example does not accept mail (nullMX)", diag_type="X-Postfix"),
    "postfix_toobig.eml": dsn(
        "pfbig", "user@small.example", "failed", "5.3.4",
        "552 5.3.4 Message size exceeds fixed maximum message size"),
    "postfix_starttls.eml": dsn(
        "pftls", "user@secure.example", "failed", "5.7.0",
        "530 5.7.0 Must issue a STARTTLS command first"),
    "amavis_virus.eml": dsn(
        "virus", "user@corp.example", "failed", "5.7.0",
        "554 5.7.0 Reject, id=12345-01 - INFECTED: Eicar-Signature"),
    "spam_content.eml": dsn(
        "ube", "user@corp.example", "failed", "5.7.1",
        "550 5.7.1 Message content rejected, UBE, id=00000-00-000"),
    "ratelimit_delay.eml": dsn(
        "slower", "user@busy.example", "delayed", "4.7.1",
        "450 4.7.1 <mx.example.org[192.0.2.10]>: Client host rejected: Please try again slower",
        subject="Delayed Mail (still being retried)"),
    "toomanyrcpt.eml": dsn(
        "manyrcpt", "user@busy.example", "failed", "5.5.3",
        "552 5.5.3 Too many recipients"),
    "greylist_delay.eml": dsn(
        "grey", "user@grey.example", "delayed", "4.7.1",
        "451 4.7.1 Greylisting in action, please come back later",
        subject="Delayed Mail (still being retried)"),
    "exchange_expired.eml": dsn(
        "expx", "user@slow.example", "failed", "4.4.7",
        "Message expired, delivery time expired (connection timed out)", diag_type="X-Exchange",
        subject="Undeliverable: November newsletter"),
    "mixed_two_recipients.eml": dsn(
        "mixed", "gone@mixed.example", "failed", "5.1.1",
        "550 5.1.1 <gone@mixed.example>: Recipient address rejected: User unknown in local recipient table",
        extra_rcpts="\nFinal-Recipient: rfc822; full@mixed.example\nAction: delayed\nStatus: 4.2.2\n"
        "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"),
    "bogus_fields.eml": dsn(
        "bogus", "user@bogus.example", "exploded", "9.9.9 nonsense", ""),
    # -- Non-DSN bounces ------------------------------------------------------
    "exim_mailboxfull.eml": exim(
        "eximfull", "person@exim.example",
        "mailbox is full: retry timeout exceeded\n    (Mailbox quota exceeded)"),
    "exim_userunknown.eml": exim(
        "eximuser", "nobody@exim.example",
        "SMTP error from remote mail server after RCPT TO:<nobody@exim.example>:\n"
        "    host mx.exim.example [203.0.113.5]: 550 5.1.1 <nobody@exim.example>: User unknown"),
    "exim_spamcop.eml": exim(
        "eximbl", "reader@exim.example",
        "SMTP error from remote mail server after RCPT TO:<reader@exim.example>:\n"
        "    host mx.exim.example [203.0.113.5]: 550 5.7.1 Service unavailable; client\n"
        "    [192.0.2.10] blocked using bl.spamcop.net"),
    "exim_expired.eml": exim(
        "eximexp", "user@down.example", "retry timeout exceeded"),
    "exim_delay.eml": exim(
        "eximdelay", "user@grey.example",
        "SMTP error from remote mail server after RCPT TO:<user@grey.example>:\n"
        "    host mx.grey.example [203.0.113.9]: 451 4.7.1 Greylisting in action, please come back later",
        subject="Warning: message 1tAbCd-000123-Xy delayed 24 hours",
        intro="This message was created automatically by mail delivery software.\n"
        "A message that you sent has not yet been delivered to one or more of its\n"
        "recipients after more than 24 hours on the queue on mx.example.net.\n\n"
        "The message identifier is:     1tAbCd-000123-Xy\n\n"
        "The address to which the message has not yet been delivered is:"),
    # -- Not bounces -----------------------------------------------------------
    "vacation_autosubmitted.eml": plain(
        "vac1", "Automatic reply: November newsletter", "Jane Person <jane@corp.example>",
        "I am out of the office until Monday with limited access to e-mail.\n",
        "Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n"),
    "ooo_subject_only.eml": plain(
        "vac2", "Out of Office: November newsletter", "Bob <bob@corp.example>",
        "I'm away this week. For urgent matters, please contact my colleague.\n").replace(
            "Return-Path: <>", "Return-Path: <bob@corp.example>"),
    "ooo_german_encoded.eml": plain(
        "vac3", "=?UTF-8?Q?Abwesenheitsnotiz:_November_newsletter?=", "Max <max@firma.example>",
        "Ich bin bis zum 12. November nicht im Buero.\n").replace(
            "Return-Path: <>", "Return-Path: <max@firma.example>"),
    "vacation_french.eml": plain(
        "vac4", "=?ISO-8859-1?Q?R=E9ponse_automatique_:_November_newsletter?=",
        "Claire <claire@societe.example>", "Je suis en cong\xe9s.\n",
        "Precedence: auto_reply\n"),
    "human_reply.eml": plain(
        "human", "Re: November newsletter", "Carol <carol@home.example>",
        "Thanks! By the way, the link said user unknown when I clicked it.\n").replace(
            "Return-Path: <>", "Return-Path: <carol@home.example>"),
}

ARF = """Return-Path: <>
Delivered-To: {verp}
Date: Tue, 5 Nov 2024 11:00:00 +0000
From: Feedback Loop <fbl@mailbox.example>
To: {verp}
Subject: Abuse report
Message-ID: <arf.20241105@mailbox.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
\tboundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.10 on Tue, 5 Nov 2024 10:00:00 +0000.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{verp}>
Original-Rcpt-To: <complainer@mailbox.example>
Arrival-Date: Tue, 5 Nov 2024 10:00:00 +0000
Source-IP: 192.0.2.10
Reported-Domain: example.org

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

{orig}
--part1_13d.2e68ed54_boundary--
"""
SAMPLES["arf_abuse.eml"] = ARF.format(
    verp=VERP, orig=ORIG.format(verp=VERP, rcpt="complainer@mailbox.example", tag="arf"))


def main() -> None:
    for name, text in SAMPLES.items():
        data = text.encode("latin-1") if "french" in name else text.encode("utf-8")
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
