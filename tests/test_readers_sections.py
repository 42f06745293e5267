"""mailtools.bounces.readers.sections: HAND-WRITTEN samples, at least one per MTA family.

None of these messages was received: each was written for this test from the
MTA's documented or source-code wording (qmail-send.c, Exim's
bounce_message_text, sendmail's savemail.c, OpenSMTPD's bounce.c, dma's
net.c/mail.c, Postfix's bounce templates, Exchange's and Domino's NDR texts,
...), with made-up addresses. They check that the family is recognised, the
failing address found and the reason read, through classify() as the pipe runs it.
"""

from __future__ import annotations

import pytest
from conftest import prose_bounce

from mailtools.bounces.classify import classify
from mailtools.bounces.readers import Bounce, sections

QMAIL = """Hi. This is the qmail-send program at mx.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nobody@example.net>:
Sorry, no mailbox here by that name. (#5.1.1)

<full@example.net>:
192.0.2.8 does not like recipient.
Remote host said: 552 5.2.2 <full@example.net>: mailbox is full
Giving up on 192.0.2.8.

--- Below this line is a copy of the message.

Return-Path: <bounce-42-3f9a2c1d-7@lists.example.org>
To: nobody@example.net
"""

EXIM = """This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  gone@example.org
    host mx.example.org [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<gone@example.org>:
    550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table
  fenced@example.org
    host mx.example.org [192.0.2.1]
    SMTP error from remote mail server after end of data:
    550 5.7.1 Message rejected as spam by Content Filtering

------ This is a copy of the message, including all the headers. ------
"""

EXIM_DELAY = """This message was created automatically by mail delivery software.

A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mx.example.org.

The address to which the message has not yet been delivered is:

  slow@example.org
    Delay reason: SMTP error from remote mail server after RCPT TO:<slow@example.org>:
    451 4.7.1 Greylisting in action, please come back later

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered.
"""

SENDMAIL = """The original message was received at Mon, 2 Dec 2024 10:00:00 +0100
from client.example.com [192.0.2.5]

   ----- The following addresses had permanent fatal errors -----
<nouser@example.com>
    (reason: 550 5.1.1 <nouser@example.com>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<nouser@example.com>
<<< 550 5.1.1 <nouser@example.com>... User unknown
550 5.1.1 <nouser@example.com>... User unknown

   ----- Original message follows -----
"""

SENDMAIL_V5 = """   ----- Transcript of session follows -----
550 nodomain.example (smtp)... 550 Host unknown
554 <who@nodomain.example>... 550 Host unknown (Authoritative answer from name server)

   ----- Unsent message follows -----
"""

# HAND-WRITTEN in sendmail 5's layout (savemail.c): its own "addr... User unknown" line, no command.
SENDMAIL_V5_NOUSER = """   ----- Transcript of session follows -----
550 vic@example.org... User unknown

   ----- Unsent message follows -----
"""

# HAND-WRITTEN in sendmail 5's layout: a local user named without a domain; the address is the original's To.
SENDMAIL_V5_LOCAL = """   ----- Transcript of session follows -----
550 vic... User unknown

   ----- Unsent message follows -----
From: news@lists.example.org
To: vic@mail.example.net
Subject: News

Hello
"""

OPENSMTPD = """    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

nosuch@example.com: 550 5.1.1 <nosuch@example.com>: Recipient address rejected: User unknown

    Below is a copy of the original message:
"""

OPENSMTPD_DELAY = """    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    A message is delayed for more than 4 hours for the following
    list of recipients:

late@example.com: 421 4.3.0 Temporary System Problem

    Please note that this is only a temporary failure report.
    The message is kept in the queue for up to 4 days.
    You DO NOT NEED to re-send the message to these recipients.
"""

DMA = """This is the DragonFly Mail Agent v0.13 at mail.example.org.

There was an error delivering your mail to <lost@nodomain.example>.

DNS lookup failure: host nodomain.example not found

Message headers follow.

To: <lost@nodomain.example>
"""

POSTFIX = """This is the mail system at host mail.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to <postmaster@mail.example.org>

<nobody@example.com>: host mx.example.com[192.0.2.9] said: 550 5.0.0
    <nobody@example.com>: Unknown user (in reply to end of DATA command)
"""

