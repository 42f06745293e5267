"""Diagnostic-text rules: which sisimai reason a bounce's words point to.

The phrase lists follow the ones sisimai publishes per reason
(lib/Sisimai/Reason/*.pm), rewritten as a few compiled regexes. Order is the
point of this module: reasons that blame *our* side or the message (blocklists,
spam filters, authentication, rate limits, size, quota) are tried before the
reasons that blame the address, so that a "550 mailbox unavailable ... blocked
using Spamhaus" is never taken for a dead mailbox. A wrong soft verdict costs
one retry; a wrong hard verdict disables a person.
"""

from __future__ import annotations

import itertools
import re

from .lazyrx import LazyRx as _LazyRx

_F = re.IGNORECASE


def _rx(*alternatives: str, flags: int = _F) -> _LazyRx:
    return _LazyRx("|".join(alternatives), flags)


# Phrases that say the mailbox does not exist, in so many words: these
# outrank any status code (servers put 5.7.1, 5.2.1 or 5.4.1 beside them).
_USERUNKNOWN_PLAIN = (
    r"user(?:name)? (?:unknown|not found|not known|does not exist|doesn'?t exist)",
    r"unknown (?:user|recipient|mailbox|local[- ]part|e-?mail address|address)",
    r"no such (?:user|mailbox|recipient|person|address|local user)",
    # One alternative per noun, not "(?:mailbox|recipient|...) ...": each top-level
    # alternative needs a literal of its own for the pre-test (mailtools.bounces.lazyrx),
    # or the whole rule is compiled for every bounce (~2.5 ms of the pipe's start-up).
    *(rf"{noun} (?:does not exist|doesn'?t exist|not found|unknown|not present|invalid)"
      for noun in ("mailbox", "recipient", "address", "account")),
    r"invalid (?:recipient|mailbox|address|user)", r"recipient not (?:found|ok|exist)",
    r"not a (?:valid|known) (?:user|mailbox|recipient)",
    r"is not a known user", r"non[- ]?existent (?:user|account|address)", r"bad[-_ ]recipient",
    r"badrcptto", r"resolver\.adr\.(?:ex)?recip(?:ient)?notfound", r"addressee unknown",
    r"there is no one at this address", r"email account that you tried to reach does not exist",
    r"no mailbox here by that name", r"address (?:does not exist|unknown)",
    r"unknown or illegal alias", r"no account by that name", r"user not local",
    r"doesn'?t have an? \S+ account", r"email address is wrong or no longer valid",
    r"no matches to nameserver query", r"mailbox \S{1,260} (?:does not|doesn'?t) exist",
    r"does not have a final e-?mail delivery point",
    r"invalid final delivery userid", r"not listed in (?:the )?(?:domino )?directory",
    r"not listed in (?:the )?public name (?:&|and) address book", r"ディレクトリのリストにありません",
    r"ディレクトリには見つかりません",   # Domino's Japanese "not listed in Domino Directory"
    r"address couldn'?t be found", r"recipient name is not recognized", r"no valid recipients",
    r"recipient address rejected: access denied", r"recipient mailbox is not allowed",
    r"email address (?:could not be found|does not exist)",
    r"address not present in directory", r"destination addresses were unknown",
    r"no mail ?box (?:available for this user|found|by that name)", r"no such (?:e-?mail address|mail drop)",
    r"not (?:have an account|in valid recipient list)", r"recipient is not local", r"user not exist",
    r"your envelope recipient (?:has been denied|is in my badrcptto)", r"user'?s email name is not found",
    r"(?:badrcptto|validrcptto|badrecipientto) list", r"user missing home directory",
    r"invalid or unknown virtual user", r"utilisateur inconnu", r"nessun utente", r"no existe (?:dicha|ese)",
    r"adresse .{0,80}n'existe pas", r"unbekannte(?:r)? (?:empf(?:ä|ae)nger|benutzer)",
)
# The same in the languages the mailboxes answer in (German, French, Spanish, Italian,
# Portuguese, Polish, Czech, Japanese, Chinese, Russian): "<who> unknown / does not exist".
# Each names the recipient, user or mailbox, not a bare "address": "Absenderadresse
# unbekannt", "发件人地址不存在" are about the sender. A rule of its own, after the
# English one: a "User unknown" never pays for working out these alternatives' literals.
_USERUNKNOWN_FOREIGN = (
    r"\b(?:empf(?:ä|ae)nger|benutzer|postfach)\w{0,8} (?:ist )?unbekannt",
    r"\b(?:empf(?:ä|ae)nger|benutzer|postfach)\w{0,8} (?:wurde )?nicht gefunden",
    r"(?:utilisateur|destinataire|bo(?:î|i)te aux lettres) (?:est )?introuvable",
    r"usuario no encontrado", r"destinatario no encontrado", r"buz(?:ó|o)n no encontrado",
    r"(?:empf(?:ä|ae)nger|benutzer|postfach|e-?mail-adresse) existiert nicht",
    r"destinataire inconnu", r"adresse (?:e-?mail |(?:é|e)lectronique )?inconnue",
    r"(?:utilisateur|destinataire|compte|bo(?:î|i)te aux lettres) .{0,40}n['’]existe pas",
    r"usuario (?:desconocido|inexistente|no existe)", r"el usuario no existe",
    # One noun per alternative: each needs a literal of its own for the pre-test.
    r"destinatario (?:desconocido|inexistente|no existe|sconosciuto)",
    r"buz(?:ó|o)n (?:desconocido|inexistente|no existe)",
    r"cuenta (?:desconocida|inexistente|no existe)",
    r"utente (?:sconosciuto|inesistente|non esiste)", r"casella (?:sconosciuta|inesistente)",
    r"usu(?:á|a)rio (?:desconhecido|inexistente|n(?:ã|a)o existe)",
    r"utilizador (?:desconhecido|inexistente|n(?:ã|a)o existe)",
    r"nie ma takiego (?:konta|u(?:ż|z)ytkownika|adresu)", r"(?:konto|u(?:ż|z)ytkownik|adres) nie istnieje",
    r"(?:u(?:ž|z)ivatel|schr(?:á|a)nka|adresa) neexistuje",
    r"宛先不明", r"(?:ユーザー?|アカウント)(?:は|が)?存在しません", r"宛先.{0,12}存在しません",
    r"(?:用户|收件人|邮箱|帐户|账户|帐号|账号)不存在", r"无此用户",
    r"(?:пользователь|адресат|получатель|ящик) не (?:найден|существует)",
    r"нет такого (?:пользователя|адреса|ящика|почтового ящика|получателя)",
    r"такого .{0,30}не существует",
)
# Phrases servers also use for refusals that are not about the mailbox:
# userunknown when nothing says otherwise, but a policy status (x.7.x) wins.
_USERUNKNOWN_VAGUE = (
    r"mailbox (?:is )?unavailable", r"not our customer", r"archived recipient",
    # Postfix's "Recipient address rejected: <why>": the why decides, when given.
    r"recipient address rejected(?!:)", r"(?<!sender )address rejected(?!:)",
)

