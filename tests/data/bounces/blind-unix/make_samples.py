"""Write the HAND-WRITTEN blind samples in this directory and expected.json.

    python tests/data/bounces/blind-unix/make_samples.py

Every message here is made up (addresses under example.*), laid out the way
each MTA's source or documentation writes its bounces; see README.md for the
source of each layout. The label of each sample was decided from DESIGN's
rule (hard only when the address itself is bad) before the classifier was run.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SENDER = "news@news.example.com"
DATE = "Wed, 2 Dec 2026 01:10:00 +0000"
SAMPLES: dict[str, tuple[str, dict]] = {}


def original(rcpt: str, mid: str, headers_only: bool = False) -> str:
    head = (f"Return-Path: <{SENDER}>\n"
            f"Received: from news.example.com (news.example.com [198.51.100.7])\n"
            f"\tby relay.example.com with ESMTP id 4Fx1; {DATE}\n"
            f"Message-ID: <{mid}@news.example.com>\n"
            f"From: Example News <{SENDER}>\n"
            f"To: {rcpt}\n"
            f"Subject: Your December newsletter\n"
            f"Date: {DATE}\n"
            f"MIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=us-ascii\n")
    return head if headers_only else head + "\nHello, this is the December newsletter.\n"


def add(name: str, text: str, kind: str, rcpts: list[tuple[str, str | None, bool]], mid: str | None) -> None:
    SAMPLES[name] = (text, {
        "kind": kind,
        "recipients": [{"address": a, "reason": r, "hard": h} for a, r, h in rcpts],
        "message_id": f"<{mid}@news.example.com>" if mid else None,
    })


# ---------------------------------------------------------------- Postfix
# bounce(8) templates: postfix/src/bounce/bounce_template.c and bounce.cf.default
PF_FAIL = """This is the mail system at host {host}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

"""
PF_DELAY = """This is the mail system at host {host}.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

"""
PF_SUCCESS = """This is the mail system at host {host}.

Your message was successfully delivered to the destination(s)
listed below. If the message was delivered to mailbox you will
receive no further notifications. Otherwise you may still receive
notifications of mail delivery errors from other systems.

                   The mail system

"""


def postfix(name: str, kind: str, rcpts: list[dict], labels: list[tuple[str, str | None, bool]],
            mbox: bool = False, subject: str | None = None, template: str = PF_FAIL,
            headers_only: bool = False) -> None:
    host, qid = "mail.example.net", "4Fx9Yq2kLzz1"
    mid = name.replace("/", "-").replace(".eml", "")
    bnd = f"{qid}.1796181000/{host}"
    subject = subject or {"bounce": "Undelivered Mail Returned to Sender",
                          "delay": "Delayed Mail (still being retried)",
                          "delivered": "Successful Mail Delivery Report"}[kind]
    human = "".join(r["human"] + "\n\n" for r in rcpts)
    fields = ""
    for r in rcpts:
        fields += f"\nFinal-Recipient: rfc822; {r['addr']}\n"
        if r.get("orig"):
            fields += f"Original-Recipient: rfc822;{r['orig']}\n"
        fields += f"Action: {r['action']}\nStatus: {r['status']}\n"
        if r.get("remote"):
            fields += f"Remote-MTA: dns; {r['remote']}\n"
        fields += f"Diagnostic-Code: {r['diag']}\n"
        if r["action"] == "delayed":
            fields += "Will-Retry-Until: Sun, 6 Dec 2026 21:10:00 +0000 (UTC)\n"
    text = (("From MAILER-DAEMON  Wed Dec  2 01:20:00 2026\n" if mbox else "") +
            f"Return-Path: <>\nDate: {DATE}\nFrom: MAILER-DAEMON@{host} (Mail Delivery System)\n"
            f"Subject: {subject}\nTo: {SENDER}\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            f"Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"{bnd}\"\n"
            f"Content-Transfer-Encoding: 8bit\nMessage-Id: <20261202012000.{qid}@{host}>\n\n"
            f"This is a MIME-encapsulated message.\n\n--{bnd}\nContent-Description: Notification\n"
            f"Content-Type: text/plain; charset=us-ascii\n\n{template.format(host=host)}{human}"
            f"--{bnd}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
            f"Reporting-MTA: dns; {host}\nX-Postfix-Queue-ID: {qid}\nX-Postfix-Sender: rfc822; {SENDER}\n"
            f"Arrival-Date: {DATE}\n{fields}\n--{bnd}\n"
            + ("Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n"
               if headers_only else
               "Content-Description: Undelivered Message\nContent-Type: message/rfc822\n")
            + "Content-Transfer-Encoding: 8bit\n\n"
            f"{original(rcpts[0]['addr'], mid, headers_only)}\n--{bnd}--\n")
    add(name, text, kind, labels, mid)


def pf_smtp(addr: str, mx: str, reply: str, status: str, cmd: str = "RCPT TO", action: str = "failed",
            verb: str = "said") -> dict:
    code = reply.split()[0]
    return {"addr": addr, "action": action, "status": status, "remote": mx,
            "human": f"<{addr}>: host {mx}[192.0.2.10] {verb}: {reply} (in reply to {cmd} command)",
            "diag": f"smtp; {reply}" if code.isdigit() else f"X-Postfix; {reply}"}


def pf_local(addr: str, text: str, status: str, action: str = "failed", orig: str | None = None) -> dict:
    exp = f" (expanded from <{orig}>)" if orig else ""
    return {"addr": addr, "action": action, "status": status, "orig": orig,
            "human": f"<{addr}>{exp}: {text}", "diag": f"X-Postfix; {text}"}


def make_postfix() -> None:
    a = "jdoe@example.org"
    postfix("postfix_smtp_userunknown.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"550 5.1.1 <{a}>: Recipient address rejected: User unknown in "
                     "virtual mailbox table", "5.1.1")], [(a, "userunknown", True)], mbox=True)
    g = "jane.roe@gmail.example"
    postfix("postfix_gmail_nosuchuser.eml", "bounce",
            [pf_smtp(g, "gmail-smtp-in.l.google.com", "550-5.1.1 The email account that you tried to reach does "
                     "not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or "
                     "550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  "
                     "https://support.google.com/mail/?p=NoSuchUser a1si2345678qkb.12 - gsmtp", "5.1.1")],
            [(g, "userunknown", True)])
    postfix("postfix_gmail_overquota.eml", "bounce",
            [pf_smtp(g, "gmail-smtp-in.l.google.com", "552-5.2.2 The email account that you tried to reach is "
                     "over quota and inactive. Please direct the recipient to 552 5.2.2  "
                     "https://support.google.com/mail/?p=OverQuotaPerm b2si99qkb.3 - gsmtp", "5.2.2",
                     cmd="end of DATA")], [(g, "mailboxfull", False)])
    postfix("postfix_gmail_disabled.eml", "bounce",
            [pf_smtp(g, "gmail-smtp-in.l.google.com", "550-5.2.1 The email account that you tried to reach is "
                     "disabled. Learn more at 550 5.2.1  https://support.google.com/mail/?p=DisabledUser "
                     "c3si77qkb.4 - gsmtp", "5.2.1")], [(g, "suspend", False)])
    o = "someone@contoso.example"
    postfix("postfix_o365_recipnotfound.eml", "bounce",
            [pf_smtp(o, "contoso-example.mail.protection.outlook.com",
                     "550 5.4.1 Recipient address rejected: Access denied. For more information see "
                     "https://aka.ms/EXOSmtpErrors [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
                     "5.4.1")], [(o, "userunknown", True)])
    postfix("postfix_spamhaus_550.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", "554 5.7.1 Service unavailable; Client host [198.51.100.9] "
                     "blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.9", "5.7.1")],
            [(a, "blocked", False)])
    postfix("postfix_relay_denied.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"554 5.7.1 <{a}>: Relay access denied", "5.7.1")],
            [(a, "norelaying", False)])
    postfix("postfix_sender_domain_notfound.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"450 4.1.8 <{SENDER}>: Sender address rejected: Domain not found"
                     .replace("450 4", "550 5"), "5.1.8", cmd="RCPT TO")], [(a, "rejected", False)])
    postfix("postfix_hostnotfound.eml", "bounce",
            [pf_local("info@no-such-domain.example", "Host or domain name not found. Name service error for "
                      "name=no-such-domain.example type=MX: Host not found", "5.4.4")],
            [("info@no-such-domain.example", "hostunknown", True)])
    postfix("postfix_nullmx.eml", "bounce",
            [pf_local("sales@nomail.example", "mail for nomail.example is not accepted: "
                      "the domain has a null MX", "5.1.10")],
            [("sales@nomail.example", "notaccept", True)])
    postfix("postfix_local_unknown_expanded.eml", "bounce",
            [pf_local("bob@example.net", "unknown user: \"bob\"", "5.1.1", orig="team@example.net")],
            [("bob@example.net", "userunknown", True)])
    postfix("postfix_local_quota.eml", "bounce",
            [pf_local("carol@example.net", "cannot update mailbox /var/mail/carol for user carol. "
                      "error writing message: Disk quota exceeded", "5.2.2")],
            [("carol@example.net", "mailboxfull", False)])
    postfix("postfix_dovecot_lmtp_quota.eml", "bounce",
            [{"addr": "dave@example.net", "action": "failed", "status": "5.2.2", "remote": "mail.example.net",
              "human": "<dave@example.net>: host mail.example.net[private/dovecot-lmtp] said: 552 5.2.2 "
                       "<dave@example.net> Quota exceeded (mailbox for user is full) (in reply to end of DATA "
                       "command)", "diag": "smtp; 552 5.2.2 <dave@example.net> Quota exceeded (mailbox for "
                       "user is full)"}], [("dave@example.net", "mailboxfull", False)])
    postfix("postfix_expired_timeout.eml", "bounce",
            [pf_local("erin@slow.example", "delivery temporarily suspended: connect to "
                      "mx.slow.example[192.0.2.44]:25: Connection timed out", "4.4.1")],
            [("erin@slow.example", "expired", False)])
    yahoo = "frank@yahoo.example"
    postfix("postfix_yahoo_tss04.eml", "bounce",
            [pf_smtp(yahoo, "mta7.am0.yahoodns.net", "421 4.7.0 [TSS04] Messages from 198.51.100.9 "
                     "temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see "
                     "https://postmaster.yahooinc.com/error-codes", "4.7.0", cmd="MAIL FROM")],
            [(yahoo, "rejected", False)])
    postfix("postfix_yahoo_dd_nouser.eml", "bounce",
            [pf_smtp(yahoo, "mta5.am0.yahoodns.net", f"554 delivery error: dd This user doesn't have a "
                     f"yahoo.com account ({yahoo}) [0] - mta1012.mail.bf1.yahoo.com", "5.0.0",
                     cmd="end of DATA")], [(yahoo, "userunknown", True)])
    postfix("postfix_spam_content.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", "550 5.7.1 Message rejected as spam by Content Filtering.",
                     "5.7.1", cmd="end of DATA")], [(a, "spamdetected", False)])
    postfix("postfix_generic_status_userunknown.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"550 5.7.1 <{a}>: Recipient address rejected: "
                     "No such user", "5.7.1")], [(a, "userunknown", True)])
    # two recipients, one unknown, one full
    postfix("postfix_two_recipients.eml", "bounce",
            [pf_smtp("ann@example.org", "mx1.example.org", "550 5.1.1 <ann@example.org>: Recipient address "
                     "rejected: User unknown in local recipient table", "5.1.1"),
             pf_smtp("ben@example.org", "mx1.example.org", "552 5.2.2 <ben@example.org>: Mailbox full",
                     "5.2.2")],
            [("ann@example.org", "userunknown", True), ("ben@example.org", "mailboxfull", False)])
    postfix("postfix_delay_greylist.eml", "delay",
            [pf_smtp(a, "mx1.example.org", f"450 4.2.0 <{a}>: Recipient address rejected: Greylisted, see "
                     "http://postgrey.schweikert.ch/help/example.org.html", "4.2.0", action="delayed")],
            [(a, None, False)])
    postfix("postfix_delay_unverified.eml", "delay",
            [pf_smtp(a, "mx1.example.org", f"450 4.1.1 <{a}>: Recipient address rejected: unverified "
                     "address: host mx9.example.org[192.0.2.99] said: 550 5.1.1 User unknown", "4.1.1",
                     action="delayed")], [(a, None, False)], template=PF_DELAY)
    postfix("postfix_delay_template.eml", "delay",
            [pf_local("gina@slow.example", "connect to mx.slow.example[192.0.2.44]:25: Connection refused",
                      "4.4.1", action="delayed")], [("gina@slow.example", None, False)], template=PF_DELAY,
            headers_only=True)
    postfix("postfix_success.eml", "delivered",
            [{"addr": a, "action": "relayed", "status": "2.0.0", "remote": "mx1.example.org",
              "human": f"<{a}>: delivery via mx1.example.org[192.0.2.10]:25: 250 2.0.0 Ok: queued as 9A8B7C",
              "diag": "smtp; 250 2.0.0 Ok: queued as 9A8B7C"}], [(a, None, False)], template=PF_SUCCESS)
    postfix("postfix_success_expanded.eml", "delivered",
            [{"addr": "list@example.net", "action": "expanded", "status": "2.0.0",
              "human": "<list@example.net>: alias expanded", "diag": "X-Postfix; alias expanded"}],
            [("list@example.net", None, False)], template=PF_SUCCESS)
    postfix("postfix_moved_551.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"551 5.1.6 <{a}>: Recipient address rejected: User has moved "
                     "to jdoe@example.com", "5.1.6")], [(a, "hasmoved", True)])


def postfix_old() -> None:
    """Postfix before 2.3: 'This is the Postfix program' and X-Postfix diagnostics."""
    host, a = "smtp.example.net", "old.user@example.org"
    for name, human, diag, lab in (
        ("postfix_old_userunknown.eml",
         f"<{a}>: host mx.example.org[192.0.2.12] said: 550 <{a}>: User unknown in local recipient table "
         "(in reply to RCPT TO command)", f"X-Postfix; host mx.example.org[192.0.2.12] said: 550 <{a}>: "
         "User unknown in local recipient table (in reply to RCPT TO command)", (a, "userunknown", True)),
        ("postfix_old_hostnotfound.eml",
         f"<{a}>: Name service error for name=example.org type=A: Host not found",
         "X-Postfix; Name service error for name=example.org type=A: Host not found",
         (a, "hostunknown", True)),
        ("postfix_old_mailboxfull.eml",
         f"<{a}>: host mx.example.org[192.0.2.12] said: 552 Requested mail action aborted: exceeded storage "
         "allocation (in reply to RCPT TO command)", "X-Postfix; host mx.example.org[192.0.2.12] said: 552 "
         "Requested mail action aborted: exceeded storage allocation (in reply to RCPT TO command)",
         (a, "mailboxfull", False)),
    ):
        mid = name[:-4]
        bnd = f"A1B2C3D4E5.1100000000/{host}"
        text = (f"Return-Path: <>\nDate: Mon, 5 Dec 2005 10:00:00 +0100 (CET)\n"
                f"From: MAILER-DAEMON@{host} (Mail Delivery System)\nSubject: Undelivered Mail Returned to "
                f"Sender\nTo: {SENDER}\nMIME-Version: 1.0\nContent-Type: multipart/report; "
                f"report-type=delivery-status;\n\tboundary=\"{bnd}\"\nMessage-Id: <20051205090000.A1B2C3D4E5@"
                f"{host}>\n\nThis is a MIME-encapsulated message.\n\n--{bnd}\nContent-Description: Notification\n"
                f"Content-Type: text/plain\n\nThis is the Postfix program at host {host}.\n\n"
                "I'm sorry to have to inform you that your message could not be\nbe delivered to one or more "
                "recipients. It's attached below.\n\nFor further assistance, please send mail to <postmaster>\n\n"
                "If you do so, please include this problem report. You can\ndelete your own text from the "
                "attached returned message.\n\n\t\t\tThe Postfix program\n\n"
                f"{human}\n\n--{bnd}\nContent-Description: Delivery error report\nContent-Type: "
                f"message/delivery-status\n\nReporting-MTA: dns; {host}\nX-Postfix-Queue-ID: A1B2C3D4E5\n"
                f"X-Postfix-Sender: rfc822; {SENDER}\nArrival-Date: Mon, 5 Dec 2005 09:59:58 +0100 (CET)\n\n"
                f"Final-Recipient: rfc822; {a}\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: {diag}\n\n"
                f"--{bnd}\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
                f"{original(a, mid)}\n--{bnd}--\n")
        add(name, text, "bounce", [lab], mid)
    # Postfix 1.x: multipart/mixed, no delivery-status part at all
    mid = "postfix_v1_userunknown"
    bnd = f"B7C8D9.1000000000/{host}"
    text = (f"Return-Path: <>\nDate: Tue, 9 Oct 2001 10:00:00 +0200 (CEST)\n"
            f"From: MAILER-DAEMON@{host} (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender\n"
            f"To: {SENDER}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{bnd}\"\n"
            f"Message-Id: <20011009080000.B7C8D9@{host}>\n\nThis is a MIME-encapsulated message.\n\n--{bnd}\n"
            "Content-Description: Notification\nContent-Type: text/plain\n\n"
            f"This is the Postfix program at host {host}.\n\n"
            "I'm sorry to have to inform you that the message returned\nbelow could not be delivered to one or "
            "more destinations.\n\nFor further assistance, please send mail to <postmaster>\n\n"
            "If you do so, please include this problem report. You can\ndelete your own text from the message "
            "returned below.\n\n\t\t\tThe Postfix program\n\n"
            f"<{a}>: host mx.example.org[192.0.2.12] said: 550 <{a}>... User unknown\n\n"
            f"--{bnd}\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
            f"{original(a, mid)}\n--{bnd}--\n")
    add("postfix_v1_userunknown.eml", text, "bounce", [(a, "userunknown", True)], mid)


# ---------------------------------------------------------------- sendmail
# sendmail/savemail.c (errbody), deliver.c; DSN part per RFC 3464.
SM_WARN = """    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

