"""Messages that reach a bounce address but are not bounces: never hard, and of the right kind.

Every message here is HAND-WRITTEN (made-up addresses under example.org/.com/.net and
documentation IP addresses), in the layout each system writes per its documentation or
source: Postfix's bounce(8) templates, sendmail's and Exim's delay warnings, Microsoft's
DSN/NDR pages, Gmail's notices, Courier's courierdsn, Domino's Delay reports, RFC 3464
(DSN), RFC 8098 (MDN), RFC 3834 (automatic responses), RFC 5965 (ARF) and the vendors'
feedback-loop pages. A careless classifier takes each of them for a failure: they quote
"user unknown" replies from a retry, say "mailbox" and "unknown" in an out-of-office
text, or come from mailer-daemon. A wrong hard verdict disables a person; so the test
is, first, that no recipient is hard, and then that the kind is the one DESIGN names.
"""

from __future__ import annotations

import json
from email.header import Header

import pytest

from mailtools.bounces.classify import classify

US = "bounce-42-3f9a2c1d-7@lists.example.org"
DAEMON = "Mail Delivery System <MAILER-DAEMON@mx.example.net>"
# The headers of the message we sent, as the notices quote it.
ORIGINAL = (f"Return-Path: <{US}>\nFrom: News <news@lists.example.org>\nTo: user@example.com\n"
            "Subject: December newsletter\nMessage-ID: <nl.42.7@lists.example.org>\n"
            "Date: Mon, 01 Dec 2025 10:00:00 +0000\n")


def _plain(subject: str, body: str, sender: str = DAEMON, headers: str = "",
           ctype: str = "text/plain; charset=utf-8", cte: str = "8bit") -> bytes:
    """A single-part message: *headers* are extra header lines, each ending in a newline."""
    return (f"From: {sender}\nTo: {US}\nSubject: {subject}\nDate: Tue, 02 Dec 2025 10:00:00 +0000\n"
            f"Message-ID: <reply.1@mx.example.net>\n{headers}MIME-Version: 1.0\n"
            f"Content-Type: {ctype}\nContent-Transfer-Encoding: {cte}\n\n{body}").encode()


def _report(subject: str, prose: str, report: str, report_type: str = "delivery-status",
            sender: str = DAEMON, headers: str = "", part_type: str = "message/delivery-status",
            original: str = ORIGINAL, original_type: str = "text/rfc822-headers") -> bytes:
    """A multipart/report (RFC 6522): prose, the machine-readable part, the original's headers."""
    return (f"From: {sender}\nTo: {US}\nSubject: {subject}\nDate: Tue, 02 Dec 2025 10:00:00 +0000\n"
            f"Message-ID: <report.1@mx.example.net>\n{headers}MIME-Version: 1.0\n"
            f"Content-Type: multipart/report; report-type={report_type}; boundary=\"rpt\"\n\n"
            f"--rpt\nContent-Type: text/plain; charset=utf-8\n\n{prose}\n"
            f"--rpt\nContent-Type: {part_type}\n\n{report}\n"
            f"--rpt\nContent-Type: {original_type}\n\n{original}\n--rpt--\n").encode()


def _encoded(text: str, charset: str = "utf-8") -> str:
    """*text* as an RFC 2047 encoded-word, as mail clients put non-ASCII subjects."""
    return Header(text, charset).encode()


# --- Delay warnings ---------------------------------------------------------------

# Postfix bounce(8)'s default delay template, and its DSN: a 450 "User unknown in
# local recipient table" (unknown_local_recipient_reject_code = 450 while a site
# is being set up) is a retry, whatever the words.
_POSTFIX_DELAY_PROSE = """This is the mail system at host mx.example.net.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<user@example.com>: host mx.example.com[192.0.2.25] said: 450 4.1.1
    <user@example.com>: Recipient address rejected: User unknown in local
    recipient table (in reply to RCPT TO command)
"""
_POSTFIX_DELAY_DSN = """Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4ABC123DEF
X-Postfix-Sender: rfc822; bounce-42-3f9a2c1d-7@lists.example.org
Arrival-Date: Tue,  2 Dec 2025 06:00:00 +0000 (UTC)

Final-Recipient: rfc822; user@example.com
Original-Recipient: rfc822;user@example.com
Action: delayed
Status: 4.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 450 4.1.1 <user@example.com>: Recipient address
    rejected: User unknown in local recipient table
Will-Retry-Until: Sun,  7 Dec 2025 06:00:00 +0000 (UTC)"""

# sendmail's warning (its "Warning: could not send message for past %s" subject,
# the boxed "THIS IS A WARNING MESSAGE ONLY" and the transcript of the deferral).
_SENDMAIL_DELAY_PROSE = """The original message was received at Tue, 2 Dec 2025 06:00:00 +0000
from lists.example.org [192.0.2.10]

    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

The original message was received at Tue, 2 Dec 2025 06:00:00 +0000
from lists.example.org [192.0.2.10]

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<user@example.com>
<<< 450 4.2.0 <user@example.com>... Mailbox unavailable, try again later
<user@example.com>... Deferred: 450 4.2.0 <user@example.com>... Mailbox unavailable, try again later
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old
"""
_SENDMAIL_DELAY_DSN = """Reporting-MTA: dns; mx.example.net
Arrival-Date: Tue, 2 Dec 2025 06:00:00 +0000

Final-Recipient: RFC822; user@example.com
Action: delayed
Status: 4.2.0
Remote-MTA: DNS; mx.example.com
Diagnostic-Code: SMTP; 450 4.2.0 <user@example.com>... Mailbox unavailable, try again later
Last-Attempt-Date: Tue, 2 Dec 2025 10:00:00 +0000
Will-Retry-Until: Sun, 7 Dec 2025 06:00:00 +0000"""