# Two rules, so that the common case compiles only the first.
PLAIN_USERUNKNOWN = _rx(*_USERUNKNOWN_PLAIN)
FOREIGN_USERUNKNOWN = _rx(*_USERUNKNOWN_FOREIGN)


def says_no_such_mailbox(text: str) -> bool:
    """Whether *text* says in so many words, in any language we know, that the mailbox does not exist."""
    return PLAIN_USERUNKNOWN.search(text) is not None or FOREIGN_USERUNKNOWN.search(text) is not None

# au/EZweb's notices state the reason once, above the recipients they list
# ("The user(s) account is disabled."), and quote a reply ("550 user unknown")
# that says less: the statement is the reason for each of them.
NOTICE_HEADLINE = _rx(r"the user\(s\) account is (?:disabled|temporarily (?:over quota|limited))")

# The receiving provider saying it has no such account (Yahoo's "554 delivery
# error: dd This user doesn't have a yahoo.com account"): its own account
# directory, whichever SMTP command the reply came after.
ACCOUNT_LOOKUP = _rx(r"doesn'?t have an? \S+ account")

# Words that say the recipient's *domain* takes no mail at all (null MX, no
# MX, no SMTP service): what makes a notaccept hard. "Server is not accepting
# mail" (maintenance, 5.3.2) is notaccept too, but says nothing of the address.
DOMAIN_TAKES_NO_MAIL = _rx(
    r"null ?mx", r"domain \S{1,255} (?:does not|doesn'?t) accept (?:any )?mail", r"domain (?:does not|doesn'?t) accept",
    # sendmail's words for a null MX (RFC 7505).
    r"host (?:does not|doesn'?t) accept mail",
    r"accepts no mail", r"no mx (?:record )?(?:found )?for domain", r"mx or srv record indicated no smtp service",
)

# Providers that publish numbered reason codes: the code says what happened,
# whatever the words around it (or the status beside it) say. Every bounce
# walks past these rules, so each is given its pre-test literals (one per
# alternative) instead of having them worked out from the pattern (~20 us a rule).
def _coded(alternatives: list[str], hints: list[str]) -> _LazyRx:
    rx = _rx(*alternatives)
    rx.hints = tuple(hints)
    return rx


def _orange(*codes: str) -> _LazyRx:
    """Orange/Wanadoo and La Poste: "OFR_417", "LPN007_426", "LPN105-104" (the last three digits decide)."""
    sites = ["ofr", "lpn", "ouk"]
    return _coded([rf"\b{site}(?:_|\d{{3}}[-_])(?:{'|'.join(codes)})\b" for site in sites], sites)


def _spectrum(numbers: str) -> _LazyRx:
    """Charter/Spectrum: "AUP#I-1310" (incoming), "AUP#O-1010" (outgoing); *numbers* a regex of 4 digits."""
    return _coded([rf"aup#[io]?-?(?:{numbers})\b"], ["aup#"])


def _iua(*codes: str) -> _LazyRx:
    """i.ua (Ukraine): the reply links https://mail.i.ua/err/<code>/."""
    return _coded([rf"i\.ua/err/{code}\b" for code in codes], [f"i.ua/err/{code}" for code in codes])


def _godaddy(*codes: str) -> _LazyRx:
    """GoDaddy (secureserver.net): "IB112" at the end of the reply."""
    return _coded([rf"\b{code}\b" for code in codes], list(codes))


PROVIDER_CODES: list[tuple[str, _LazyRx]] = [
    # https://www.spectrumbusiness.net/support/internet/understanding-email-error-codes
    ("blocked", _spectrum(r"1000|12[0-4]\d|1250")),
    ("rejected", _spectrum(r"10[1-7]\d|1080|1500|1520")),
    ("systemerror", _spectrum(r"1090")),
    ("requireptr", _spectrum(r"11[0-4]\d|1150")),
    ("policyviolation", _spectrum(r"11[6-8]\d|1190|1560")),
    ("networkerror", _spectrum(r"1260")),
    ("toomanyconn", _spectrum(r"13[0-3]\d|1340")),
    ("speeding", _spectrum(r"13[5-9]\d|14[0-8]\d|1490|1540|1550|1580")),
    ("mesgtoobig", _spectrum(r"1530")),
    # Orange's and La Poste's codes, as sisimai's Rhost::FrancePTT reads them.
    ("blocked", _orange("102", "103", "401", "510", "999")),
    ("toomanyconn", _orange("104")),
    ("securityerror", _orange("305", "402")),
    ("rejected", _orange("403", "405", "415", "421")),
    ("mailboxfull", _orange("417")),
    ("suspend", _orange("420", "426")),          # archived, or blocked, recipient account
    ("systemerror", _orange("505")),
    ("spamdetected", _orange("506")),
    ("mesgtoobig", _orange("514")),
    # https://www.godaddy.com/help/fix-rejected-email-with-a-bounce-error-40685
    ("securityerror", _godaddy("ib401")),
    ("notcompliantrfc", _godaddy("ib501", "ib502")),
    ("rejected", _godaddy("ib506")),
    ("authfailure", _godaddy("ib508")),
    ("requireptr", _godaddy("ib108")),
    ("spamdetected", _godaddy("ib212")),
    ("virusdetected", _godaddy("ib705")),
    ("toomanyconn", _godaddy("ib007", "ib605")),
    ("speeding", _godaddy("ib101", "ib504", "ib510", "ib607")),
    ("badreputation", _godaddy("ib103")),
    ("blocked", _godaddy("ib104", "ib105", "ib106", "ib110", "ib111", "ib112", "ib113")),
    # https://mail.i.ua/err/: 1 and 6 relaying, 3 unused for 3 months, 4 full, 5 sending limit,
    # 7 bad HELO, 8 sender unverifiable, 9 our IP listed, 10 the recipient's own list.
    ("norelaying", _iua("1", "6")),
    ("suspend", _iua("3")),
    ("mailboxfull", _iua("4")),
    ("toomanyconn", _iua("5")),
    ("blocked", _iua("7", "9")),
    ("rejected", _iua("8")),
    ("filtered", _iua("10")),
    # Comcast (postmaster.comcast.net/smtp-error-codes.php): BL0000nn our IP on a block
    # list, RL0000nn a rate limit. Outlook.com's older codes: SC-00n and DY-00n our IP
    # refused (policy, reputation, dynamic range), RP-00n too many messages for now.
    ("blocked", _coded([r"\bbl0000\d\d\b", r"\bsc-00\d\b", r"\bdy-00\d\b"], ["bl0000", "sc-00", "dy-00"])),
    ("speeding", _coded([r"\brl0000\d\d\b", r"\brp-00\d\b"], ["rl0000", "rp-00"])),
    # AOL's HVU:B1 (our IP, for complaints); NetEase 163/126's IP:B0n (our IP blocked),
    # DT:SPM (the message looked like spam), RP:RDN (no reverse DNS) (mail.163.com help pages).
    # T-Online's "(BL)": our IP has a bad or unknown reputation (postmaster.t-online.de).
    ("blocked", _coded([r"\bhvu:b\d\b", r"\bip:b0\d\b", r"\(bl\)"], ["hvu:b", "ip:b0", "(bl)"])),
    ("spamdetected", _coded([r"\bdt:spm\b"], ["dt:spm"])),
    ("requireptr", _coded([r"\brp:rdn\b"], ["rp:rdn"])),
]

