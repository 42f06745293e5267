"""mailtools.bounces.textrules: the SMTP command a diagnostic names, and rule order."""

from __future__ import annotations

import pytest

from mailtools.bounces.lazyrx import literal_hints
from mailtools.bounces.textrules import PROVIDER_CODES, RULES, find_reply_code, match_text, smtp_command


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
    ("Connected to 192.0.2.1 but greeting failed.\nRemote host said: 554 no", "HELO"),       # qmail-remote
    ("Connected to 192.0.2.1 but sender was rejected.\nRemote host said: 553 no", "MAIL"),
    ("192.0.2.1 failed on DATA command.\nRemote host said: 554 no", "DATA"),
    ("SMTP error from remote mail server after pipelined RCPT TO:<a@b.example>: 550 no", "RCPT"),  # Exim 4.9x
    # 1&1 and GMX: "SMTP error from remote server for <command> command, host: ..."
    ("SMTP error from remote server for RCPT TO command, host: mx.b.example (192.0.2.1) reason: 550 no", "RCPT"),
    ("SMTP error from remote server for TEXT command, host: mx.b.example (192.0.2.1) reason: 550 spam", "DATA"),
    ("SMTP error from remote server for MAIL FROM command, host: mx.b.example reason: 553 no", "MAIL"),
    ("mx.b.example [192.0.2.1] did not like our RCPT TO:\n550 5.1.1 no", "RCPT"),             # dma
    # Postfix: a server that refused the connection at its greeting.
    ("delivery temporarily suspended: host mx.b.example[192.0.2.1] refused to talk to me: 421 Service not "
     "available", "HELO"),
    # DATA refused only because no recipient was left: the RCPT before it failed.
    (">>> RCPT To:<a@b.example>\n<<< 550 5.1.1 mailbox unavailable\n>>> DATA\n<<< 503 5.5.1 Error: need RCPT command",
     "RCPT"),
    (">>> RCPT To:<a@b.example>\n<<< 250 ok\n>>> DATA\n<<< 554 5.7.1 rejected as spam", "DATA"),
    ("550 5.1.1 user unknown", None),
    # Hand-written: sendmail's recipient line "addr... User unknown" answers RCPT (v5 quotes no command),
    # unless a status says it is about the mailbox's state (a filter borrowing the words).
    ("550 vic@example.org... User unknown", "RCPT"),
    ("550 vic... User unknown", "RCPT"),                      # a local user, named without a domain
    ("550 5.1.1 User unknown", None),
    ("host mx.b.example[192.0.2.1] said: 550 <a@b.example>... User unknown", "RCPT"),
    ("550 5.2.1 <a@b.example>... User Unknown", None),
    (">>> DATA\n<<< 550 5.1.1 <a@b.example>... User unknown", "DATA"),
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
    # Providers' published reason codes decide over the words around them.
    ("550 5.1.0 <s@us.example> sender rejected. Refer to Error Codes at https://isp.example/ AUP#CDRBL", "blocked"),
    ("554 mx.isp.example AUP#IPBL0001 - listed", "blocked"),
    ("554 message rejected AUP#URLBL1010", "spamdetected"),
    ("554 rejected - no rDNS AUP#CXDNS", "requireptr"),
    ("550 sender domain AUP#CXSNDR", "authfailure"),
    ("554 sending suspended AUP#CXMJ", "securityerror"),
    ("421 too many recipients for now AUP#CXMXRT", "toomanyconn"),
    ("421 too many sessions AUP#CXCNCT", "toomanyconn"),
    ("421 4.7.1 : (DYN:T1) http://postmaster.isp.example/errors/421dynt1.html", "blocked"),
    ("554 RLY:IR http://postmaster.isp.example/errors/554rlyir.html", "requireptr"),
    ("550 Ip frequency limited", "toomanyconn"),
    # Facebook's response codes, whatever the status beside them says.
    ("550 5.1.1 RCP-P2 http://postmaster.social.example/response_codes?ip=192.0.2.1#rcp Refused due to "
     "recipient preferences", "filtered"),
    ("550 5.1.1 RCP-P1 http://postmaster.social.example/response_codes#rcp Recipient address does not exist",
     "userunknown"),
    ("554 5.7.1 POL-P2 http://postmaster.social.example/response_codes#pol", "blocked"),
    ("550 5.7.1 DNS-P1 http://postmaster.social.example/response_codes#dns", "rejected"),
    ("421 4.7.0 CON-T1 http://postmaster.social.example/response_codes#con", "toomanyconn"),
    # Our HELO name refused: about us, not the address, whatever "not found" says.
    ("550 5.7.1 <b@b.example>: Helo command rejected: Host not found", "blocked"),
    ("550 5.7.1 The IP you're using to send mail is not authorized to send email directly to our servers",
     "blocked"),
    ("550 5.1.1 <a@b.example>... Addressee unknown, relay=[192.0.2.1]", "userunknown"),
    # Gmail's and Microsoft's published reply texts.
    ("421-4.7.0 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating from your "
     "IP address.", "blocked"),
    ("550 5.7.708 Access denied, traffic not accepted from this IP", "blocked"),
    ("550 5.7.512 Message must be RFC 5322 section 3.6.2 compliant", "notcompliantrfc"),
    ("530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM", "securityerror"),
    ("550-5.7.1 The user or domain that you are sending to (or from) has a policy that prohibited the mail",
     "policyviolation"),
    ("421-4.3.0 Temporary System Problem. Try again later.", "systemerror"),
    ("450-4.2.1 The user you are trying to contact is receiving mail too quickly", "speeding"),
    ("554 CON:B1 http://postmaster.isp.example/errors/554conb1.html", "blocked"),
    ("554 INVALID IP FOR SENDING MAIL OF DOMAIN mailer.example", "blocked"),
    # The recipient's own settings: soft, not a domain that takes no mail.
    ("550 5.7.1 This user is not accepting any mail", "filtered"),
    ("550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized", "filtered"),
    ("550 The user refuses to receive this mail", "filtered"),
    ("550 5.1.10 Domain b.example does not accept mail (nullMX)", "notaccept"),
    ("Your email to group g@b.example was rejected due to spam classification. To address this issue: set up "
     "SPF records for your sending domain", "spamdetected"),
    ("550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found", "userunknown"),
    ("554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain", "hostunknown"),
    # HAND-WRITTEN in Yahoo's, Exchange 2003's and Domino's own words for a domain that is not there.
    ("No MX or A records for nonexistent.example", "hostunknown"),
    ("The destination server for this recipient could not be found in Domain Name Service (DNS). Please "
     "verify the e-mail address and retry. <exch01.b.example #5.4.0>", "hostunknown"),
    ("No route found to domain nonexistent.example from server NOTES01/ACME. Check Server, Connection and "
     "Domain documents in Domino Directory.", "hostunknown"),
    # Gmail heads both kinds "Address not found"; the sentence says which.
    ("** Address not found ** Your message wasn't delivered to a@b.example because the domain b.example "
     "couldn't be found.", "hostunknown"),
    ("554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded",
     "mailboxfull"),
    ("552 5.3.4 RESOLVER.RST.RecipSizeLimit; message too large for this recipient", "mesgtoobig"),
    ("all hosts for 'b.example' have been failing for a long time (and retry time not reached)", "expired"),
    ("Child process of local_delivery transport returned 75 from command: /usr/libexec/deliver", "mailererror"),
    ("This message is looping: it already has my Delivered-To line. (#5.4.6)", "networkerror"),
    ("Sorry. Although I'm listed as a best-preference MX or A for that host, it isn't in my control/locals "
     "file, so I don't treat it as local. (#5.4.6)", "systemerror"),
    # Hand-written from providers' published texts: which of two readings wins.
    ("552 5.2.2 Mailbox size limit exceeded", "mailboxfull"),                       # the quota, not the message
    ("552 5.3.4 Message size limit exceeded", "mesgtoobig"),
    ("421-4.7.28 Gmail has detected an unusual rate of mail originating from your IP. Mail has been "
     "temporarily rate limited.", "blocked"),                                         # not speeding
    ("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user "
     "complaints", "rejected"),                                                      # Yahoo: not speeding
    ("554 5.2.2 Submission quota exceeded", "speeding"),          # Microsoft: our quota, not the mailbox's
    ("550-Requested action not taken: mailbox unavailable 550 invalid DNS PTR resource record, IP=192.0.2.1",
     "requireptr"),                                                                  # GMX: not userunknown
    ("550 Mailbox unavailable or access denied", "suspend"),                          # Tencent: a frozen mailbox
    ("550 5.1.1 Boite du destinataire archivee. Archived recipient. OFR_420", "suspend"),  # the code decides
    ("554 5.7.1 - ERROR: Mail refused - <192.0.2.1> - AUP#I-1000", "blocked"),         # Spectrum
    ("421 4.7.0 Too many connections from your IP AUP#I-1310", "toomanyconn"),
    ("550 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required", "rejected"),
    ("554 Connection refused. This IP has a poor reputation on Cloudmark Sender Intelligence (CSI). IB103",
     "badreputation"),                                                               # GoDaddy's code
    ("550 Mailbox was not used for more than 3 months. http://mail.i.ua/err/3/", "suspend"),
    ("550 Das Postfach des Empfängers ist voll", "mailboxfull"),
    ("550 Empfänger unbekannt", "userunknown"),
    ("550 Absenderadresse unbekannt", None),                       # the sender's address
    ("550 发件人地址不存在", None),
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


def test_every_rule_has_a_literal_for_each_alternative():
    # Without one, the pre-test is off and the whole rule is compiled for every bounce
    # (an alternative like "(?:casella|destinatario) inesistente" has no plain run of 3).
    assert [reason for reason, rx in RULES if rx.hints is None] == []


def test_the_literals_given_for_provider_codes_are_the_ones_the_pattern_has():
    for _, rx in PROVIDER_CODES:
        assert rx.hints == literal_hints(rx.pattern), rx.pattern


@pytest.mark.parametrize("text, reason", [
    # Hand-written: the provider codes are found past the one-test gate, in ASCII and non-ASCII text alike.
    ("550 5.1.1 Boîte du destinataire archivée OFR_420", "suspend"),
    ("421 4.7.0 Trop de connexions LPN105_104", "toomanyconn"),
    ("550 This IP has sent too many messages this hour. IB504", "speeding"),
    ("421 4.7.0 AUP#O-1350 — limite d'envoi", "speeding"),
    ("550 5.7.1 no code here, just a word: library", None),
])
def test_provider_codes_past_the_gate(text, reason):
    assert match_text(text) == reason