# Exim's default warning message (its warn_message_file text), plain text.
_EXIM_DELAY = """This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mx.example.net.

The message identifier is:     1tAbCd-000123-Ef
The subject of the message is: December newsletter
The date of the message is:    Mon, 01 Dec 2025 10:00:00 +0000

The address to which the message has not yet been delivered is:

  user@example.com
    host mx.example.com [192.0.2.25]
    Delay reason: SMTP error from remote mail server after RCPT TO:<user@example.com>:
    450 4.1.1 <user@example.com>: Recipient address rejected: User unknown

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.
"""

# Exchange 2007-2019 / Office 365: "Delivery delayed:" subject and the DSN, and
# Exchange 2003's "Delivery Status Notification (Delay)".
_EXCHANGE_DELAY_PROSE = """Delivery is delayed to these recipients or groups:

user@example.com (user@example.com)

Subject: December newsletter

This message hasn't been delivered yet. Delivery will continue to be attempted.

The server will keep trying to deliver this message for the next 1 days, 19 hours and 52 minutes.
You'll be notified if the message can't be delivered by that time.

Diagnostic information for administrators:

Generating server: mx.example.net
Receiving server: mx.example.com (192.0.2.25)

user@example.com
Remote Server at mx.example.com (192.0.2.25) returned '400 4.4.7 Message delayed'
12/2/2025 10:00:00 AM - Remote Server at mx.example.com (192.0.2.25) returned
'441 4.4.1 Error communicating with target host. -> 421 4.4.1 Connection timed out'
"""
_EXCHANGE_DELAY_DSN = """Reporting-MTA: dns;mx.example.net
Received-From-MTA: dns;lists.example.org
Arrival-Date: Tue, 2 Dec 2025 06:00:00 +0000

Final-Recipient: rfc822;user@example.com
Action: delayed
Status: 4.4.7
Diagnostic-Code: smtp;400 4.4.7 Message delayed
Will-Retry-Until: Thu, 4 Dec 2025 06:00:00 +0000
X-Display-Name: user@example.com"""
_EXCHANGE2003_DELAY_PROSE = """This is an automatically generated Delivery Status Notification.

THIS IS A WARNING MESSAGE ONLY.

YOU DO NOT NEED TO RESEND YOUR MESSAGE.

Delivery to the following recipients has been delayed.

       user@example.com
"""

# Office 365's notice as a user's client shows it when the report part was
# stripped on the way (HTML only, no DSN).
_O365_DELAY_HTML = """<html><body>
<p><b>Delivery has been delayed to these recipients or groups:</b></p>
<p><a href="mailto:user@example.com">user@example.com</a></p>
<p>Subject: December newsletter</p>
<p>This message hasn't been delivered yet. Delivery will continue to be attempted.</p>
<p>The server will keep trying to deliver this message for the next 1 days, 19 hours and 57 minutes.
You'll be notified if the message can't be delivered by that time.</p>
</body></html>
"""

# Gmail: the older "Delivery to the following recipient has been delayed" and the
# current "Message delivery delayed" / "Gmail will retry" notices.
_GMAIL_DELAY_OLD = """This is an automatically generated Delivery Status Notification

THIS IS A WARNING MESSAGE ONLY.

YOU DO NOT NEED TO RESEND YOUR MESSAGE.

Delivery to the following recipient has been delayed:

     user@example.com

Message will be retried for 2 more day(s)

Technical details of temporary failure:
The recipient server did not accept our requests to connect. Learn more at
https://support.google.com/mail/answer/7720
[mx.example.com. 192.0.2.25: timed out]
"""
_GMAIL_DELAY_NEW = """
** Message delivery delayed **

There was a temporary problem delivering your message to user@example.com. Gmail will
retry for 46 more hours. You'll be notified if the delivery fails permanently.

The response was:

The recipient server did not accept our requests to connect. Learn more at
https://support.google.com/mail/answer/7720 [mx.example.com. 192.0.2.25: timed out]
"""
_GMAIL_DELAY_DSN = """Reporting-MTA: dns; googlemail.com
Arrival-Date: Tue, 02 Dec 2025 02:00:00 -0800 (PST)
X-Original-Message-ID: <nl.42.7@lists.example.org>

Final-Recipient: rfc822; user@example.com
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; The recipient server did not accept our requests to connect.
Last-Attempt-Date: Tue, 02 Dec 2025 06:00:00 -0800 (PST)
Will-Retry-Until: Thu, 04 Dec 2025 02:00:00 -0800 (PST)"""