# Every literal the provider-code rules have: a text with none of them skips
# all of those rules in one test, not one call per rule (most bounces).
_PROVIDER_HINTS = tuple({hint for _, rx in PROVIDER_CODES for hint in rx.hints or ("",)})

# (reason, pattern), tried in this order; the first match wins.
RULES: list[tuple[str, _LazyRx]] = [
    *PROVIDER_CODES,
    # Refusals of *us* (our sender address, our volume) in words that later rules would read
    # otherwise ("temporarily deferred due to" is speeding, "authentication required"
    # securityerror). Yahoo's [TSS04]/[TSS09]/unresolvable-from-domain (senders.yahooinc.com/
    # error-codes), Microsoft's distribution-group restrictions (5.7.124, 5.7.133-136) and
    # 5.7.750, Mimecast's blocked-senders policies (its published SMTP error codes).
    ("rejected", _rx(
        r"due to unexpected volume or user complaints", r"will be permanently deferred",
        r"unresolvable rfc\.?5321 (?:from )?domain", r"sender not in allowed-senders list",
        r"sender (?:was )?not authenticated (?:for|by organization)", r"resolver\.rst\.sendernotauthenticated",
        r"resolver\.rst\.deliveryrestriction", r"client blocked from sending from unregistered domains",
        r"envelope blocked", r"block policy for (?:envelope|header) from", r"manually blocked senders",
        # Symantec Email Security.cloud: the recipient's own block list names our address or domain.
        r"your (?:domain|email address) has been (?:blocked|blacklisted)", r"sender envelope domain not allowed",
        # Sender-address refusals sisimai's Reason::Rejected lists (McAfee, MailMarshal, ...).
        r"an address that has been blacklisted", r"is not a registered gateway user",
        r"sender e-?mail address rejected", r"denied \[bouncedeny\]",
        # Microsoft's 5.7.501-503 (our account banned for spam), 5.1.8 and SendAsDenied;
        # Yahoo's older [TS01]; Zoho's "Mail rejected by destination domain"; Gmail's
        # Workspace relay refusing a sender it does not know.
        r"access denied, spam abuse detected", r"bad outbound sender", r"sendasdenied",
        r"deferred due to user complaints", r"mail rejected by destination domain", r"mail sending denied",
        r"fully qualified email address required", r"rule imposed mailbox access for",
    )),
    # Providers' own reason codes, published on their postmaster pages, say
    # exactly what happened: Cox's "AUP#CODE" (CXBL, CDRBL: our IP blocked;
    # IPBLnnnn: on a DNS block list; URLBLnnnn: a link in the message listed;
    # CXDNS: no reverse DNS), and AOL's "(DYN:T1)" (dynamic IP), "(RLY:B1)"
    # (blocked IP), "(RLY:IR)"/"(DNS:NR)" (no rDNS).
    ("blocked", _rx(r"aup#\w{0,4}(?:bl|rbl)\b", r"\bipbl\d{3,4}\b", r"\bdyn:t\d\b", r"\brly:b\d\b",
                    r"\bcon:b\d\b",
                    # Our IP refused, in words later rules would read as a rate limit or a
                    # sender problem: Gmail's 4.7.28/5.7.28 "unusual rate of (unsolicited)
                    # mail", Tencent's "suspected spam ip", Microsoft's 5.7.511 "banned
                    # sender" and 5.7.513 "Customer Block list".
                    r"unusual rate of (?:unsolicited )?mail", r"suspected spam ip",
                    r"access denied, banned sender", r"customer block list", r"ip not in whitelist for rcpt domain")),
    ("spamdetected", _rx(r"\burlbl\d{3,4}\b", r"aup#\w{0,2}spam\b")),
    ("requireptr", _rx(r"aup#\w{0,2}dns\b", r"\brly:ir\b", r"\bdns:nr\b")),
    # Cox's page (cox.com/residential/support/email-error-codes.html): CXSNDR is our
    # domain failing SPF/DKIM, CXMJ/CXTHRT a sending account held for suspicious
    # activity, CXSMTP a protocol violation, CXCNCT/CXMXRT too many connections/recipients.
    ("authfailure", _rx(r"aup#\w{0,2}sndr\b")),
    ("securityerror", _rx(r"aup#\w{0,2}(?:mj|thrt)\b")),
    ("rejected", _rx(r"aup#\w{0,2}smtp\b")),
    ("toomanyconn", _rx(r"aup#\w{0,2}(?:cnct|mxrt)\b")),
    # Facebook's postmaster response codes: RCP (the recipient; P2/P3 its own
    # preferences or privacy settings refused us), POL (policy about our IP),
    # MSG (the message), DNS (our MAIL FROM domain), CON (connections), SPM
    # (spam), INT (their side), -P permanent, -T temporary.
    ("filtered", _rx(r"refused due to recipient preferences", r"\brcp-p[23]\b")),
    ("blocked", _rx(r"\bpol-[pt][12]\b")),
    ("rejected", _rx(r"\bdns-[pt]\d\b")),
    ("spamdetected", _rx(r"\bspm-[pt]\d\b")),
    ("mesgtoobig", _rx(r"\bmsg-p1\b")),
    ("toomanyconn", _rx(r"\bcon-t\d\b")),
    ("systemerror", _rx(r"\bint-[pt]\d\b")),
    ("norelaying", _rx(
        r"relay(?:ing)? (?:access )?denied", r"relaying (?:is )?not (?:allowed|permitted)",
        r"not permitted to relay", r"unable to relay", r"we do not relay",
        r"relay not permitted", r"isn'?t in my list of allowed rcpthosts",
        r"not an open relay", r"\bno relaying\b", r"as a relay, but i have not been configured",
        r"open relay not allowed", r"invalid credentials for relay",
        # Amazon SES refusing to send from an identity not verified for the account.
        r"email address is not verified",
    )),
    # The message breaks RFC 5322 (before the spam and DKIM rules, which the same texts mention).
    ("notcompliantrfc", _rx(
        r"not rfc ?5322 compliant", r"rfc ?5322 section [\d.]+ compliant",
        r"duplicate header", r"multiple (?:addresses in from|\w+ headers)",
        r"messages with multiple addresses",
        # Gmail's RfcMessageNonCompliant replies, Yahoo's, GoDaddy's IB501.
        r"missing a valid (?:message-id|address in the from)", r"encoded-word syntax is not permitted",
        r"unicode character in a disallowed header", r"mail message is malformed", r"headers are not rfc compliant",
        r"blank from: addresses",
    )),
    # A refusal that states its cause as spam, before the SPF/DKIM advice such notices go on with.
    ("spamdetected", _rx(r"due to spam classification", r"(?:classified|identified|detected) as spam")),
    ("failedstarttls", _rx(
        r"must issue a starttls", r"starttls (?:is )?required", r"tls (?:is )?required",
        r"requires? (?:a )?(?:secure|encrypted|tls) connection", r"encryption required",
        r"5\.7\.10\b", r"tls/sslv3 connection required", r"use tls/ssl for smtp", r"sent over a tls connection",
    )),
    ("authfailure", _rx(
        r"\bdmarc\b", r"\bspf (?:check:? )?fail", r"spf (?:record|validation)", r"\bspf sender invalid",
        r"domain authentication fail", r"authenticate (?:their email )?with (?:either )?(?:spf|dkim)",
        r"\b(?:spf|dkim) authentication didn'?t pass",
        r"\bdkim\b", r"unauthenticated (?:e-?mail|mail)\b", r"is not allowed to send (?:mail )?from",
        r"sender policy framework", r"\bsender (?:domain )?authentication",
    )),
    # SMTP AUTH and authorisation (RFC 3463 x.7.1 "delivery not authorized"), not SPF/DKIM/DMARC.
    ("securityerror", _rx(
        r"delivery not authori[sz]ed", r"authentication (?:is )?required", r"authrequired",
        r"unauthenticated senders? not allowed", r"turn on smtp authentication", r"must be authenticated",
        r"not authenticated to send anonymous",
    )),
    ("requireptr", _rx(
        r"reverse dns", r"\brdns\b", r"\bptr[ -]record", r"no ptr", r"missing ptr",
        r"cannot find your hostname", r"ip name lookup failed", r"cannot resolve your address",
        r"unresolvable (?:relay )?host ?name", r"client host rejected: cannot find", r"mismatches client ip",
        r"\bptr resource record", r"invalid dns ptr", r"reverse lookup rejected", r"unverifi?y?able sending ips",
    )),
    ("badreputation", _rx(
        r"(?:poor|bad|low) (?:ip |sender |domain )?reputation", r"reputation (?:problem|of)",
        r"due to (?:ip |sender |domain )?reputation", r"\bip reputation\b",
        # Mimecast: greylisting or a poor reputation, it does not say which.
        r"internal resources are temporarily unavailable",
        # Symantec Email Security.cloud (MessageLabs): "501 Connection rejected by policy [7.7]",
        # its answer to an IP with a negative reputation (knowledge.broadcom.com article 164955).
        r"connection rejected by policy",
    )),
    ("toomanyconn", _rx(
        r"too many (?:connections|concurrent|smtp sessions|errors)", r"max message per connection",
        r"too many recipients(?! (?:this|per|an) hour)",
        r"connection (?:rate )?limit", r"trop de connexions", r"frequency limited",
    )),
    ("speeding", _rx(
        r"rate limit", r"rate-limit", r"try again slower", r"sending too fast",
        r"receiving mail at a rate",
        r"receiving mail too quickly", r"temporarily deferred due to", r"too many messages(?! on the server)",
        r"throttl", r"exceeded the max emails per hour", r"too many (?:recipients|messages) (?:this|per|an) hour",
        # Gmail's and Microsoft's sending limits (a quota of ours, not the mailbox's), Apple's volume.
        r"daily (?:user )?sending (?:limit|quota) exceeded", r"daily smtp relay (?:sending )?limit exceeded",
        r"submission quota exceeded", r"daily limit for message recipients", r"per hour message receive limit",
        r"due to excessive volume",
    )),
    # A URI block list judges the links in the message, not our host.
    ("spamdetected", _rx(r"\buribl\b", r"\bsurbl\b", r"blacklisted (?:url|link)")),
    ("blocked", _rx(
        r"blocked using", r"block ?list", r"black ?list", r"(?<!not )\blisted (?:at|on|in) ",
        r"spamhaus", r"spamcop", r"barracuda", r"\bsorbs\b", r"\bdnsbls?\b", r"connection denied", r"\brbls?\b",
        r"\bip (?:address )?\S* ?(?:is )?(?:blocked|listed|banned)", r"access denied\. ip",
        r"client host (?:\S+ )?(?:rejected|blocked)",
        r"not currently accepting mail from your ip", r"your (?:ip|network|server) (?:has been|is|was) ",
        r"your ip address (?:\(\S+\) )?has been",
        r"connection (?:dropped|refused by|reset by peer)", r"dynamic ip", r"greylist",
        r"banned sending ip", r"go away", r"smtp server of your isp", r"helo command rejected",
        r"unsolicited mail originating from your ip", r"traffic not accepted from this ip",
        r"invalid ip for sending mail",
        r"not authori[sz]ed to send (?:e-?mail |mail )?directly",
    )),
    ("virusdetected", _rx(
        r"\bvirus(?:es)?\b", r"email rejected due to security policies", r"malware", r"infected", r"\btrojan",
    )),
    ("spamdetected", _rx(
        r"\bspam\b", r"\bspammy\b", r"\bube\b", r"unsolicited", r"bulk (?:e-?)?mail",
        r"content (?:filter|rejected)", r"message content rejected", r"looks like spam", r"mail content denied",
        r"filtered by outbound scanning",
        r"junk mail", r"banned content",
    )),
    # Gmail's "This message was blocked because its content presents a potential security issue",
    # and its 4.7.28 "exceeded its quota for sending messages with the same Message-ID" (not a full mailbox).
    ("policyviolation", _rx(r"content presents a potential", r"sending messages with the same message-id")),
    # Last resort for "blocked": after the spam filters, which say it too.
    ("blocked", _rx(r"\bblocked\b")),
    ("mesgtoobig", _rx(
        r"message (?:is )?too (?:big|large)", r"too (?:big|large) for", r"message size",
        r"(?<!mailbox )size (?:limit|exceeds)", r"maximum email size exceeded",
        r"exceeds? (?:the )?(?:fixed )?maximum (?:message )?size",
        r"mail file size exceeds", r"email too large", r"line limit exceeded",
        r"max(?:imum)? message size exceeded", r"message file too big", r"exceeded maximum inbound message size",
        r"recipsizelimit",
    )),
    ("mailboxfull", _rx(
        r"mailbox (?:is )?full", r"full mailbox", r"mailbox (?:size limit|quota|exceeded|over quota)",
        r"over ?(?:the )?(?:allowed )?quota", r"quota (?:exceeded|violation|usage)",
        r"over (?:its|their|his|her) (?:storage |mailbox )?quota", r"mailbox size (?:limit )?exceeded",
        r"over (?:storage|mailbox|disk) quota", r"quota limit (?:exceeded|reached)",
        r"exhausted (?:the |its )?allowed storage",
        r"storage (?:limit|quota) (?:exceeded|reached)", r"mailbox has reached",
        r"reached (?:its|the|their) (?:storage|mailbox|quota|size) (?:limit|quota)",
        r"exceed(?:ed|s|ing)? (?:the |its |their )?(?:storage|quota|mailbox quota|disk quota)",
        r"disk quota", r"insufficient (?:system )?storage", r"not enough (?:storage )?space",
        r"does not have enough space", r"mailfolder is full", r"inbox is full",
        r"user is over (?:the )?quota", r"account is (?:temporarily )?over quota",
        r"space has been used up", r"boite du destinataire pleine", r"dis[ck] ?(?:space )?quota",
        r"exceeded storage allocation", r"too many messages on the server", r"too much mail data",
        r"no space left on device", r"quotaexceeded", r"account storage limit", r"out of storage space",
        # The same in German, French, Spanish, Italian, Portuguese, Polish, Czech, Japanese, Chinese, Russian.
        r"postfach\b.{0,40}\b(?:voll|(?:ü|ue)berf(?:ü|ue)llt|(?:ü|ue)berschritten)",
        r"speicher\w*.{0,40}(?:ü|ue)berschritten",
        r"(?:quota|kontingent) (?:ist )?(?:ü|ue)berschritten",
        r"bo(?:î|i)te\b.{0,40}\bpleine", r"quota .{0,40}d(?:é|e)pass(?:é|e)", r"espace (?:de stockage )?insuffisant",
        r"buz(?:ó|o)n\b.{0,40}\blleno", r"cuota (?:excedida|superada)", r"(?:excedido|superado) (?:la |su )?cuota",
        r"superato (?:la |il )?(?:quota|limite di spazio)", r"excedeu (?:a |sua )?(?:quota|cota)",
        r"casella\b.{0,40}\bpiena",
        r"quota (?:superata|esaurita|excedida)", r"caixa\b.{0,40}\bcheia", r"cota excedida",
        r"skrzynka\b.{0,40}\b(?:pe(?:ł|l)na|przepe(?:ł|l)niona)", r"schr(?:á|a)nka (?:je )?pln(?:á|a)",
        r"容量超過", r"容量が超過", r"容量を超え", r"容量オーバー",
        r"メールボックスがいっぱい", r"メールボックスが満杯", r"メールボックスが一杯", r"容量制限",
        r"邮箱已满", r"信箱已满", r"邮箱空间不足", r"邮箱容量不足", r"空间已满", r"容量已满", r"邮箱满",
        r"信箱已滿", r"郵箱已滿",
        r"ящик.{0,30}переполнен", r"превышен.{0,40}(?:ящик|квот)", r"квота.{0,30}превышена", r"недостаточно места",
    )),
    ("suspend", _rx(
        r"account (?:has been |is )?(?:disabled|suspended|inactive|locked|deactivated|expired|closed)",
        r"mailbox (?:currently )?(?:suspended|disabled|inactive|deactivated)",
        r"deactivated mailbox", r"invalid/inactive user", r"user suspended",
        r"recipient suspend", r"has been disabled or discontinued", r"inactive (?:user|account|mailbox)",
        r"is disabled", r"not (?:an )?active", r"temporar(?:y|ily) locked", r"mailbox is frozen",
        r"user is terminated", r"temporarily inactive", r"account is locked", r"no longer accepts mail",
        # Yahoo's "dd a@b is no longer valid" (only Yahoo's: elsewhere "no longer valid" beside
        # 5.1.1 is the address gone, as sisimai reads it), Microsoft's 5.7.505, Tencent's frozen mailbox,
        # i.ua's unused-for-3-months, Orange's blocked recipient account.
        r"\bdd \S+ is no longer valid", r"access denied, banned recipient", r"mailbox unavailable or access den",
        r"not used for more than \d+ months", r"compte du destinataire est bloqu", r"is currently suspended",
        r"boite du destinataire archiv", r"\buser disabled\b",
        r"\bdisabled (?:user|account|mailbox|recipient)\b",
        # The same in German, French, Spanish, Italian, Portuguese, Japanese, Chinese, Russian: a
        # 5.1.1 beside these words is a mailbox that exists but takes no mail, not a dead address.
        # "<account> ... <state>", a few words apart ("Das Konto des Empfängers ist gesperrt").
        *(rf"\b(?:konto|postfach|benutzer)\w{{0,12}}\b.{{0,40}}\b{state}"
          for state in ("gesperrt", "deaktiviert", "stillgelegt")),
        r"\bcompte\b.{0,40}\b(?:d(?:é|e)sactiv(?:é|e)|suspendu|bloqu(?:é|e))",
        r"\bcuenta\b.{0,40}\b(?:desactivada|suspendida|bloqueada|inactiva)",
        *(rf"\b(?:account|casella)\b.{{0,40}}\b{state}[oa]" for state in ("disattivat", "sospes", "bloccat")),
        r"\bconta\b.{0,40}\b(?:desativada|suspensa|bloqueada|inativa)",
        r"アカウント(?:が|は)?(?:停止|無効|凍結)", r"已被冻结", r"已被停用", r"已被禁用", r"已停用",
        r"(?:ящик|аккаунт|пользователь)\S{0,3} заблокирован", r"(?:ящик|аккаунт|пользователь)\S{0,3} отключен",
    )),
    ("exceedlimit", _rx(
        r"exceeded (?:the )?(?:message|recipient)? ?limit", r"message exceeds local limits",
        r"exceeds administrative limit",
    )),
    # Postfix's "Host not found, try again" is a DNS timeout, not a missing domain.
    ("networkerror", _rx(
        r"not found, try again", r"name service error.{0,120}try again", r"temporary (?:dns|lookup) failure",
        r"(?:wasn'?t|was not|unable to|could not) (?:able to )?establish an smtp connection",
    )),
    ("expired", _rx(
        r"delivery time expired", r"retry timeout exceeded", r"message expired",
        r"has not been collected after", r"aborted after \d", r"delivery failed \d+ attempts",
        r"been in the queue too long", r"could not be delivered for (?:more than )?\d",
        r"not reachable within the allowed queue period", r"queue lifetime",
        r"connection timed out", r"message timed out", r"server did not respond",
        r"retry time not reached for any host after a long failure period",
        r"failed to deliver to domain .{1,100} after \d+ tries", r"maximum delivery attempts",
        r"could not deliver for the last \d", r"envelope expired", r"cannot send message for \d",
        r"all hosts (?:for \S{1,260} )?have been failing", r"did not accept our requests to connect",
        # SmarterMail's "Failed four attempts to connect" (its "Failed all attempts" follows the cause).
        r"multiple delivery attempts failed", r"failed (?!all )\w+ attempts to connect",
        r"\bhost not reachable",
    )),
    ("policyviolation", _rx(
        r"policy (?:violation|reasons)", r"denied by policy", r"has a policy that prohibit",
        r"administrative prohibition",
        r"not accepted for policy", r"protocol violation", r"closed mailing list",
        r"header error", r"illegal attachment",
        # The receiving side's own rules refused the message (Apple's [CS01]/[HM08], GMX, Mimecast, Yandex).
        r"(?:due to|by) (?:local|recipient'?s?) policy", r"anti-spoofing policy", r"content examination policy",
        r"policy rejection", r"due to policy restrictions", r"organizational settings", r"organization policy",
        r"members-only list", r"recipient is not accepting mail with ", r"using a mass mailer",
        r"header are not accepted", r"message given low priority", r"does not allow external forwarding",
        r"delivery restricted by policy", r"rejected (?:due to|by|for) (?:\w+ )?polic(?:y|ies)\b",
    )),
    ("hasmoved", _rx(
        r"has moved", r"no longer (?:on|at) (?:this )?server", r"address (?:has )?changed", r"has been replaced by",
        r"\b5\.1\.6\b",
    )),
    # A failure that names the sender is about us, not the address: before the
    # domain and mailbox rules, so "Sender address rejected: Domain not found"
    # is not taken for a dead recipient domain.
    ("rejected", _rx(
        r"sender (?:address )?(?:rejected|denied|verify failed|is spammer)",
        r"domain of sender address", r"invalid sender", r"sender not (?:pre-approved|allowed)",
        r"null sender is not allowed", r"empty envelope senders", r"returned mail not accepted",
        r"unroutable sender address", r"you are not allowed to post",
        r"sender(?:'s)? domain (?:must exist|not found|does not exist|doesn'?t exist|is invalid)",
        # Our MAIL FROM domain, which "domain not found" below would take for the recipient's.
        r"\b(?:mail )?from:? domain (?:must exist|not found|does not exist|doesn'?t exist|is invalid)",
        r"\bbatv\b", r"bogus mail from", r"badmailfrom", r"no third-party dsns", r"mail from not owned by user",
        r"may not have permission to post",
        # AT&T's; after requireptr, as sisimai orders them: AT&T often adds "Fix reverse DNS for <ip>".
        r"connections not accepted from servers without a valid sender domain",
    )),
    ("hostunknown", _rx(
        r"host or domain name not found", r"host (?:unknown|not found)", r"unknown host",
        r"domain (?:does not exist|not found|must exist)", r"no such domain",
        r"unrouteable (?:mail )?(?:address|domain)", r"unknown domain", r"nxdomain",
        r"name or service not known", r"recipient domain must exist",
        r"mail domain mentioned in email address is unknown", r"all relevant mx records point to non-existent hosts",
        r"domain name not found", r"couldn'?t find any host", r"no such host", r"host \S{1,255} not found",
        r"all host address lookups failed permanently",   # Exim's transports/smtp.c: every MX host is NXDOMAIN
        r"domain \S{1,255} couldn'?t be found",
        r"domain (?:is )?not reachable", r"unknown mail domain", r"unroutable address", r"non-?existent ?domain",
        r"no mail servers appear to exists? for the recipient",   # hMailServer: the DNS answered, no MX nor A
        r"no mx records were found for the",   # SmarterMail
        # Yahoo's notice ("No MX or A records for <domain>"), Exchange 2003's 5.4.0 ("The destination
        # server for this recipient could not be found in Domain Name Service (DNS)") and Domino's
        # domain failure ("No route found to domain <domain> from server <server>": its admin help
        # says it is sent when the domain is in neither the Domino Directory nor the DNS).
        r"no mx or a records for", r"could not be found in domain name service", r"no route found to domain",
    )),
    ("filtered", _rx(
        r"not accepting (?:any )?mail from", r"(?:is|are) not accepted by (?:the )?recipient",
        r"recipient (?:has )?(?:blocked|refused) (?:mail from )?(?:you|the sender)",
        # The recipient's own settings refuse the mail (sisimai's Filtered phrases): not a dead address,
        # and not a domain that takes no mail (notaccept, which is hard).
        r"(?:user|recipient|mailbox|address|account) is not accepting any mail", r"only accepting mail from specific",
        r"refuses? to receive (?:this |the |any )?(?:e-?)?mail", r"this account is protected by",
        r"has restricted sms e-?mail", r"resolver\.rst\.notauthorized",
        r"new mail is not currently being accepted for this mailbox",
        r"cannot route mail to user",   # Domino: a mail rule or forwarding refused it (sisimai's Domino)
        r"mail delivery failed\.{3} user unknown",   # BIGLOBE's filter (sisimai's Biglobe)
        r"new mail is not currently being accepted for this mailbox", r"\bmessage filtered\b",
        r"\bbounced address\b",
    )),
    # RFC 7505 null MX, and domains whose DNS says they take no mail.
    ("notaccept", _rx(
        r"null mx", r"(?:does not|doesn'?t|do not) accept (?:any )?mail\b(?! from)",
        r"accepts no mail", r"not accepting (?:any )?mail\b(?! from)",
        r"no mx (?:record )?(?:found )?for domain", r"mx or srv record indicated no smtp service",
        r"mail receiving disabled",
    )),
    ("userunknown", PLAIN_USERUNKNOWN),
    ("userunknown", FOREIGN_USERUNKNOWN),
    ("userunknown", _rx(*_USERUNKNOWN_VAGUE)),
    ("systemfull", _rx(
        r"mail system full", r"disk full", r"out of disk space", r"insufficient disk",
        r"system (?:is )?full",
    )),
    ("systemerror", _rx(
        r"local configuration error", r"system (?:config(?:uration)? )?error", r"server configuration problem",
        r"internal (?:server )?error", r"could not load drd", r"local error in processing", r"loops back to myself",
        r"mail system configuration error", r"timeout waiting for input", r"transaction failed",
        r"temporary (?:local |system )?problem", r"service (?:not available|unavailable)",
        r"listed as a best-preference mx",
        r"several matches found in (?:the )?domino directory",   # an ambiguous name, not a missing one
        r"server busy", r"upstream error",
        r"delivery to (?:file|pipe) forbidden",   # Exim's deliver.c: the local configuration refuses it
    )),
    ("networkerror", _rx(
        r"network (?:is )?unreachable", r"no route to host", r"host (?:is )?unreachable",
        r"dns records for the destination computer could not be found", r"hop count exceeded",
        r"exceeded maximum hop count",   # Notes
        r"the dns query has failed",   # hMailServer: no answer, not a missing domain
        r"message (?:is )?looping", r"host name lookup failure", r"malformed (?:or unexpected )?name server reply",
        r"unable to resolve route",
        r"mail (?:forwarding )?loop", r"too many hops", r"routing loop",
        r"name service error", r"dns (?:lookup )?(?:error|failure|problem)", r"temporary lookup failure",
        r"lost connection", r"connection refused",
    )),
    ("contenterror", _rx(
        r"8-?bit data", r"invalid mime", r"in (?:the )?message header", r"too many received headers",
        r"improper use of", r"stray linefeeds", r"bare ?linefeeds",
    )),
    ("syntaxerror", _rx(
        r"syntax error", r"command unrecognized", r"unrecognized command", r"bad sequence of commands",
        r"command not implemented", r"malformed (?:recipient )?address",
    )),
    ("mailererror", _rx(
        r"command (?:died|failed|output)", r"mail(?:er|box) delivery (?:program|command) failed",
        r"procmail", r"exited with", r"x-unix;", r"pipe to \|", r"child process of \S+ transport returned",
    )),
]

