"""Write the HAND-WRITTEN blind-test samples in this directory.

Every message is made up (see README.md here): the layout follows what each
MTA's documentation or source shows, the addresses are invented. Run:
    python tests/data/bounces/blind-hosted/make_samples.py
It rewrites the .eml files and expected.json.
"""

# ruff: noqa: E501 - each sample's text is kept on the line it is written on, as the MTA writes it
from __future__ import annotations

import base64
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
OURS = "bounce-42-3f9a2c1d-7@lists.example.com"
SAMPLES: dict[str, str] = {}
EXPECTED: dict[str, dict] = {}
N = [0]


def rcpt(addr: str, reason: str, hard: bool) -> dict:
    return {"address": addr, "reason": reason, "hard": hard}


def add(name: str, kind: str, rcpts: list[dict], text: str, mid: str | None = None) -> None:
    SAMPLES[name + ".eml"] = text
    row: dict = {"kind": kind, "recipients": rcpts}
    if mid:
        row["message_id"] = mid
    EXPECTED[name + ".eml"] = row


def orig(rcpts: str, tag: str, subject: str = "December newsletter") -> tuple[str, str]:
    mid = f"<{tag}.20251201@lists.example.com>"
    return mid, (f"Received: from lists.example.com (lists.example.com [192.0.2.10])\n"
                 f"\tby mx1.example.com with ESMTPS id 4QX1Y2Z3; Mon, 1 Dec 2025 09:00:00 +0000\n"
                 f"From: Example News <news@example.com>\n"
                 f"Sender: {OURS}\n"
                 f"To: {rcpts}\n"
                 f"Subject: {subject}\n"
                 f"Message-ID: {mid}\n"
                 f"Date: Mon, 1 Dec 2025 09:00:00 +0000\n"
                 f"MIME-Version: 1.0\n"
                 f"Content-Type: text/plain; charset=utf-8\n")


def head(frm: str, subject: str, extra: str = "", mbox: bool = False, to: str = OURS) -> str:
    out = "From MAILER-DAEMON Mon Dec  1 09:00:09 2025\n" if mbox else ""
    out += ("Return-Path: <>\n"
            f"Delivered-To: {to}\n"
            "Received: from relay.example.net (relay.example.net [198.51.100.20])\n"
            "\tby lists.example.com (Postfix) with ESMTPS id 7F00A1\n"
            f"\tfor <{to}>; Mon, 1 Dec 2025 09:00:09 +0000 (UTC)\n"
            f"From: {frm}\n"
            f"To: {to}\n"
            f"Subject: {subject}\n"
            "Date: Mon, 1 Dec 2025 09:00:08 +0000\n"
            f"Message-ID: <ndr{len(SAMPLES)}.20251201@relay.example.net>\n")
    return out + extra + "MIME-Version: 1.0\n"


def part(ctype: str, body: str, cte: str = "") -> str:
    h = f"Content-Type: {ctype}\n"
    if cte == "base64":
        body = base64.encodebytes(body.encode()).decode()
        h += "Content-Transfer-Encoding: base64\n"
    elif cte:
        h += f"Content-Transfer-Encoding: {cte}\n"
    return h + "\n" + body.rstrip("\n") + "\n"


def multipart(subtype: str, parts: list[str], boundary: str, params: str = "") -> str:
    out = f"Content-Type: multipart/{subtype};{params} boundary=\"{boundary}\"\n\n"
    out += "This is a multi-part message in MIME format.\n\n"
    for p in parts:
        out += f"--{boundary}\n{p}\n"
    return out + f"--{boundary}--\n"


def report(parts: list[str], b: str) -> str:
    return multipart("report", parts, b, " report-type=delivery-status;")


def dsn(mta: str, rcpts: list[tuple[str, str, str, str]], arrival: bool = True,
        extra: str = "") -> str:
    """rcpts: (address, action, status, diagnostic or '')."""
    out = f"Reporting-MTA: dns;{mta}\n"
    if arrival:
        out += "Received-From-MTA: dns;lists.example.com\nArrival-Date: Mon, 1 Dec 2025 09:00:02 +0000\n"
    out += extra
    for addr, action, status, diag in rcpts:
        out += f"\nFinal-Recipient: rfc822;{addr}\nAction: {action}\nStatus: {status}\n"
        if diag:
            out += f"Diagnostic-Code: smtp;{diag}\n"
    return part("message/delivery-status", out)


def html(text: str) -> str:
    paras = "".join(f"<p>{line}</p>\n" for line in text.split("\n\n"))
    return ("<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
            "</head>\n<body>\n" + paras + "</body>\n</html>\n")


# ---------------------------------------------------------------- Exchange 5.5/2000 IMS
mid, oh = orig("dana@corp.example.org", "ims1")
add("exchange55_ims_unknown", "bounce", [rcpt("dana@corp.example.org", "userunknown", True)],
    head("System Administrator <postmaster@corp.example.org>", "Undeliverable: December newsletter",
         "X-Mailer: Internet Mail Service (5.5.2657.72)\nX-MS-Embedded-Report:\n")
    + multipart("mixed", [
        part("text/plain; charset=\"iso-8859-1\"",
             "Your message\n\n  To:      dana@corp.example.org\n  Subject: December newsletter\n"
             "  Sent:    Mon, 1 Dec 2025 09:00:00 +0000\n\ndid not reach the following recipient(s):\n\n"
             "dana@corp.example.org on Mon, 1 Dec 2025 09:00:06 +0000\n"
             "    The recipient name is not recognized\n"
             "\tThe MTS-ID of the original message is: c=US;a= ;p=Corp;l=EXCH01-251201090006Z-1234\n"
             "    MSEXCH:IMS:Corp:HQ:EXCH01 0 (000C05A6) Unknown Recipient\n"),
        part("message/rfc822", oh + "\nHello.\n")], "----_=_NextPart_000_01"), mid)

# ---------------------------------------------------------------- Exchange 2003
EX03_UNKNOWN = ("The e-mail account does not exist at the organization this message was sent to.  "
                "Check the e-mail address, or contact the recipient directly to find out the correct address.")


def ex03_text(lines: list[tuple[str, str, str]], intro: str = "Your message did not reach some or all of the intended recipients.",
              sub: str = "Subject", sent: str = "Sent", could: str = "The following recipient(s) could not be reached:") -> str:
    out = f"{intro}\n\n      {sub}:\tDecember newsletter\n      {sent}:\t12/1/2025 9:00 AM\n\n{could}\n\n"
    for addr, prose, tail in lines:
        out += f"      {addr} on 12/1/2025 9:00 AM\n            {prose}\n            <{tail}>\n\n"
    return out


mid, oh = orig("alice@example.org", "ex03a")
add("exchange2003_userunknown_dsn", "bounce", [rcpt("alice@example.org", "userunknown", True)],
    head("System Administrator <postmaster@example.org>", "Undeliverable: December newsletter",
         "X-MimeOLE: Produced By Microsoft Exchange V6.5\nX-MS-Has-Attach: yes\nX-DSNContext: 7ce717b1 - 1196 - 00000002 - 00000000\n")
    + report([part("text/plain; charset=\"us-ascii\"", ex03_text([("alice@example.org", EX03_UNKNOWN, "mail.example.org #5.1.1")])),
              dsn("mail.example.org", [("alice@example.org", "failed", "5.1.1", "")], extra="X-Supplementary-Info: <mail.example.org #5.1.1>\n"),
              part("message/rfc822", oh + "\nHello.\n")], "----_=_NextPart_001_01C3"), mid)

mid, oh = orig("bob@example.net", "ex03b")
add("exchange2003_remote_unknown_textonly", "bounce", [rcpt("bob@example.net", "userunknown", True)],
    head("System Administrator <postmaster@corp.example.org>", "Undeliverable: December newsletter",
         "X-MimeOLE: Produced By Microsoft Exchange V6.5\n", mbox=True)
    + part("text/plain; charset=\"us-ascii\"", ex03_text([(
        "bob@example.net",
        "An error occurred while trying to deliver this message to the recipient's e-mail address. Check the e-mail address, and try to resend the message. If the problem continues, contact your helpdesk.",
        "exch01.corp.example.org #5.0.0 smtp;550 5.1.1 <bob@example.net>... User unknown")]) + "\n" + oh))

mid, oh = orig("carol@nonexistent.example", "ex03c")
add("exchange2003_dns_hostunknown", "bounce", [rcpt("carol@nonexistent.example", "hostunknown", True)],
    head("System Administrator <postmaster@corp.example.org>", "Undeliverable: December newsletter",
         "X-MimeOLE: Produced By Microsoft Exchange V6.5\n")
    + report([part("text/plain; charset=\"us-ascii\"", ex03_text([(
        "carol@nonexistent.example",
        "The destination server for this recipient could not be found in Domain Name Service (DNS).  Please verify the e-mail address and retry.  If that fails, contact your system administrator.",
        "exch01.corp.example.org #5.4.0")])),
        dsn("exch01.corp.example.org", [("carol@nonexistent.example", "failed", "5.4.0", "")]),
        part("message/rfc822", oh + "\nHello.\n")], "----_=_NextPart_001_01C4"), mid)

mid, oh = orig("dave@slow.example", "ex03d")
add("exchange2003_expired", "bounce", [rcpt("dave@slow.example", "expired", False)],
    head("System Administrator <postmaster@corp.example.org>", "Undeliverable: December newsletter",
         "X-MimeOLE: Produced By Microsoft Exchange V6.5\n")
    + report([part("text/plain; charset=\"us-ascii\"", ex03_text([(
        "dave@slow.example",
        "Could not deliver the message in the time limit specified.  Please retry or contact your administrator.",
        "exch01.corp.example.org #4.4.7")])),
        dsn("exch01.corp.example.org", [("dave@slow.example", "failed", "4.4.7", "")]),
        part("message/rfc822", oh + "\nHello.\n")], "----_=_NextPart_001_01C5"), mid)

mid, oh = orig("erik@example.de", "ex03e")
add("exchange2003_german_full", "bounce", [rcpt("erik@example.de", "mailboxfull", False)],
    head("Systemadministrator <postmaster@firma.example.de>", "Unzustellbar: December newsletter",
         "X-MimeOLE: Produced By Microsoft Exchange V6.5\n")
    + report([part("text/plain; charset=\"utf-8\"", ex03_text([(
        "erik@example.de",
        "Beim Versuch, die Nachricht an die E-Mail-Adresse des Empfängers zu übermitteln, ist ein Fehler aufgetreten.",
        "mx.firma.example.de #5.2.2 smtp;552 5.2.2 <erik@example.de>: Mailbox full, quota exceeded")],
        intro="Ihre Nachricht hat einige oder alle Empfänger nicht erreicht.", sub="Betreff", sent="Gesendet am",
        could="Folgende(r) Empfänger konnte(n) nicht erreicht werden:"), "8bit"),
        dsn("mx.firma.example.de", [("erik@example.de", "failed", "5.2.2", "")]),
        part("message/rfc822", oh + "\nHallo.\n")], "----_=_NextPart_001_01C6"), mid)

mid, oh = orig("fay@slow.example", "iisdelay")
add("exchange2003_iis_delay", "delay", [rcpt("fay@slow.example", "expired", False)],
    head("postmaster@corp.example.org", "Delivery Status Notification (Delay)",
         "X-DSNContext: 335a7efd - 4523 - 00000001 - 80040546\n")
    + report([part("text/plain; charset=unicode-1-1-utf-7",
                   "This is an automatically generated Delivery Status Notification.\n\n"
                   "THIS IS A WARNING MESSAGE ONLY.\n\nYOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\n"
                   "Delivery to the following recipients has been delayed.\n\n       fay@slow.example\n"),
              dsn("exch01.corp.example.org", [("fay@slow.example", "delayed", "4.4.7", "")]),
              part("message/rfc822", oh + "\nHello.\n")], "9B095B5ADSN=_01D"), mid)

mid, oh = orig("gus@example.net", "iisrelay")
add("exchange2003_iis_relaydenied", "bounce", [rcpt("gus@example.net", "norelaying", False)],
    head("postmaster@corp.example.org", "Delivery Status Notification (Failure)",
         "X-DSNContext: 335a7efd - 4523 - 00000001 - 80040546\n")
    + report([part("text/plain; charset=unicode-1-1-utf-7",
                   "This is an automatically generated Delivery Status Notification.\n\n"
                   "Delivery to the following recipients failed.\n\n       gus@example.net\n"),
              dsn("exch01.corp.example.org", [("gus@example.net", "failed", "5.7.1",
                                               "550 5.7.1 Unable to relay for gus@example.net")]),
              part("message/rfc822", oh + "\nHello.\n")], "9B095B5ADSN=_01E"), mid)

