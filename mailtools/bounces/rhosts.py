"""Reasons that some providers publish as codes of their own, read where their reply is.

A few providers answer with a code that says exactly why, and publish what
each code means: i.ua (a number in an https://mail.i.ua/err/N link),
Charter/Spectrum ("AUP#I-1000": four digits, by range), Facebook
("RCP-P2": area, permanent or temporary, number), Mimecast (a reply code
and a fixed phrase), Cloudflare Email Routing, Zoho Mail and Symantec Email
Security.cloud (fixed phrases), Microsoft Exchange (an enhanced code of its
own beside a fixed phrase). sisimai reads these with its Rhost modules
(IUA, Spectrum, Facebook, Mimecast, Cloudflare, Zoho, MessageLabs), keyed
on the remote host or the recipient's domain; the tables below follow the
providers' pages those modules cite.

The generic text rules get most of these wrong: i.ua's "Mailbox not found"
beside a 5.7.1 is a real unknown user, while Facebook's "not accepting
messages from your mail server" is a block of *our* server, not of the
address. Imported by classify only when a reply names one of these
providers, so nothing here weighs on the start-up of an ordinary bounce.
"""

from __future__ import annotations

import re

# https://mail.i.ua/err/N (as sisimai's Rhost::IUA lists them): 1 and 6 are
# "use your own provider's SMTP", 7 a bad HELO, 8 an unverifiable sender, 9 a
# listed IP, 10 a recipient's own allow list.
_IUA = {
    "1": "norelaying", "2": "userunknown", "3": "suspend", "4": "mailboxfull", "5": "toomanyconn",
    "6": "norelaying", "7": "blocked", "8": "rejected", "9": "blocked", "10": "filtered",
}
_IUA_CODE = re.compile(r"\.i\.ua/err/(\d{1,2})\b", re.IGNORECASE)

# Spectrum's "Understanding email error codes" (AUP#I-nnnn incoming, AUP#O-nnnn
# outgoing): (first, last, reason), by range.
_SPECTRUM = (
    (1000, 1000, "blocked"),          # our IP blocked for suspicious activity
    (1010, 1080, "rejected"),         # the sending account blocked or limited
    (1090, 1090, "systemerror"),      # cannot be processed now
    (1100, 1150, "requireptr"),       # no full-circle DNS for our IP
    (1160, 1190, "policyviolation"),  # against the domain's security policy
    (1200, 1250, "blocked"),          # Cloudmark CSI or Spamhaus lists our IP
    (1260, 1260, "networkerror"),     # IPv6 not taken
    (1300, 1340, "toomanyconn"),
    (1350, 1490, "speeding"),
    (1500, 1520, "rejected"),         # sending as another address or domain
    (1530, 1530, "mesgtoobig"),
    (1540, 1550, "speeding"),         # too many messages or recipients at once
    (1560, 1560, "policyviolation"),  # too many invalid recipients
    (1580, 1580, "speeding"),
)
_SPECTRUM_CODE = re.compile(r"aup#[a-z-]{0,4}(\d{4})\b", re.IGNORECASE)

# Facebook's postmaster response codes: AREA-[PT]n (P permanent, T temporary).
_FACEBOOK = {
    "RCP-P1": "userunknown", "INT-P1": "userunknown", "INT-P3": "userunknown", "INT-P4": "userunknown",
    "RCP-P2": "filtered", "RCP-P3": "filtered",          # the recipient's preferences or privacy
    "RCP-T4": "suspend",                                 # deactivated, may come back
    "RCP-T1": "systemerror",
    "MSG-P1": "mesgtoobig", "INT-P2": "mesgtoobig",
    "MSG-P2": "contenterror",                            # an attachment type not taken
    "MSG-P3": "notcompliantrfc",                         # a header field given twice
    "POL-P1": "blocked", "POL-P2": "blocked", "POL-P3": "blocked", "POL-P4": "blocked",
    "POL-T1": "blocked", "POL-T2": "blocked", "POL-T3": "blocked",
    "POL-P5": "virusdetected", "POL-P6": "spamdetected", "POL-P7": "spamdetected",
    "DNS-P1": "rejected", "DNS-P2": "rejected", "DNS-T1": "rejected",   # our MAIL FROM domain
    "DNS-P3": "requireptr", "DNS-T2": "requireptr",
    "CON-T1": "toomanyconn", "CON-T2": "toomanyconn", "CON-T3": "toomanyconn", "CON-T4": "toomanyconn",
    "MSG-T1": "toomanyconn",
}
_FACEBOOK_CODE = re.compile(r"\b([A-Z]{3}-[PT]\d)\b")