"""


def sendmail(name: str, kind: str, subject: str, body: str, recs: list[dict],
             labels: list[tuple[str, str | None, bool]], dsn: bool = True, headers_only: bool = False,
             mbox: bool = False) -> None:
    host, qid = "mail.example.net", "4B21A0x9012345"
    mid = name[:-4]
    bnd = f"{qid}.1796181001/{host}"
    first = recs[0]["addr"] if recs else labels[0][0]
    head = (("From MAILER-DAEMON Wed Dec  2 01:20:01 2026\n" if mbox else "") +
            f"Return-Path: <>\nReceived: from localhost (localhost)\n\tby {host} (8.17.1/8.17.1) id {qid};\n"
            f"\t{DATE}\nDate: {DATE}\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@{host}>\n"
            f"Message-Id: <202612020110.{qid}@{host}>\nTo: <{SENDER}>\n")
    if not dsn:
        text = (head + f"Subject: {subject}\nAuto-Submitted: auto-generated (failure)\n\n{body}\n"
                + "   ----- Original message follows -----\n\n" + original(first, mid))
        add(name, text, kind, labels, mid)
        return
    fields = ""
    for r in recs:
        fields += f"\nFinal-Recipient: RFC822; {r['addr']}\n"
        if r.get("orig"):
            fields += f"X-Actual-Recipient: RFC822; {r['orig']}\n"
        fields += f"Action: {r['action']}\nStatus: {r['status']}\n"
        if r.get("remote"):
            fields += f"Remote-MTA: DNS; {r['remote']}\n"
        if r.get("diag"):
            fields += f"Diagnostic-Code: SMTP; {r['diag']}\n"
        fields += f"Last-Attempt-Date: {DATE}\n"
        if r["action"] == "delayed":
            fields += "Will-Retry-Until: Mon, 7 Dec 2026 01:10:00 +0000\n"
    text = (head + "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n"
            f"\tboundary=\"{bnd}\"\nSubject: {subject}\nAuto-Submitted: auto-generated (failure)\n\n"
            f"This is a MIME-encapsulated message\n\n--{bnd}\n\n{body}\n--{bnd}\n"
            f"Content-Type: message/delivery-status\n\nReporting-MTA: dns; {host}\n"
            f"Received-From-MTA: DNS; news.example.com\nArrival-Date: {DATE}\n{fields}\n--{bnd}\n"
            + ("Content-Type: text/rfc822-headers\n\n" if headers_only else "Content-Type: message/rfc822\n\n")
            + original(first, mid, headers_only) + f"\n--{bnd}--\n\n")
    add(name, text, kind, labels, mid)


def sm_body(perm: str, transcript: str, warn: bool = False) -> str:
    out = SM_WARN if warn else ""
    out += ("The original message was received at Wed, 2 Dec 2026 01:09:58 GMT\n"
            "from news.example.com [198.51.100.7]\n\n")
    if perm:
        out += f"   ----- The following addresses had permanent fatal errors -----\n{perm}\n"
    return out + f"   ----- Transcript of session follows -----\n{transcript}\n"


def make_sendmail() -> None:
    a = "pat@example.org"
    sendmail("sendmail_remote_userunknown.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 550 5.1.1 <{a}>... User unknown)\n",
                     f"... while talking to mx.example.org.:\n>>> DATA\n<<< 550 5.1.1 <{a}>... User unknown\n"
                     f"550 5.1.1 <{a}>... User unknown\n<<< 503 5.0.0 Need RCPT (recipient)"),
             [{"addr": a, "action": "failed", "status": "5.1.1", "remote": "mx.example.org",
               "diag": f"550 5.1.1 <{a}>... User unknown"}], [(a, "userunknown", True)], mbox=True)
    sendmail("sendmail_local_userunknown.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<pat@mail.example.net>\n", "550 5.1.1 <pat@mail.example.net>... User unknown"),
             [{"addr": "pat@mail.example.net", "action": "failed", "status": "5.1.1"}],
             [("pat@mail.example.net", "userunknown", True)])
    sendmail("sendmail_hostunknown.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<info@no-such-domain.example>\n",
                     "550 5.1.2 <info@no-such-domain.example>... Host unknown (Name server: "
                     "no-such-domain.example: host not found)"),
             [{"addr": "info@no-such-domain.example", "action": "failed", "status": "5.1.2"}],
             [("info@no-such-domain.example", "hostunknown", True)])
    sendmail("sendmail_mailboxfull_procmail.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<quinn@mail.example.net>\n    (reason: Service unavailable)\n",
                     "procmail: Quota exceeded while writing \"/var/spool/mail/quinn\"\n"
                     "550 5.0.0 <quinn@mail.example.net>... Can't create output"),
             [{"addr": "quinn@mail.example.net", "action": "failed", "status": "5.0.0",
               "orig": "quinn@mail.example.net"}], [("quinn@mail.example.net", "mailboxfull", False)],
             headers_only=True)
    sendmail("sendmail_remote_mailboxfull.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 552 5.2.2 Mailbox full)\n",
                     "... while talking to mx.example.org.:\n>>> DATA\n<<< 552 5.2.2 Mailbox full\n"
                     "554 5.0.0 Service unavailable"),
             [{"addr": a, "action": "failed", "status": "5.2.2", "remote": "mx.example.org",
               "diag": "552 5.2.2 Mailbox full"}], [(a, "mailboxfull", False)])
    sendmail("sendmail_relaydenied.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 550 5.7.1 <{a}>... Relaying denied)\n",
                     f"... while talking to mx.example.org.:\n>>> RCPT To:<{a}>\n<<< 550 5.7.1 <{a}>... "
                     f"Relaying denied\n550 5.1.1 <{a}>... User unknown"),
             [{"addr": a, "action": "failed", "status": "5.7.1", "remote": "mx.example.org",
               "diag": f"550 5.7.1 <{a}>... Relaying denied"}], [(a, "norelaying", False)])
    sendmail("sendmail_blocked_ip.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 554 5.7.1 Rejected 198.51.100.9 found in dnsbl.sorbs.net)\n",
                     f"... while talking to mx.example.org.:\n>>> MAIL From:<{SENDER}> SIZE=1200\n"
                     "<<< 554 5.7.1 Rejected 198.51.100.9 found in dnsbl.sorbs.net\n"
                     f"554 5.0.0 Service unavailable"),
             [{"addr": a, "action": "failed", "status": "5.7.1", "remote": "mx.example.org",
               "diag": "554 5.7.1 Rejected 198.51.100.9 found in dnsbl.sorbs.net"}], [(a, "blocked", False)])
    sendmail("sendmail_sender_domain.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 553 5.1.8 <{SENDER}>... Domain of sender address {SENDER} "
                     "does not exist)\n",
                     f"... while talking to mx.example.org.:\n>>> MAIL From:<{SENDER}>\n<<< 553 5.1.8 "
                     f"<{SENDER}>... Domain of sender address {SENDER} does not exist\n"
                     f"501 5.6.0 Data format error"),
             [{"addr": a, "action": "failed", "status": "5.1.8", "remote": "mx.example.org",
               "diag": f"553 5.1.8 <{SENDER}>... Domain of sender address {SENDER} does not exist"}],
             [(a, "rejected", False)])
    sendmail("sendmail_expired.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<rita@slow.example>\n    (reason: Connection timed out)\n",
                     "<rita@slow.example>... Deferred: Connection timed out with mx.slow.example.\n"
                     "Message could not be delivered for 5 days\nMessage will be deleted from queue"),
             [{"addr": "rita@slow.example", "action": "failed", "status": "4.4.7"}],
             [("rita@slow.example", "expired", False)])
    sendmail("sendmail_delay_warning.eml", "delay", "Warning: could not send message for past 4 hours",
             sm_body("", "<rita@slow.example>... Deferred: Connection timed out with mx.slow.example.\n"
                     "Warning: message still undelivered after 4 hours\n"
                     "Will keep trying until message is 5 days old", warn=True),
             [{"addr": "rita@slow.example", "action": "delayed", "status": "4.4.1"}],
             [("rita@slow.example", None, False)], headers_only=True)
    sendmail("sendmail_two_recipients.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<sam@example.org>\n    (reason: 550 5.1.1 <sam@example.org>... User unknown)\n"
                     "<tom@example.org>\n    (reason: 550 5.7.1 Message rejected due to content restrictions)\n",
                     "... while talking to mx.example.org.:\n>>> RCPT To:<sam@example.org>\n"
                     "<<< 550 5.1.1 <sam@example.org>... User unknown\n550 5.1.1 <sam@example.org>... User "
                     "unknown\n>>> DATA\n<<< 550 5.7.1 Message rejected due to content restrictions\n"
                     "554 5.0.0 Service unavailable"),
             [{"addr": "sam@example.org", "action": "failed", "status": "5.1.1", "remote": "mx.example.org",
               "diag": "550 5.1.1 <sam@example.org>... User unknown"},
              {"addr": "tom@example.org", "action": "failed", "status": "5.7.1", "remote": "mx.example.org",
               "diag": "550 5.7.1 Message rejected due to content restrictions"}],
             [("sam@example.org", "userunknown", True), ("tom@example.org", "policyviolation", False)])
    sendmail("sendmail_exchange_recipnotfound.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
                     "SMTP address lookup)\n",
                     f"... while talking to example-org.mail.protection.outlook.com.:\n>>> RCPT To:<{a}>\n"
                     "<<< 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address "
                     f"lookup\n550 5.1.1 <{a}>... User unknown"),
             [{"addr": a, "action": "failed", "status": "5.1.10",
               "remote": "example-org.mail.protection.outlook.com",
               "diag": "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"}],
             [(a, "userunknown", True)])
    # Without MIME/DSN (sendmail 8 when the sender did not ask for a DSN and SendMimeErrors is off)
    sendmail("sendmail_nodsn_userunknown.eml", "bounce", "Returned mail: User unknown",
             sm_body(f"<{a}>\n", f"... while talking to mx.example.org.:\n>>> RCPT To:<{a}>\n"
                     f"<<< 550 5.1.1 <{a}>... User unknown\n550 5.1.1 <{a}>... User unknown"), [],
             [(a, "userunknown", True)], dsn=False)
    sendmail("sendmail_nodsn_hostunknown.eml", "bounce",
             "Returned mail: Host unknown (Name server: nowhere.example: host not found)",
             sm_body("<joe@nowhere.example>\n", "550 <joe@nowhere.example>... Host unknown (Name server: "
                     "nowhere.example: host not found)"), [], [("joe@nowhere.example", "hostunknown", True)],
             dsn=False)
    sendmail("sendmail_nodsn_expired.eml", "bounce", "Returned mail: Cannot send message for 5 days",
             sm_body("", "----- Transcript of session follows -----\n<uma@slow.example>... Deferred: "
                     "Connection refused by mx.slow.example.\nMessage could not be delivered for 5 days\n"
                     "Message will be deleted from queue").replace(
                         "   ----- Transcript of session follows -----\n----- Transcript", "   ----- Transcript"),
             [], [("uma@slow.example", "expired", False)], dsn=False)


def make_sendmail_v5() -> None:
    """sendmail 5.x: no MIME, 'Unsent message follows', Subject carries the error."""
    for name, subj, line, lab in (
        ("sendmail5_userunknown.eml", "Returned mail: User unknown",
         "550 vic@example.org... User unknown", ("vic@example.org", "userunknown", True)),
        ("sendmail5_hostunknown.eml", "Returned mail: Host unknown",
         "550 vic@nowhere.example... Host unknown", ("vic@nowhere.example", "hostunknown", True)),
        ("sendmail5_remote_full.eml", "Returned mail: Service unavailable",
         ">>> RCPT To:<vic@example.org>\n<<< 552 <vic@example.org>... Mailbox full\n"
         "554 vic@example.org... Service unavailable", ("vic@example.org", "mailboxfull", False)),
    ):
        mid = name[:-4]
        text = ("From MAILER-DAEMON Thu Mar  6 10:00:00 1997\n"
                "Return-Path: <MAILER-DAEMON>\nReceived: from localhost by mail.example.net (5.65/1.35)\n"
                "\tid AA01234; Thu, 6 Mar 97 10:00:00 +0100\nDate: Thu, 6 Mar 97 10:00:00 +0100\n"
                "From: Mail Delivery Subsystem <MAILER-DAEMON>\n"
                f"Subject: {subj}\nMessage-Id: <9703060900.AA01234@mail.example.net>\nTo: {SENDER}\n\n"
                "   ----- Transcript of session follows -----\n"
                f"{line}\n\n   ----- Unsent message follows -----\n" + original(lab[0], mid))
        add(name, text, "bounce", [lab], mid)


# ---------------------------------------------------------------- qmail
# qmail-send.c (bounce text), qmail-remote.c, qmail-local.c; vpopmail vdelivermail.c;
# qmail-ldap qmail-local; Plesk ships the same qmail-send wording.
def qmail(name: str, blocks: list[str], labels: list[tuple[str, str | None, bool]], host: str = "mail.example.net",
          mbox: bool = False, subject: str = "failure notice") -> None:
    mid = name[:-4]
    first = labels[0][0]
    text = (("From MAILER-DAEMON Wed Dec  2 01:20:02 2026\n" if mbox else "") +
            f"Return-Path: <>\nReceived: (qmail 12345 invoked for bounce); 2 Dec 2026 01:20:02 -0000\n"
            f"Date: 2 Dec 2026 01:20:02 -0000\nFrom: MAILER-DAEMON@{host}\nTo: {SENDER}\n"
            f"Subject: {subject}\n\nHi. This is the qmail-send program at {host}.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            + "".join(b + "\n" for b in blocks)
            + "--- Below this line is a copy of the message.\n\n" + original(first, mid))
    add(name, text, "bounce", labels, mid)


def make_qmail() -> None:
    a = "wes@example.org"
    qmail("qmail_local_nomailbox.eml", ["<wes@mail.example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n"],
          [("wes@mail.example.net", "userunknown", True)], mbox=True)
    qmail("qmail_remote_userunknown.eml", [f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: "
                                           f"550 5.1.1 <{a}>: Recipient address rejected: User unknown in "
                                           "virtual mailbox table\nGiving up on 192.0.2.20.\n"],
          [(a, "userunknown", True)])
    qmail("qmail_hostunknown.eml", ["<xia@no-such-domain.example>:\nSorry, I couldn't find any host named "
                                    "no-such-domain.example. (#5.1.2)\n"],
          [("xia@no-such-domain.example", "hostunknown", True)])
    qmail("qmail_nomx.eml", ["<xia@nomail.example>:\nSorry, I couldn't find a mail exchanger or IP address. "
                             "(#5.4.4)\n"], [("xia@nomail.example", "hostunknown", True)])
    qmail("qmail_expired.eml", ["<yan@slow.example>:\nSorry, I wasn't able to establish an SMTP connection. "
                                "(#4.4.1)\nI'm not going to try again; this message has been in the queue too "
                                "long.\n"], [("yan@slow.example", "expired", False)])
    qmail("qmail_sender_rejected.eml", [f"<{a}>:\nConnected to 192.0.2.20 but sender was rejected.\nRemote host "
                                        "said: 553 sorry, your envelope sender domain must exist (#5.7.1)\n"],
          [(a, "rejected", False)])
    qmail("qmail_after_data_spam.eml", [f"<{a}>:\n192.0.2.20 failed after I sent the message.\nRemote host "
                                        "said: 554 5.7.1 Message rejected because it looks like spam\n"],
          [(a, "spamdetected", False)])
    qmail("qmail_after_data_full.eml", [f"<{a}>:\n192.0.2.20 failed after I sent the message.\nRemote host "
                                        f"said: 552 5.2.2 <{a}>: Mailbox full\n"], [(a, "mailboxfull", False)])
    qmail("qmail_blocked_ip.eml", [f"<{a}>:\nConnected to 192.0.2.20 but greeting failed.\nRemote host said: 554 "
                                   "mx.example.org ESMTP not accepting messages from 198.51.100.9: listed at "
                                   "bl.spamcop.net\n"], [(a, "blocked", False)])
    qmail("qmail_relay_denied.eml", [f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: 553 sorry, "
                                     "that domain isn't in my list of allowed rcpthosts (#5.7.1)\nGiving up on "
                                     "192.0.2.20.\n"], [(a, "norelaying", False)])
    qmail("qmail_loop.eml", ["<zed@mail.example.net>:\nThis message is looping: it already has my Delivered-To "
                             "line. (#5.4.6)\n"], [("zed@mail.example.net", "systemerror", False)])
    qmail("qmail_two_recipients.eml", ["<wes@mail.example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
                                       f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: 552 5.2.2 "
                                       f"<{a}>... Mailbox quota exceeded\nGiving up on 192.0.2.20.\n"],
          [("wes@mail.example.net", "userunknown", True), (a, "mailboxfull", False)])
    # vpopmail (vdelivermail)
    qmail("vpopmail_nomailbox.eml", ["<ada@hosted.example>:\nSorry, no mailbox here by that name. vpopmail "
                                     "(#5.1.1)\n"], [("ada@hosted.example", "userunknown", True)])
    qmail("vpopmail_overquota.eml", ["<ada@hosted.example>:\nUser over quota. (#5.1.1)\n"],
          [("ada@hosted.example", "mailboxfull", False)])
    qmail("vpopmail_chkuser.eml", [f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: 511 sorry, "
                                   "no mailbox here by that name (#5.1.1 - chkuser)\nGiving up on 192.0.2.20.\n"],
          [(a, "userunknown", True)])
    # qmail-ldap
    qmail("qmailldap_quota.eml", ["<bea@ldap.example>:\nThe users mailfolder is over the allowed quota (size). "
                                  "(#5.2.2)\n"], [("bea@ldap.example", "mailboxfull", False)])
    qmail("qmailldap_disabled.eml", ["<bea@ldap.example>:\nMailaddress is administrativly disabled. (#5.2.1)\n"],
          [("bea@ldap.example", "suspend", False)])
    qmail("qmailldap_nomailbox.eml", ["<cat@ldap.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n"],
          [("cat@ldap.example", "userunknown", True)], host="ldap.example")
    # Plesk's qmail: same qmail-send text, Plesk's mailbox handler messages
    qmail("plesk_mailbox_full.eml", ["<dan@plesk.example>:\nmailbox is full\n"],
          [("dan@plesk.example", "mailboxfull", False)], host="plesk.example")
    qmail("plesk_remote_gmail_unknown.eml", ["<dan@gmail.example>:\n209.85.1.27 does not like recipient.\n"
                                             "Remote host said: 550-5.1.1 The email account that you tried to "
                                             "reach does not exist. Please try\n550-5.1.1 double-checking the "
                                             "recipient's email address for typos or\n550-5.1.1 unnecessary "
                                             "spaces. Learn more at\n550 5.1.1  https://support.google.com/mail/"
                                             "?p=NoSuchUser d9si1qkb.20 - gsmtp\nGiving up on 209.85.1.27.\n"],
          [("dan@gmail.example", "userunknown", True)], host="plesk.example")


# ---------------------------------------------------------------- Exim
# exim/src/deliver.c (bounce and warning text, DSN part), Exim test suite mail/ outputs.
def exim(name: str, kind: str, failed: list[tuple[str, str]], labels: list[tuple[str, str | None, bool]],
         dsn: bool = True, v3: bool = False, mbox: bool = False, intro: str | None = None,
         subject: str | None = None, dsn_status: str | None = None) -> None:
    host = "mx.example.net"
    mid = name[:-4]
    bnd = "1796181003-eximdsn-1234567890"
    delay = kind == "delay"
    xfailed = "" if delay else "X-Failed-Recipients: " + ",\n  ".join(a for a, _ in failed) + "\n"
    subject = subject or ("Warning: message 1tHxYz-000AbC-7Q delayed 24 hours" if delay
                          else "Mail delivery failed: returning message to sender")
    rcv = ("Received: from mail by mx.example.net with local (Exim 3.36 #1 (Debian))\n\tid 19AbCd-0001Xy-00; "
           f"{DATE}\n" if v3 else
           f"Received: from Debian-exim by {host} with local (Exim 4.96)\n\tid 1tHyAa-000DeF-2k\n"
           f"\tfor {SENDER};\n\t{DATE}\n")
    head = (("From MAILER-DAEMON Wed Dec  2 01:20:03 2026\n" if mbox else "") +
            f"Return-path: <>\nEnvelope-to: {SENDER}\nDelivery-date: {DATE}\n{rcv}{xfailed}"
            "Auto-Submitted: auto-replied\n" + f"From: Mail Delivery System <Mailer-Daemon@{host}>\n"
            f"To: {SENDER}\n")
    if delay:
        human = ("This message was created automatically by mail delivery software.\n"
                 "A message that you sent has not yet been delivered to one or more of its\n"
                 f"recipients after more than 24 hours on the queue on {host}.\n\n"
                 "The message identifier is:     1tHxYz-000AbC-7Q\n"
                 "The subject of the message is: Your December newsletter\n"
                 f"The date of the message is:    {DATE}\n\n"
                 "The address to which the message has not yet been delivered is:\n\n"
                 + "".join(f"  {a}\n    {t}\n" for a, t in failed) +
                 "\nNo action is required on your part. Delivery attempts will continue for\n"
                 "some time, and this warning may be repeated at intervals if the message\n"
                 "remains undelivered. Eventually the mail delivery software will give up,\n"
                 "and when that happens, the message will be returned to you.\n")
    else:
        human = intro or ("This message was created automatically by mail delivery software.\n\n"
                          + ("A message that you sent could not be delivered to all of its recipients. This is "
                             "a permanent error. The following address(es) failed:\n\n" if v3 else
                             "A message that you sent could not be delivered to one or more of its\n"
                             "recipients. This is a permanent error. The following address(es) failed:\n\n"))
        human += "".join(f"  {a}\n    {t}\n" for a, t in failed)
    if not dsn:
        text = (head + f"Subject: {subject}\nMessage-Id: <E1tHyAa-000DeF-2k@{host}>\nDate: {DATE}\n\n" + human
                + "\n------ This is a copy of the message, including all the headers. ------\n\n"
                + original(failed[0][0], mid))
        add(name, text, kind, labels, mid)
        return
    fields = ""
    for a, t in failed:
        fields += (f"\nAction: {'delayed' if delay else 'failed'}\nFinal-Recipient: rfc822;{a}\n"
                   f"Status: {dsn_status or ('4.0.0' if delay else '5.0.0')}\n")
        if "SMTP error" in t or "host " in t:
            reply = t.split(":\n    ")[-1].replace("\n    ", " ") if ":\n    " in t else t
            fields += f"Remote-MTA: dns; mx.remote.example\nDiagnostic-Code: smtp; {reply}\n"
    text = (head + f"Content-Type: multipart/report; report-type=delivery-status; boundary={bnd}\n"
            f"MIME-Version: 1.0\nSubject: {subject}\nMessage-Id: <E1tHyAa-000DeF-2k@{host}>\nDate: {DATE}\n\n"
            f"--{bnd}\nContent-type: text/plain; charset={'us-ascii' if human.isascii() else 'utf-8'}\n"
            + ("" if human.isascii() else "Content-Transfer-Encoding: 8bit\n")
            + f"\n{human}\n--{bnd}\n"
            f"Content-type: message/delivery-status\n\nReporting-MTA: dns; {host}\n{fields}\n--{bnd}\n"
            + ("Content-type: text/rfc822-headers\n\n" + original(failed[0][0], mid, True) if delay else
               "Content-type: message/rfc822\n\n" + original(failed[0][0], mid))
            + f"\n--{bnd}--\n")
    add(name, text, kind, labels, mid)


def smtp_err(cmd: str, reply: str, v3: bool = False) -> str:
    if v3:
        return f"SMTP error from remote mailer after {cmd}:\n    host mx.remote.example [192.0.2.30]: {reply}"
    return f"host mx.remote.example [192.0.2.30]\n    SMTP error from remote mail server after {cmd}:\n    {reply}"


def make_exim() -> None:
    a = "kim@example.org"
    exim("exim_rcpt_userunknown.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", f"550 5.1.1 <{a}>: Recipient address rejected: User unknown in "
                       "local recipient table"))], [(a, "userunknown", True)], mbox=True)
    exim("exim_unrouteable.eml", "bounce", [("lee@no-such-domain.example", "Unrouteable address")],
         [("lee@no-such-domain.example", "hostunknown", True)])
    exim("exim_mx_nonexistent.eml", "bounce",
         [("lee@badmx.example", "all relevant MX records point to non-existent hosts")],
         [("lee@badmx.example", "hostunknown", True)])
    exim("exim_local_full.eml", "bounce", [("max@mx.example.net", "mailbox is full: retry timeout exceeded")],
         [("max@mx.example.net", "mailboxfull", False)])
    exim("exim_retry_timeout.eml", "bounce",
         [("ned@slow.example", "retry timeout exceeded")], [("ned@slow.example", "expired", False)])
    exim("exim_retry_not_reached.eml", "bounce",
         [("ned@slow.example", "all hosts for 'slow.example' have been failing for a long time (and retry "
           "time not reached)")], [("ned@slow.example", "expired", False)])
    exim("exim_cpanel_nosuchuser.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "550 No Such User Here\"\""))], [(a, "userunknown", True)])
    exim("exim_spam_after_data.eml", "bounce",
         [(a, smtp_err("end of data", "550 5.7.1 Your message was rejected because it appears to be spam"))],
         [(a, "spamdetected", False)])
    exim("exim_spamhaus_mailfrom.eml", "bounce",
         [(a, smtp_err(f"MAIL FROM:<{SENDER}> SIZE=2345", "550 5.7.1 Service unavailable; client "
                       "[198.51.100.9] blocked using zen.spamhaus.org"))], [(a, "blocked", False)])
    exim("exim_sender_verify.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", f"550 Verification failed for <{SENDER}>\n    550 Unrouteable address"
                       "\n    550 Sender verify failed"))], [(a, "rejected", False)])
    exim("exim_lmtp_quota.eml", "bounce",
         [("max@mx.example.net", "LMTP error after end of data:\n    552 5.2.2 <max@mx.example.net> Quota "
           "exceeded (mailbox for user is full)")], [("max@mx.example.net", "mailboxfull", False)])
    exim("exim_o365_recipnotfound.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient "
                       f"{a} not found by SMTP address lookup"))], [(a, "userunknown", True)])
    exim("exim_generated_from.eml", "bounce",
         [("old.staff@example.org", "(generated from staff@mx.example.net)\n    " + smtp_err(
             "RCPT TO:<old.staff@example.org>", "550 5.1.1 <old.staff@example.org>: Recipient address "
             "rejected: User unknown"))], [("old.staff@example.org", "userunknown", True)])
    exim("exim_two_recipients.eml", "bounce",
         [("one@example.org", smtp_err("RCPT TO:<one@example.org>", "550 5.1.1 <one@example.org>: Recipient "
                                       "address rejected: User unknown")),
          ("two@example.org", smtp_err("RCPT TO:<two@example.org>", "452 4.2.2 <two@example.org>: Mailbox "
                                       "full").replace("452 4.2.2", "552 5.2.2"))],
         [("one@example.org", "userunknown", True), ("two@example.org", "mailboxfull", False)])
    exim("exim_nodsn_userunknown.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", f"550 5.1.1 <{a}>... User unknown"))], [(a, "userunknown", True)],
         dsn=False)
    exim("exim_nodsn_blocked.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "554 5.7.1 Client host rejected: cannot find your reverse hostname, "
                       "[198.51.100.9]"))], [(a, "requireptr", False)], dsn=False)
    exim("exim_delay_greylist.eml", "delay",
         [(a, "host mx.remote.example [192.0.2.30]\n    Delay reason: SMTP error from remote mail server after "
           f"RCPT TO:<{a}>:\n    451 4.7.1 Greylisting in action, please come back later")],
         [(a, None, False)])
    exim("exim_delay_nodsn.eml", "delay",
         [("ned@slow.example", "Delay reason: Connection timed out")], [("ned@slow.example", None, False)],
         dsn=False)
    # Exim 3: no DSN part
    exim("exim3_userunknown.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "550 5.1.1 <kim@example.org>... User unknown", v3=True))],
         [(a, "userunknown", True)], dsn=False, v3=True)
    exim("exim3_unrouteable_domain.eml", "bounce", [("lee@no-such-domain.example", "unrouteable mail domain "
                                                     "\"no-such-domain.example\"")],
         [("lee@no-such-domain.example", "hostunknown", True)], dsn=False, v3=True)
    exim("exim3_mailboxfull.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "552 5.2.2 Mailbox quota exceeded", v3=True))],
         [(a, "mailboxfull", False)], dsn=False, v3=True)
    # Localised bounce_message_file texts (the DSN part stays Exim's own)
    exim("exim_de_userunknown.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", f"550 5.1.1 <{a}>: Recipient address rejected: User unknown"))],
         [(a, "userunknown", True)], subject="Unzustellbare Nachricht: Zustellung fehlgeschlagen",
         intro="Diese Nachricht wurde automatisch vom Mailsystem erstellt.\n\n"
               "Eine von Ihnen gesendete Nachricht konnte nicht an alle Empfänger\n"
               "zugestellt werden. Dies ist ein dauerhafter Fehler. Folgende Adresse(n)\n"
               "sind fehlgeschlagen:\n\n")
    exim("exim_fr_mailboxfull.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "552 5.2.2 Boite aux lettres pleine / mailbox full"))],
         [(a, "mailboxfull", False)], subject="Echec de distribution du message",
         intro="Ce message a été créé automatiquement par le logiciel de distribution du courrier.\n\n"
               "Un message que vous avez envoyé n'a pas pu être distribué à un ou plusieurs\n"
               "destinataires. Il s'agit d'une erreur permanente. Les adresses suivantes\n"
               "ont échoué :\n\n")


# ---------------------------------------------------------------- Courier
# courier/module.dsn/dsn.c and its message templates
def courier(name: str, kind: str, rcpts: list[tuple[str, str, str, str]], labels: list[tuple[str, str | None, bool]],
            ) -> None:
    host = "mta.example.net"
    mid = name[:-4]
    bnd = "=_courier_0"
    title, intro = (("DELAYED MAIL", "Your message to the following recipients has not been delivered yet.\n"
                     "Delivery attempts will continue for some time, and you will be\nnotified if the message "
                     "cannot be delivered.\n") if kind == "delay" else
                    ("UNDELIVERABLE MAIL", "Your message to the following recipients cannot be delivered:\n"))
    human = "".join(f"<{a}>:\n{t}\n\n" for a, _, _, t in rcpts)
    fields = "".join(f"\nFinal-Recipient: rfc822; {a}\nAction: {'delayed' if kind == 'delay' else 'failed'}\n"
                     f"Status: {st}\n" + (f"Remote-MTA: dns; mx.remote.example\nDiagnostic-Code: smtp; {d}\n"
                                          if d else "") for a, st, d, _ in rcpts)
    text = (f"Return-Path: <>\nReceived: from localhost (localhost [127.0.0.1])\n"
            f"  (ftp://ftp.isi.edu/in-notes/rfc1894.txt)\n  by {host} with dsn; {DATE}\n"
            "  id 00AB12CD.5F6E7D8C.0000C0DE\n"
            f"From: Courier mail server at {host} <@>\nTo: {SENDER}\nSubject: NOTICE: mail delivery status.\n"
            f"Mime-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n"
            f"    boundary=\"{bnd}\"\nContent-Transfer-Encoding: 7bit\n"
            f"Message-ID: <courier.5F6E7D8C.0000C0DE@{host}>\nDate: {DATE}\n\n"
            "This is a MIME-formatted message.  If you see this text it means that your\n"
            "E-mail software does not support MIME-formatted messages.\n\n"
            f"--{bnd}\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n"
            f"This is a delivery status notification from {host},\nrunning the Courier mail server, version 1.1.8.\n\n"
            f"The original message was received on {DATE}\nfrom news.example.com [198.51.100.7]\n\n"
            + "-" * 75 + f"\n\n{title:^75}".rstrip() + f"\n\n{intro}\n{human}" + "-" * 75 + "\n\n"
            "If your message was also sent to additional recipients, their delivery\n"
            "status is not included in this report.  You may or may not receive\n"
            "other delivery status notifications for additional recipients.\n\n"
            "The original message follows as a separate attachment.\n\n"
            f"--{bnd}\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: 7bit\n\n"
            f"Reporting-MTA: dns; {host}\nArrival-Date: {DATE}\n{fields}\n"
            f"--{bnd}\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n\n"
            + original(rcpts[0][0], mid) + f"\n--{bnd}--\n")
    add(name, text, kind, labels, mid)


def make_courier() -> None:
    a = "ora@example.org"
    courier("courier_userunknown.eml", "bounce",
            [(a, "5.0.0", f"550 5.1.1 <{a}>... User Unknown", f"    mx.remote.example [192.0.2.40]:\n>>> RCPT "
              f"TO:<{a}>\n<<< 550 5.1.1 <{a}>... User Unknown")], [(a, "userunknown", True)])
    courier("courier_local_unknown.eml", "bounce",
            [("ora@mta.example.net", "5.0.0", "", "    550 User unknown.")],
            [("ora@mta.example.net", "userunknown", True)])
    courier("courier_nodomain.eml", "bounce",
            [("ora@no-such-domain.example", "5.0.0", "", "    No such domain.")],
            [("ora@no-such-domain.example", "hostunknown", True)])
    courier("courier_quota.eml", "bounce",
            [("ora@mta.example.net", "5.0.0", "", "    maildrop: maildir over quota.")],
            [("ora@mta.example.net", "mailboxfull", False)])
    courier("courier_blocked.eml", "bounce",
            [(a, "5.0.0", "554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using "
              "b.barracudacentral.org", "    mx.remote.example [192.0.2.40]:\n>>> MAIL FROM:<"
              f"{SENDER}>\n<<< 554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using "
              "b.barracudacentral.org")], [(a, "blocked", False)])
    courier("courier_delay.eml", "delay",
            [(a, "4.0.0", "451 4.7.1 Please try again later", "    mx.remote.example [192.0.2.40]:\n>>> RCPT "
              f"TO:<{a}>\n<<< 451 4.7.1 Please try again later")], [(a, None, False)])


# ---------------------------------------------------------------- CommuniGate Pro
# CommuniGate Pro Guide: Transfer.html / SMTP.html (error reports), its DSN layout.
def communigate(name: str, kind: str, addr: str, report: str, status: str, diag: str,
                labels: list[tuple[str, str | None, bool]], dsn: bool = True) -> None:
    host = "cgp.example.net"
    mid = name[:-4]
    bnd = "_===1234567====cgp.example.net===_"
    human = f"Failed to deliver to '<{addr}>'\n{report}\n"
    head = (f"Return-Path: <>\nReceived: from [198.51.100.7] by {host} (CommuniGate Pro DSN 6.3.5)\n"
            f"\twith DSN id 20261202; {DATE}\nDate: {DATE}\nFrom: \"Mail Delivery System\" "
            f"<MAILER-DAEMON@{host}>\nTo: {SENDER}\nSubject: Undeliverable mail: Your December newsletter\n"
            f"Message-ID: <cgp-DSN-20261202@{host}>\nX-Autogenerated: Reply\nMIME-Version: 1.0\n")
    if not dsn:
        text = (head + "Content-Type: text/plain; charset=us-ascii\n\n" + human + "\n" + original(addr, mid))
        add(name, text, kind, labels, mid)
        return
    text = (head + f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{bnd}\"\n\n"
            f"--{bnd}\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\n{human}\n"
            f"--{bnd}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; {host}\n\n"
            f"Original-Recipient: rfc822;{addr}\nFinal-Recipient: rfc822;{addr}\nAction: failed\nStatus: {status}\n"
            + (f"Diagnostic-Code: smtp; {diag}\n" if diag else "") +
            f"\n--{bnd}\nContent-Type: text/rfc822-headers\n\n" + original(addr, mid, True) + f"\n--{bnd}--\n")
    add(name, text, kind, labels, mid)


def make_communigate() -> None:
    a = "pia@example.org"
    communigate("cgp_remote_userunknown.eml", "bounce", a, "SMTP module(domain example.org) reports:\n"
                " host mx.example.org says:\n 550 5.1.1 <pia@example.org>: Recipient address rejected: User "
                "unknown", "5.0.0", "550 5.1.1 <pia@example.org>: Recipient address rejected: User unknown",
                [(a, "userunknown", True)])
    communigate("cgp_local_unknown.eml", "bounce", "pia@cgp.example.net", "Router reports:\n unknown user "
                "account", "5.1.1", "", [("pia@cgp.example.net", "userunknown", True)])
    communigate("cgp_local_full.eml", "bounce", "pia@cgp.example.net", "LOCAL module(account pia) reports:\n "
                "account is full (quota exceeded)", "5.0.0", "", [("pia@cgp.example.net", "mailboxfull", False)])
    communigate("cgp_hostunknown.eml", "bounce", "pia@no-such-domain.example",
                "SMTP module(domain no-such-domain.example) reports:\n no-such-domain.example: host name is "
                "unknown", "5.0.0", "", [("pia@no-such-domain.example", "hostunknown", True)])
    communigate("cgp_remote_blocked.eml", "bounce", a, "SMTP module(domain example.org) reports:\n"
                " host mx.example.org says:\n 550 5.7.1 Mail from 198.51.100.9 refused, see "
                "https://www.spamhaus.org/query/ip/198.51.100.9", "5.0.0",
                "550 5.7.1 Mail from 198.51.100.9 refused, see https://www.spamhaus.org/query/ip/198.51.100.9",
                [(a, "blocked", False)])
    communigate("cgp_nodsn_userunknown.eml", "bounce", a, "SMTP module(domain example.org) reports:\n"
                " host mx.example.org says:\n 550 5.1.1 No such user (pia@example.org)", "", "",
                [(a, "userunknown", True)], dsn=False)


# ---------------------------------------------------------------- second batch: more replies and versions
def make_more() -> None:
    a = "rae@example.org"
    # Exim 4 before 4.80 put the host on the reply line ("host X [ip]: 550 ..."), no DSN part.
    exim("exim4old_userunknown.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", f"550 5.1.1 <{a}>: Recipient address rejected: User unknown in virtual "
                       "alias table", v3=True).replace("remote mailer", "remote mail server"))],
         [(a, "userunknown", True)], dsn=False)
    exim("exim4old_blocked.eml", "bounce",
         [(a, smtp_err(f"MAIL FROM:<{SENDER}>", "554 5.7.1 Rejected: 198.51.100.9 listed at zen.spamhaus.org",
                       v3=True).replace("remote mailer", "remote mail server"))], [(a, "blocked", False)], dsn=False)
    exim("exim_outlook_mailbox_unavailable.eml", "bounce",
         [("sue@hotmail.example", smtp_err("RCPT TO:<sue@hotmail.example>", "550 5.5.0 Requested action not "
                                           "taken: mailbox unavailable (S2017062302). [BN1NAM02FT012.eop-nam02."
                                           "prod.protection.outlook.com]"))],
         [("sue@hotmail.example", "userunknown", True)])
    exim("exim_remote_unrouteable.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "550 Unrouteable address"))], [(a, "hostunknown", True)])
    exim("exim_disabled_gmail.eml", "bounce",
         [("tia@gmail.example", smtp_err("RCPT TO:<tia@gmail.example>", "550-5.2.1 The email account that you "
                                         "tried to reach is disabled. Learn more at\n    550 5.2.1  "
                                         "https://support.google.com/mail/?p=DisabledUser e5si1qkb.7 - gsmtp"))],
         [("tia@gmail.example", "suspend", False)])
    exim("exim_local_quota_file.eml", "bounce",
         [("max@mx.example.net", "mailbox is full (MTA-imposed quota exceeded while writing to file "
           "/var/mail/max): retry timeout exceeded")], [("max@mx.example.net", "mailboxfull", False)])
    exim("exim_delay_two.eml", "delay",
         [("ned@slow.example", "host mx.slow.example [192.0.2.44]\n    Delay reason: Connection timed out"),
          ("oli@slow.example", "host mx.slow.example [192.0.2.44]\n    Delay reason: Connection timed out")],
         [("ned@slow.example", None, False), ("oli@slow.example", None, False)])
    exim("exim_de_nodsn_unknown.eml", "bounce",
         [("gone@example.de", smtp_err("RCPT TO:<gone@example.de>", "550 5.1.1 <gone@example.de>: Recipient "
                                       "address rejected: User unknown"))],
         [("gone@example.de", "userunknown", True)], dsn=False, subject="Unzustellbar: Ihre Nachricht",
         intro="Diese Nachricht wurde automatisch vom Mailsystem erstellt.\n\n"
               "Eine von Ihnen gesendete Nachricht konnte nicht an alle Empfänger\n"
               "zugestellt werden. Dies ist ein dauerhafter Fehler. Folgende Adresse(n)\n"
               "sind fehlgeschlagen:\n\n")
    postfix("postfix_mailbox_unavailable_rcpt.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", "550 Requested action not taken: mailbox unavailable", "5.0.0")],
            [(a, "userunknown", True)])
    postfix("postfix_aol_mailbox_not_found.eml", "bounce",
            [pf_smtp("ula@aol.example", "mailin-01.mx.aol.com", "550 MAILBOX NOT FOUND", "5.0.0")],
            [("ula@aol.example", "userunknown", True)])
    postfix("postfix_icloud_nouser.eml", "bounce",
            [pf_smtp("val@icloud.example", "mx01.mail.icloud.com", "550 5.1.1 <val@icloud.example>: user does "
                     "not exist", "5.1.1")], [("val@icloud.example", "userunknown", True)])
    postfix("postfix_unverified_failed.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"550 5.1.1 <{a}>: Recipient address rejected: undeliverable "
                     "address: host mx.inner.example.org[10.0.0.5] said: 550 5.1.1 User unknown (in reply to "
                     "RCPT TO command)", "5.1.1")], [(a, "userunknown", True)])
    postfix("postfix_access_denied_policy.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"554 5.7.1 <{a}>: Recipient address rejected: Access denied",
                     "5.7.1")], [(a, "userunknown", True)])
    postfix("postfix_webde_unavailable.eml", "bounce",
            [pf_smtp("wil@web.example", "mx-ha03.web.de", "550 Requested action not taken: mailbox unavailable",
                     "5.0.0", cmd="end of DATA")], [("wil@web.example", "filtered", False)])
    postfix("postfix_virtual_unknown.eml", "bounce",
            [pf_local("xan@example.net", "unknown user: \"xan@example.net\"", "5.1.1")],
            [("xan@example.net", "userunknown", True)], mbox=True)
    postfix("postfix_mx_loops.eml", "bounce",
            [pf_local("yul@loop.example", "mail for loop.example loops back to myself", "5.4.6")],
            [("yul@loop.example", "systemerror", False)])
    postfix("postfix_size.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", "552 5.3.4 Message size exceeds fixed limit", "5.3.4",
                     cmd="end of DATA")], [(a, "mesgtoobig", False)])
    qmail("qmail_mailbox_disabled.eml", [f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: 550 "
                                         f"5.2.1 <{a}>... Mailbox disabled for this recipient\nGiving up on "
                                         "192.0.2.20.\n"], [(a, "suspend", False)])
    qmail("qmail_connection_died.eml", ["<yan@slow.example>:\nConnected to 192.0.2.44 but connection died. "
                                        "(#4.4.2)\nI'm not going to try again; this message has been in the "
                                        "queue too long.\n"], [("yan@slow.example", "expired", False)])
    qmail("qmail_remote_550_nosuchuser.eml", [f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: "
                                              f"550 No such user ({a})\nGiving up on 192.0.2.20.\n"],
          [(a, "userunknown", True)], mbox=True)
    sendmail("sendmail_nosuchuser_553.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 550 5.1.1 <{a}>... No such user here)\n",
                     f"... while talking to mx.example.org.:\n>>> RCPT To:<{a}>\n<<< 550 5.1.1 <{a}>... "
                     f"No such user here\n550 5.1.1 <{a}>... User unknown"),
             [{"addr": a, "action": "failed", "status": "5.1.1", "remote": "mx.example.org",
               "diag": f"550 5.1.1 <{a}>... No such user here"}], [(a, "userunknown", True)])
    sendmail("sendmail_nodsn_delay.eml", "delay", "Warning: could not send message for past 4 hours",
             sm_body("", "<rita@slow.example>... Deferred: Connection timed out with mx.slow.example.\n"
                     "Warning: message still undelivered after 4 hours\n"
                     "Will keep trying until message is 5 days old", warn=True), [],
             [("rita@slow.example", None, False)], dsn=False)
    courier("courier_two.eml", "bounce",
            [("one@example.org", "5.0.0", "550 5.1.1 <one@example.org>: Recipient address rejected: User unknown",
              "    mx.remote.example [192.0.2.40]:\n>>> RCPT TO:<one@example.org>\n<<< 550 5.1.1 <one@example.org>: "
              "Recipient address rejected: User unknown"),
             ("two@example.org", "5.0.0", "552 5.2.2 <two@example.org>: Mailbox full",
              "    mx.remote.example [192.0.2.40]:\n>>> RCPT TO:<two@example.org>\n<<< 552 5.2.2 <two@example.org>: "
              "Mailbox full")],
            [("one@example.org", "userunknown", True), ("two@example.org", "mailboxfull", False)])


# ---------------------------------------------------------------- third batch: success notices, local mailers
def make_third() -> None:
    a = "sky@example.org"
    # sendmail's return receipt (savemail.c: "had successful deliveries"), Action relayed/delivered.
    sm_ok = ("The original message was received at Wed, 2 Dec 2026 01:09:58 GMT\nfrom news.example.com "
             "[198.51.100.7]\n\n   ----- The following addresses had successful deliveries -----\n"
             f"<{a}>  (relayed to non-DSN-aware mailer)\n\n   ----- Transcript of session follows -----\n"
             f"<{a}>... relayed; expect no further notifications\n")
    sendmail("sendmail_return_receipt.eml", "delivered", "Return receipt", sm_ok,
             [{"addr": a, "action": "relayed", "status": "2.0.0", "remote": "mx.example.org",
               "diag": "250 2.0.0 4Fx9 Message accepted for delivery"}], [(a, None, False)], headers_only=True)
    # mail.local refusing for quota (BSD spells it "Disc quota exceeded"), sendmail's own 5.2.2.
    sendmail("sendmail_local_disc_quota.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<quinn@mail.example.net>\n    (reason: 552 5.2.2 Over quota)\n",
                     "mail.local: /var/mail/quinn: Disc quota exceeded\n552 5.2.2 <quinn@mail.example.net>... "
                     "Over quota"),
             [{"addr": "quinn@mail.example.net", "action": "failed", "status": "5.2.2"}],
             [("quinn@mail.example.net", "mailboxfull", False)])
    # sendmail 8.8-era: addresses without angle brackets in the human part.
    sendmail("sendmail88_userunknown.eml", "bounce", "Returned mail: User unknown",
             sm_body(f"{a}\n", f"... while talking to mx.example.org.:\n>>> RCPT To:<{a}>\n<<< 550 <{a}>... User "
                     f"unknown\n550 {a}... User unknown"),
             [{"addr": a, "action": "failed", "status": "5.1.1", "remote": "mx.example.org",
               "diag": f"550 <{a}>... User unknown"}], [(a, "userunknown", True)])
    # Exim 3's router message for a local part it does not know.
    exim("exim3_unknown_localpart.eml", "bounce",
         [("tod@mx.example.net", "unknown local-part \"tod\" in domain \"mx.example.net\"")],
         [("tod@mx.example.net", "userunknown", True)], dsn=False, v3=True)
    exim("exim_pipe_failed.eml", "bounce",
         [("pipe to |/usr/local/bin/handler", "generated by list-handler@mx.example.net\n    "
           "Child process of address_pipe transport returned 69 (could mean service or program unavailable) "
           "from command: /usr/local/bin/handler")],
         [("list-handler@mx.example.net", "mailererror", False)])
    postfix("postfix_conversation_timeout.eml", "bounce",
            [pf_local("uma@slow.example", "conversation with mx.slow.example[192.0.2.44] timed out while "
                      "sending RCPT TO", "4.4.2")], [("uma@slow.example", "expired", False)])
    postfix("postfix_dns_tempfail_expired.eml", "bounce",
            [pf_local("uma@flaky.example", "Host or domain name not found. Name service error for "
                      "name=flaky.example type=MX: Host not found, try again", "4.4.3")],
            [("uma@flaky.example", "networkerror", False)])
    postfix("postfix_greeting_lost.eml", "bounce",
            [pf_local("uma@slow.example", "lost connection with mx.slow.example[192.0.2.44] while receiving the "
                      "initial server greeting", "4.4.2")], [("uma@slow.example", "expired", False)])
    qmail("qmail_most_progress.eml", [f"<{a}>:\nSorry, no SMTP connection got far enough; most progress was "
                                      "RCPT TO. (#4.3.0)\nI'm not going to try again; this message has been in "
                                      "the queue too long.\n"], [(a, "expired", False)])
    qmail("qmail_databytes.eml", [f"<{a}>:\n192.0.2.20 failed after I sent the message.\nRemote host said: 552 "
                                  "sorry, that message size exceeds my databytes limit (#5.3.4)\n"],
          [(a, "mesgtoobig", False)])


# ---------------------------------------------------------------- fourth batch: refusals about us, not the address
def make_traps() -> None:
    a = "zoe@example.org"
    # Exim's callout verification of our sender failing at the remote (acl verify = sender/callout).
    exim("exim_sender_callout.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", f"550-Verification failed for <{SENDER}>\n    550-Called:   "
                       f"198.51.100.7\n    550-Sent:     RCPT TO:<{SENDER}>\n    550-Response: 550 5.1.1 "
                       f"<{SENDER}>: Recipient address rejected: User unknown in local recipient table\n"
                       "    550 Sender verify failed"))], [(a, "rejected", False)])
    # Postfix smtpd delays its sender checks to RCPT TO: the "User unknown" is about our sender.
    postfix("postfix_sender_unlisted.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"553 5.1.0 <{SENDER}>: Sender address rejected: User unknown in "
                     "local recipient table", "5.1.0")], [(a, "rejected", False)])
    postfix("postfix_sender_access_denied.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"554 5.7.1 <{SENDER}>: Sender address rejected: Access denied",
                     "5.7.1")], [(a, "rejected", False)])
    postfix("postfix_client_access_denied.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", "554 5.7.1 <news.example.com[198.51.100.9]>: Client host rejected: "
                     "Access denied", "5.7.1")], [(a, "blocked", False)])
    postfix("postfix_forged_helo.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"550 5.7.1 <{a}>: Recipient address rejected: Mail appeared to be "
                     "SPAM or forged. Ask your Mail/DNS-Administrator to correct HELO and DNS MX settings or to "
                     "get removed from DNSBLs; MTA helo: news.example.com, MTA hostname: "
                     "news.example.com[198.51.100.9] (state 14)", "5.7.1")], [(a, "blocked", False)])
    exim("exim_admin_prohibition.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "550 Administrative prohibition"))], [(a, "rejected", False)])
    exim("exim_relay_not_permitted.eml", "bounce",
         [(a, smtp_err(f"RCPT TO:<{a}>", "550 relay not permitted"))], [(a, "norelaying", False)])
    qmail("qmail_rcpt_domain_notfound.eml", [f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: "
                                             f"550 5.1.2 <{a}>: Recipient address rejected: Domain not found\n"
                                             "Giving up on 192.0.2.20.\n"], [(a, "hostunknown", True)])
    sendmail("sendmail_address_not_exist.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 553 5.3.0 <{a}>... Address does not exist)\n",
                     f"... while talking to mx.example.org.:\n>>> RCPT To:<{a}>\n<<< 553 5.3.0 <{a}>... "
                     f"Address does not exist\n550 5.1.1 <{a}>... User unknown"),
             [{"addr": a, "action": "failed", "status": "5.3.0", "remote": "mx.example.org",
               "diag": f"553 5.3.0 <{a}>... Address does not exist"}], [(a, "userunknown", True)])
    sendmail("sendmail_sender_unknown_mailfrom.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 550 5.1.1 <{SENDER}>... User unknown)\n",
                     f"... while talking to mx.example.org.:\n>>> MAIL From:<{SENDER}> SIZE=1200\n<<< 550 5.1.1 "
                     f"<{SENDER}>... User unknown\n554 5.0.0 Service unavailable"),
             [{"addr": a, "action": "failed", "status": "5.1.1", "remote": "mx.example.org",
               "diag": f"550 5.1.1 <{SENDER}>... User unknown"}], [(a, "rejected", False)])


# --------------------------------------------- fifth batch: the command only in a transcript
def make_transcripts() -> None:
    a = "amy@example.org"
    sendmail("sendmail_unavailable_rcpt.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 550 Requested action not taken: mailbox unavailable)\n",
                     f"... while talking to mx.example.org.:\n>>> RCPT To:<{a}>\n<<< 550 Requested action not "
                     f"taken: mailbox unavailable\n550 5.1.1 <{a}>... User unknown"),
             [{"addr": a, "action": "failed", "status": "5.0.0", "remote": "mx.example.org",
               "diag": "550 Requested action not taken: mailbox unavailable"}], [(a, "userunknown", True)])
    sendmail("sendmail_nosuchuser_data.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{a}>\n    (reason: 550 No such user here)\n",
                     f"... while talking to mx.example.org.:\n>>> DATA\n<<< 550 No such user here\n"
                     f"550 5.1.1 <{a}>... User unknown\n<<< 503 5.5.1 No recipients"),
             [{"addr": a, "action": "failed", "status": "5.1.1", "remote": "mx.example.org",
               "diag": "550 No such user here"}], [(a, "userunknown", True)])
    # Mixed-case addresses as people type them; the DSN keeps the case.
    postfix("postfix_mixed_case.eml", "bounce",
            [pf_smtp("Ann.Lee@Example.ORG", "mx1.example.org", "550 5.1.1 <Ann.Lee@Example.ORG>: Recipient "
                     "address rejected: User unknown in virtual mailbox table", "5.1.1")],
            [("ann.lee@example.org", "userunknown", True)])
    # Five recipients in one Exim bounce, of every kind.
    exim("exim_five_recipients.eml", "bounce",
         [("r1@example.org", smtp_err("RCPT TO:<r1@example.org>", "550 5.1.1 <r1@example.org>: Recipient address "
                                      "rejected: User unknown")),
          ("r2@example.org", smtp_err("RCPT TO:<r2@example.org>", "552 5.2.2 <r2@example.org>: Mailbox full")),
          ("r3@no-such-domain.example", "Unrouteable address"),
          ("r4@example.org", smtp_err("RCPT TO:<r4@example.org>", "550 5.2.1 <r4@example.org>: Mailbox disabled")),
          ("r5@example.org", smtp_err("RCPT TO:<r5@example.org>", "550 5.1.1 <r5@example.org>: Recipient address "
                                      "rejected: User unknown"))],
         [("r1@example.org", "userunknown", True), ("r2@example.org", "mailboxfull", False),
          ("r3@no-such-domain.example", "hostunknown", True), ("r4@example.org", "suspend", False),
          ("r5@example.org", "userunknown", True)])
    # A Postfix site with a German bounce_template_file: the DSN part is Postfix's own.
    postfix("postfix_de_template.eml", "bounce",
            [pf_smtp(a, "mx1.example.org", f"550 5.1.1 <{a}>: Recipient address rejected: User unknown in "
                     "relay recipient table", "5.1.1")], [(a, "userunknown", True)],
            subject="Unzustellbare Nachricht",
            template="Dies ist das Mailsystem auf dem Rechner {host}.\n\nIhre Nachricht konnte leider nicht an "
                     "alle Empfänger zugestellt werden.\nSie ist unten angehängt.\n\n                   Das "
                     "Mailsystem\n\n")
    sendmail("sendmail_domain_notfound_rcpt.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<amy@gone.example>\n    (reason: 553 5.1.2 <amy@gone.example>... Domain does not exist)\n",
                     "... while talking to relay.example.net.:\n>>> RCPT To:<amy@gone.example>\n<<< 553 5.1.2 "
                     "<amy@gone.example>... Domain does not exist\n550 5.1.2 <amy@gone.example>... Host unknown"),
             [{"addr": "amy@gone.example", "action": "failed", "status": "5.1.2", "remote": "relay.example.net",
               "diag": "553 5.1.2 <amy@gone.example>... Domain does not exist"}],
             [("amy@gone.example", "hostunknown", True)])
    qmail("qmail_550_mailbox_unavailable.eml", [f"<{a}>:\n192.0.2.20 does not like recipient.\nRemote host said: "
                                                "550 5.5.0 Requested action not taken: mailbox unavailable\n"
                                                "Giving up on 192.0.2.20.\n"], [(a, "userunknown", True)])
    exim("exim_mailbox_unavailable_data.eml", "bounce",
         [(a, smtp_err("end of data", "550 Requested action not taken: mailbox unavailable"))],
         [(a, "filtered", False)])


# ---------------------------------------------------------------- sixth batch: providers' replies in these layouts
def make_providers() -> None:
    g, y, o = "kai@gmail.example", "lou@aol.example", "mo@outlook.example"
    postfix("postfix_gmail_spam.eml", "bounce",
            [pf_smtp(g, "gmail-smtp-in.l.google.com", "550-5.7.1 [198.51.100.9] Our system has detected that this "
                     "message is 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail, "
                     "550-5.7.1 this message has been blocked. 550 5.7.1  https://support.google.com/mail/?p="
                     "UnsolicitedMessageError f1si2qkb.5 - gsmtp", "5.7.1", cmd="end of DATA")],
            [(g, "spamdetected", False)])
    exim("exim_gmail_unauthenticated.eml", "bounce",
         [(g, smtp_err("end of data", "550-5.7.26 This mail is unauthenticated, which poses a security risk to the"
                       "\n    550-5.7.26 sender and Gmail users, and has been blocked. The sender must\n    "
                       "550 5.7.26 authenticate with at least one of SPF or DKIM. g2si3qkb.6 - gsmtp"))],
         [(g, "authfailure", False)])
    qmail("qmail_aol_no_longer_valid.eml", [f"<{y}>:\n67.195.204.72 failed after I sent the message.\nRemote host "
                                            f"said: 554 delivery error: dd {y} is no longer valid. [-20] - "
                                            "aol.mail.gq1.yahoo.com\n"], [(y, "suspend", False)])
    sendmail("sendmail_yahoo_disabled.eml", "bounce", "Returned mail: see transcript for details",
             sm_body(f"<{y}>\n    (reason: 554 30 Sorry, your message to {y} cannot be delivered.  This mailbox "
                     "is disabled (554.30).)\n",
                     f"... while talking to mx-aol.mail.gm0.yahoodns.net.:\n>>> DATA\n<<< 554 30 Sorry, your message "
                     f"to {y} cannot be delivered.  This mailbox is disabled (554.30).\n554 5.0.0 Service "
                     "unavailable"),
             [{"addr": y, "action": "failed", "status": "5.0.0", "remote": "mx-aol.mail.gm0.yahoodns.net",
               "diag": f"554 30 Sorry, your message to {y} cannot be delivered.  This mailbox is disabled "
                       "(554.30)."}], [(y, "suspend", False)])
    postfix("postfix_outlook_blocklist.eml", "bounce",
            [pf_smtp(o, "outlook-com.olc.protection.outlook.com", "550 5.7.1 Unfortunately, messages from "
                     "[198.51.100.9] weren't sent. Please contact your Internet service provider since part of "
                     "their network is on our block list (S3140). You can also refer your provider to "
                     "http://mail.live.com/mail/troubleshooting.aspx#errors. [DM6NAM12FT045.eop-nam12.prod."
                     "protection.outlook.com]", "5.7.1", cmd="MAIL FROM")], [(o, "blocked", False)])
    exim("exim_outlook_banned_ip.eml", "bounce",
         [(o, smtp_err(f"RCPT TO:<{o}>", "550 5.7.606 Access denied, banned sending IP [198.51.100.9]. To request "
                       "removal from this list please visit https://sender.office.com/ and follow the directions."))],
         [(o, "blocked", False)])
    postfix("postfix_o365_recipnotfound_550_5110.eml", "bounce",
            [pf_smtp("nia@contoso.example", "contoso-example.mail.protection.outlook.com",
                     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nia@contoso.example not found by SMTP "
                     "address lookup", "5.1.10")], [("nia@contoso.example", "userunknown", True)])
    qmail("qmail_mailru_nouser.eml", ["<pip@mail.example>:\n94.100.180.31 does not like recipient.\nRemote host "
                                      "said: 550 Message was not accepted -- invalid mailbox.  Local mailbox "
                                      "pip@mail.example is unavailable: user not found\nGiving up on "
                                      "94.100.180.31.\n"], [("pip@mail.example", "userunknown", True)])
    exim("exim_local_policy.eml", "bounce",
         [(g, smtp_err(f"RCPT TO:<{g}>", "550 5.7.0 Local Policy Violation"))], [(g, "policyviolation", False)])
    postfix("postfix_gmail_overquota_delay.eml", "delay",
            [pf_smtp(g, "gmail-smtp-in.l.google.com", "452-4.2.2 The email account that you tried to reach is "
                     "over quota. Please direct 452-4.2.2 the recipient to 452 4.2.2  https://support.google.com/"
                     "mail/?p=OverQuotaTemp h3si4qkb.7 - gsmtp", "4.2.2", action="delayed")],
            [(g, None, False)], template=PF_DELAY)
    postfix("postfix_utf8_global_dsn.eml", "bounce",
            [pf_smtp("jörg@example.de", "mx.example.de", "550 5.1.1 <jörg@example.de>: Recipient address "
                     "rejected: User unknown in virtual mailbox table", "5.1.1")],
            [("jörg@example.de", "userunknown", True)])
    # Postfix 3 with SMTPUTF8: RFC 6533's global DSN types, UTF-8 throughout.
    text, row = SAMPLES["postfix_utf8_global_dsn.eml"]
    SAMPLES["postfix_utf8_global_dsn.eml"] = (
        text.replace("message/delivery-status", "message/global-delivery-status")
        .replace("Content-Type: message/rfc822", "Content-Type: message/global")
        .replace("charset=us-ascii", "charset=utf-8"), row)


# ---------------------------------------------------------------- seventh batch: several recipients, no DSN part
def make_lists() -> None:
    exim("exim_nodsn_three.eml", "bounce",
         [("p1@example.org", smtp_err("RCPT TO:<p1@example.org>", "550 5.1.1 <p1@example.org>... User unknown")),
          ("p2@nowhere.example", "Unrouteable address"),
          ("p3@example.org", smtp_err("RCPT TO:<p3@example.org>", "552 5.2.2 <p3@example.org>... Mailbox full"))],
         [("p1@example.org", "userunknown", True), ("p2@nowhere.example", "hostunknown", True),
          ("p3@example.org", "mailboxfull", False)], dsn=False)
    exim("exim3_two.eml", "bounce",
         [("q1@example.org", smtp_err("RCPT TO:<q1@example.org>", "552 5.2.2 Mailbox quota exceeded", v3=True)),
          ("q2@example.org", smtp_err("RCPT TO:<q2@example.org>", "550 5.1.1 <q2@example.org>... User unknown",
                                      v3=True))],
         [("q1@example.org", "mailboxfull", False), ("q2@example.org", "userunknown", True)], dsn=False, v3=True)
    sendmail("sendmail_nodsn_two.eml", "bounce", "Returned mail: see transcript for details",
             sm_body("<s1@example.org>\n<s2@gone.example>\n",
                     "... while talking to mx.example.org.:\n>>> RCPT To:<s1@example.org>\n<<< 552 5.2.2 "
                     "<s1@example.org>... Mailbox full\n554 5.0.0 Service unavailable\n"
                     "550 5.1.2 <s2@gone.example>... Host unknown (Name server: gone.example: host not found)"),
             [], [("s1@example.org", "mailboxfull", False), ("s2@gone.example", "hostunknown", True)], dsn=False)
    qmail("qmail_three.eml", ["<t1@mail.example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
                              "<t2@mail.example.net>:\nThe users mailfolder is over the allowed quota (size). "
                              "(#5.2.2)\n",
                              "<t3@nowhere.example>:\nSorry, I couldn't find any host named nowhere.example. "
                              "(#5.1.2)\n"],
          [("t1@mail.example.net", "userunknown", True), ("t2@mail.example.net", "mailboxfull", False),
           ("t3@nowhere.example", "hostunknown", True)])
    mid = "postfix_v1_two"
    host = "smtp.example.net"
    bnd = f"C1D2E3.1000000000/{host}"
    text = (f"Return-Path: <>\nDate: Tue, 9 Oct 2001 10:00:00 +0200 (CEST)\n"
            f"From: MAILER-DAEMON@{host} (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender\n"
            f"To: {SENDER}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{bnd}\"\n\n--{bnd}\n"
            "Content-Description: Notification\nContent-Type: text/plain\n\n"
            f"This is the Postfix program at host {host}.\n\n"
            "I'm sorry to have to inform you that the message returned\nbelow could not be delivered to one or "
            "more destinations.\n\n\t\t\tThe Postfix program\n\n"
            "<u1@example.org>: host mx.example.org[192.0.2.12] said: 552 <u1@example.org>... Mailbox full\n\n"
            "<u2@example.org>: host mx.example.org[192.0.2.12] said: 550 <u2@example.org>... User unknown\n\n"
            f"--{bnd}\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
            f"{original('u1@example.org', mid)}\n--{bnd}--\n")
    add("postfix_v1_two.eml", text, "bounce", [("u1@example.org", "mailboxfull", False),
                                               ("u2@example.org", "userunknown", True)], mid)


# ---------------------------------------------------------------- eighth batch: Unix non-bounces
def make_nonbounces() -> None:
    a = "vic@example.org"
    # vacation(1) (the BSD/sendmail program): its default message and Precedence: bulk, no Auto-Submitted.
    add("vacation1_reply.eml",
        f"From: Vic Example <{a}>\nTo: {SENDER}\nSubject: away from my mail\nPrecedence: bulk\n"
        f"Date: {DATE}\nMessage-ID: <vac.1@example.org>\n\nI will not be reading my mail for a while.\n"
        "Your mail concerning \"Your December newsletter\"\nwill be read when I'm back.\n",
        "autoreply", [(a, None, False)], None)
    # Exim's autoreply transport from a user's filter (RFC 3834 Auto-Submitted, In-Reply-To).
    add("exim_autoreply.eml",
        f"Return-path: <>\nFrom: {a}\nTo: {SENDER}\nSubject: Re: Your December newsletter\n"
        "Auto-Submitted: auto-replied\nIn-Reply-To: <exim_autoreply@news.example.com>\n"
        f"Date: {DATE}\nMessage-Id: <E1tHyB-0001@mx.example.org>\n\nI am on holiday until 4 January and "
        "will answer your message when I am back.\n",
        "autoreply", [(a, None, False)], None)
    # A person answering the newsletter, quoting an old bounce they once got.
    add("human_reply_quoting_bounce.eml",
        f"From: Vic Example <{a}>\nTo: {SENDER}\nSubject: Re: Your December newsletter\nDate: {DATE}\n"
        "Message-ID: <reply.7@example.org>\nIn-Reply-To: <human_reply_quoting_bounce@news.example.com>\n\n"
        "Hi, please use my new address. Mail to my old one came back with this:\n\n"
        "> <vic.old@example.org>: host mx.example.org[192.0.2.10] said: 550 5.1.1\n"
        "> <vic.old@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)\n\n"
        "Thanks, Vic\n", "other", [("vic.old@example.org", None, False)], None)
    postfix("postfix_success_delivered.eml", "delivered",
            [{"addr": a, "action": "delivered", "status": "2.0.0",
              "human": f"<{a}>: delivered to mailbox", "diag": "X-Postfix; delivered to mailbox"}],
            [(a, None, False)], template=PF_SUCCESS)


def main() -> None:
    for make in (make_postfix, postfix_old, make_sendmail, make_sendmail_v5, make_qmail, make_exim,
                 make_courier, make_communigate, make_more,
                 make_third, make_traps, make_transcripts,
                 make_providers, make_lists, make_nonbounces):
        make()
    expected = {}
    # One level down: tests/test_classify.py wants every tests/data/bounces/*/* sample in its own expected.json.
    (HERE / "messages").mkdir(exist_ok=True)
    for name, (text, row) in sorted(SAMPLES.items()):
        (HERE / "messages" / name).write_bytes(text.encode("utf-8"))
        expected[f"messages/{name}"] = row
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(SAMPLES)} samples")


if __name__ == "__main__":
    main()