EXCHANGE2003 = """Your message did not reach some or all of the intended recipients.

      Subject:\tNewsletter
      Sent:\t12/2/2024 10:00 AM

The following recipient(s) could not be reached:

      nobody@example.com on 12/2/2024 10:00 AM
            The e-mail account does not exist at the organization this message was sent to.
            <mx.example.com #5.1.1>
"""

# HAND-WRITTEN in Exchange 5.5's Internet Mail Service layout: each entry ends with an
# MSEXCH line and the IMS's own code in parentheses.
EXCHANGE55 = """Your message

  To:      group@example.co.jp
  Subject: Newsletter
  Sent:    Mon, 2 Dec 2024 10:00:00 +0000

did not reach the following recipient(s):

group@example.co.jp on Mon, 2 Dec 2024 10:00:01 +0000
    The recipient name is not unique
    MSEXCH:IMS:EXAMPLE:TOKYO:MAIL01 0 (000C0595) Ambiguous Recipient
nobody@example.co.jp on Mon, 2 Dec 2024 10:00:01 +0000
    The recipient name is not recognized
    MSEXCH:IMS:EXAMPLE:TOKYO:MAIL01 0 (000C05A6) Unknown Recipient
legacy@example.co.jp on Mon, 2 Dec 2024 10:00:01 +0000
    The message could not be converted
    MSEXCH:IMS:EXAMPLE:TOKYO:MAIL01 0 (00050311) Conversion to Internet format failed
"""

EXCHANGE = """Delivery has failed to these recipients or groups:

nobody@example.com
The e-mail address you entered couldn't be found. Please check the recipient's e-mail address.

Diagnostic information for administrators:

Generating server: mx.example.com

nobody@example.com
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'

Original message headers:

From: news@example.org
"""

DOMINO = """Your message

  Subject: Newsletter

was not delivered to:

  someone@example.com

because:

  User someone (someone@example.com) not listed in Domino Directory
"""

INTERSCAN = """****** Message from InterScan Messaging Security Suite ******

Sent <<< RCPT TO:<nobody@example.jp>
Received >>> 550 5.1.1 <nobody@example.jp>... User unknown

Unable to deliver message to <nobody@example.jp>.

************************     End of message     **********************
"""

# HAND-WRITTEN: InterScan's notice when it has no SMTP reply to quote, in its own words.
INTERSCAN_NO_REPLY = """****** Message from InterScan Messaging Security Suite ******

The following mail could not be delivered.
Reason:  Unable to deliver message to <nobody@example.jp> (and other recipients in the same domain).

************************     End of message     **********************
"""

MAILMARSHAL = """Your message:

   From:    news@example.org
   Subject: Newsletter

Could not be delivered because of

550 5.1.1 User unknown

The following recipients were affected:
    nobody@example.com

Additional Information
======================
Original Sender:    <news@example.org>
"""

COURIER = """This is a delivery status notification from mail.example.com,
running the Courier mail server, version 1.1.

<nobody@example.com>:
    mx.example.com [192.0.2.3]:
>>> RCPT TO:<nobody@example.com>
<<< 550 5.1.1 <nobody@example.com>... User unknown
"""

CARRIER = """Your mail sent on: Mon, 2 Dec 2024 10:00:00 +0900

     Could not be delivered to: <full@au.example.jp>
     As their mailbox is full.
"""

GENERIC = """Unable to deliver message to: <nobody@example.com>
Delivery failed for the following reason:
Server mx.example.com[192.0.2.4] failed with: 550 <nobody@example.com> No such user here
"""

GMX = """This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of
its recipients. This is a permanent error. The following address
failed:

"gone@example.de":

SMTP error from remote server after RCPT command:
host: mx.example.de
550 5.1.1 <gone@example.de>: Recipient address rejected: User unknown
"""

PROBLEMS = """   ----- The following addresses had delivery problems -----
<full@example.ne.jp>

   ----- Non-delivered information -----
The number of messages in recipient's mailbox exceeded the local limit.
"""

AMAVIS = """This nondelivery report was generated by the amavis program
at host mx.example.org. Our internal reference code for your message
is 12345-01/AbCdEfGh

The message WAS NOT relayed to:
<someone@example.org>:
   554 5.7.0 Reject, id=12345-01 - INFECTED: Eicar-Signature
"""