# Cloudflare Email Routing's postmaster page, and Zoho Mail's replies (as sisimai's
# Rhost::Cloudflare and ::Zoho read them): a phrase each, within the provider's reply.
_CLOUDFLARE = (("found on one or more dnsbls", "blocked"), ("upstream error", "systemerror"))
_ZOHO = (
    ("email rejected per dmarc policy", "authfailure"),
    ("greylisted, try again after some time", "blocked"),
    ("email cannot be delivered. reason: email flagged as spam", "rejected"),
    ("mail rejected by destination domain", "rejected"),
    ("email policy violation detected", "policyviolation"),
    ("mailbox delivery restricted by policy error", "policyviolation"),
    ("temporary system error", "systemerror"),
    ("user does not exist", "userunknown"),
    (" detected by zoho mail", "virusdetected"),
)

# Symantec/Broadcom Email Security.cloud (once MessageLabs): the phrases its knowledge
# base articles explain, as sisimai's Rhost::MessageLabs lists them. In order: a relay
# refusal that asks for SMTP AUTH is a security error before it is a relay refusal.
_MESSAGELABS = (
    ("please turn on smtp authentication in your mail client", "securityerror"),
    ("domain authentication fail", "authfailure"),
    ("connection rejected by policy", "badreputation"),
    ("mail rejected because your ip is in the pbl", "blocked"),
    ("your ip address has been ", "blocked"),
    ("stray linefeeds in message", "contenterror"),
    ("tls/sslv3 connection required", "failedstarttls"),
    (" as a relay, ", "norelaying"),
    ("550 requested action aborted [4]", "notcompliantrfc"),
    ("has detected that this message is not rfc 5322", "notcompliantrfc"),
    ("sender envelope domain not allowed for sender ip address", "rejected"),
    ("your domain has been blocked", "rejected"),
    ("your email address has been blocked", "rejected"),
    ("your envelope sender is in my badmailfrom list", "rejected"),
    ("your email address has been blacklisted", "rejected"),
    ("your domain has been blacklisted", "rejected"),
    ("message filtered", "spamdetected"),
    ("filtered by outbound scanning", "spamdetected"),
    ("too many recipients received this hour", "toomanyconn"),
    ("too many messages", "toomanyconn"),
    ("no such user", "userunknown"),
    ("invalid recipient", "userunknown"),
    ("mailbox is not allowed", "userunknown"),
)

# Mimecast's "SMTP error codes" article: (reply code, phrase, reason). The
# phrase alone is not enough: Mimecast says some of them with 4xx and 5xx codes
# that mean different things.
_MIMECAST = (
    ("550", "spf sender invalid - envelope rejected", "authfailure"),
    ("550", "dkim sender invalid - envelope rejected", "authfailure"),
    ("550", "dmarc sender invalid - envelope rejected", "authfailure"),
    ("451", "internal resources are temporarily unavailable", "badreputation"),
    ("550", "local ct ip reputation - (reject)", "badreputation"),
    ("421", "sender address blocked", "blocked"),
    ("451", "recipient temporarily unavailable", "blocked"),
    ("451", "ip temporarily blacklisted", "blocked"),
    ("554", "maximum email size exceeded", "mesgtoobig"),
    ("554", "mail loop detected", "networkerror"),
    ("451", "open relay not allowed", "norelaying"),
    ("451", "account inbounds disabled", "notaccept"),
    ("451", "account outbounds disabled", "onhold"),
    ("451", "hostname is not authorized", "onhold"),
    ("550", "journal message past expiration", "onhold"),
    ("550", "anti-spoofing policy - inbound not allowed", "policyviolation"),
    ("550", "rejected by header-based anti-spoofing policy", "policyviolation"),
    ("550", "message bounced due to content examination policy", "policyviolation"),
    ("554", "host network not allowed", "policyviolation"),
    ("550", "administrative prohibition envelope blocked", "rejected"),
    ("550", "envelope blocked - user entry", "rejected"),
    ("550", "envelope blocked - user domain entry", "rejected"),
    ("550", "rejected by header-based manually blocked senders", "rejected"),
    ("550", "rejected by header-based blocked senders", "rejected"),
    ("550", "envelope rejected - block policy for envelope from address", "rejected"),
    ("535", "incorrect authentication data", "securityerror"),
    ("550", "submitter failed to disabled", "securityerror"),
    ("553", "this route requires encryption (tls)", "securityerror"),
    ("553", "this route requires tls version 1.2 or greater", "securityerror"),
    ("553", "this route requires high-strength ciphers", "securityerror"),
    ("554", "configuration is invalid for this certificate", "securityerror"),
    ("451", "unable to process connection at this time", "systemerror"),
    ("451", "message ended early", "systemerror"),
    ("451", "unable to process command", "systemerror"),
    ("451", "unable to process an email at this time", "systemerror"),
    ("451", "account service is temporarily unavailable", "toomanyconn"),
    ("452", "too many recipients", "toomanyconn"),
    ("550", "exceeding outbound thread limit", "toomanyconn"),
    ("501", "invalid address", "userunknown"),
    ("503", "user unknown", "userunknown"),
    ("550", "invalid recipient", "userunknown"),
    ("554", "email rejected due to security policies", "virusdetected"),
)

