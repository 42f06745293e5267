"""Sample bounces in the exact shape Postfix writes them, for the demo and benchmarks.

The layout is copied from a real Postfix 3.7 DSN (tests/data/bounces/postfix/):
a multipart/report with the notification, the delivery-status part and the
returned message, so every step of the real pipeline runs on it.
"""

from __future__ import annotations

import os
import time

STATUS = {
    "userunknown": ("5.1.1", 'X-Postfix; unknown user: "{local}"', "failed"),
    "mailboxfull": ("5.2.2", "smtp; 552 5.2.2 <{rcpt}>: Mailbox full, quota exceeded", "failed"),
    "delayed": ("4.4.1", "X-Postfix; connect to mx.{domain}[192.0.2.1]:25: Connection timed out", "delayed"),
}


def postfix_dsn(verp_address: str, recipient: str, message_id: str, kind: str = "userunknown",
                queue_id: str = "DAA5620CA22", host: str = "mx.example.org") -> bytes:
    """A DSN to ``verp_address`` about ``recipient`` of the message ``message_id``."""
    status, diagnostic, action = STATUS[kind]
    local, _, domain = recipient.partition("@")
    diagnostic = diagnostic.format(local=local, rcpt=recipient, domain=domain)
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000 (UTC)", time.gmtime())
    boundary = f"{queue_id}.{int(time.time())}/{host}"
    subject = ("Delayed Mail (still being retried)" if action == "delayed"
               else "Undelivered Mail Returned to Sender")
    return f"""From MAILER-DAEMON  {time.strftime('%a %b %d %H:%M:%S %Y', time.gmtime())}
Return-Path: <>
X-Original-To: {verp_address}
Delivered-To: {verp_address}
Date: {date}
From: Mail Delivery System <MAILER-DAEMON@{host}>
Subject: {subject}
To: {verp_address}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{boundary}"
Content-Transfer-Encoding: 8bit
Message-Id: <{time.strftime('%Y%m%d%H%M%S')}.{queue_id}.{os.urandom(4).hex()}@{host}>

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host {host}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{recipient}>: {diagnostic.split('; ', 1)[1]}

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; {host}
X-Postfix-Queue-ID: {queue_id}
X-Postfix-Sender: rfc822; {verp_address}
Arrival-Date: {date}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: {diagnostic}

--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

Return-Path: <{verp_address}>
From: <app@example.org>
To: <{recipient}>
Subject: sample
Message-ID: {message_id}

--{boundary}--
""".encode()


def vacation_reply(to: str, recipient: str) -> bytes:
    return f"""Return-Path: <{recipient}>
Delivered-To: {to}
From: {recipient}
To: {to}
Subject: Out of office: sample
Auto-Submitted: auto-replied
Precedence: bulk
Message-ID: <vacation.{int(time.time() * 1000)}@example.net>

I am away until Monday and will read your mail when I am back.
""".encode()