SURFCONTROL = """Your message could not be sent.
A transcript of the attempts to send the message follows.
The number of attempts made: 1
Addressed To: nobody@example.com

Mon 02 Dec 2024 10:00:00 +0100
Failed to send to identified host,
nobody@example.com: [192.0.2.5], 550 nobody@example.com... No such user
--- Message non-deliverable.
"""

COMMUNIGATE = """Failed to deliver to '<nobody@example.com>'
SMTP module(domain example.com) reports:
 host mx.example.com says:
 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown
"""

KERIO = """Could not deliver message to the following recipient(s):

Failed Recipient: nobody@example.com
Reason: Remote host said: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown

Failed Recipient: busy@example.com
Reason: Remote host said: 421 mx.example.com Too many connections, try later.

   -- The header and top 20 lines of the message follows --

Subject: News
"""

# 1&1's Exim-derived wording: the reason below the list, after "Reason:".
EINS = """This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of
its recipients. This is a permanent error. The following address(es)
failed:

<slow@example.es>
<late@example.es>

Reason:

multiple delivery attempts failed

--- The header of the original message is following. ---
"""

# Apache James (AbstractNotify's layout).
JAMES = """Hi. This is the James mail server at mail.example.com.
I'm afraid I wasn't able to deliver your message.

Error: Invalid user address

Error message below:
550 5.1.1 Requested action not taken: no such user here (in reply to RCPT TO command)

Message details:
  Subject: News
  Sent date: Mon Dec 02 10:00:00 CET 2024
  MAIL FROM: news@example.org
  RCPT TO: nobody@example.com
  From: news@example.org
  To: nobody@example.com
  Size (in bytes): 1024
  Number of lines: 20
"""

# Novell GroupWise's GWIA.
GROUPWISE = """The attached file had the following undeliverable recipient(s):
	nobody@example.com

Transfer Status:
	nobody@example.com  Undeliverable: User not found
"""

# A Japanese gateway's notice ("sending to the following address failed").
JAPANESE = """以下のメールアドレスへの送信に失敗しました。

nobody@example.jp
550 5.1.1 <nobody@example.jp>: Recipient address rejected: User unknown
"""

# Exchange Online's NDR text (Microsoft's "Email non-delivery reports in Exchange Online"
# layout): "Sender Address:" under "Original Message Details" is ours, never a recipient.
EXCHANGE_ONLINE = """Your message to nobody@example.com couldn't be delivered.
nobody wasn't found at example.com.

More Info for Email Admins
Status code: 550 5.1.10

Original Message Details
Created Date:   12/2/2024 10:00:00 AM
Sender Address: news@example.org
Recipient Address:      nobody@example.com
Subject:        Newsletter

Error Details
Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@example.com not found by SMTP address lookup
DSN generated by:       AB1PR01MB1234.eurprd01.prod.exchangelabs.com

Original Message Headers
"""

# A German Exchange 2010: its own words above the administrators' part, the same
# "#550 5.1.1 RESOLVER..." line after it.
EXCHANGE_DE = """Die Zustellung an folgende Empfänger oder Gruppen ist fehlgeschlagen:

nobody@example.de
Die eingegebene E-Mail-Adresse wurde nicht gefunden.

Diagnoseinformationen für Administratoren:

Generierender Server: mail.example.de

nobody@example.de
#550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain ##
"""

# Oracle Communications Messaging Server's report as text (flattened), and its delay notice.
MESSAGING_SERVER = """This report relates to a message you sent with the following header fields:

  Message-id: <20241202.ABC@mail.example.org>
  From: news@example.org
  To: nobody@example.net
  Subject: Newsletter

Your message cannot be delivered to the following recipients:

  Recipient address: nobody@example.net
  Original address: nobody@example.net
  Reason: Remote SMTP server has rejected address
  Diagnostic code: smtp;550 5.1.1 <nobody@example.net>... User unknown
  Remote system: dns;mx.example.net (TCP|192.0.2.5|1234|192.0.2.9|25) (mx.example.net ESMTP)
"""

MESSAGING_SERVER_DELAY = """This report relates to a message you sent with the following header fields:

  From: news@example.org
  To: slow@example.net

Your message has been delayed and is still awaiting delivery
to the following recipients:

  Recipient address: slow@example.net
  Original address: slow@example.net
  Reason: Remote SMTP server refused the connection
"""