# Courier (module.dsn: dsnheader.txt, dsndelayed.txt, subject dsnsubjectwarn.txt
# "WARNING: delayed mail."; its other notices are "NOTICE: mail delivery status.").
_COURIER_HEADER = """This is a delivery status notification from mx.example.net,
running the Courier mail server, version 1.1.8.

The original message was received on Tue, 02 Dec 2025 06:00:00 +0000
from lists.example.org (lists.example.org [192.0.2.10])

---------------------------------------------------------------------------
"""
_COURIER_DELAY_PROSE = _COURIER_HEADER + """
                     DELAYS IN DELIVERING YOUR MESSAGE

The delivery of the following E-mail message has been delayed.  This is an
advisory notice only; it is sent only to notify you about a temporary delay
in delivering your message.  You DO NOT need to do anything at this time.
Additional attempts to deliver your message will be made.

<user@example.com>:
    mx.example.com [192.0.2.25]:
>>> RCPT TO:<user@example.com>
<<< 450 4.2.1 Mailbox temporarily disabled, try again later
"""
_COURIER_DELIVERED_PROSE = _COURIER_HEADER + """
                    MESSAGE DELIVERED SUCCESSFULLY

Your E-mail requested a delivery notice/return receipt for the following
addresses:

<user@example.com>:
    mx.example.com [192.0.2.25]:
>>> DATA
<<< 250 2.0.0 Ok: queued
"""
_COURIER_DELAY_DSN = """Reporting-MTA: dns; mx.example.net
Arrival-Date: Tue, 02 Dec 2025 06:00:00 +0000

Final-Recipient: rfc822; user@example.com
Action: delayed
Status: 4.0.0
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 450 4.2.1 Mailbox temporarily disabled, try again later"""

# Domino's Delay report, worded as HCL's Router documentation describes it (the
# recipients, that transfer is delayed, that no action is required): not verbatim.
_DOMINO_DELAY = """Your message

  Subject:  December newsletter

has not yet been delivered to the following recipients:

  user@example.com

Delivery has been delayed: the destination server is not responding.
No action is required on your part. The Router will keep trying to
deliver the message until it expires.
"""