# ---------------------------------------------------------------- Exchange 2007
EX07_UNKNOWN = ("The recipient's e-mail address was not found in the recipient's e-mail system. Microsoft Exchange will not try to "
                "redeliver this message for you. Please check the e-mail address and try resending this message, or provide the "
                "following diagnostic text to your helpdesk.")


def ex07_text(items: list[tuple[str, str, str]], server: str = "EX07HUB.corp.example.org", ver: str = "2007",
              intro: str = "Delivery has failed to these recipients or distribution lists:",
              diag: str = "Diagnostic information for administrators:", gen: str = "Generating server") -> str:
    out = intro + "\n\n"
    for addr, prose, _ in items:
        out += f"{addr}\n{prose}\n\n"
    out += f"\n\n\n\n\n\n\n_____\nSent by Microsoft Exchange Server {ver}\n\n\n\n\n{diag}\n\n{gen}: {server}\n\n"
    for addr, _, code in items:
        out += f"{addr}\n{code}\n\n"
    return out + "Original message headers:\n\n"


mid, oh = orig("hana@corp.example.org", "ex07a")
add("exchange2007_userunknown", "bounce", [rcpt("hana@corp.example.org", "userunknown", True)],
    head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", "Undeliverable: December newsletter",
         "Content-Language: en-US\nX-MS-Exchange-Organization-SCL: -1\n")
    + report([part("text/plain; charset=\"us-ascii\"", ex07_text([("hana@corp.example.org", EX07_UNKNOWN, "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##")]) + oh),
              dsn("EX07HUB.corp.example.org", [("hana@corp.example.org", "failed", "5.1.1", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found")]),
              part("message/rfc822", oh + "\nHello.\n")], "_000_ex07a_"), mid)

mid, oh = orig("ivan@example.net", "ex07b")
add("exchange2007_remote_blocked_nodsn", "bounce", [rcpt("ivan@example.net", "blocked", False)],
    head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", "Undeliverable: December newsletter")
    + multipart("mixed", [part("text/plain; charset=\"us-ascii\"", ex07_text([(
        "ivan@example.net",
        "A problem occurred during the delivery of this message to this e-mail address. Try sending this message again. If the problem continues, please contact your helpdesk.\n\nThe following organization rejected your message: mx.example.net.",
        "#550 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7 ##")])),
        part("message/rfc822", oh + "\nHello.\n")], "_001_ex07b_"), mid)

mid, oh = orig("jon@corp.example.org", "ex07c")
add("exchange2007_mailboxfull", "bounce", [rcpt("jon@corp.example.org", "mailboxfull", False)],
    head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", "Undeliverable: December newsletter")
    + report([part("text/plain; charset=\"us-ascii\"", ex07_text([(
        "jon@corp.example.org",
        "The recipient's mailbox is full and can't accept messages now. Microsoft Exchange will not try to redeliver this message for you. Please try resending this message later, or contact the recipient directly.",
        "#550 5.2.2 STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message Cannot open mailbox. ##")])),
        dsn("EX07HUB.corp.example.org", [("jon@corp.example.org", "failed", "5.2.2", "550 5.2.2 STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message Cannot open mailbox.")]),
        part("text/rfc822-headers", oh)], "_000_ex07c_"), mid)

mid, oh = orig("kim@example.org, lee@corp.example.org", "ex07d")
add("exchange2007_two_recipients", "bounce",
    [rcpt("kim@example.org", "userunknown", True), rcpt("lee@corp.example.org", "filtered", False)],
    head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", "Undeliverable: December newsletter")
    + report([part("text/plain; charset=\"us-ascii\"", ex07_text([
        ("kim@example.org", EX07_UNKNOWN, "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"),
        ("lee@corp.example.org", "Your message wasn't delivered because of security policies. Microsoft Exchange will not try to redeliver this message for you. Please provide the following diagnostic text to your system administrator.",
         "#550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized ##")])),
        dsn("EX07HUB.corp.example.org", [
            ("kim@example.org", "failed", "5.1.1", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"),
            ("lee@corp.example.org", "failed", "5.7.1", "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized")]),
        part("message/rfc822", oh + "\nHello.\n")], "_000_ex07d_"), mid)

mid, oh = orig("mia@slow.example", "ex07e")
add("exchange2007_expired", "bounce", [rcpt("mia@slow.example", "expired", False)],
    head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", "Undeliverable: December newsletter")
    + report([part("text/plain; charset=\"us-ascii\"", ex07_text([(
        "mia@slow.example",
        "Delivery of the message expired. Microsoft Exchange will not try to redeliver this message for you. Please try resending this message later.",
        "#550 4.4.7 QUEUE.Expired; message expired ##")])),
        dsn("EX07HUB.corp.example.org", [("mia@slow.example", "failed", "4.4.7", "550 4.4.7 QUEUE.Expired; message expired")]),
        part("message/rfc822", oh + "\nHello.\n")], "_000_ex07e_"), mid)

# ---------------------------------------------------------------- Exchange 2010
EX10_UNKNOWN = ("The e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend "
                "the message. If the problem continues, please contact your helpdesk.")
EX10_GEN = ("A problem occurred during the delivery of this message to this e-mail address. Try sending this message again. "
            "If the problem continues, please contact your helpdesk.")


def ex10(name: str, kind: str, rcpts: list[dict], items: list[tuple[str, str, str]], status: list[str] | None,
         tag: str, intro: str = "Delivery has failed to these recipients or groups:", subject: str = "Undeliverable: December newsletter",
         diag: str = "Diagnostic information for administrators:", gen: str = "Generating server", charset: str = "us-ascii",
         mbox: bool = False, action: str = "failed") -> None:
    mid, oh = orig(", ".join(i[0] for i in items), tag)
    text = ex07_text(items, server="EX10CAS01.corp.example.org", ver="2010", intro=intro, diag=diag, gen=gen)
    cte = "base64" if charset == "utf-8" else ""
    parts = [part(f"text/plain; charset=\"{charset}\"", text + oh, cte)]
    if status:
        parts.append(dsn("EX10CAS01.corp.example.org",
                         [(i[0], action, s, i[2].strip("# ")) for i, s in zip(items, status, strict=True)]))
        parts.append(part("message/rfc822", oh + "\nHello.\n"))
        body = report(parts, f"_000_{tag}_")
    else:
        parts.append(part("message/rfc822", oh + "\nHello.\n"))
        body = multipart("mixed", parts, f"_001_{tag}_")
    add(name, kind, rcpts,
        head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", subject,
             "X-MS-Exchange-Message-Is-Ndr:\nAuto-Submitted: auto-replied\n" if kind != "delay" else "", mbox=mbox) + body, mid)


ex10("exchange2010_userunknown", "bounce", [rcpt("nia@corp.example.org", "userunknown", True)],
     [("nia@corp.example.org", EX10_UNKNOWN, "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##")], ["5.1.1"], "ex10a")
ex10("exchange2010_remote_qmail_nodsn", "bounce", [rcpt("otto@example.net", "userunknown", True)],
     [("otto@example.net", EX10_GEN + "\n\nThe following organization rejected your message: mail.example.net.",
       "#550 5.1.1 mail.example.net gave this error: Sorry, no mailbox here by that name. (#5.1.1) ##")], None, "ex10b", mbox=True)
ex10("exchange2010_nonexistent_domain", "bounce", [rcpt("pia@nonexistent.example", "hostunknown", True)],
     [("pia@nonexistent.example", "The domain name in the e-mail address is incorrect. Check the address.",
       "#554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain ##")], ["5.4.4"], "ex10c")
ex10("exchange2010_french_unknown", "bounce", [rcpt("quentin@example.fr", "userunknown", True)],
     [("quentin@example.fr", "L'adresse de messagerie que vous avez entrée est introuvable. Vérifiez l'adresse de messagerie du destinataire et essayez de renvoyer le message. Si le problème persiste, contactez votre support technique.",
       "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##")], ["5.1.1"], "ex10d",
     intro="La remise à ces destinataires ou groupes a échoué :", subject="Non remis : December newsletter",
     diag="Informations de diagnostic pour les administrateurs :", gen="Serveur de génération", charset="utf-8")
ex10("exchange2010_relay_denied", "bounce", [rcpt("rosa@example.net", "norelaying", False)],
     [("rosa@example.net", "Your message wasn't delivered because the recipient's e-mail provider rejected it.",
       "#550 5.7.1 Unable to relay ##")], ["5.7.1"], "ex10e")
ex10("exchange2010_spanish_full", "bounce", [rcpt("sara@example.es", "mailboxfull", False)],
     [("sara@example.es", "El buzón del destinatario está lleno y no puede aceptar mensajes en este momento. Intente reenviar el mensaje más tarde o póngase en contacto con el destinatario directamente.",
       "#550 5.2.2 STOREDRV.Deliver: mailbox full ##")], ["5.2.2"], "ex10f",
     intro="Error en la entrega a estos destinatarios o grupos:", subject="No se puede entregar: December newsletter",
     diag="Información de diagnóstico para administradores:", gen="Servidor de generación", charset="utf-8")
ex10("exchange2010_remote_disabled", "bounce", [rcpt("tom@example.com", "suspend", False)],
     [("tom@example.com", EX10_GEN + "\n\nThe following organization rejected your message: aspmx.l.google.com.",
       "#550 5.2.1 The email account that you tried to reach is disabled. Learn more at https://support.google.com/mail/?p=DisabledUser a1si123 - gsmtp ##")], ["5.2.1"], "ex10g")
ex10("exchange2010_remote_spam", "bounce", [rcpt("uma@example.net", "spamdetected", False)],
     [("uma@example.net", EX10_GEN + "\n\nThe following organization rejected your message: mx.example.net.",
       "#550 5.7.1 Message rejected as spam by Content Filtering. ##")], ["5.7.1"], "ex10h")

# delay warning, Exchange 2010
mid, oh = orig("vic@slow.example", "ex10dly")
add("exchange2010_delay", "delay", [rcpt("vic@slow.example", "expired", False)],
    head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", "Delivery delayed:December newsletter")
    + report([part("text/plain; charset=\"us-ascii\"",
                   "Delivery is delayed to these recipients or groups:\n\nvic@slow.example\n\nSubject: December newsletter\n\n"
                   "This message hasn't been delivered yet. Delivery will continue to be attempted.\n\n"
                   "The server will keep trying to deliver this message for the next 1 days, 19 hours and 57 minutes. "
                   "You'll be notified if the message can't be delivered by that time.\n\n\n\n\n\n\n\n"
                   "Diagnostic information for administrators:\n\nGenerating server: EX10CAS01.corp.example.org\n\n"
                   "vic@slow.example\n#< #4.4.7 smtp;400 4.4.7 Message delayed> #SMTP#\n\nOriginal message headers:\n\n" + oh),
              dsn("EX10CAS01.corp.example.org", [("vic@slow.example", "delayed", "4.4.7", "400 4.4.7 Message delayed")]),
              part("text/rfc822-headers", oh)], "_000_ex10dly_"), mid)

# ---------------------------------------------------------------- Exchange 2013-2019 (HTML + text)
EX16_UNKNOWN = ("The email address you entered couldn't be found. Please check the recipient's email address and try to resend "
                "the message. If the problem continues, please contact your helpdesk.")


def ex16(name: str, kind: str, rcpts: list[dict], items: list[tuple[str, str, str]], status: list[str] | None, tag: str,
         intro: str = "Delivery has failed to these recipients or groups:", subject: str = "Undeliverable: December newsletter",
         diag: str = "Diagnostic information for administrators:", gen: str = "Generating server",
         mbox: bool = False, headers_only: bool = False, frm: str = "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>") -> None:
    mid, oh = orig(", ".join(i[0] for i in items), tag)
    text = intro + "\n\n"
    for addr, prose, _ in items:
        text += f"{addr}<mailto:{addr}>\n{prose}\n\n"
    text += f"\n\n\n\n\n\n{diag}\n\n{gen}: EX16MBX02.corp.example.org\n\n"
    for addr, _, code in items:
        text += f"{addr}\n{code}\n\n"
    text += "Original message headers:\n\n" + oh
    alt = multipart("alternative", [part("text/plain; charset=\"utf-8\"", text, "base64"),
                                    part("text/html; charset=\"utf-8\"", html(text), "base64")], f"_002_{tag}_")
    parts = [alt]
    if status:
        parts.append(dsn("EX16MBX02.corp.example.org",
                         [(i[0], "failed", s, i[2].split("returned '")[-1].rstrip("'")) for i, s in zip(items, status, strict=True)]))
    parts.append(part("text/rfc822-headers", oh) if headers_only else part("message/rfc822", oh + "\nHello.\n"))
    body = report(parts, f"_000_{tag}_") if status else multipart("mixed", parts, f"_001_{tag}_")
    add(name, kind, rcpts, head(frm, subject, "X-MS-Exchange-Message-Is-Ndr:\nContent-Language: en-US\n", mbox=mbox) + body, mid)


ex16("exchange2016_userunknown", "bounce", [rcpt("wes@corp.example.org", "userunknown", True)],
     [("wes@corp.example.org", EX16_UNKNOWN, "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'")], ["5.1.1"], "ex16a")
ex16("exchange2016_remote_postfix_nodsn", "bounce", [rcpt("xena@example.net", "userunknown", True)],
     [("xena@example.net", "The email address wasn't found at the destination domain. It might be misspelled or it might not exist. Try to fix the problem by doing one or more of the following:",
       "Remote Server at mx.example.net (203.0.113.25) returned '550 5.1.1 <xena@example.net>: Recipient address rejected: User unknown in virtual mailbox table'")], None, "ex16b")
ex16("exchange2016_german_full", "bounce", [rcpt("yann@example.de", "mailboxfull", False)],
     [("yann@example.de", "Das Postfach des Empfängers ist voll und kann derzeit keine Nachrichten annehmen. Versuchen Sie später erneut, die Nachricht zu senden, oder wenden Sie sich direkt an den Empfänger.",
       "Remote Server returned '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message Cannot open mailbox'")], ["5.2.2"], "ex16c",
     intro="Die Zustellung an folgende Empfänger oder Gruppen ist fehlgeschlagen:", subject="Unzustellbar: December newsletter",
     diag="Diagnoseinformationen für Administratoren:", gen="Generierender Server")
ex16("exchange2019_expired", "bounce", [rcpt("zoe@slow.example", "expired", False)],
     [("zoe@slow.example", "The recipient server did not accept our requests to connect. Learn more at https://go.microsoft.com/fwlink/?LinkId=389361",
       "Remote Server at slow.example (203.0.113.40) returned '550 4.4.7 QUEUE.Expired; message expired [Message=451 4.4.0 Error communicating with target host. -> 421 4.4.2 Connection dropped due to SocketError] [LastAttemptedServerName=slow.example] [LastAttemptedIP=203.0.113.40:25]'")], ["4.4.7"], "ex19a")
ex16("exchange2016_blocked", "bounce", [rcpt("abe@example.net", "blocked", False)],
     [("abe@example.net", "Your message wasn't delivered because the recipient's email provider rejected it.",
       "Remote Server at mx.example.net (203.0.113.25) returned '550 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7'")], ["5.7.1"], "ex16e")
ex16("exchange2016_nonexistent_domain", "bounce", [rcpt("bea@nonexistent.example", "hostunknown", True)],
     [("bea@nonexistent.example", "The domain you attempted to contact doesn't exist. This could be because the domain name is misspelled, or the domain may have expired.",
       "Remote Server returned '554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain'")], ["5.4.4"], "ex16f", headers_only=True)
ex16("exchange2016_japanese_unknown", "bounce", [rcpt("chiyo@example.jp", "userunknown", True)],
     [("chiyo@example.jp", "入力した電子メール アドレスが見つかりませんでした。受信者の電子メール アドレスを確認して、メッセージを再送信してください。問題が解決しない場合は、ヘルプデスクに連絡してください。",
       "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'")], ["5.1.1"], "ex16g",
     intro="次の受信者またはグループへの配信に失敗しました:", subject="=?iso-2022-jp?B?GyRCR1s/LklURD0bKEI=?=: December newsletter",
     diag="管理者向けの診断情報:", gen="生成元サーバー")
ex16("exchange2016_two_recipients", "bounce",
     [rcpt("dora@example.net", "userunknown", True), rcpt("emil@example.net", "mailboxfull", False)],
     [("dora@example.net", "The email address wasn't found at the destination domain.",
       "Remote Server at mx.example.net (203.0.113.25) returned '550 5.1.1 <dora@example.net>... User unknown'"),
      ("emil@example.net", "The recipient's mailbox is full and can't accept messages now.",
       "Remote Server at mx.example.net (203.0.113.25) returned '552 5.2.2 <emil@example.net>... Mailbox full'")], ["5.1.1", "5.2.2"], "ex16h", mbox=True)

# ---------------------------------------------------------------- Office 365 / Outlook.com


def o365(name: str, kind: str, rcpts: list[dict], addr: str, headline: str, detail: str, code: str, status: str | None,
         tag: str, subject: str = "Undeliverable: December newsletter", frm: str = "Microsoft Outlook <postmaster@example.onmicrosoft.com>",
         lang: tuple[str, str, str, str] = ("Your message to {a} couldn't be delivered.", "Diagnostic information for administrators:",
                                            "Generating server", "Original message headers:"),
         sndr: str = "Office 365", mbox: bool = False) -> None:
    mid, oh = orig(addr, tag)
    text = (lang[0].format(a=addr) + "\n" + headline + "\n\n"
            f"news\n{sndr}\n{addr.split('@')[0]}\nAction Required\nRecipient\n\n\n{detail}\n\n\n"
            f"How to Fix It\n{detail}\n\n\n\n\n\n\nMore Info for Email Admins\nStatus code: {status or '5.0.0'}\n\n\n"
            f"{lang[1]}\n\n{lang[2]}: AM6PR0502MB3911.eurprd05.prod.outlook.com\n\n{addr}\n{code}\n\n{lang[3]}\n\n" + oh)
    alt = multipart("alternative", [part("text/plain; charset=\"utf-8\"", text, "base64"),
                                    part("text/html; charset=\"utf-8\"", html(text), "base64")], f"_002_{tag}_")
    parts = [alt]
    if status:
        parts.append(dsn("AM6PR0502MB3911.eurprd05.prod.outlook.com",
                         [(addr, "delayed" if kind == "delay" else "failed", status, code.split("returned '")[-1].rstrip("'"))]))
    parts.append(part("message/rfc822", oh + "\nHello.\n"))
    body = report(parts, f"_000_{tag}_") if status else multipart("mixed", parts, f"_001_{tag}_")
    add(name, kind, rcpts, head(frm, subject, "X-MS-Exchange-Message-Is-Ndr:\nX-MS-PublicTrafficType: Email\n", mbox=mbox) + body, mid)


o365("office365_userunknown", "bounce", [rcpt("fred@example.org", "userunknown", True)], "fred@example.org",
     "fred wasn't found at example.org.", "The email address you entered couldn't be found.",
     "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient fred@example.org not found by SMTP address lookup'", "5.1.10", "o365a")
o365("office365_remote_gmail_unknown_nodsn", "bounce", [rcpt("gina@example.com", "userunknown", True)], "gina@example.com",
     "The email address wasn't found at the destination domain.",
     "It might be misspelled or it might not exist. Try to fix the problem by doing one or more of the following:",
     "Remote Server at gmail-smtp-in.l.google.com (142.250.0.27) returned '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser a2si3456 - gsmtp'",
     None, "o365b")
o365("office365_banned_ip", "bounce", [rcpt("hugo@example.org", "blocked", False)], "hugo@example.org",
     "Your message couldn't be delivered because the recipient's email server rejected it.", "Contact your email admin.",
     "Remote Server returned '550 5.7.606 Access denied, banned sending IP [198.51.100.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)'", "5.7.606", "o365c")
o365("office365_mailboxfull", "bounce", [rcpt("ines@example.org", "mailboxfull", False)], "ines@example.org",
     "ines's mailbox is full.", "The recipient's mailbox is full and can't accept messages now.",
     "Remote Server returned '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot open mailbox.[EndDiagnosticData]'", "5.2.2", "o365d")
o365("office365_dbeb_access_denied", "bounce", [rcpt("jack@example.org", "userunknown", True)], "jack@example.org",
     "jack wasn't found at example.org.", "The email address you entered couldn't be found.",
     "Remote Server returned '550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]'", "5.4.1", "o365e")
o365("office365_restricted_group", "bounce", [rcpt("staff@example.org", "rejected", False)], "staff@example.org",
     "Your message couldn't be delivered because delivery to this group is restricted to authenticated senders.",
     "Ask the group owner to allow messages from external senders.",
     "Remote Server returned '550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed because the sender was not authenticated when sending to this group'", "5.7.133", "o365f")
o365("office365_dmarc_reject", "bounce", [rcpt("kurt@example.org", "authfailure", False)], "kurt@example.org",
     "Your message couldn't be delivered because it failed DMARC.", "Ask your email admin to check the DMARC record.",
     "Remote Server returned '550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC policy of reject. [AM6PEPF00001234.eurprd05.prod.outlook.com]'", "5.7.509", "o365g")
o365("office365_german_unknown", "bounce", [rcpt("lena@beispiel.example", "userunknown", True)], "lena@beispiel.example",
     "lena wurde unter beispiel.example nicht gefunden.", "Die eingegebene E-Mail-Adresse wurde nicht gefunden.",
     "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient lena@beispiel.example not found by SMTP address lookup'", "5.1.10", "o365h",
     subject="Unzustellbar: December newsletter",
     lang=("Ihre Nachricht an {a} konnte nicht übermittelt werden.", "Diagnoseinformationen für Administratoren:",
           "Generierender Server", "Ursprüngliche Nachrichtenkopfzeilen:"))
o365("outlookcom_mailbox_unavailable", "bounce", [rcpt("mats@hotmail.example", "userunknown", True)], "mats@hotmail.example",
     "The email address wasn't found at the destination domain.", "It might be misspelled or it might not exist.",
     "Remote Server at hotmail-example.olc.protection.outlook.com (52.101.0.1) returned '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]'",
     "5.5.0", "olc1", frm="postmaster@outlook.com", sndr="Outlook.com")
o365("outlookcom_blocklist", "bounce", [rcpt("nora@outlook.example", "blocked", False)], "nora@outlook.example",
     "Your message couldn't be delivered because the recipient's email server rejected it.", "Contact the recipient by some other means.",
     "Remote Server returned '550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.'",
     "5.7.1", "olc2", frm="postmaster@outlook.com", sndr="Outlook.com")
o365("office365_external_forwarding", "bounce", [rcpt("omar@example.org", "policyviolation", False)], "omar@example.org",
     "Your message couldn't be delivered because your organization doesn't allow forwarding to external recipients.",
     "Contact your email admin.",
     "Remote Server returned '550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555)'", "5.7.520", "o365i")
o365("office365_relay_denied", "bounce", [rcpt("pete@example.net", "norelaying", False)], "pete@example.net",
     "Your message couldn't be delivered because the recipient's email server rejected it.", "Contact your email admin.",
     "Remote Server returned '550 5.7.64 TenantAttribution; Relay Access Denied [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]'", "5.7.64", "o365j")
o365("office365_remote_hostunknown_nodsn", "bounce", [rcpt("rita@nonexistent.example", "hostunknown", True)], "rita@nonexistent.example",
     "The domain you attempted to contact doesn't exist.", "This could be because the domain name is misspelled, or the domain may have expired.",
     "Remote Server returned '550 5.4.310 DNS domain nonexistent.example does not exist [Message=InfoDomainNonexistent] [LastAttemptedServerName=nonexistent.example] [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]'",
     None, "o365k", mbox=True)

mid, oh = orig("sven@slow.example", "o365dly")
add("office365_delay", "delay", [rcpt("sven@slow.example", "expired", False)],
    head("Microsoft Outlook <postmaster@example.onmicrosoft.com>", "Delivery delayed:December newsletter")
    + report([multipart("alternative", [part("text/plain; charset=\"utf-8\"",
                   "Delivery is delayed to these recipients or groups:\n\nsven@slow.example<mailto:sven@slow.example>\n\n"
                   "Subject: December newsletter\n\nThis message hasn't been delivered yet. Delivery will continue to be attempted.\n\n"
                   "The server will keep trying to deliver this message for the next 1 days, 23 hours and 52 minutes. "
                   "You'll be notified if the message can't be delivered by that time.\n\n\n\n\n\n"
                   "Diagnostic information for administrators:\n\nGenerating server: AM6PR0502MB3911.eurprd05.prod.outlook.com\n"
                   "Receiving server: slow.example (203.0.113.40)\n\nsven@slow.example\nServer at slow.example (203.0.113.40) returned "
                   "'400 4.4.7 Message delayed'\n12/1/2025 9:05:12 AM - Server at slow.example (203.0.113.40) returned "
                   "'451 4.4.0 Error communicating with target host. -> 421 4.4.2 Connection dropped due to SocketError'\n\n"
                   "Original message headers:\n\n" + oh)], "_002_o365dly_"),
              dsn("AM6PR0502MB3911.eurprd05.prod.outlook.com", [("sven@slow.example", "delayed", "4.4.7", "400 4.4.7 Message delayed")]),
              part("text/rfc822-headers", oh)], "_000_o365dly_"), mid)

# ---------------------------------------------------------------- Lotus Domino / Notes


def domino(name: str, kind: str, rcpts: list[dict], items: list[tuple[str, str]], tag: str, subject: str,
           status: list[str] | None = None, mbox: bool = False) -> None:
    mid, oh = orig(", ".join(i[0] for i in items), tag)
    text = ""
    for addr, because in items:
        text += (f"Your message\n\n  Subject: December newsletter\n\nwas not delivered to:\n\n  {addr}\n\n"
                 f"because:\n\n  {because}\n\n")
    parts = [part("text/plain; charset=\"US-ASCII\"", text)]
    if status:
        parts.append(part("message/delivery-status",
                          "Reporting-MTA: dns;notes01.acme.example\n" + "".join(
                              f"\nFinal-Recipient: rfc822;{a}\nAction: failed\nStatus: {s}\nDiagnostic-Code: X-Notes; {b}\n"
                              for (a, b), s in zip(items, status, strict=True))))
    parts.append(part("message/rfc822", oh + "\nHello.\n"))
    body = report(parts, f"=_mixed 00{tag}_=") if status else multipart("mixed", parts, f"=_mixed 00{tag}_=")
    add(name, kind, rcpts, head("Postmaster@acme.example", subject,
                                "X-Mailer: Lotus Domino Release 8.5.3FP6 November 21, 2013\n"
                                "X-MIMETrack: Serialize by Router on notes01/ACME(Release 8.5.3FP6|November 21, 2013) at 12/01/2025 09:00:08 AM\n",
                                mbox=mbox) + body, mid)


domino("domino_userunknown", "bounce", [rcpt("quinn@acme.example", "userunknown", True)],
       [("quinn@acme.example", "User quinn (quinn@acme.example) not listed in Domino Directory")], "dom1",
       "DELIVERY FAILURE: User quinn (quinn@acme.example) not listed in Domino Directory")
domino("domino_userunknown_dsn", "bounce", [rcpt("ruth@acme.example", "userunknown", True)],
       [("ruth@acme.example", "User ruth (ruth@acme.example) not listed in Domino Directory")], "dom2",
       "DELIVERY FAILURE: User ruth (ruth@acme.example) not listed in Domino Directory", ["5.0.0"])
domino("domino_old_nab", "bounce", [rcpt("sam@acme.example", "userunknown", True)],
       [("sam@acme.example", "User sam (sam@acme.example) not listed in public Name & Address Book")], "dom3",
       "DELIVERY FAILURE: User sam (sam@acme.example) not listed in public Name & Address Book", mbox=True)
domino("domino_remote_blocked", "bounce", [rcpt("tina@example.net", "blocked", False)],
       [("tina@example.net", "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?198.51.100.7")], "dom4",
       "DELIVERY FAILURE: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using bl.spamcop.net", ["5.7.1"])
domino("domino_no_route", "bounce", [rcpt("ugo@nonexistent.example", "hostunknown", True)],
       [("ugo@nonexistent.example", "No route found to domain nonexistent.example from server NOTES01/ACME. Check Server, Connection and Domain documents in Domino Directory.")], "dom5",
       "DELIVERY FAILURE: No route found to domain nonexistent.example from server NOTES01/ACME.")
domino("domino_remote_unknown", "bounce", [rcpt("vera@example.net", "userunknown", True)],
       [("vera@example.net", "550 5.1.1 <vera@example.net>: Recipient address rejected: User unknown in local recipient table")], "dom6",
       "DELIVERY FAILURE: 550 5.1.1 <vera@example.net>: Recipient address rejected: User unknown in local recipient table")
domino("domino_mailfile_full", "bounce", [rcpt("walt@acme.example", "mailboxfull", False)],
       [("walt@acme.example", "Unable to deliver message to walt@acme.example because their mail file exceeds its quota")], "dom7",
       "DELIVERY FAILURE: Unable to deliver message because mail file exceeds its quota")

# ---------------------------------------------------------------- Novell GroupWise (GWIA)


def gwia(name: str, kind: str, rcpts: list[dict], items: list[tuple[str, str, str]], tag: str) -> None:
    mid, oh = orig(", ".join(i[0] for i in items), tag)
    text = "The attached file had the following undeliverable recipient(s):\n"
    for addr, _, _ in items:
        text += f"\t{addr}\n"
    text += "\nTranscript of session follows:\n"
    for _, cmd, resp in items:
        text += f" Command: {cmd}\n Response: {resp}\n"
    add(name, kind, rcpts,
        head("Mail Delivery System <Postmaster@gw.acme.example>", "Message status - undeliverable",
             "X-Mailer: GroupWise Internet Agent 8.0.3 \n")
        + multipart("mixed", [part("text/plain; charset=US-ASCII", text, "quoted-printable"),
                              part("message/rfc822", oh + "\nHello.\n")], f"=__Part{tag}.0__="), mid)


gwia("groupwise_gwia_userunknown", "bounce", [rcpt("xavi@example.net", "userunknown", True)],
     [("xavi@example.net", "RCPT TO:<xavi@example.net>", "550 5.1.1 <xavi@example.net>... User unknown")], "gw1")
gwia("groupwise_gwia_full", "bounce", [rcpt("yusuf@example.net", "mailboxfull", False)],
     [("yusuf@example.net", "RCPT TO:<yusuf@example.net>", "552 5.2.2 <yusuf@example.net>: Mailbox quota exceeded")], "gw2")
gwia("groupwise_gwia_blocked_data", "bounce", [rcpt("zara@example.net", "blocked", False)],
     [("zara@example.net", "DATA", "554 5.7.1 Rejected - 198.51.100.7 listed at zen.spamhaus.org")], "gw3")

mid, oh = orig("adam@acme.example", "gw4")
add("groupwise_undeliverable_userunknown", "bounce", [rcpt("adam@acme.example", "userunknown", True)],
    head("Mail Delivery System <Postmaster@gw.acme.example>", "Undeliverable mail",
         "X-Mailer: GroupWise Internet Agent 7.0.3 \n")
    + multipart("mixed", [part("text/plain; charset=US-ASCII",
                               "The message that you sent was undeliverable to the following:\n\tadam (user not found)\n\n"
                               "Possibly truncated original message follows:\n"),
                          part("message/rfc822", oh + "\nHello.\n")], "=__Partgw4.0__="), mid)

# ---------------------------------------------------------------- Gmail / Google Workspace
GMAIL_FROM = "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"


def gmail_old(name: str, kind: str, rcpts: list[dict], addrs: list[str], body: str, tag: str, subject: str, mbox: bool = False) -> None:
    mid, oh = orig(", ".join(addrs), tag)
    add(name, kind, rcpts,
        head(GMAIL_FROM, subject, "X-Failed-Recipients: " + ", ".join(addrs) + "\n" if kind == "bounce" else "", mbox=mbox)
        + multipart("mixed", [part("text/plain; charset=ISO-8859-1",
                                   "This is an automatically generated Delivery Status Notification\n\n" + body
                                   + "\n\n   ----- Original message -----\n\n" + oh + "\nHello.\n")], f"0016e6d{tag}"), mid)


gmail_old("gmail_old_userunknown", "bounce", [rcpt("beth@example.net", "userunknown", True)], ["beth@example.net"],
          "Delivery to the following recipient failed permanently:\n\n     beth@example.net\n\n"
          "Technical details of permanent failure:\nGoogle tried to deliver your message, but it was rejected by the recipient domain. "
          "We recommend contacting the other email provider for further information about the cause of this error. "
          "The error that the other server returned was: 550 550 5.1.1 <beth@example.net>: Recipient address rejected: User unknown in local recipient table (state 14).",
          "g1", "Delivery Status Notification (Failure)", mbox=True)
gmail_old("gmail_old_domain_not_found", "bounce", [rcpt("cody@nonexistent.example", "hostunknown", True)], ["cody@nonexistent.example"],
          "Delivery to the following recipient failed permanently:\n\n     cody@nonexistent.example\n\n"
          "Technical details of permanent failure:\nDNS Error: Domain name not found", "g2", "Delivery Status Notification (Failure)")
gmail_old("gmail_old_delay", "delay", [rcpt("dina@slow.example", "expired", False)], ["dina@slow.example"],
          "Delivery to the following recipient has been delayed:\n\n     dina@slow.example\n\n"
          "Message will be retried for 2 more day(s)\n\n"
          "Technical details of temporary failure:\nThe recipient server did not accept our requests to connect. "
          "Learn more at http://mail.google.com/support/bin/answer.py?answer=7720 \n[slow.example. (10): Connection timed out]",
          "g3", "Delivery Status Notification (Delay)")
gmail_old("gmail_old_two_recipients", "bounce",
          [rcpt("eli@example.net", "userunknown", True), rcpt("finn@example.net", "userunknown", True)], ["eli@example.net", "finn@example.net"],
          "Delivery to the following recipients failed permanently:\n\n     eli@example.net\n     finn@example.net\n\n"
          "Technical details of permanent failure:\nGoogle tried to deliver your message, but it was rejected by the recipient domain. "
          "We recommend contacting the other email provider for further information about the cause of this error. "
          "The error that the other server returned was: 550 550 #5.1.0 Address rejected. (state 14).",
          "g4", "Delivery Status Notification (Failure)")


def gmail_new(name: str, kind: str, rcpts: list[dict], addr: str, banner: str, prose: str, reply: str,
              status: str | None, diag: str, tag: str, subject: str = "Delivery Status Notification (Failure)") -> None:
    mid, oh = orig(addr, tag)
    text = f"\n** {banner} **\n\n{prose}\n\n{reply}\n"
    htmltext = html(text)
    alt = multipart("alternative", [part("text/plain; charset=\"UTF-8\"", text),
                                    part("text/html; charset=\"UTF-8\"", htmltext)], f"000000000000b2a{tag}")
    parts = [alt]
    if status:
        parts.append(part("message/delivery-status",
                          "Reporting-MTA: dns; googlemail.com\nReceived-From-MTA: dns; news@example.com\n"
                          "Arrival-Date: Mon, 01 Dec 2025 01:00:00 -0800 (PST)\n"
                          f"X-Original-Message-ID: {mid}\n\nFinal-Recipient: rfc822; {addr}\n"
                          f"Action: {'delayed' if kind == 'delay' else 'failed'}\nStatus: {status}\n"
                          + (f"Remote-MTA: dns; mx.{addr.split('@')[1]}. (203.0.113.25, the server for the domain {addr.split('@')[1]}.)\n" if 'DNS' not in diag else "")
                          + f"Diagnostic-Code: smtp; {diag}\nLast-Attempt-Date: Mon, 01 Dec 2025 01:00:05 -0800 (PST)\n"
                          + ("Will-Retry-Until: Wed, 03 Dec 2025 01:00:05 -0800 (PST)\n" if kind == "delay" else "")))
    parts.append(part("message/rfc822", oh + "\nHello.\n"))
    extra = "" if kind == "delay" else f"X-Failed-Recipients: {addr}\n"
    body = report(parts, f"000000000000b29{tag}") if status else multipart("mixed", parts, f"000000000000b29{tag}")
    add(name, kind, rcpts, head(GMAIL_FROM, subject, extra + "Auto-Submitted: auto-replied\n") + body, mid)


gmail_new("gmail_address_not_found", "bounce", [rcpt("gail@example.net", "userunknown", True)], "gail@example.net",
          "Address not found", "Your message wasn't delivered to gail@example.net because the address couldn't be found, or is unable to receive mail.",
          "The response from the remote server was:\n550 5.1.1 <gail@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
          "5.1.1", "550 5.1.1 <gail@example.net>: Recipient address rejected: User unknown in virtual mailbox table", "g5")
gmail_new("gmail_gmail_nosuchuser_nodsn", "bounce", [rcpt("hal@gmail.example", "userunknown", True)], "hal@gmail.example",
          "Address not found", "Your message wasn't delivered to hal@gmail.example because the address couldn't be found, or is unable to receive mail.\n\nLearn more here: https://support.google.com/mail/?p=NoSuchUser",
          "The response was:\n\nThe email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser",
          None, "", "g6")
gmail_new("gmail_over_quota", "bounce", [rcpt("ida@gmail.example", "mailboxfull", False)], "ida@gmail.example",
          "Message not delivered", "Your message couldn't be delivered to ida@gmail.example because the remote server is misconfigured. See technical details below for more information.",
          "The response from the remote server was:\n552 5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm",
          "5.2.2", "552-5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to 552 5.2.2 https://support.google.com/mail/?p=OverQuotaPerm z1si - gsmtp", "g7")
gmail_new("gmail_domain_not_found", "bounce", [rcpt("jay@nonexistent.example", "hostunknown", True)], "jay@nonexistent.example",
          "Domain not found", "Your message wasn't delivered to jay@nonexistent.example because the domain nonexistent.example couldn't be found. Check for typos or unnecessary spaces and try again.",
          "The response was:\n\nDNS Error: DNS type 'mx' lookup of nonexistent.example responded with code NXDOMAIN Domain name not found: nonexistent.example",
          "5.1.2", "DNS Error: DNS type 'mx' lookup of nonexistent.example responded with code NXDOMAIN Domain name not found: nonexistent.example", "g8")
gmail_new("gmail_message_blocked", "bounce", [rcpt("kai@example.net", "spamdetected", False)], "kai@example.net",
          "Message blocked", "Your message to kai@example.net has been blocked. See technical details below for more information.",
          "The response from the remote server was:\n550 5.7.1 Message rejected as spam; score 12.3 > 6.0",
          "5.7.1", "550 5.7.1 Message rejected as spam; score 12.3 > 6.0", "g9")
gmail_new("gmail_delivery_incomplete", "delay", [rcpt("lou@slow.example", "expired", False)], "lou@slow.example",
          "Delivery incomplete", "There was a temporary problem delivering your message to lou@slow.example. Gmail will retry for 46 more hours. You'll be notified if the delivery fails permanently.",
          "The response was:\n\nThe recipient server did not accept our requests to connect. Learn more at https://support.google.com/mail/answer/7720 [slow.example. 203.0.113.40: timed out]",
          "4.4.1", "The recipient server did not accept our requests to connect. Learn more at https://support.google.com/mail/answer/7720 [slow.example. 203.0.113.40: timed out]",
          "g10", subject="Delivery Status Notification (Delay)")
gmail_new("gworkspace_disabled", "bounce", [rcpt("max@workspace.example", "suspend", False)], "max@workspace.example",
          "Message not delivered", "There was a problem delivering your message to max@workspace.example. See the technical details below.",
          "The response was:\n\nThe email account that you tried to reach is disabled. Learn more at https://support.google.com/mail/?p=DisabledUser",
          "5.2.1", "550-5.2.1 The email account that you tried to reach is disabled. Learn more at 550 5.2.1 https://support.google.com/mail/?p=DisabledUser b1si - gsmtp", "g11")
gmail_new("gmail_remote_not_reachable", "bounce", [rcpt("ned@example.net", "expired", False)], "ned@example.net",
          "Message not delivered", "There was a problem delivering your message to ned@example.net. See the technical details below, or try resending in a few minutes.",
          "The response was:\n\nThe recipient server did not accept our requests to connect. Learn more at https://support.google.com/mail/answer/7720 [mx.example.net 203.0.113.25: timed out]",
          "4.4.1", "The recipient server did not accept our requests to connect. [mx.example.net 203.0.113.25: timed out]", "g12")

# ---------------------------------------------------------------- AOL
mid, oh = orig("olga@aol.example", "aol1")
add("aol_old_sendmail_unknown", "bounce", [rcpt("olga@aol.example", "userunknown", True)],
    head("Mail Delivery Subsystem <MAILER-DAEMON@aol.com>", "Returned mail: User unknown", mbox=True)
    + report([part("text/plain",
                   "The original message was received at Mon, 1 Dec 2025 04:00:02 -0500 (EST)\nfrom lists.example.com [192.0.2.10]\n\n"
                   "   ----- The following addresses had permanent fatal errors -----\n<olga@aol.example>\n    (reason: 550 MAILBOX NOT FOUND)\n\n"
                   "   ----- Transcript of session follows -----\n... while talking to mailin-01.mx.aol.example.:\n"
                   ">>> RCPT To:<olga@aol.example>\n<<< 550 MAILBOX NOT FOUND\n550 5.1.1 <olga@aol.example>... User unknown\n"),
              part("message/delivery-status",
                   "Reporting-MTA: dns; omr-m01.mx.aol.com\nArrival-Date: Mon, 1 Dec 2025 04:00:02 -0500 (EST)\n\n"
                   "Final-Recipient: RFC822; olga@aol.example\nAction: failed\nStatus: 5.1.1\n"
                   "Remote-MTA: DNS; mailin-01.mx.aol.example\nDiagnostic-Code: SMTP; 550 MAILBOX NOT FOUND\n"
                   "Last-Attempt-Date: Mon, 1 Dec 2025 04:00:05 -0500 (EST)\n"),
              part("message/rfc822", oh + "\nHello.\n")], "s1A9004k1234.1764579605/omr-m01.mx.aol.com"), mid)

mid, oh = orig("pat@example.net", "aol2")
add("aol_sorry_unknown", "bounce", [rcpt("pat@example.net", "userunknown", True)],
    head("MAILER-DAEMON@aol.com", "Failure Notice", "X-YMailISG: cJ7qKfUWLDu7pCq\n")
    + part("text/plain; charset=UTF-8",
           "Sorry, we were unable to deliver your message to the following address.\n\n<pat@example.net>:\n"
           "550: 5.1.1 <pat@example.net>: Recipient address rejected: User unknown in virtual alias table\n\n"
           "--- Below this line is a copy of the message.\n\n" + oh + "\nHello.\n"), mid)

mid, oh = orig("quinn@aol.example", "aol3")
add("aol_dd_no_account", "bounce", [rcpt("quinn@aol.example", "userunknown", True)],
    head("MAILER-DAEMON@yahoo.com", "Failure Notice", "X-YMailISG: Z8yP.rEWLDvZBv9\n")
    + part("text/plain; charset=UTF-8",
           "Sorry, we were unable to deliver your message to the following address.\n\n<quinn@aol.example>:\n"
           "554: delivery error: dd This user doesn't have a aol.com account (quinn@aol.example) [0] - mta4041.aol.mail.bf1.yahoo.com\n\n"
           "--- Below this line is a copy of the message.\n\n" + oh + "\nHello.\n"), mid)

mid, oh = orig("rex@example.net", "aol4")
add("aol_old_rly_blocked", "bounce", [rcpt("rex@example.net", "blocked", False)],
    head("Mail Delivery Subsystem <MAILER-DAEMON@aol.com>", "Returned mail: see transcript for details")
    + report([part("text/plain",
                   "The original message was received at Mon, 1 Dec 2025 04:00:02 -0500 (EST)\nfrom lists.example.com [192.0.2.10]\n\n"
                   "   ----- The following addresses had permanent fatal errors -----\n<rex@example.net>\n"
                   "    (reason: 554 RLY:B1 http://postmaster.info.aol.com/errors/554rlyb1.html)\n\n"
                   "   ----- Transcript of session follows -----\n... while talking to mx.example.net.:\n"
                   ">>> MAIL From:<news@example.com>\n<<< 554 RLY:B1 http://postmaster.info.aol.com/errors/554rlyb1.html\n"
                   "554 5.0.0 Service unavailable\n"),
              part("message/delivery-status",
                   "Reporting-MTA: dns; omr-m02.mx.aol.com\n\nFinal-Recipient: RFC822; rex@example.net\nAction: failed\nStatus: 5.0.0\n"
                   "Remote-MTA: DNS; mx.example.net\nDiagnostic-Code: SMTP; 554 RLY:B1 http://postmaster.info.aol.com/errors/554rlyb1.html\n"),
              part("message/rfc822", oh + "\nHello.\n")], "s1A9004k5678.1764579605/omr-m02.mx.aol.com"), mid)

# ---------------------------------------------------------------- Yahoo (old qmail, new)


def yahoo_new(name: str, kind: str, rcpts: list[dict], items: list[tuple[str, str]], tag: str) -> None:
    mid, oh = orig(", ".join(i[0] for i in items), tag)
    text = "Sorry, we were unable to deliver your message to the following address.\n\n"
    for addr, what in items:
        text += f"<{addr}>:\n{what}\n\n"
    add(name, kind, rcpts, head("MAILER-DAEMON@yahoo.com", "Failure Notice", "X-YMailISG: Z8yP.rEWLDvZBv9\nX-Originating-IP: [98.138.0.1]\n")
        + part("text/plain; charset=UTF-8", text + "--- Below this line is a copy of the message.\n\n" + oh + "\nHello.\n"), mid)


yahoo_new("yahoo_userunknown", "bounce", [rcpt("sue@example.net", "userunknown", True)],
          [("sue@example.net", "Remote host said: 550 5.1.1 <sue@example.net>... User unknown [RCPT_TO]")], "y1")
yahoo_new("yahoo_no_mx", "bounce", [rcpt("ted@nonexistent.example", "hostunknown", True)],
          [("ted@nonexistent.example", "No MX or A records for nonexistent.example")], "y2")
yahoo_new("yahoo_mailbox_full_split", "bounce", [rcpt("ulla@example.net", "mailboxfull", False)],
          [("ulla@example.net", "Remote host said:\n552 5.2.2 <ulla@example.net>... Mailbox Full\n[RCPT_TO]")], "y3")
yahoo_new("yahoo_disabled", "bounce", [rcpt("vito@yahoo.example", "suspend", False)],
          [("vito@yahoo.example", "Remote host said: 554 30 Sorry, your message to vito@yahoo.example cannot be delivered. This mailbox is disabled (554.30). [RCPT_TO]")], "y4")
yahoo_new("yahoo_policy_end_of_data", "bounce", [rcpt("wim@yahoo.example", "policyviolation", False)],
          [("wim@yahoo.example", "Remote host said: 554 5.7.9 Message not accepted for policy reasons.  See https://help.yahoo.com/kb/postmaster/SLN7253.html [END_OF_DATA]")], "y5")
yahoo_new("yahoo_two_recipients", "bounce",
          [rcpt("xia@example.net", "userunknown", True), rcpt("yves@example.net", "blocked", False)],
          [("xia@example.net", "Remote host said: 550 5.1.1 <xia@example.net>: Recipient address rejected: User unknown in local recipient table [RCPT_TO]"),
           ("yves@example.net", "Remote host said: 554 5.7.1 Service unavailable; Client host [98.138.0.1] blocked using b.barracudacentral.org [RCPT_TO]")], "y6")
yahoo_new("yahoo_connection_expired", "bounce", [rcpt("zed@slow.example", "expired", False)],
          [("zed@slow.example", "Connection timed out. Message expired.")], "y7")


def yahoo_old(name: str, kind: str, rcpts: list[dict], items: list[str], tag: str, perm: bool = True) -> None:
    mid, oh = orig(", ".join(r["address"] for r in rcpts), tag)
    text = ("Hi. This is the qmail-send program at yahoo.com.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n")
    text += "\n".join(items) + "\n\n--- Below this line is a copy of the message.\n\n"
    add(name, kind, rcpts, head("MAILER-DAEMON@yahoo.com", "failure notice", "X-YMailISG: Pb65aU4VM1mei\n")
        + part("text/plain", text + oh + "\nHello.\n"), mid)


yahoo_old("yahoo_old_qmail_unknown", "bounce", [rcpt("anna@example.net", "userunknown", True)],
          ["<anna@example.net>:\n203.0.113.25 does not like recipient.\nRemote host said: 550 5.1.1 <anna@example.net>: Recipient address rejected: User unknown in local recipient table\nGiving up on 203.0.113.25."], "yo1")
yahoo_old("yahoo_old_qmail_full", "bounce", [rcpt("bert@example.net", "mailboxfull", False)],
          ["<bert@example.net>:\n203.0.113.25 failed after I sent the message.\nRemote host said: 552 5.2.2 Mailbox size limit exceeded"], "yo2")
yahoo_old("yahoo_old_qmail_expired", "bounce", [rcpt("cleo@slow.example", "expired", False)],
          ["<cleo@slow.example>:\nSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\nI'm not going to try again; this message has been in the queue too long."], "yo3")
yahoo_old("yahoo_old_qmail_dd", "bounce", [rcpt("dirk@yahoo.example", "userunknown", True)],
          ["<dirk@yahoo.example>:\n67.195.168.31 does not like recipient.\nRemote host said: 554 delivery error: dd This user doesn't have a yahoo.com account (dirk@yahoo.example) [0] - mta1215.mail.mud.yahoo.com\nGiving up on 67.195.168.31."], "yo4")

# ---------------------------------------------------------------- Amazon SES (mailed DSN, old text, SNS JSON)


def ses_dsn(name: str, kind: str, rcpts: list[dict], items: list[tuple[str, str, str]], tag: str) -> None:
    mid, oh = orig(", ".join(i[0] for i in items), tag)
    text = "An error occurred while trying to deliver the mail to the following recipients:\r\n" + "\r\n".join(i[0] for i in items)
    dsnt = ("Reporting-MTA: dns; a27-30.smtp-out.us-west-2.amazonses.com\n" + "".join(
        f"\nAction: {'delayed' if s.startswith('4') else 'failed'}\nFinal-Recipient: rfc822; {a}\nDiagnostic-Code: smtp; {d}\nStatus: {s}\n"
        for a, s, d in items))
    add(name, kind, rcpts,
        head("MAILER-DAEMON@amazonses.com", "Delivery Status Notification (Failure)",
             "X-Original-To: " + OURS + "\nFeedback-ID: 1.us-west-2.abc=:AmazonSES\n")
        + report([part("text/plain; charset=UTF-8", text, "7bit"), part("message/delivery-status", dsnt),
                  part("message/rfc822", oh + "\nHello.\n")], f"----=_Part_{tag}_0"), mid)


ses_dsn("ses_dsn_userunknown", "bounce", [rcpt("ella@example.net", "userunknown", True)],
        [("ella@example.net", "5.1.1", "550 5.1.1 user unknown")], "s1")
ses_dsn("ses_dsn_mailboxfull", "bounce", [rcpt("fritz@example.net", "mailboxfull", False)],
        [("fritz@example.net", "5.2.2", "552 5.2.2 <fritz@example.net>: Mailbox full")], "s2")
ses_dsn("ses_dsn_generic_500_nosuchuser", "bounce", [rcpt("greta@example.net", "userunknown", True)],
        [("greta@example.net", "5.0.0", "550 Requested action not taken: mailbox unavailable: no such user here")], "s3")
ses_dsn("ses_dsn_blocked_two", "bounce",
        [rcpt("hans@example.net", "blocked", False), rcpt("ilse@example.net", "userunknown", True)],
        [("hans@example.net", "5.7.1", "554 5.7.1 Service unavailable; Client host [54.240.27.30] blocked using dnsbl.example.org"),
         ("ilse@example.net", "5.1.1", "550 5.1.1 <ilse@example.net>: Recipient address rejected: User unknown in local recipient table")], "s4")


def ses_old(name: str, kind: str, rcpts: list[dict], addr: str, reason: str, tag: str) -> None:
    mid, oh = orig(addr, tag)
    add(name, kind, rcpts,
        head("MAILER-DAEMON@email-bounces.amazonses.com", "Delivery Status Notification (Failure)")
        + multipart("mixed", [part("text/plain; charset=UTF-8",
                                   f"The following message to <{addr}> was undeliverable.\nThe reason for the problem:\n{reason}\n"),
                              part("message/rfc822", oh + "\nHello.\n")], f"----=_Part_{tag}_1"), mid)


ses_old("ses_old_text_userunknown", "bounce", [rcpt("jens@example.net", "userunknown", True)], "jens@example.net",
        "5.1.0 - Unknown address error 550-'5.1.1 <jens@example.net>: Recipient address rejected: User unknown in local recipient table'", "s5")
ses_old("ses_old_text_blocked", "bounce", [rcpt("karl@example.net", "blocked", False)], "karl@example.net",
        "5.3.0 - Other mail system problem 554-'5.7.1 Service unavailable; Client host [54.240.27.30] blocked using zen.spamhaus.org'", "s6")
ses_old("ses_old_text_nomx", "bounce", [rcpt("lars@nonexistent.example", "hostunknown", True)], "lars@nonexistent.example",
        "5.1.2 - Bad destination host 'DNS Hard Error looking up nonexistent.example (MX):  NXDomain'", "s7")


def sns(message: dict, raw: bool = False) -> str:
    if raw:
        return json.dumps(message, indent=2)
    env = {"Type": "Notification", "MessageId": "f1e2d3c4-0000-5000-8000-000000000001",
           "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-bounces", "Message": json.dumps(message),
           "Timestamp": "2025-12-01T09:00:08.000Z", "SignatureVersion": "1", "Signature": "EXAMPLE==",
           "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
           "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:ses-bounces:0000"}
    return json.dumps(env, indent=2)


def ses_mail(dest: list[str], tag: str) -> dict:
    return {"timestamp": "2025-12-01T09:00:00.000Z", "messageId": f"0100018c1a2b3c4d-{tag}-000000",
            "source": "news@example.com", "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
            "sendingAccountId": "123456789012", "destination": dest}


def sns_mail(name: str, kind: str, rcpts: list[dict], message: dict, raw: bool = False, mbox: bool = False) -> None:
    frm = "AWS Notifications <no-reply@sns.amazonaws.com>"
    add(name, kind, rcpts, head(frm, "AWS Notification Message", "x-amz-sns-message-type: Notification\n", mbox=mbox)
        + part("text/plain; charset=UTF-8", sns(message, raw) + "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n"
               "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:ses-bounces:0000\n", "7bit"))


def bounce_obj(btype: str, sub: str, recips: list[dict]) -> dict:
    return {"bounceType": btype, "bounceSubType": sub, "bouncedRecipients": recips,
            "timestamp": "2025-12-01T09:00:07.000Z", "feedbackId": "0100018c1a2b3c4d-feedback-000000",
            "remoteMtaIp": "203.0.113.25", "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com"}


sns_mail("ses_sns_permanent_general", "bounce", [rcpt("mona@example.net", "userunknown", True)],
         {"notificationType": "Bounce", "bounce": bounce_obj("Permanent", "General", [
             {"emailAddress": "mona@example.net", "action": "failed", "status": "5.1.1",
              "diagnosticCode": "smtp; 550 5.1.1 <mona@example.net>: Recipient address rejected: User unknown in virtual mailbox table"}]),
          "mail": ses_mail(["mona@example.net"], "a")})
sns_mail("ses_sns_raw_noemail", "bounce", [rcpt("nils@example.net", "userunknown", True)],
         {"notificationType": "Bounce", "bounce": bounce_obj("Permanent", "NoEmail", [
             {"emailAddress": "nils@example.net", "action": "failed", "status": "5.1.1",
              "diagnosticCode": "smtp; 550 5.1.1 The email account that you tried to reach does not exist."}]),
          "mail": ses_mail(["nils@example.net"], "b")}, raw=True)
sns_mail("ses_sns_transient_mailboxfull", "bounce", [rcpt("olaf@example.net", "mailboxfull", False)],
         {"notificationType": "Bounce", "bounce": bounce_obj("Transient", "MailboxFull", [
             {"emailAddress": "olaf@example.net", "action": "failed", "status": "5.2.2",
              "diagnosticCode": "smtp; 552 5.2.2 Mailbox full"}]),
          "mail": ses_mail(["olaf@example.net"], "c")})
sns_mail("ses_sns_suppressed", "bounce", [rcpt("piet@example.net", "userunknown", True)],
         {"notificationType": "Bounce", "bounce": bounce_obj("Permanent", "Suppressed", [
             {"emailAddress": "piet@example.net", "action": "failed", "status": "5.1.1",
              "diagnosticCode": "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address. For more information about how to remove an address from the suppression list, see the Amazon SES Developer Guide: http://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html "}]),
          "mail": ses_mail(["piet@example.net"], "d")})
sns_mail("ses_sns_transient_general_blocked", "bounce", [rcpt("raul@example.net", "blocked", False)],
         {"notificationType": "Bounce", "bounce": bounce_obj("Transient", "General", [
             {"emailAddress": "raul@example.net", "action": "failed", "status": "5.7.1",
              "diagnosticCode": "smtp; 554 5.7.1 Service unavailable; Client host [54.240.8.1] blocked using bl.spamcop.net"}]),
          "mail": ses_mail(["raul@example.net"], "e")}, mbox=True)
sns_mail("ses_event_bounce_two", "bounce",
         [rcpt("stan@example.net", "userunknown", True), rcpt("tess@example.net", "userunknown", True)],
         {"eventType": "Bounce", "bounce": bounce_obj("Permanent", "General", [
             {"emailAddress": "stan@example.net", "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
             {"emailAddress": "tess@example.net", "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]),
          "mail": ses_mail(["stan@example.net", "tess@example.net"], "f")})
sns_mail("ses_sns_complaint", "feedback", [rcpt("uwe@example.net", "feedback", False)],
         {"notificationType": "Complaint", "complaint": {
             "complainedRecipients": [{"emailAddress": "uwe@example.net"}], "timestamp": "2025-12-01T10:00:00.000Z",
             "feedbackId": "0100018c-complaint-000000", "userAgent": "Yahoo!-Mail-Feedback/2.0", "complaintFeedbackType": "abuse",
             "arrivalDate": "2025-12-01T09:00:05.000Z"}, "mail": ses_mail(["uwe@example.net"], "g")})
sns_mail("ses_sns_delivery", "delivered", [rcpt("vince@example.net", "delivered", False)],
         {"notificationType": "Delivery", "delivery": {
             "timestamp": "2025-12-01T09:00:03.000Z", "processingTimeMillis": 546, "recipients": ["vince@example.net"],
             "smtpResponse": "250 ok:  Message 111 accepted", "reportingMTA": "a8-70.smtp-out.amazonses.com", "remoteMtaIp": "203.0.113.25"},
          "mail": ses_mail(["vince@example.net"], "h")})

# ---------------------------------------------------------------- non-bounces from these systems
mid, oh = orig("wanda@corp.example.org", "ooo1")
add("exchange_automatic_reply", "autoreply", [rcpt("wanda@corp.example.org", "vacation", False)],
    "Return-Path: <wanda@corp.example.org>\nFrom: Wanda Example <wanda@corp.example.org>\nTo: " + OURS + "\n"
    "Subject: Automatic reply: December newsletter\nDate: Mon, 1 Dec 2025 09:00:08 +0000\nMessage-ID: <ooo1@corp.example.org>\n"
    "Auto-Submitted: auto-generated\nX-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: wanda@corp.example.org\n"
    "In-Reply-To: " + mid + "\nMIME-Version: 1.0\n"
    + multipart("alternative", [part("text/plain; charset=\"us-ascii\"", "I am out of the office until 8 December with no access to email.\n"),
                                part("text/html; charset=\"us-ascii\"", html("I am out of the office until 8 December with no access to email."))], "_000_ooo1_"))
mid, oh = orig("xander@corp.example.org", "relayed1")
add("exchange_relayed_notification", "delivered", [rcpt("xander@corp.example.org", "delivered", False)],
    head("Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.org>", "Relayed: December newsletter")
    + report([part("text/plain; charset=\"us-ascii\"",
                   "Delivery to these recipients or groups is complete, but no delivery notification was sent by the destination server:\n\n"
                   "xander@corp.example.org\n\nSubject: December newsletter\n"),
              dsn("EX16MBX02.corp.example.org", [("xander@corp.example.org", "relayed", "2.0.0", "")]),
              part("text/rfc822-headers", oh)], "_000_relayed1_"), mid)
mid, oh = orig("yoko@corp.example.org", "deliv1")
add("exchange_delivered_notification", "delivered", [rcpt("yoko@corp.example.org", "delivered", False)],
    head("Microsoft Outlook <postmaster@example.onmicrosoft.com>", "Delivered: December newsletter")
    + report([part("text/plain; charset=\"us-ascii\"",
                   "Your message has been delivered to the following recipients:\n\nyoko@corp.example.org\n\nSubject: December newsletter\n"),
              dsn("EX16MBX02.corp.example.org", [("yoko@corp.example.org", "delivered", "2.0.0", "")]),
              part("text/rfc822-headers", oh)], "_000_deliv1_"), mid)
add("gmail_vacation_responder", "autoreply", [rcpt("zack@gmail.example", "vacation", False)],
    "Return-Path: <zack@gmail.example>\nFrom: Zack <zack@gmail.example>\nTo: " + OURS + "\n"
    "Subject: Re: December newsletter\nDate: Mon, 1 Dec 2025 09:00:08 +0000\nMessage-ID: <CAvac@mail.gmail.example>\n"
    "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
    + part("text/plain; charset=\"UTF-8\"", "Thanks for your email. I'm travelling until 10 December and will reply when I'm back.\n"))

# ================================================================ second batch (written after the first run,
# labelled before running them; same sources)
ex03_two_mid, ex03_two_oh = orig("ann@example.org, ben@example.org", "ex03two")
add("exchange2003_two_recipients", "bounce",
    [rcpt("ann@example.org", "userunknown", True), rcpt("ben@example.org", "mailboxfull", False)],
    head("System Administrator <postmaster@corp.example.org>", "Undeliverable: December newsletter",
         "X-MimeOLE: Produced By Microsoft Exchange V6.5\n")
    + report([part("text/plain; charset=\"us-ascii\"", ex03_text([
        ("ann@example.org", EX03_UNKNOWN, "exch01.corp.example.org #5.1.1"),
        ("ben@example.org", "The recipient's mailbox is full and can't accept messages now.",
         "exch01.corp.example.org #5.2.2 smtp;552 5.2.2 Quota exceeded")])),
        dsn("exch01.corp.example.org", [("ann@example.org", "failed", "5.1.1", ""), ("ben@example.org", "failed", "5.2.2", "")]),
        part("message/rfc822", ex03_two_oh + "\nHello.\n")], "----_=_NextPart_001_01C7"), ex03_two_mid)

ex10("exchange2010_exrecipnotfound", "bounce", [rcpt("cyd@corp.example.org", "userunknown", True)],
     [("cyd@corp.example.org", EX10_UNKNOWN, "#550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found ##")], ["5.1.1"], "ex10i")
ex10("exchange2010_remote_unknown_5_0_0", "bounce", [rcpt("del@example.net", "userunknown", True)],
     [("del@example.net", EX10_GEN + "\n\nThe following organization rejected your message: mx.example.net.",
       "#< #5.0.0 smtp; 5.1.1 smtp;550 5.1.1 <del@example.net>: Recipient address rejected: User unknown in local recipient table> #SMTP#")], None, "ex10j")
ex10("exchange2010_auth_required", "bounce", [rcpt("team@corp.example.org", "securityerror", False)],
     [("team@corp.example.org", "Your message wasn't delivered because of security policies. Microsoft Exchange will not try to redeliver this message for you.",
       "#550 5.7.1 RESOLVER.RST.AuthRequired; authentication required ##")], ["5.7.1"], "ex10k")

ex16("exchange2016_remote_gmail_unknown", "bounce", [rcpt("eve@gmail.example", "userunknown", True)],
     [("eve@gmail.example", "The email address wasn't found at the destination domain. It might be misspelled or it might not exist.",
       "Remote Server at gmail-smtp-in.l.google.com (142.250.0.27) returned '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser c3si - gsmtp'")],
     ["5.1.1"], "ex16i")
ex16("exchange2016_remote_yahoo_disabled", "bounce", [rcpt("fox@yahoo.example", "suspend", False)],
     [("fox@yahoo.example", "Your message wasn't delivered because the recipient's email provider rejected it.",
       "Remote Server at mta7.am0.yahoodns.net (67.195.204.72) returned '554 30 Sorry, your message to fox@yahoo.example cannot be delivered. This mailbox is disabled (554.30).'")],
     ["5.0.0"], "ex16j")
ex16("exchange2016_remote_aol_dd", "bounce", [rcpt("gil@aol.example", "userunknown", True)],
     [("gil@aol.example", "The email address wasn't found at the destination domain.",
       "Remote Server at mx-aol.mail.gm0.yahoodns.net (67.195.204.72) returned '554 5.0.0 delivery error: dd This user doesn't have a aol.com account (gil@aol.example) [0] - mta4041.aol.mail.bf1.yahoo.com'")],
     ["5.0.0"], "ex16k")
ex16("exchange2016_remote_timeout_expired", "bounce", [rcpt("hal@slow.example", "expired", False)],
     [("hal@slow.example", "The message couldn't be delivered in the time allowed.",
       "Remote Server at slow.example returned '550 4.4.7 QUEUE.Expired; message expired [Message=451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed out.\" Attempted failover to alternate host, but that did not succeed.]'")],
     ["4.4.7"], "ex16l")

o365("office365_french_unknown", "bounce", [rcpt("ines@exemple.example", "userunknown", True)], "ines@exemple.example",
     "ines est introuvable sur exemple.example.", "L'adresse de messagerie que vous avez entrée est introuvable.",
     "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient ines@exemple.example not found by SMTP address lookup'", "5.1.10", "o365l",
     subject="Non remis : December newsletter",
     lang=("Votre message à {a} n'a pas pu être remis.", "Informations de diagnostic pour les administrateurs :",
           "Serveur de génération", "En-têtes du message d'origine :"))
o365("office365_traffic_not_accepted", "bounce", [rcpt("jude@example.org", "blocked", False)], "jude@example.org",
     "Your message couldn't be delivered because the recipient's email server rejected it.", "Contact your email admin.",
     "Remote Server returned '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230)'", "5.7.708", "o365m")
o365("office365_recipient_blocked_us", "bounce", [rcpt("kit@example.org", "blocked", False)], "kit@example.org",
     "Your message couldn't be delivered because the recipient's email server rejected it.", "Contact the recipient by some other means.",
     "Remote Server returned '550 5.7.1 Service unavailable, Client host [198.51.100.7] blocked by example.org using Customer Block list (AS16012607)'", "5.7.1", "o365n")
o365("office365_mailbox_unavailable_policy", "bounce", [rcpt("lou@example.org", "securityerror", False)], "lou@example.org",
     "Your message couldn't be delivered because the recipient's email server rejected it.", "Contact your email admin.",
     "Remote Server returned '550 5.7.1 Delivery not authorized, message refused. Please contact the recipient's administrator.'", "5.7.1", "o365o")
o365("outlookcom_hotmail_unknown", "bounce", [rcpt("may@hotmail.example", "userunknown", True)], "may@hotmail.example",
     "may wasn't found at hotmail.example.", "The email address you entered couldn't be found.",
     "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'", "5.1.1", "olc3",
     frm="postmaster@outlook.com", sndr="Outlook.com")
o365("office365_remote_expired_nodsn", "bounce", [rcpt("ned@slow.example", "expired", False)], "ned@slow.example",
     "The message couldn't be delivered in the time allowed.", "The recipient's email server didn't respond.",
     "Remote Server at slow.example (203.0.113.40) returned '550 4.4.7 QUEUE.Expired; message expired [Message=451 4.4.0 Error communicating with target host. -> 421 4.4.2 Connection dropped due to TimedOut]'",
     None, "o365p")

gmail_old("gmail_old_over_quota", "bounce", [rcpt("ola@gmail.example", "mailboxfull", False)], ["ola@gmail.example"],
          "Delivery to the following recipient failed permanently:\n\n     ola@gmail.example\n\n"
          "Technical details of permanent failure:\nThe email account that you tried to reach is over quota. Please direct the recipient to "
          "http://support.google.com/mail/bin/answer.py?answer=6558 b1si123 - gsmtp", "g13", "Delivery Status Notification (Failure)")
gmail_old("gmail_old_dmarc", "bounce", [rcpt("pam@example.net", "authfailure", False)], ["pam@example.net"],
          "Delivery to the following recipient failed permanently:\n\n     pam@example.net\n\n"
          "Technical details of permanent failure:\nGoogle tried to deliver your message, but it was rejected by the server for the recipient domain example.net by mx.example.net. [203.0.113.25].\n\n"
          "The error that the other server returned was:\n550 5.7.1 Email rejected per DMARC policy for example.com", "g14", "Delivery Status Notification (Failure)")
gmail_old("gmail_old_relay_denied", "bounce", [rcpt("quin@example.net", "norelaying", False)], ["quin@example.net"],
          "Delivery to the following recipient failed permanently:\n\n     quin@example.net\n\n"
          "Technical details of permanent failure:\nGoogle tried to deliver your message, but it was rejected by the server for the recipient domain example.net by mx.example.net. [203.0.113.25].\n\n"
          "The error that the other server returned was:\n554 5.7.1 <quin@example.net>: Relay access denied", "g15", "Delivery Status Notification (Failure)")
gmail_new("gmail_unauthenticated", "bounce", [rcpt("ray@gmail.example", "authfailure", False)], "ray@gmail.example",
          "Message not delivered", "Your message couldn't be delivered to ray@gmail.example because the sender wasn't authenticated.",
          "The response was:\n\nThis mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
          "5.7.26", "550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. 550 5.7.26 d2si - gsmtp", "g16")
gmail_new("gmail_ratelimited_delay", "delay", [rcpt("sal@gmail.example", "speeding", False)], "sal@gmail.example",
          "Delivery incomplete", "There was a temporary problem delivering your message to sal@gmail.example. Gmail will retry for 40 more hours. You'll be notified if the delivery fails permanently.",
          "The response was:\n\nThe user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.",
          "4.2.1", "450-4.2.1 The user you are trying to contact is receiving mail at a rate that 450-4.2.1 prevents additional messages from being delivered. 450 4.2.1 e3si - gsmtp",
          "g17", subject="Delivery Status Notification (Delay)")
gmail_new("gworkspace_group_not_found", "bounce", [rcpt("all@workspace.example", "userunknown", True)], "all@workspace.example",
          "Address not found", "Your message wasn't delivered to all@workspace.example because the address couldn't be found, or is unable to receive mail.",
          "The response from the remote server was:\n550 5.1.1 The email account that you tried to reach does not exist.",
          None, "", "g18")

yahoo_new("yahoo_mailbox_not_found_552", "bounce", [rcpt("tia@yahoo.example", "userunknown", True)],
          [("tia@yahoo.example", "Remote host said: 552 1 Requested mail action aborted, mailbox not found [RCPT_TO]")], "y8")
yahoo_new("yahoo_dd_disabled_discontinued", "bounce", [rcpt("ugo@yahoo.example", "suspend", False)],
          [("ugo@yahoo.example", "Remote host said: 554 delivery error: dd Sorry your message to ugo@yahoo.example cannot be delivered. This account has been disabled or discontinued [#102]. - mta1001.mail.gq1.yahoo.com [RCPT_TO]")], "y9")
yahoo_new("yahoo_remote_outlook_blocked", "bounce", [rcpt("val@outlook.example", "blocked", False)],
          [("val@outlook.example", "Remote host said: 550 5.7.1 Unfortunately, messages from [98.138.0.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). [MAIL_FROM]")], "y10")

mid, oh = orig("wyn@aol.example", "aol5")
add("aol_old_mailbox_full_transcript", "bounce", [rcpt("wyn@aol.example", "mailboxfull", False)],
    head("Mail Delivery Subsystem <MAILER-DAEMON@aol.com>", "Returned mail: see transcript for details")
    + report([part("text/plain",
                   "The original message was received at Mon, 1 Dec 2025 04:00:02 -0500 (EST)\nfrom lists.example.com [192.0.2.10]\n\n"
                   "   ----- The following addresses had permanent fatal errors -----\n<wyn@aol.example>\n"
                   "    (reason: 552 wyn@aol.example MAILBOX FULL)\n\n"
                   "   ----- Transcript of session follows -----\n... while talking to mailin-02.mx.aol.example.:\n"
                   ">>> RCPT To:<wyn@aol.example>\n<<< 552 wyn@aol.example MAILBOX FULL\n552 5.2.2 <wyn@aol.example>... Mailbox full\n"),
              part("message/delivery-status",
                   "Reporting-MTA: dns; omr-m03.mx.aol.com\n\nFinal-Recipient: RFC822; wyn@aol.example\nAction: failed\nStatus: 5.2.2\n"
                   "Remote-MTA: DNS; mailin-02.mx.aol.example\nDiagnostic-Code: SMTP; 552 wyn@aol.example MAILBOX FULL\n"),
              part("message/rfc822", oh + "\nHello.\n")], "s1A9004k9999.1764579605/omr-m03.mx.aol.com"), mid)

domino("domino_japanese_unknown", "bounce", [rcpt("yui@acme.example", "userunknown", True)],
       [("yui@acme.example", "ユーザー yui (yui@acme.example) は Domino ディレクトリには見つかりません")], "dom8",
       "DELIVERY FAILURE: User yui (yui@acme.example) not listed in Domino Directory")
domino("domino_two_recipients", "bounce",
       [rcpt("zak@acme.example", "userunknown", True), rcpt("abby@example.net", "blocked", False)],
       [("zak@acme.example", "User zak (zak@acme.example) not listed in Domino Directory"),
        ("abby@example.net", "554 5.7.1 Rejected: 198.51.100.7 listed at zen.spamhaus.org")], "dom9",
       "DELIVERY FAILURE: User zak (zak@acme.example) not listed in Domino Directory")

gwia("groupwise_gwia_two_recipients", "bounce",
     [rcpt("bo@example.net", "userunknown", True), rcpt("cy@example.net", "userunknown", True)],
     [("bo@example.net", "RCPT TO:<bo@example.net>", "550 5.1.1 <bo@example.net>: Recipient address rejected: User unknown in virtual mailbox table"),
      ("cy@example.net", "RCPT TO:<cy@example.net>", "550 No such user (cy@example.net)")], "gw5")

ses_old("ses_old_text_mailbox_full", "bounce", [rcpt("dag@example.net", "mailboxfull", False)], "dag@example.net",
        "5.2.2 - Mailbox full 552-'5.2.2 <dag@example.net>: Mailbox quota exceeded'", "s8")
ses_old("ses_old_text_expired", "bounce", [rcpt("eli@slow.example", "expired", False)], "eli@slow.example",
        "4.4.7 - Delivery time expired 'Unable to deliver message: connection timed out'", "s9")

add("exchange2003_oof_subject_only", "autoreply", [rcpt("fay@corp.example.org", "vacation", False)],
    "Return-Path: <fay@corp.example.org>\nFrom: Fay Example <fay@corp.example.org>\nTo: " + OURS + "\n"
    "Subject: Out of Office AutoReply: December newsletter\nDate: Mon, 1 Dec 2025 09:00:08 +0000\nMessage-ID: <oof2003@corp.example.org>\n"
    "X-MimeOLE: Produced By Microsoft Exchange V6.5\nMIME-Version: 1.0\n"
    + part("text/plain; charset=\"iso-8859-1\"", "I will be out of the office until Monday.\n"))
add("exchange_german_automatic_reply", "autoreply", [rcpt("gerd@firma.example", "vacation", False)],
    "Return-Path: <gerd@firma.example>\nFrom: Gerd Example <gerd@firma.example>\nTo: " + OURS + "\n"
    "Subject: Automatische Antwort: December newsletter\nDate: Mon, 1 Dec 2025 09:00:08 +0000\nMessage-ID: <ooo-de@firma.example>\n"
    "Auto-Submitted: auto-generated\nX-MS-Exchange-Inbox-Rules-Loop: gerd@firma.example\nMIME-Version: 1.0\n"
    + part("text/plain; charset=\"utf-8\"", "Ich bin bis zum 8. Dezember nicht im Büro.\n", "base64"))
mid, oh = orig("hans@corp.example.org", "mdn1")
add("exchange_read_receipt", "other", [],
    "Return-Path: <hans@corp.example.org>\nFrom: Hans Example <hans@corp.example.org>\nTo: " + OURS + "\n"
    "Subject: Read: December newsletter\nDate: Mon, 1 Dec 2025 09:30:00 +0000\nMessage-ID: <mdn1@corp.example.org>\nMIME-Version: 1.0\n"
    + multipart("report", [part("text/plain; charset=\"us-ascii\"", "Your message\n\n  To: hans@corp.example.org\n  Subject: December newsletter\n\nwas read on 12/1/2025 9:30 AM.\n"),
                           part("message/disposition-notification", "Reporting-UA: EX16MBX02.corp.example.org; Microsoft Exchange Server 2016\n"
                                "Final-Recipient: rfc822;hans@corp.example.org\nOriginal-Message-ID: " + mid + "\nDisposition: automatic-action/MDN-sent-automatically; displayed\n")],
                "_000_mdn1_", " report-type=disposition-notification;"))
mid, oh = orig("iris@gmail.example", "gsucc")
add("gmail_success_dsn", "delivered", [rcpt("iris@gmail.example", "delivered", False)],
    head(GMAIL_FROM, "Delivery Status Notification (Success)")
    + report([part("text/plain; charset=\"UTF-8\"", "** Message delivered **\n\nYour message was delivered to iris@gmail.example.\n"),
              part("message/delivery-status", "Reporting-MTA: dns; googlemail.com\n\nFinal-Recipient: rfc822; iris@gmail.example\n"
                   "Action: delivered\nStatus: 2.0.0\nRemote-MTA: dns; gmail-smtp-in.l.google.com. (142.250.0.27)\n"
                   "Diagnostic-Code: smtp; 250 2.0.0 OK\n"),
              part("text/rfc822-headers", oh)], "000000000000gsucc"), mid)

# ================================================================ third batch (written after the second
# run, labelled before running them; same sources)
mid, oh = orig("ali@hotmail.example", "hm1")
add("hotmail_iis_dsn_mailbox_unavailable", "bounce", [rcpt("ali@hotmail.example", "userunknown", True)],
    head("postmaster@hotmail.com", "Delivery Status Notification (Failure)", "X-DSNContext: 335a7efd - 4457 - 00000001 - 80040546\n")
    + report([part("text/plain; charset=unicode-1-1-utf-7",
                   "This is an automatically generated Delivery Status Notification.\n\n"
                   "Delivery to the following recipients failed.\n\n       ali@hotmail.example\n"),
              dsn("bay0-omc1-s10.bay0.hotmail.com", [("ali@hotmail.example", "failed", "5.5.0",
                                                      "550 Requested action not taken: mailbox unavailable")]),
              part("message/rfc822", oh + "\nHello.\n")], "9B095B5ADSN=_01HM1"), mid)

mid, oh = orig("bea@yahoo.example", "yold2")
add("yahoo_old_message_from", "bounce", [rcpt("bea@yahoo.example", "userunknown", True)],
    head("MAILER-DAEMON@yahoo.com", "failure delivery", "X-YMailISG: Pb65aU4VM1mei\n")
    + part("text/plain", "Message from  yahoo.com.\nUnable to deliver message to the following address(es).\n\n"
           "<bea@yahoo.example>:\nRemote host said: 554 delivery error: dd Not a valid recipient - atlas-a1.mail.example.yahoo.com [RCPT_TO]\n\n"
           "--- Original message follows.\n\n" + oh + "\nHello.\n"), mid)

gmail_old("gmail_old_gmail_nosuchuser", "bounce", [rcpt("cal@gmail.example", "userunknown", True)], ["cal@gmail.example"],
          "Delivery to the following recipient failed permanently:\n\n     cal@gmail.example\n\n"
          "Technical details of permanent failure:\nThe email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. "
          "Learn more at http://support.google.com/mail/bin/answer.py?answer=6596 f1si - gsmtp", "g19", "Delivery Status Notification (Failure)", mbox=True)
gmail_old("gmail_old_message_rejected", "bounce", [rcpt("dee@gmail.example", "spamdetected", False)], ["dee@gmail.example"],
          "Delivery to the following recipient failed permanently:\n\n     dee@gmail.example\n\n"
          "Technical details of permanent failure:\nMessage rejected. Our system has detected that this message is likely unsolicited mail. "
          "To reduce the amount of spam sent to Gmail, this message has been blocked. Please visit http://support.google.com/mail/bin/answer.py?answer=188131", "g20",
          "Delivery Status Notification (Failure)")

# AOL names its own member by screen name alone ("eva"): the address is that name at aol.com.
mid, oh = orig("eva@aol.com", "aol6")
add("aol_not_accepting_mail_from", "bounce", [rcpt("eva@aol.com", "filtered", False)],
    head("Mail Delivery Subsystem <MAILER-DAEMON@aol.com>", "Returned mail: see transcript for details")
    + part("text/plain", "Your mail to the following recipients could not be delivered because they are not accepting mail from news@example.com:\n\teva\n\n"
           "------- Original message follows -------\n\n" + oh + "\nHello.\n"), mid)

yahoo_new("yahoo_uk_no_account", "bounce", [rcpt("finn@yahoo.example", "userunknown", True)],
          [("finn@yahoo.example", "Remote host said: 554 delivery error: dd This user doesn't have a yahoo.co.uk account (finn@yahoo.example) [-5] - mta1100.mail.ukl.yahoo.com [RCPT_TO]")], "y11")

mid, oh = orig("gus@example.org", "o365html")
o365_html = ("Your message to gus@example.org couldn't be delivered.\n\ngus wasn't found at example.org.\n\n"
             "Diagnostic information for administrators:\n\nGenerating server: AM6PR0502MB3911.eurprd05.prod.outlook.com\n\n"
             "gus@example.org\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient gus@example.org not found by SMTP address lookup'")
add("office365_html_only_nodsn", "bounce", [rcpt("gus@example.org", "userunknown", True)],
    head("Microsoft Outlook <postmaster@example.onmicrosoft.com>", "Undeliverable: December newsletter", "X-MS-Exchange-Message-Is-Ndr:\n")
    + multipart("mixed", [part("text/html; charset=\"utf-8\"", html(o365_html), "quoted-printable"),
                          part("message/rfc822", oh + "\nHello.\n")], "_001_o365html_"), mid)

ex10("exchange2007_german_qp_unknown", "bounce", [rcpt("hein@firma.example", "userunknown", True)],
     [("hein@firma.example", "Die E-Mail-Adresse des Empfängers wurde im E-Mail-System des Empfängers nicht gefunden.",
       "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##")], ["5.1.1"], "ex07g",
     intro="Die Zustellung an folgende Empfänger oder Verteilerlisten ist fehlgeschlagen:",
     subject="=?utf-8?B?VW56dXN0ZWxsYmFyOiBEZWNlbWJlciBuZXdzbGV0dGVy?=",
     diag="Diagnoseinformationen für Administratoren:", gen="Generierender Server", charset="utf-8")

sns_mail("ses_sns_undetermined", "bounce", [rcpt("ida@example.net", "undefined", False)],
         {"notificationType": "Bounce", "bounce": bounce_obj("Undetermined", "Undetermined", [
             {"emailAddress": "ida@example.net"}]), "mail": ses_mail(["ida@example.net"], "i")})
sns_mail("ses_sns_noemail_no_diagnostic", "bounce", [rcpt("jon@example.net", "userunknown", True)],
         {"notificationType": "Bounce", "bounce": bounce_obj("Permanent", "NoEmail", [
             {"emailAddress": "jon@example.net", "action": "failed", "status": "5.1.1"}]),
          "mail": ses_mail(["jon@example.net"], "j")})

gwia("groupwise_gwia_relay_denied", "bounce", [rcpt("kai@example.net", "norelaying", False)],
     [("kai@example.net", "RCPT TO:<kai@example.net>", "554 5.7.1 <kai@example.net>: Relay access denied")], "gw6")
domino("domino_remote_mailbox_full", "bounce", [rcpt("lia@example.net", "mailboxfull", False)],
       [("lia@example.net", "552 5.2.2 <lia@example.net>: Mailbox quota exceeded")], "dom10",
       "DELIVERY FAILURE: 552 5.2.2 Mailbox quota exceeded", ["5.2.2"])


def main() -> None:
    for name, text in SAMPLES.items():
        (HERE / name).write_bytes(text.encode("utf-8"))
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, indent=1, ensure_ascii=False) + "\n")
    print(len(SAMPLES), "samples")


if __name__ == "__main__":
    main()