# smail 3's returned-mail notice.
SMAIL = """|------------------------- Failed addresses follow: ---------------------|
 nobody@example.com ... unknown user
 <who@nodomain.example> ... unknown host
|------------------------- Message text follows: ------------------------|
To: other@example.com
"""

# Domino's other reasons (sisimai's Domino module reads them so): a mail rule or
# forwarding that cannot route, a name matching several people, the Japanese directory.
DOMINO_REASON = """Your message

  Subject: Newsletter

was not delivered to:

  someone@example.com

because:

  {}
"""

# Notes' older "Failure Reasons" block.
NOTES_HOPS = """------- Failure Reasons  --------

Message has exceeded maximum hop count
someone@notes.example.com

------- Returned Message --------
"""

# hMailServer's SEND_FAILED_NOTIFICATION (its default server message), one block per
# recipient as SMTPClientConnection and ExternalDelivery write them.
HMAILSERVER = """Your message did not reach some or all of the intended recipients.

   Sent: Mon, 2 Dec 2024 10:00:00 +0100
   Subject: Newsletter

The following recipient(s) could not be reached:

nobody@example.net
   Error Type: SMTP
   Remote server (192.0.2.9) issued an error.
   hMailServer sent: RCPT TO:<nobody@example.net>
   Remote server replied: 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown

who@nodomain.example
   Error Type: SMTP
   Error Description: No mail servers appear to exists for the recipient's address.
   Additional information: Please check that you have not misspelled the recipient's email address.

lost@example.net
   Error Type: SMTP
   Error Description: Unable to find the recipient's email server. The DNS query has failed.

hMailServer
"""

# SmarterMail writes Kerio's layout ("Failed Recipient:" / "Reason:").
SMARTERMAIL = """Could not deliver message to the following recipient(s):

Failed Recipient: who@nodomain.example
Reason: Failed to connect to the recipients mail server. No MX records were found for the 'nodomain.example' domain.
Failed all attempts to connect to the recipients mail server.

Failed Recipient: slow@example.net
Reason: Failed four attempts to connect to recipients mail server
"""

# sendmail 8 with PIPELINING: RCPT and DATA went out together, so the RCPT's refusal
# stands under ">>> DATA". Its 5.1.1 still says the address (sisimai's UserUnknown:
# a x.1.1 status is userunknown whatever the command).
SENDMAIL_PIPELINED = """   ----- The following addresses had permanent fatal errors -----
nobody@example.net
    (reason: 550 5.1.1 <nobody@example.net>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> DATA
<<< 550 5.1.1 <nobody@example.net>... User unknown
550 5.1.1 nobody@example.net... User unknown
<<< 503 5.0.0 Need RCPT (recipient)
"""

# Mimecast's notice: "the following address could not be delivered" (one address:
# "address", not "addresses"), each item after "-- ".
MIMECAST = """An email that you attempted to send to the following address could not be delivered:
-- nobody@example.net

The problem appears to be :
-- Recipient email address is possibly incorrect

Additional information follows :
-- 5.1.1 User unknown
"""

# The layout sisimai calls "Unknown MTA #6".
X6 = """We had trouble delivering your message. Full details follow:

Subject: 'Newsletter'

1 error(s):

SMTP Server <mx.example.net> rejected recipient <nobody@example.net> (Error following RCPT command). \
It responded as follows: [550 5.1.1 User unknown]
"""

# BIGLOBE's filter refusing a message: sisimai's "filtered", not a dead mailbox.
BIGLOBE = """   ----- The following addresses had delivery problems -----
someone@example.ne.jp

   ----- Non-delivered information -----
Mail Delivery Failed... User unknown
"""

# Deutsche Telekom's smail 3 fork: the address alone in angle brackets, the reply below it.
DTAG = """|------------------------- Failed addresses follow: ---------------------|
 <full@t-online.example>
   552 5.2.2 <full@t-online.example> Quota exceeded (mailbox for user is full)

|------------------------- Message header follows: ----------------------|
To: other@example.com
"""

# Exchange 2010's delay notice under a subject that says nothing (a user's rule
# rewrote it, or a language no subject rule knows): its words say it is still trying.
EXCHANGE_DELAY = """Delivery is delayed to these recipients or groups:

slow@example.com

This message hasn't been delivered yet. Delivery will continue to be attempted.

Diagnostic information for administrators:

Generating server: mail.example.org

slow@example.com
Remote Server at mx.example.com (192.0.2.1) returned '400 4.4.7 Message delayed'
"""