# Reasons found only by a status code in sisimai too weakly to beat a
# specific enhanced code: when the text only says one of these and the
# status says something precise (5.1.1, 5.2.2, ...), the status wins.
WEAK_TEXT_REASONS = frozenset({"systemerror", "networkerror", "contenterror", "syntaxerror",
                                "mailererror", "expired", "userunknown"})

# The SMTP command a reply answered, as MTAs write it in a diagnostic:
# Postfix "(in reply to RCPT TO command)", Exim "after RCPT TO:<a>", Sendmail
# ">>> DATA", qmail "does not like recipient" / "failed after I sent the
# message", dma "did not like our RCPT TO". The last one named is the one
# that failed (a transcript lists the commands that went well before it).
_COMMANDS = _LazyRx(
    r"(?P<DATA>(?:in reply to|after) (?:pipelined )?(?:the )?end of data|(?:in reply to|after) (?:pipelined )?data\b"
    r"|>>> ?data\b|did not like our (?:final )?data|failed after i sent the message|failed on data command"
    r"|for (?:text|data) command)"
    r"|(?P<RCPT>(?:in reply to|after) (?:pipelined )?rcpt(?: to)?\b|>>> ?rcpt to|did not like our rcpt to"
    r"|does not like recipient|for rcpt to command"
    r"|most progress was rcpt to|\bsmtp:rcpt\b|\[rcpt_to\])"
    r"|(?P<MAIL>(?:in reply to|after) (?:pipelined )?mail from|>>> ?mail from|did not like our mail from"
    r"|does not like sender|but sender was rejected|for mail from command)"
    r"|(?P<HELO>after initial connection|in reply to (?:the )?(?:initial greeting|helo|ehlo)|after (?:helo|ehlo)\b"
    r"|>>> ?(?:helo|ehlo)\b|but my name was rejected|did not like our (?:helo|ehlo|greeting)"
    r"|refused to talk to me|but greeting failed)")