DELAYS = {
    "postfix delay DSN, 450 user unknown": _report(
        "Delayed Mail (still being retried)", _POSTFIX_DELAY_PROSE, _POSTFIX_DELAY_DSN),
    "postfix delay prose, report stripped": _plain("Delayed Mail (still being retried)", _POSTFIX_DELAY_PROSE),
    "sendmail delay DSN": _report(
        "Warning: could not send message for past 4 hours", _SENDMAIL_DELAY_PROSE, _SENDMAIL_DELAY_DSN),
    "sendmail delay, no DSN": _plain(
        "Warning: could not send message for past 4 hours", _SENDMAIL_DELAY_PROSE),
    "exim delay warning": _plain(
        "Warning: message 1tAbCd-000123-Ef delayed 24 hours", _EXIM_DELAY, headers="Auto-Submitted: auto-replied\n"),
    "exchange delay DSN": _report(
        "Delivery delayed:December newsletter", _EXCHANGE_DELAY_PROSE, _EXCHANGE_DELAY_DSN,
        sender="postmaster@mx.example.net"),
    "exchange 2003 delay DSN": _report(
        "Delivery Status Notification (Delay)", _EXCHANGE2003_DELAY_PROSE, _EXCHANGE_DELAY_DSN,
        sender="postmaster@mx.example.net"),
    "office 365 delay, html only": _plain(
        "Delivery delayed:December newsletter", _O365_DELAY_HTML, sender="postmaster@example.onmicrosoft.com",
        ctype="text/html; charset=utf-8"),
    "exchange delay prose, report stripped": _plain(
        "Delivery delayed:December newsletter", _EXCHANGE_DELAY_PROSE, sender="postmaster@mx.example.net"),
    "gmail delay DSN": _report(
        "Delivery Status Notification (Delay)", _GMAIL_DELAY_OLD, _GMAIL_DELAY_DSN,
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
    "gmail delay, old prose only": _plain(
        "Delivery Status Notification (Delay)", _GMAIL_DELAY_OLD,
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
    "gmail message delivery delayed, prose only": _plain(
        "Delivery Status Notification (Delay)", _GMAIL_DELAY_NEW,
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
    "courier delay DSN": _report("WARNING: delayed mail.", _COURIER_DELAY_PROSE, _COURIER_DELAY_DSN),
    "courier delay, no DSN": _plain("WARNING: delayed mail.", _COURIER_DELAY_PROSE),
    "courier delay, no DSN, neutral subject": _plain("NOTICE: mail delivery status.", _COURIER_DELAY_PROSE),
    # The same warnings under a subject that does not say "delay" (a relay that
    # rewrites subjects, a localised template): the text alone must say it.
    "sendmail warning, neutral subject, no DSN": _plain("Returned mail: see transcript", _SENDMAIL_DELAY_PROSE.replace(
        "Mailbox unavailable", "User unknown")),
    "gmail delay, neutral subject, prose only": _plain(
        "Delivery Status Notification", _GMAIL_DELAY_OLD.replace("did not accept our requests to connect",
                                                                 "said: 450 4.2.1 user unknown, try later"),
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
    "exim warning, neutral subject": _plain("Mail delivery notice", _EXIM_DELAY),
    # A warning whose DSN says "failed" (and 5.1.1) while its own text says it is
    # a warning and will retry: the text is what the MTA meant.
    "postfix-style warning, DSN says failed": _report(
        "Delayed Mail (still being retried)", _POSTFIX_DELAY_PROSE, _POSTFIX_DELAY_DSN.replace(
            "Action: delayed", "Action: failed").replace("Status: 4.1.1", "Status: 5.1.1").replace(
            "smtp; 450 4.1.1", "smtp; 550 5.1.1")),
    "domino delay report": _plain("DELAYED: December newsletter", _DOMINO_DELAY,
                                  sender="Postmaster <postmaster@notes.example.net>"),
}

# --- Success and relay DSNs, delivery and read receipts ----------------------------

_POSTFIX_SUCCESS_PROSE = """This is the mail system at host mx.example.net.

Your message was successfully delivered to the destination(s)
listed below. If the message was delivered to mailbox you will
receive no further notifications. Otherwise you may still receive
notifications of mail delivery errors from other systems.

                   The mail system

<user@example.com>: delivered to mailbox
"""


def _success_dsn(action: str, status: str = "2.0.0", diagnostic: str = "smtp; 250 2.0.0 Ok: queued") -> str:
    return ("Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; user@example.com\n"
            f"Original-Recipient: rfc822;user@example.com\nAction: {action}\nStatus: {status}\n"
            f"Remote-MTA: dns; mx.example.com\nDiagnostic-Code: {diagnostic}")


_SENDMAIL_RECEIPT = """The original message was received at Tue, 2 Dec 2025 06:00:00 +0000
from lists.example.org [192.0.2.10]

   ----- The following addresses had successful delivery notifications -----
<user@example.com>  (relayed to non-DSN-aware mailer)

   ----- Transcript of session follows -----
<user@example.com>... relayed; expect no further notifications
"""
_EXCHANGE_DELIVERED = """Your message has been delivered to the following recipients:

user@example.com (user@example.com)

Subject: December newsletter
"""
_EXCHANGE_RELAYED = """Delivery to these recipients or groups is complete, but no delivery notification
was sent by the destination server:

user@example.com (user@example.com)

Subject: December newsletter
"""
# RFC 8098 message/disposition-notification, as Outlook and Thunderbird send it.
_MDN_READ_PROSE = """Your message

  To: user@example.com
  Subject: December newsletter
  Sent: Monday, December 1, 2025 10:00:00 AM (UTC+00:00)

was read on Tuesday, December 2, 2025 9:30:00 AM (UTC+00:00).
"""
_MDN_NOT_READ_PROSE = """Your message

  To: user@example.com
  Subject: December newsletter
  Sent: Monday, December 1, 2025 10:00:00 AM (UTC+00:00)

was deleted without being read on Tuesday, December 2, 2025 9:30:00 AM (UTC+00:00).
"""


def _mdn(disposition: str) -> str:
    return ("Reporting-UA: mua.example.com; Microsoft Outlook 16.0\n"
            "Original-Recipient: rfc822;user@example.com\nFinal-Recipient: rfc822;user@example.com\n"
            "Original-Message-ID: <nl.42.7@lists.example.org>\n"
            f"Disposition: {disposition}")


DELIVERED = {
    "postfix success DSN": _report("Successful Mail Delivery Report", _POSTFIX_SUCCESS_PROSE,
                                   _success_dsn("delivered")),
    "postfix alias expanded": _report("Successful Mail Delivery Report", _POSTFIX_SUCCESS_PROSE.replace(
        "delivered to mailbox", "alias expanded"), _success_dsn("expanded", diagnostic="X-Postfix; alias expanded")),
    "sendmail return receipt, relayed": _report("Return receipt", _SENDMAIL_RECEIPT,
                                                _success_dsn("relayed", diagnostic="SMTP; 250 2.0.0 Ok")),
    "exchange Delivered: DSN": _report("Delivered: December newsletter", _EXCHANGE_DELIVERED,
                                       _success_dsn("delivered", diagnostic="smtp;250 2.6.0 Queued mail for delivery"),
                                       sender="postmaster@mx.example.com"),
    "exchange Relayed: DSN": _report("Relayed: December newsletter", _EXCHANGE_RELAYED,
                                     _success_dsn("relayed", diagnostic="smtp;250 2.6.0 Queued mail for delivery"),
                                     sender="postmaster@mx.example.com"),
    "courier delivered DSN": _report("NOTICE: mail delivery status.", _COURIER_DELIVERED_PROSE,
                                     _success_dsn("delivered")),
    # The same notices without their report part: the notice says success, and
    # the line beside each recipient states no failure.
    "postfix success, report stripped": _plain("Successful Mail Delivery Report", _POSTFIX_SUCCESS_PROSE),
    "sendmail return receipt, no DSN": _plain("Return receipt", _SENDMAIL_RECEIPT),
    "courier delivered, no DSN": _plain("NOTICE: mail delivery status.", _COURIER_DELIVERED_PROSE),
    "courier delivered, report stripped, no address": _plain(
        "NOTICE: mail delivery status.",
        _COURIER_DELIVERED_PROSE.replace("<user@example.com>:\n", "user at example.com\n")),
    "exchange Delivered:, report stripped": _plain("Delivered: December newsletter", _EXCHANGE_DELIVERED,
                                                   sender="postmaster@mx.example.com"),
    "exchange Relayed:, report stripped": _plain("Relayed: December newsletter", _EXCHANGE_RELAYED,
                                                 sender="postmaster@mx.example.com"),
}

RECEIPTS = {
    "outlook read receipt (MDN)": _report(
        "Read: December newsletter", _MDN_READ_PROSE, _mdn("automatic-action/MDN-sent-automatically; displayed"),
        report_type="disposition-notification", part_type="message/disposition-notification",
        sender="User <user@example.com>"),
    "outlook not-read receipt (MDN, deleted)": _report(
        "Not read: December newsletter", _MDN_NOT_READ_PROSE, _mdn("manual-action/MDN-sent-manually; deleted"),
        report_type="disposition-notification", part_type="message/disposition-notification",
        sender="User <user@example.com>"),
    "read receipt as plain text": _plain("Read: December newsletter", _MDN_READ_PROSE,
                                         sender="User <user@example.com>"),
}

# --- Automatic replies (RFC 3834 and what clients really send) -----------------------

_QUOTE = """

-----Original Message-----
From: News <news@lists.example.org>
Sent: Monday, December 1, 2025 10:00 AM
To: user@example.com
Subject: December newsletter

Dear user, your mailbox settings page is new: unknown senders can now be
blocked, and a user whose address is unknown to us gets no mail.
"""
_OOO_EN = "I am out of the office until 15 December with limited access to email." + _QUOTE
_NOT_MONITORED = ("Thank you for your message. This mailbox is no longer monitored: the user who read it "
                  "has left, and mail to this address is unknown territory now. Please write to "
                  "info@example.com instead." + _QUOTE)

AUTOREPLIES = {
    "RFC 3834 auto-replied, out of office": _plain(
        "Out of Office: December newsletter", _OOO_EN, sender="User <user@example.com>",
        headers="Auto-Submitted: auto-replied\n"),
    "exchange automatic reply (auto-generated)": _plain(
        "Automatic reply: December newsletter", _OOO_EN, sender="User <user@example.com>",
        headers="Auto-Submitted: auto-generated\nX-Auto-Response-Suppress: All\n"
                "X-MS-Exchange-Inbox-Rules-Loop: user@example.com\n"),
    "exchange 2003 out of office autoreply": _plain(
        "Out of Office AutoReply: December newsletter", _OOO_EN, sender="User <user@example.com>"),
    "mailbox not monitored, auto-replied, quoting the original": _plain(
        "Re: December newsletter", _NOT_MONITORED, sender="info@example.com",
        headers="Auto-Submitted: auto-replied\n"),
    # Sieve's vacation extension (RFC 5230, Pigeonhole, Cyrus) with a comment after the keyword.
    "sieve vacation, auto-replied (vacation)": _plain(
        "Re: December newsletter", _NOT_MONITORED, sender="user@example.com",
        headers="Auto-Submitted: auto-replied (vacation)\nPrecedence: bulk\n"),
    "X-Autoreply header": _plain("Re: December newsletter", _NOT_MONITORED, sender="user@example.com",
                                 headers="X-Autoreply: yes\n"),
    "X-Autorespond header (cPanel)": _plain("Re: December newsletter", _NOT_MONITORED, sender="user@example.com",
                                            headers="X-Autorespond: December newsletter\n"),
    "Precedence: auto_reply": _plain("Re: December newsletter", _NOT_MONITORED, sender="user@example.com",
                                     headers="Precedence: auto_reply\n"),
    "notes english out of office": _plain(
        "User Name is out of the office.", "I will be out of the office starting 01.12.2025 and will not return "
        "until 15.12.2025.\n\nI will respond to your message when I return.", sender="user@example.com",
        headers="Auto-Submitted: auto-generated\n"),
    # RFC 3834 also names auto-generated and auto-notified; sisimai reads any of them as vacation.
    "auto-generated, no reply words": _plain(
        "Re: December newsletter", _NOT_MONITORED, sender="user@example.com",
        headers="Auto-Submitted: auto-generated\n"),
    "auto-notified": _plain(
        "December newsletter", _NOT_MONITORED, sender="user@example.com", headers="Auto-Submitted: auto-notified\n"),
    # Apple's iCloud vacation responder marks its replies with X-Apple-Action.
    "iCloud vacation (X-Apple-Action)": _plain(
        "Re: December newsletter", _NOT_MONITORED, sender="user@icloud.example", headers="X-Apple-Action: vacation\n"),
    # A postmaster@ mailbox's own out-of-office reply (From looks like a daemon's,
    # the subject says what it is), saying "unknown" and "user" about the address.
    "postmaster@ out of office": _plain(
        "Out of Office: December newsletter", "I am away until 15 December. Mail for user@example.com: the "
        "user is unknown here now, the mailbox is closed." + _QUOTE, sender="postmaster@example.com",
        headers="Auto-Submitted: auto-replied\n"),
    "address no longer in use, automatic reply": _plain(
        "Automatic reply: December newsletter", "This address user@example.com is no longer in use. The mailbox "
        "does not exist anymore: user unknown." + _QUOTE, sender="user@example.com",
        headers="Auto-Submitted: auto-replied\n"),
    "german Abwesenheitsnotiz": _plain(
        "Abwesenheitsnotiz: December newsletter", "Ich bin bis zum 15.12. nicht im Büro. In dringenden Fällen "
        "wenden Sie sich bitte an info@example.com." + _QUOTE, sender="user@example.com"),
    "german automatische Antwort": _plain(
        "Automatische Antwort: December newsletter", "Vielen Dank für Ihre Nachricht. Ich bin im Urlaub.",
        sender="user@example.com", headers="Auto-Submitted: auto-generated\n"),
    "french réponse automatique": _plain(
        _encoded("Réponse automatique : December newsletter"), "Je suis absent du bureau jusqu'au 15 décembre."
        + _QUOTE, sender="user@example.fr"),
    "spanish respuesta automática": _plain(
        _encoded("Respuesta automática: December newsletter"), "Estoy fuera de la oficina hasta el 15 de diciembre.",
        sender="user@example.es"),
    "italian risposta automatica": _plain(
        "Risposta automatica: December newsletter", "Sono fuori ufficio fino al 15 dicembre.",
        sender="user@example.it"),
    "dutch automatisch antwoord": _plain(
        "Automatisch antwoord: December newsletter", "Ik ben afwezig tot 15 december.", sender="user@example.nl"),
    "portuguese resposta automática": _plain(
        _encoded("Resposta automática: December newsletter", "iso-8859-1"), "Estou de férias até 15 de dezembro.",
        sender="user@example.com.br"),
    "japanese 自動応答 (iso-2022-jp)": (
        _plain(_encoded("自動応答: December newsletter", "iso-2022-jp"), "", sender="user@example.jp",
               ctype="text/plain; charset=iso-2022-jp", cte="7bit")
        + "ただいま不在にしております。12月15日以降にご連絡いたします。\n".encode("iso-2022-jp")),
    "chinese 自动回复 (gb2312)": (
        _plain(_encoded("自动回复: December newsletter", "gb2312"), "", sender="user@example.cn",
               ctype="text/plain; charset=gb2312", cte="8bit")
        + "您好，我目前不在办公室，12月15日回来。\n".encode("gb2312")),
}

# --- Challenge-response, ticket systems, list moderation ---------------------------

_TMDA = """This message was created automatically by mail delivery software (TMDA).

Your message attached below is being held because the address
<bounce-42-3f9a2c1d-7@lists.example.org> has not been verified.

To release your message for delivery, please send an empty message
to the following address, or use your mailer's "Reply" feature.

   user-confirm+1764670000.1234.abcdef@example.com

This confirmation verifies that your message is legitimate and not
junk-mail. You should only have to confirm your address once.

If you do not respond to this confirmation request within 14 days,
your message will not be delivered.
"""
_BOXBE = """Hello News,

You will not receive any more courtesy notices from our members for two days.
Messages you have sent will remain in a lower priority mailbox for our member to
review at their leisure.

Future messages will be more likely to be viewed if you are on our member's
priority Guest List.

Thank you,
user@example.com

Powered by Boxbe -- "End Email Overload"
Please verify your email address: https://www.boxbe.example/verify?tc=1234
"""
_SPAMARREST = """Hello,

I apologize for this automatic reply to your email.

To control spam, I now allow incoming messages only from senders I have
approved beforehand.

If you would like to be added to my list of approved senders, please fill
out the short request form (see link below). Once I approve you, I will
receive your original message in my inbox. You do not need to resend your
message. I apologize for this one-time inconvenience.

Click the link below to fill out the request:
https://www.spamarrest.example/a2/ver.jsp?id=1234
"""
_TICKET = """Greetings,

This message has been automatically generated in response to the
creation of a trouble ticket regarding:
        "December newsletter",
a summary of which appears below.

There is no need to reply to this message right now.  Your ticket has been
assigned an ID of [example.com #12345].

Your request has been received and is being reviewed by our support staff.
"""
_MAILMAN_HELD = """Your mail to 'Members' with the subject

    December newsletter

Is being held until the list moderator can review it for approval.

The reason it is being held:

    Post by non-member to a members-only list

Either the message will get posted to the list, or you will receive
notification of the moderator's decision.  If you would like to cancel
this posting, please visit the following URL:

    https://lists.example.com/mailman/confirm/members/0123456789abcdef
"""

# Ticket systems and challenge-response systems that say they are automatic
# (RFC 3834's Auto-Submitted, RT's "AutoReply" subject) are automatic replies.
AUTOMATED = {
    "RT ticket autoreply": _plain(
        "[example.com #12345] AutoReply: December newsletter", _TICKET, sender="Support <support@example.com>",
        headers="RT-Ticket: example.com #12345\nPrecedence: bulk\nX-RT-Loop-Prevention: example.com\n"),
    "helpdesk acknowledgement, auto-generated": _plain(
        "Your request has been received [#12345]", _TICKET, sender="Support <support@example.com>",
        headers="Auto-Submitted: auto-generated\n"),
}
OTHERS = {
    "TMDA confirmation request": _plain(
        "Please confirm your message", _TMDA, sender="user-confirm+1764670000.1234.abcdef@example.com",
        headers="X-Delivery-Agent: TMDA/1.1.12\nPrecedence: bulk\n"),
    "Boxbe courtesy notice": _plain(
        "Re: December newsletter (Action Required)", _BOXBE, sender="Boxbe <notifications@boxbe.example>"),
    "SpamArrest verification": _plain(
        "Re: December newsletter [Please verify]", _SPAMARREST, sender="user@example.com"),
    "helpdesk acknowledgement, no headers": _plain(
        "Your request has been received [#12345]", _TICKET, sender="Support <support@example.com>"),
    "mailman posting held": _plain(
        "Your message to Members awaits moderator approval", _MAILMAN_HELD,
        sender="members-owner@lists.example.com",
        headers="Precedence: bulk\nX-BeenThere: members@lists.example.com\nX-List-Administrivia: yes\n"),
}

# --- Feedback reports (RFC 5965) and abuse complaints that are not ARF ------------

_SPAM = (f"Return-Path: <{US}>\nReceived: from lists.example.org (lists.example.org [192.0.2.10])\n"
         "\tby mx.example.com with ESMTP; Mon, 01 Dec 2025 10:00:01 +0000\n"
         "From: News <news@lists.example.org>\nTo: {to}\nSubject: December newsletter\n"
         "Message-ID: <nl.42.7@lists.example.org>\nDate: Mon, 01 Dec 2025 10:00:00 +0000\n\n"
         "Dear user, unknown senders ... mailbox ...\n")


def _arf(agent: str, prose: str, extra: str = "", to: str = "user@example.com") -> bytes:
    report = ("Feedback-Type: abuse\n" f"User-Agent: {agent}\nVersion: 1\n"
              f"Original-Mail-From: <{US}>\nArrival-Date: Mon, 01 Dec 2025 10:00:01 +0000\n"
              f"Source-IP: 192.0.2.10\nReported-Domain: lists.example.org\n{extra}")
    return _report("Abuse report", prose, report, report_type="feedback-report",
                   sender="Feedback Loop <feedback@fbl.example.net>", part_type="message/feedback-report",
                   original=_SPAM.format(to=to), original_type="message/rfc822")


_ABUSE_PLAIN = """Hello,

We have received a complaint about unsolicited mail sent from your network to one
of our users. The user does not know the sender. Please investigate and stop it.

Received: from lists.example.org (lists.example.org [192.0.2.10])
From: News <news@lists.example.org>
To: user@example.com
Subject: December newsletter

Abuse desk, example.net
"""
_SPAMCOP = f"""- SpamCop V5.4.0 -
This message is brief for your comfort.  Please use links below for details.

Email from 192.0.2.10 / Mon, 01 Dec 2025 10:00:00 +0000
https://www.spamcop.example/w3m?i=z1234567890z

[ Offending message ]
{_SPAM.format(to="x")}"""

# Hotmail's JMRP reports from before it adopted ARF (and SES's complaint mails):
# multipart/mixed, "complaint about message from <ip>", the original attached with
# the recipient in X-HmXmrOriginalRecipient.
_HOTMAIL_OLD = (f"From: staff@hotmail.example\nTo: {US}\nSubject: complaint about message from 192.0.2.10\n"
                "Date: Tue, 02 Dec 2025 10:00:00 -0800\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"jmrp\"\n\n--jmrp\nContent-Type: text/plain\n\n"
                "This is an email abuse report for an email message received from IP 192.0.2.10.\n"
                "--jmrp\nContent-Type: message/rfc822\n\n"
                "X-HmXmrOriginalRecipient: <user@hotmail.example>\n" + _SPAM.format(to="user@hotmail.example")
                + "--jmrp--\n").encode()
# Apple Mail's one-tap "Unsubscribe" writes to the List-Unsubscribe mailto with
# X-Apple-Unsubscribe: true (and Auto-Submitted): an opt-out, not a vacation.
_APPLE_UNSUBSCRIBE = _plain("unsubscribe", "This message was automatically generated by Mail.",
                            sender="user@icloud.example",
                            headers="Auto-Submitted: auto-replied\nX-Apple-Unsubscribe: true\n")

# Amazon SES's complaint notification, per its "Amazon SNS notification contents"
# documentation: the JSON alone (an email subscription with raw delivery), and
# inside SNS's envelope (its "Message" a JSON string), and as an event-publishing
# record (eventType).
_SES_COMPLAINT = (
    '{"notificationType":"Complaint","complaint":{"feedbackId":"0100abc-def","complaintSubType":null,'
    '"complainedRecipients":[{"emailAddress":"user@example.com"}],"timestamp":"2025-12-02T10:00:00.000Z",'
    '"userAgent":"ExampleFBL/1.0","complaintFeedbackType":"abuse","arrivalDate":"2025-12-02T09:59:00.000Z"},'
    '"mail":{"timestamp":"2025-12-01T10:00:00.000Z","source":"news@lists.example.org",'
    '"sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/lists.example.org",'
    '"messageId":"0100abc-123","destination":["user@example.com"]}}')
_SNS = ('{\n  "Type" : "Notification",\n  "MessageId" : "a1b2c3",\n'
        '  "TopicArn" : "arn:aws:sns:us-east-1:123456789012:ses-complaints",\n'
        f'  "Message" : {json.dumps(_SES_COMPLAINT)},\n  "Timestamp" : "2025-12-02T10:00:01.000Z"\n}}\n')
_SNS_SENDER = "AWS Notifications <no-reply@sns.amazonaws.com>"

FEEDBACK = {
    "SES complaint JSON": _plain("AWS Notification Message", _SES_COMPLAINT, sender=_SNS_SENDER),
    "SES complaint in the SNS envelope": _plain("AWS Notification Message", _SNS, sender=_SNS_SENDER),
    "SES complaint event": _plain("AWS Notification Message", _SES_COMPLAINT.replace(
        '"notificationType"', '"eventType"'), sender=_SNS_SENDER),
    "hotmail complaint, pre-ARF": _HOTMAIL_OLD,
    "apple mail unsubscribe": _APPLE_UNSUBSCRIBE,
    "yahoo ARF": _arf("Yahoo!-Mail-Feedback/2.0", "This is an email abuse report for an email message "
                      "received from IP 192.0.2.10 on Mon, 01 Dec 2025 10:00:01 +0000.",
                      "Original-Rcpt-To: <user@example.com>\n"),
    "microsoft JMRP": _arf("Hotmail FBL", "This is an email abuse report for an email message received from "
                           "IP 192.0.2.10 on Mon, 01 Dec 2025 10:00:01 -0800.\nFor more information about this "
                           "format please see http://tools.ietf.org/html/rfc5965."),
    "AOL ARF, redacted recipient": _arf("AOL SComp", "This is an email abuse report for an email message from "
                                        "lists.example.org on Mon, 01 Dec 2025 10:00:01 +0000.",
                                        "Redacted-Address: redacted@\n", to="redacted@aol.example"),
}
ABUSE = {
    "abuse desk complaint, plain text": _plain("Abuse report: unsolicited mail from 192.0.2.10", _ABUSE_PLAIN,
                                               sender="Abuse <abuse@example.net>"),
    "spamcop report": _plain("[SpamCop (https://www.spamcop.example/) id:1234567890]December newsletter",
                             _SPAMCOP, sender="SpamCop <spamcop@reports.example.net>"),
}

# --- A person writing back to the bounce address ------------------------------------

HUMAN = {
    "human reply": _plain("Re: December newsletter", "Please take me off this list. I am an unknown user to "
                          "you and my mailbox is full of these." + _QUOTE, sender="User <user@example.com>",
                          headers="In-Reply-To: <nl.42.7@lists.example.org>\n"),
    "human reply quoting a bounce": _plain(
        "Re: December newsletter", "Why do I get this?\n\n> <user@example.com>: host mx.example.com said: 550 "
        "5.1.1 user unknown (in reply to RCPT TO command)\n", sender="Friend <friend@example.net>"),
    # sendmail's words, pasted by the person they are about: flufl's detectors
    # read them as a bounce, but its author is no failing recipient.
    "human reply pasting a bounce about their own address": _plain(
        "Re: December newsletter", "Is this why I get nothing? My server said:\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n<user@example.com>\n"
        "    (reason: 550 5.1.1 User unknown)\n" + _QUOTE, sender="User <user@example.com>"),
    "human reply from outlook, RE:": _plain("RE: December newsletter", "Wrong address, the user you mean "
                                            "does not exist here." + _QUOTE, sender="User <user@example.com>"),
}

CASES = [(name, raw, kind) for group, kind in (
    (DELAYS, "delay"), (DELIVERED, "delivered"), (RECEIPTS, "other"), (AUTOREPLIES, "autoreply"),
    (AUTOMATED, "autoreply"), (OTHERS, "other"), (FEEDBACK, "feedback"), (ABUSE, "other"), (HUMAN, "other"),
) for name, raw in group.items()]


@pytest.mark.parametrize("raw, kind", [(raw, kind) for _, raw, kind in CASES], ids=[name for name, _, _ in CASES])
def test_a_non_bounce_is_never_hard_and_is_of_its_kind(raw: bytes, kind: str) -> None:
    verdict = classify(raw)
    assert not [r.address for r in verdict.recipients if r.hard]
    assert verdict.kind == kind, verdict.to_json()


# Subjects that say "automatic reply" in words textrules.AUTOREPLY_SUBJECT does
# not know yet (that module belongs to the text rules; the fix is two
# alternatives there: r"^auto:" and r"\baway from my mail\b").
PREFIX_AUTOREPLIES = {
    # Notes/Domino in English puts "Auto:" before the subject of its agent's replies.
    "notes Auto: subject": _plain("Auto: December newsletter", _NOT_MONITORED, sender="user@example.com"),
    # BSD vacation(1)'s default reply: its "away from my mail" subject and Precedence: bulk.
    "bsd vacation(1)": _plain(
        "away from my mail", "I will not be reading my mail for a while.\nYour mail regarding \"December newsletter\" "
        "will be read when I return.", sender="user@example.com", headers="Precedence: bulk\n"),
}


@pytest.mark.parametrize("raw", list(PREFIX_AUTOREPLIES.values()), ids=list(PREFIX_AUTOREPLIES))
def test_notes_and_bsd_vacation_subjects_are_autoreplies(raw: bytes) -> None:
    verdict = classify(raw)
    assert not any(r.hard for r in verdict.recipients)
    assert verdict.kind == "autoreply"


# sendmail lists every recipient it was asked to report on, failed and
# delivered, in sections of one notice (savemail.c's errbody). The recipient
# in the "successful delivery notifications" section is no failure: each
# address takes the action of the boxed heading above it (readers/sections.py).
_SENDMAIL_MIXED = """The original message was received at Tue, 2 Dec 2025 06:00:00 +0000
from lists.example.org [192.0.2.10]

   ----- The following addresses had permanent fatal errors -----
<gone@example.com>
    (reason: 550 5.1.1 <gone@example.com>... User unknown)

   ----- The following addresses had successful delivery notifications -----
<user@example.com>  (relayed to non-DSN-aware mailer)

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<gone@example.com>
<<< 550 5.1.1 <gone@example.com>... User unknown
550 5.1.1 <gone@example.com>... User unknown
"""


def test_a_delivered_recipient_in_a_mixed_sendmail_notice_is_not_hard() -> None:
    verdict = classify(_plain("Returned mail: see transcript for details", _SENDMAIL_MIXED))
    assert verdict.kind == "bounce"
    by_address = {r.address: r for r in verdict.recipients}
    assert by_address["gone@example.com"].hard
    assert not by_address["user@example.com"].hard