# IIS SMTP service / Exchange 2003's delay notice, flattened.
IIS_DELAY = """This is an automatically generated Delivery Status Notification.

Delivery to the following recipients has been delayed.

       slow@example.com
"""

# Exim 3: "to all of its recipients", and "The\nfollowing address(es) failed" wrapped
# between the two words.
EXIM3 = """This message was created automatically by mail delivery software (Exim).

A message that you sent could not be delivered to all of its recipients. The
following address(es) failed:

  nobody@mail.example.org:
    unknown local-part "nobody" in domain "mail.example.org"
"""

# HAND-WRITTEN in the layout of the qmail clones sisimai calls "Unknown MTA #4": their
# own opening sentence, then qmail-remote's "<addr>:" entries as qmail writes them.
QMAIL_CLONE = """This is the machine generated message from mail service at mx.example.net.

<nobody@example.net>:
192.0.2.8 does not like recipient.
Remote host said: 550 5.1.1 <nobody@example.net>... User Unknown
Giving up on 192.0.2.8.

<lost@nodomain.example>:
Sorry, I couldn't find any host named nodomain.example. (#5.1.2)

--- Below this line is a copy of the message.

Return-Path: <bounce-42-3f9a2c1d-7@lists.example.org>
"""

# HAND-WRITTEN in Mail.Ru's layout (its Russian preamble above Exim's text), with two of
# Exim's own messages (transports/smtp.c, deliver.c) as the reasons.
MAILRU = """Это письмо создано автоматически
сервером Mail.Ru, отвечать на него не нужно.

К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:

**********************

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  someone@nodomain.example
    all host address lookups failed permanently
  local@example.ru
    delivery to pipe forbidden

------ This is a copy of the message, including all the headers. ------
"""

# HAND-WRITTEN in the layout sisimai calls "Unknown MTA #1": a gateway's summary with
# each refusal in brackets and no reply code nor command.
X1 = """The original message was received at Mon, 2 Dec 2024 10:00:00 +0900 (JST)
from news@example.org

---The following addresses had delivery errors---

nobody@example.co.jp [User unknown]
full@example.co.jp [Mailbox full]
"""

# HAND-WRITTEN in the layout of Verizon's SMS gateway (James's notice, no status, no command).
VTEXT = """Error: Invalid user address

Error message below:
550 - Requested action not taken: no such user here

Message details:
  Subject: News
  MAIL FROM: news@example.org
  RCPT TO: 5555550100@{domain}
"""