# One of these is in every text _COMMANDS can match (compiling it costs ~0.5 ms).
_COMMAND_WORDS = ("in reply to", "after ", ">>>", "did not like", "does not like", "most progress",
                  "smtp:rcpt", "[rcpt_to]", "name was rejected", "refused to talk",
                  "greeting failed", "sender was rejected", "failed on data",
                  "for rcpt to command", "for mail from command", "for text command", "for data command")

MAX_RULE_TEXT = 8000
_STATUS_RX = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# Zoho writes the reply as "ERROR_CODE :550, ERROR_CODE :<text>".
_REPLY_RX = re.compile(r"(?<![\d.])([45][0-5]\d)(?=[ \-])|\berror_code :([45][0-5]\d)\b", re.IGNORECASE)


def match_text(text: str | None) -> str | None:
    """Return the first reason whose phrases occur in *text*, or None."""
    if not text:
        return None
    # Diagnostics come folded over lines ("Mail quota\n    exceeded"); the
    # reason is stated early, so 8 KB is plenty and keeps hostile input cheap.
    text = _one_reply(" ".join(text[:MAX_RULE_TEXT].split()))
    lowered = text.lower()
    first = 0 if not text.isascii() or any(hint in lowered for hint in _PROVIDER_HINTS) else len(PROVIDER_CODES)
    for reason, rx in itertools.islice(RULES, first, None):
        if rx.search(text, 0, lowered):
            return reason
    return None