# Exchange Server's and Exchange Online's own codes, with the words Microsoft's
# NDR references give them ("Email non-delivery reports and SMTP errors in
# Exchange Online", "Non-delivery reports in Exchange Server"; sisimai's
# Rhost::Microsoft cites the same pages): (enhanced code, phrase, reason).
# 4.4.7 QUEUE.Expired is the queue lifetime running out, whatever the last
# attempt's error it quotes ("Connection dropped" is no block of ours);
# 5.4.310 "DNS domain <domain> does not exist" is a domain that is not there.
_MICROSOFT = (
    ("4.4.7", "queue.expired", "expired"),
    ("5.4.310", "does not exist", "hostunknown"),
)
_MICROSOFT_CODE = re.compile(r"(?<![\d.])([45]\.4\.(?:7|310))(?![\d.])")


def reason(text: str, reply_code: str | None, hosts: str) -> str | None:
    """The reason a provider's own code in *text* stands for, or None.

    *hosts* are the reporting and remote MTAs' names and the recipient's
    domain, lower-cased: Facebook's codes and Mimecast's phrases count only
    where one of them (or the reply itself) names the provider.
    """
    m = _IUA_CODE.search(text)
    if m is not None:
        return _IUA.get(m.group(1))
    lowered = text.lower()
    m = _SPECTRUM_CODE.search(lowered)
    if m is not None:
        number = int(m.group(1))
        found = next((r for first, last, r in _SPECTRUM if first <= number <= last), None)
        if found is not None:
            return found
    if "facebook" in hosts or "facebook" in lowered:
        m = _FACEBOOK_CODE.search(text)
        if m is not None and m.group(1) in _FACEBOOK:
            return _FACEBOOK[m.group(1)]
    if "vtext.com" in hosts and "no such user here" in lowered:
        # Verizon's SMS gateway refuses a number it does not serve so (sisimai's Verizon module):
        # its own subscriber list speaking, not a filter passing on a reply.
        return "userunknown"
    if reply_code == "542" and "messagelabs" in hosts:
        return "userunknown"    # its own code for a refused recipient ("542 <addr> Rejected": sisimai's MessageLabs)
    for provider, phrases in (("cloudflare", _CLOUDFLARE), ("zoho", _ZOHO), ("messagelabs", _MESSAGELABS)):
        if provider in hosts or provider in lowered:
            found = next((r for phrase, r in phrases if phrase in lowered), None)
            if found is not None:
                return found
    m = _MICROSOFT_CODE.search(text)
    if m is not None:
        found = next((r for code, phrase, r in _MICROSOFT if code == m.group(1) and phrase in lowered), None)
        if found is not None:
            return found
    if "mimecast" in hosts or "mimecast" in lowered:
        # Mimecast's article writes some phrases with an en dash; servers with a hyphen.
        plain = lowered.replace("\u2013", "-")
        for code, phrase, found in _MIMECAST:
            if reply_code == code and phrase in plain:
                return found
    return None