# (family, text, kind, [(address, reason, hard)])
CASES = [
    ("qmail", QMAIL, "bounce", [("nobody@example.net", "userunknown", True),
                                ("full@example.net", "mailboxfull", False)]),
    ("exim", EXIM, "bounce", [("gone@example.org", "userunknown", True),
                              ("fenced@example.org", "spamdetected", False)]),
    ("exim", EXIM_DELAY, "delay", [("slow@example.org", "blocked", False)]),
    ("sendmail", SENDMAIL, "bounce", [("nouser@example.com", "userunknown", True)]),
    ("sendmail", SENDMAIL_V5, "bounce", [("who@nodomain.example", "hostunknown", True)]),
    ("sendmail", SENDMAIL_V5_NOUSER, "bounce", [("vic@example.org", "userunknown", True)]),
    ("sendmail", SENDMAIL_V5_LOCAL, "bounce", [("vic@mail.example.net", "userunknown", True)]),
    ("opensmtpd", OPENSMTPD, "bounce", [("nosuch@example.com", "userunknown", True)]),
    ("opensmtpd", OPENSMTPD_DELAY, "delay", [("late@example.com", "systemerror", False)]),
    ("dma", DMA, "bounce", [("lost@nodomain.example", "hostunknown", True)]),
    ("postfix", POSTFIX, "bounce", [("nobody@example.com", "filtered", False)]),
    ("exchange2003", EXCHANGE2003, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("exchange", EXCHANGE, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("domino", DOMINO, "bounce", [("someone@example.com", "userunknown", True)]),
    ("interscan", INTERSCAN, "bounce", [("nobody@example.jp", "userunknown", True)]),
    ("mailmarshal", MAILMARSHAL, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("courier", COURIER, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("carrier", CARRIER, "bounce", [("full@au.example.jp", "mailboxfull", False)]),
    # A remote server's "550 ... No such user" quoted with no status and no SMTP
    # command: sisimai's "filtered" (it may be a filter refusing the message).
    ("generic", GENERIC, "bounce", [("nobody@example.com", "filtered", False)]),
    ("exim", GMX, "bounce", [("gone@example.de", "userunknown", True)]),
    ("sendmail", PROBLEMS, "bounce", [("full@example.ne.jp", "mailboxfull", False)]),
    ("amavis", AMAVIS, "bounce", [("someone@example.org", "virusdetected", False)]),
    ("surfcontrol", SURFCONTROL, "bounce", [("nobody@example.com", "filtered", False)]),
    ("communigate", COMMUNIGATE, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("groupwise", GROUPWISE, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("japanese", JAPANESE, "bounce", [("nobody@example.jp", "userunknown", True)]),
    ("james", JAMES, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("kerio", KERIO, "bounce", [("nobody@example.com", "userunknown", True),
                                ("busy@example.com", "toomanyconn", False)]),
    ("exim", EINS, "bounce", [("slow@example.es", "expired", False), ("late@example.es", "expired", False)]),
    ("exchange", EXCHANGE_ONLINE, "bounce", [("nobody@example.com", "userunknown", True)]),
    ("exchange", EXCHANGE_DE, "bounce", [("nobody@example.de", "hostunknown", True)]),
    ("messagingserver", MESSAGING_SERVER, "bounce", [("nobody@example.net", "userunknown", True)]),
    ("messagingserver", MESSAGING_SERVER_DELAY, "delay", [("slow@example.net", "expired", False)]),
    ("smail", SMAIL, "bounce", [("nobody@example.com", "userunknown", True),
                                ("who@nodomain.example", "hostunknown", True)]),
    ("domino", DOMINO_REASON.format("Cannot route mail to user (someone@example.com)"), "bounce",
     [("someone@example.com", "filtered", False)]),
    ("domino", DOMINO_REASON.format("Several matches found in Domino Directory"), "bounce",
     [("someone@example.com", "systemerror", False)]),
    ("domino", DOMINO_REASON.format("ユーザー someone は Domino ディレクトリには見つかりません"), "bounce",
     [("someone@example.com", "userunknown", True)]),
    ("domino", NOTES_HOPS, "bounce", [("someone@notes.example.com", "networkerror", False)]),
    # HAND-WRITTEN: Domino repeats its whole notice per failing recipient; each "because:" is its own.
    ("domino", DOMINO_REASON.format("User someone (someone@example.com) not listed in Domino Directory")
     + DOMINO_REASON.replace("someone@example.com", "other@example.net").format(
         "554 5.7.1 Rejected: 192.0.2.5 listed at zen.spamhaus.org"), "bounce",
     [("someone@example.com", "userunknown", True), ("other@example.net", "blocked", False)]),
    ("exchange2003", HMAILSERVER, "bounce", [("nobody@example.net", "userunknown", True),
                                             ("who@nodomain.example", "hostunknown", True),
                                             ("lost@example.net", "networkerror", False)]),
    ("kerio", SMARTERMAIL, "bounce", [("who@nodomain.example", "hostunknown", True),
                                      ("slow@example.net", "expired", False)]),
    ("sendmail", SENDMAIL_PIPELINED, "bounce", [("nobody@example.net", "userunknown", True)]),
    ("generic", MIMECAST, "bounce", [("nobody@example.net", "userunknown", True)]),
    ("x6", X6, "bounce", [("nobody@example.net", "userunknown", True)]),
    ("sendmail", BIGLOBE, "bounce", [("someone@example.ne.jp", "filtered", False)]),
    ("smail", DTAG, "bounce", [("full@t-online.example", "mailboxfull", False)]),
    ("exchange", EXCHANGE_DELAY, "delay", [("slow@example.com", "expired", False)]),
    ("generic", IIS_DELAY, "delay", [("slow@example.com", "expired", False)]),
    ("exim", EXIM3, "bounce", [("nobody@mail.example.org", "userunknown", True)]),
    ("exchange2003", EXCHANGE55, "bounce", [("group@example.co.jp", "filtered", False),
                                            ("nobody@example.co.jp", "userunknown", True),
                                            ("legacy@example.co.jp", "contenterror", False)]),
    ("exim", MAILRU, "bounce", [("someone@nodomain.example", "hostunknown", True),
                                ("local@example.ru", "systemerror", False)]),
    # sisimai's verdict on such a summary: "User unknown" that no command ties to the address
    # may be a filter's refusal of the message.
    ("x1", X1, "bounce", [("nobody@example.co.jp", "filtered", False), ("full@example.co.jp", "mailboxfull", False)]),
    # sisimai's TrendMicro (InterScanMSS) module reads InterScan's own line as an unknown user.
    ("interscan", INTERSCAN_NO_REPLY, "bounce", [("nobody@example.jp", "userunknown", True)]),
    # Verizon's gateway says so only of a number it does not serve (sisimai's Verizon module);
    # the same words from another James server are a reply passed on with no command.
    ("james", VTEXT.format(domain="vtext.com"), "bounce", [("5555550100@vtext.com", "userunknown", True)]),
    ("james", VTEXT.format(domain="sms.example.com"), "bounce", [("5555550100@sms.example.com", "filtered", False)]),
    ("qmail", QMAIL_CLONE, "bounce", [("nobody@example.net", "userunknown", True),
                                      ("lost@nodomain.example", "hostunknown", True)]),
    ("qmail", QMAIL_CLONE.replace("This is the machine generated message from mail service at mx.example.net.",
                                  "Unfortunately, your mail was not delivered to the following address:"),
     "bounce", [("nobody@example.net", "userunknown", True), ("lost@nodomain.example", "hostunknown", True)]),
]


@pytest.mark.parametrize("family, text, kind, expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_family_sample(family, text, kind, expected):
    assert _family_of(text) == family
    verdict = classify(prose_bounce(text))
    assert verdict.kind == kind
    assert [(r.address, r.reason, r.hard) for r in verdict.recipients] == expected


def test_every_family_has_a_sample():
    assert {c[0] for c in CASES} >= {f for f, _, _ in sections.FAMILIES}


def test_the_opening_nearest_the_top_wins():
    # An Exchange NDR that quotes a sendmail transcript further down is Exchange's.
    text = EXCHANGE2003 + "\n" + SENDMAIL.replace("nouser@example.com", "other@example.com")
    found = sections.read(Bounce(text, text, frozenset()))
    assert [f.address for f in found] == ["nobody@example.com"]


def test_our_own_and_sender_addresses_are_never_recipients():
    text = QMAIL.replace("<full@example.net>", "<news@example.org>")
    found = sections.read(Bounce(text, text, frozenset({"news@example.org"})))
    assert [f.address for f in found] == ["nobody@example.net"]


def test_a_sender_named_in_the_prose_is_not_a_recipient():
    text = "The following recipients could not be delivered because they are not accepting mail from " \
           "news@example.org:\n    screen\n"
    assert sections.read(Bounce(text, text, frozenset())) == []


def test_reason_given_above_the_list_applies_to_each_address():
    text = MAILMARSHAL.replace("    nobody@example.com\n", "    nobody@example.com\n    other@example.com\n")
    [a, b] = sections.read(Bounce(text, text, frozenset()))
    assert "550 5.1.1 User unknown" in a.diagnostic and "550 5.1.1 User unknown" in b.diagnostic


def _family_of(text: str) -> str:
    found = sorted((f == "generic", rx.search(text).start(), f) for f, rx, _ in sections.FAMILIES if rx.search(text))
    return found[0][2]


def test_generic_wording_counts_only_in_a_failure_notice():
    # HAND-WRITTEN: a person's reply, not a bounce; "the following address has changed"
    # is the generic family's wording, and the new address must not be disabled.
    text = "Hello,\n\nplease note that the following address has changed:\nmy new address is new@example.net.\n"
    raw = ("From: Someone <old@example.net>\nTo: news@example.org\nSubject: Re: Newsletter\n\n" + text).encode()
    verdict = classify(raw)
    assert verdict.kind == "other" and verdict.recipients == []
    assert sections.read(Bounce(text, text, frozenset(), notice=False)) == []
    # The same words from a mailer daemon are a notice.
    assert [f.address for f in sections.read(Bounce(text, text, frozenset()))] == ["new@example.net"]