_REPLY_PREFIX = re.compile(r"\b([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})\b")


def _one_reply(text: str) -> str:
    """A multi-line SMTP reply as one sentence: "550-5.7.1 Messages with multiple 550 5.7.1 addresses"
    loses the repeated "550 5.7.1" that began each continuation line."""
    first = _REPLY_PREFIX.search(text)
    if first is None:
        return text
    again = re.compile(rf"\s{first.group(1)}[ -]{re.escape(first.group(2))}(?=\s)")
    return text[:first.end()] + again.sub("", text[first.end():])


def smtp_command(text: str | None) -> str | None:
    """"HELO", "MAIL", "RCPT" or "DATA": the command the failing reply answered, when the text says.

    HELO stands for the greeting and HELO/EHLO: refused before any address.
    A DATA refused only because no recipient was left ("503 need RCPT
    command", "554 no valid recipients") is the consequence of the failure
    before it, not the failure: the command before it is the one that failed.
    """
    text = (text or "")[:MAX_RULE_TEXT]
    lowered = text.lower()
    last = None
    if any(word in lowered for word in _COMMAND_WORDS):
        for m in _COMMANDS.compiled().finditer(text):
            if last is not None and m.lastgroup == "DATA" and \
                    _FOR_WANT_OF_RECIPIENTS.compiled().match(lowered, m.end(), m.end() + 80):
                continue
            last = m.lastgroup
    if last is None and "... user unknown" in lowered and _SENDMAIL_NOUSER.search(text, 0, lowered) \
            and find_status(text) in (None, "5.1.1"):
        # Sendmail's "addr... User unknown" (v5 and Postfix 1.x quote it with no
        # command; a local user has no domain: "vic... User unknown") is its
        # reply to RCPT, or its own lookup of a local user (EX_NOUSER, 5.1.1
        # since 8.x): the address. A filter that borrows the words gives
        # another status (x.2.1): that one is not read as RCPT.
        last = "RCPT"
    return last


# sendmail's recipient status line, "550 <a@b.example>... User unknown" (parseaddr/usrerr form);
# a local user is named without a domain ("550 vic... User unknown").
_SENDMAIL_NOUSER = _LazyRx(r"\w>?\.\.\. user unknown\b")

# Compiled only for a transcript with a DATA after another command (rare).
_FOR_WANT_OF_RECIPIENTS = _LazyRx(r"\W{0,8}(?:503|554)\b.{0,40}(?:rcpt|recipient)")


def find_status(text: str | None) -> str | None:
    """The first RFC 3463 enhanced status code in *text* ("5.1.1"), or None."""
    if not text:
        return None
    m = _STATUS_RX.search(text)
    return ".".join(m.groups()) if m else None


def find_reply_code(text: str | None) -> str | None:
    """The first 4xx/5xx SMTP reply code in *text* ("550"), or None.

    Only a code followed by a space or hyphen counts, so that "5.1.1" or a
    port number inside an address is not taken for one.
    """
    if not text:
        return None
    m = _REPLY_RX.search(text)
    return (m.group(1) or m.group(2)) if m else None


# --- What kind of message is this, from its headers and prose -------------

# Subjects of vacation / out-of-office replies, in the languages we see most.
AUTOREPLY_SUBJECT = _rx(
    r"\bout of (?:the )?office\b", r"\bautomatic reply\b", r"\bauto(?:matic)?[- ]?(?:reply|response)\b",
    r"\bautoreply\b", r"\bvacation\b", r"\bon holiday\b", r"\bon leave\b", r"\baway from (?:the|my) office\b",
    r"\bi am (?:currently )?(?:away|out)\b", r"\bi'm (?:currently )?(?:away|out)\b",
    r"abwesenheit", r"automatische antwort", r"\bnicht im b(?:ü|ue)ro\b", r"\burlaub\b",
    r"r(?:é|e)ponse automatique", r"\babsence\b", r"\bcong(?:é|e)s?\b",
    r"respuesta autom(?:á|a)tica", r"fuera de (?:la )?oficina", r"\bausente\b",
    r"risposta automatica", r"fuori (?:sede|ufficio)", r"\bassente\b",
    r"automatisch antwoord", r"\bafwezig", r"resposta autom(?:á|a)tica", r"\bf(?:é|e)rias\b",
    r"\bautosvar\b", r"fr(?:å|a)nvaro", r"automaattinen vastaus", r"automatyczna odpowied",
    r"автоответ", r"自動応答", r"自動返信", r"不在", r"自动回复",
    # Notes/Domino's agent prefixes its replies "Auto:"; BSD vacation(1)'s default subject.
    r"^auto:", r"away from my mail",
    r"otomatik yan(?:ı|i)t", r"自動回覆", r"자동 ?(?:회신|응답)",
)

# Subjects (and From names) of delivery-failure notices from MTAs.
BOUNCE_SUBJECT = _rx(
    r"undeliver", r"undelivered", r"returned mail", r"returned to sender", r"delivery (?:status )?notification",
    r"delivery (?:failure|failed|has failed|problem|report)", r"failure notice", r"mail delivery failed",
    r"non[- ]?deliver", r"could not be delivered", r"delivery status", r"^rejected:",
    r"mail system error", r"message not delivered", r"unzustellbar", r"non remis",
    r"nicht zustellbar", r"delayed mail", r"warning: (?:could not|message)", r"delivery delay",
    r"^delayed:",
)
# Words only a "not delivered yet, still trying" warning says of itself: the
# boxed headlines of sendmail, Postfix, Gmail and Exchange 2003, Exim's
# "Delivery attempts will continue", sendmail's "Warning: message still
# undelivered after", Exchange's "Delivery is delayed to these recipients",
# Courier's "advisory notice only" (module.dsn/dsndelayed.txt), Gmail's "will
# retry for". Where a notice says them, a failure a reader saw in it is a delay
# (a 450 "user unknown" while a site is set up is retried, not final).
DELAY_WARNING_WORDS = (
    r"this is a warning (?:message )?only", r"this is only a warning", r"you do not need to resend",
    r"will keep trying", r"delivery attempts will continue", r"will be retried", r"still being retried",
    r"will retry for", r"(?:has|have) not yet been delivered", r"(?:hasn't|has not) been delivered yet",
    r"continue to be attempted", r"message delivery delayed", r"advisory notice only",
    r"additional attempts to deliver",
    r"(?:delivery|message) (?:has been|is) delayed", r"has been delayed\.", r"recipients? (?:has|have) been delayed",
    r"still undelivered after",
)
DELAY_WARNING = _rx(*DELAY_WARNING_WORDS)
# Subjects of "not delivered yet, still trying" warnings.
DELAY_SUBJECT = _rx(
    r"\bdelayed\b", r"delivery delay", r"still being retried", r"not yet been delivered",
    r"^warning: message", r"\(delay\)", r"delivery status notification \(delay\)",
)
BOUNCE_SENDER = _rx(r"mailer-daemon", r"\bpostmaster@", r"mail delivery (?:system|subsystem)", r"mmdf@")

# Where a bounce's prose ends and the copy of the original begins: we stop
# reading there, so words in the original (a newsletter saying "blocked" or
# "unknown user") never decide a reason.
ORIGINAL_MARKERS = _rx(
    r"^-{2,} ?this is a copy of (?:the|your) message", r"^-{2,} ?original message",
    r"^-{2,} ?below this line is a copy of the message", r"^-{2,} ?the header of the original message",
    r"^-{2,} ?(?:returned|undelivered) message", r"^original message follows",
    r"^-{2,} ?message header follows", r"^-{2,} ?original message header",
    r"^received: from .+", r"^return-path: ",
    flags=_F | re.MULTILINE,
)
