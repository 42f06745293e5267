"""Providers' and gateways' own reply texts: the reason and hardness each comes out with.

Every row is HAND-WRITTEN from the reply texts the provider publishes (its
postmaster or help pages, named above each group) or, where it publishes none,
from the wording its servers are well known to use, with made-up addresses and
IPs (user@..., 192.0.2.x). sisimai's rules for the host (lib/Sisimai/Rhost/*.pm)
and for the reason (lib/Sisimai/Reason/*.pm) decide the expected reason where a
text could be read two ways. None is copied from a bounce corpus.

Each row: (reason, hard, Status, reply code, the reply as a DSN's Diagnostic-Code
carries it). The costly mistake is a hard verdict for a block, a policy, a full
mailbox or a disabled account: test_soft_never_turns_hard tries every soft row
in every context the reply could come in.
"""

from __future__ import annotations

import pytest

from mailtools.bounces.classify import classify
from mailtools.bounces.reasons import decide
from mailtools.bounces.textrules import says_no_such_mailbox

REPLIES: list[tuple[str, bool, str | None, str | None, str]] = [
    # Google / Gmail / Workspace: support.google.com/a/answer/3726730 (SMTP error reference), mail/answer/81126
    ("userunknown", True, "5.1.1", "550",
     "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the "
     "recipient's email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser "
     "a1si123 - gsmtp"),
    ("suspend", False, "5.2.1", "550",
     "550-5.2.1 The email account that you tried to reach is disabled. "
     "https://support.google.com/mail/?p=DisabledUser - gsmtp"),
    ("suspend", False, "5.2.1", "550",
     "550 5.2.1 The email account that you tried to reach is inactive. For more information, go to "
     "https://support.google.com/mail/?p=DisabledUser"),
    ("mailboxfull", False, "5.2.2", "552",
     "552-5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to "
     "https://support.google.com/mail/?p=OverQuotaPerm - gsmtp"),
    ("mailboxfull", False, "4.2.2", "452",
     "452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to "
     "https://support.google.com/mail/?p=OverQuotaTemp"),
    ("mailboxfull", False, "5.2.2", "552",
     "552 5.2.2 The recipient's inbox is out of storage space and inactive. Please direct the recipient to "
     "https://support.google.com/mail/?p=OverQuotaPerm"),
    ("authfailure", False, "5.7.26", "550",
     "550-5.7.26 This message does not have authentication information or fails to pass authentication checks "
     "(SPF or DKIM). To best protect our users from spam, the message has been blocked."),
    ("authfailure", False, "5.7.26", "550",
     "550-5.7.26 Unauthenticated email from example.net is not accepted due to domain's DMARC policy. Please "
     "contact the administrator of example.net domain."),
    ("authfailure", False, "4.7.26", "421",
     "421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail requires all senders to "
     "authenticate with either SPF or DKIM."),
    ("spamdetected", False, "5.7.1", "550",
     "550-5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of "
     "spam sent to Gmail, this message has been blocked."),
    ("badreputation", False, "5.7.1", "550",
     "550-5.7.1 Our system has detected that this message is likely suspicious due to the very low reputation "
     "of the sending IP address. To best protect our users from spam, the message has been blocked."),
    ("badreputation", False, "4.7.0", "421",
     "421-4.7.0 This message is suspicious due to the very low reputation of the sending domain. To protect our "
     "users from spam, mail sent from your IP address has been temporarily rate limited."),
    ("blocked", False, "5.7.28", "550",
     "550-5.7.28 There is an unusual rate of unsolicited mail originating from your IP address. To protect our "
     "users from spam, mail sent from your IP address has been blocked."),
    ("blocked", False, "4.7.28", "421",
     "421-4.7.28 Gmail has detected an unusual rate of mail originating from your SPF domain example.org. To "
     "protect our users from spam, mail has been temporarily rate limited."),
    ("requireptr", False, "5.7.25", "550",
     "550-5.7.25 The IP address sending this message does not have a PTR record setup, or the corresponding "
     "forward DNS entry does not point to the sending IP."),
    ("mesgtoobig", False, "5.3.4", "552",
     "552-5.3.4 Your message exceeded Google's message size limits. Please visit "
     "https://support.google.com/mail/?p=MaxSizeError"),
    ("notcompliantrfc", False, "5.7.1", "550",
     "550 5.7.1 Messages missing a valid Message-ID: header are not accepted."),
    ("notcompliantrfc", False, "5.7.1", "550",
     "550 5.7.1 Messages missing a valid address in the From: header, or having no From: header, are not "
     "accepted."),
    ("speeding", False, "5.2.1", "550",
     "550-5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional "
     "messages from being delivered."),
    ("speeding", False, "4.2.1", "450",
     "450-4.2.1 The user you are trying to contact is receiving mail too quickly. Please resend your message at "
     "a later time."),
    ("speeding", False, "5.4.5", "550",
     "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to "
     "https://support.google.com/a/answer/166852"),
    ("hostunknown", True, "5.1.2", "553",
     "553 5.1.2 We weren't able to find the recipient domain. Please check for any spelling errors."),
    ("failedstarttls", False, "4.7.0", "421", "421-4.7.0 TLS required for RCPT domain, closing connection."),
    ("blocked", False, "5.7.1", "550",
     "550-5.7.1 The IP you're using to send mail is not authorized to send email directly to our servers. "
     "Please use the SMTP relay at your service provider instead."),
    # Yahoo / AOL / Verizon Media: senders.yahooinc.com/smtp-error-codes
    ("userunknown", True, None, "554",
     "554 delivery error: dd This user doesn't have a yahoo.com account (user@yahoo.com) [0] - "
     "mta1234.mail.bf1.yahoo.com"),
    ("suspend", False, None, "554",
     "554 delivery error: dd user@yahoo.com is no longer valid. [-20] - mta1234.mail.ne1.yahoo.com"),
    ("suspend", False, None, "554",
     "554 30 Sorry, your message to user@aol.example cannot be delivered. This mailbox is disabled (554.30)."),
    ("blocked", False, "5.7.1", "553",
     "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list; "
     "see http://postmaster.yahoo.com/550-bl23.html"),
    ("blocked", False, "5.7.1", "553",
     "553 5.7.1 [BL23] Connections not accepted from IP addresses on Spamhaus XBL; see "
     "http://postmaster.yahoo.com/errors/550-bl23.html [550]"),
    ("rejected", False, "4.7.0", "421",
     "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user "
     "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"),
    ("rejected", False, "5.7.2", "553",
     "553 5.7.2 [TSS09] All messages from 192.0.2.25 will be permanently deferred; Retrying will NOT succeed. "
     "See https://postmaster.yahooinc.com/error-codes"),
    ("policyviolation", False, None, "554",
     "554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit "
     "https://postmaster.yahooinc.com/error-codes"),
    ("authfailure", False, "5.7.9", "550",
     "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to "
     "authenticate with either SPF or DKIM."),
    ("userunknown", True, None, "552", "552 1 Requested mail action aborted, mailbox not found"),
    ("toomanyconn", False, None, "421", "421 Max message per connection reached, closing transmission channel"),
    ("rejected", False, None, "451",
     "451 Message temporarily deferred due to unresolvable RFC.5321 from domain. See "
     "https://senders.yahooinc.com/error-codes#unresolvable-from-domain"),
    # Microsoft Outlook.com / Exchange Online: learn.microsoft.com ... non-delivery-reports-in-exchange-online
    ("userunknown", True, "5.5.0", "550",
     "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
     "[BN1NAM02FT012.eop-nam02.prod.protection.outlook.com]"),
    ("blocked", False, "5.7.1", "550",
     "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service "
     "provider since part of their network is on our block list (S3150). You can also refer your provider to "
     "http://mail.live.com/mail/troubleshooting.aspx#errors."),
    ("blocked", False, "5.7.606", "550",
     "550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit "
     "https://sender.office.com/"),
    ("userunknown", True, "5.4.1", "550",
     "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[DM6NAM11FT012.eop-nam11.prod.protection.outlook.com]"),
    ("userunknown", True, "5.1.10", "550",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient user@example.com not found by SMTP address lookup"),
    ("mailboxfull", False, "5.2.2", "554",
     "554 5.2.2 mailbox full; "
     "STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded"),
    ("speeding", False, "5.2.2", "554",
     "554 5.2.2 Submission quota exceeded. Your message can't be sent because you've reached your daily limit "
     "for message recipients."),
    ("badreputation", False, "4.7.650", "451",
     "451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For "
     "e-mail delivery information, see https://postmaster.live.com (S775)"),
    ("blocked", False, "5.7.511", "550",
     "550 5.7.511 Access denied, banned sender[192.0.2.1]. To request removal from this list please forward "
     "this message to delist@messaging.microsoft.com."),
    ("blocked", False, "5.7.513", "550",
     "550 5.7.513 Service unavailable, Client host [192.0.2.1] blocked by example.com using Customer Block list "
     "(AS16012607)"),
    ("authfailure", False, "5.7.509", "550",
     "550 5.7.509 Access denied, sending domain example.org does not pass DMARC verification and has a DMARC "
     "policy of reject."),
    ("suspend", False, "5.7.505", "550", "550 5.7.505 Access denied, banned recipient"),
    ("securityerror", False, "5.7.1", "550", "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required"),
    ("rejected", False, "5.7.133", "550",
     "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction "
     "check failed because the sender was not authenticated when sending to this group"),
    ("rejected", False, "5.7.124", "550",
     "550 5.7.124 RESOLVER.RST.DeliveryRestrictionNotInAllowedSendersList; sender not in allowed-senders list"),
    ("rejected", False, "5.7.750", "550",
     "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains."),
    ("speeding", False, "5.2.121", "550",
     "550 5.2.121 RESOLVER.RST.SendSizeLimit.Sender; recipient's per hour message receive limit from specific "
     "sender exceeded"),
    ("systemerror", False, "4.4.318", "451",
     "451 4.4.318 Connection was closed abruptly (SuspiciousRemoteServerError)"),
    ("networkerror", False, "5.4.14", "550", "550 5.4.14 Hop count exceeded - possible mail loop ATTR34"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found"),
    ("spamdetected", False, "5.7.350", "550",
     "550 5.7.350 Remote server returned message detected as spam -> 554 5.7.1 Message rejected"),
    # Apple iCloud: support.apple.com/en-us/102322 (HT204137, postmaster information)
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@icloud.com>: user does not exist"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@icloud.com>: inactive email address"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 unknown or illegal alias: user@icloud.com"),
    ("policyviolation", False, "5.7.1", "554",
     "554 5.7.1 [CS01] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137"),
    ("policyviolation", False, "5.7.1", "554",
     "554 5.7.1 [HM08] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 <user@icloud.com>: user is over quota"),
    ("speeding", False, "4.7.1", "421",
     "421 4.7.1 Messages to user@icloud.com deferred due to excessive volume. Try again later - "
     "https://support.apple.com/en-us/HT204137"),
    ("authfailure", False, "5.7.1", "554",
     "554 5.7.1 Your message was rejected due to example.org's DMARC policy. See "
     "https://support.apple.com/en-us/HT204137 for"),
    ("hasmoved", True, "5.1.6", "550", "550 5.1.6 recipient no longer on server: user@icloud.com"),
    ("blocked", False, "5.7.1", "550",
     "550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL. For details please see "
     "http://www.spamhaus.org/query/bl?ip=192.0.2.1"),
    # GoDaddy (secureserver.net): godaddy.com/help/fix-rejected-email-with-a-bounce-error-40685
    ("blocked", False, None, "554",
     "554 This IP has been temporarily blocked for attempting to mail too many invalid recipients. IB112"),
    ("spamdetected", False, None, "552",
     "552 This message has been rejected due to content judged to be spam by the internet community. IB212"),
    ("speeding", False, None, "550", "550 This IP has sent too many messages this hour. IB504"),
    ("badreputation", False, None, "554",
     "554 Connection refused. This IP has a poor reputation on Cloudmark Sender Intelligence (CSI). IB103"),
    ("blocked", False, None, "554",
     "554 Connection refused. This IP address is listed on the Spamhaus Block List (SBL). IB104"),
    ("requireptr", False, None, "421", "421 Temporarily rejected. Reverse DNS for this IP failed. IB108"),
    ("authfailure", False, None, "550",
     "550 user@example.org Invalid SPF record. Inspect your SPF settings, and try again. IB508"),
    ("virusdetected", False, None, "552", "552 Virus infected message rejected. IB705"),
    ("userunknown", True, None, "550", "550 Recipient not found. <https://www.secureserver.net/help/>"),
    # Comcast, AT&T/bellsouth (flph codes), Cox (AUP#CX..), Charter/Spectrum (AUP#I-nnnn)
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 user@comcast.net Not our Customer"),
    ("blocked", False, None, "554",
     "554 resimta-ch2-05v.sys.comcast.net resimta-ch2-05v.sys.comcast.net 192.0.2.1 found on one or more "
     "DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 user@comcast.net mailbox is full"),
    # AT&T's "valid sender domain" with "Fix reverse DNS": sisimai's RequirePTR is tried before Rejected.
    ("requireptr", False, "5.7.1", "550",
     "550 5.7.1 Connections not accepted from servers without a valid sender domain.flph829 Fix reverse DNS for "
     "192.0.2.1"),
    ("blocked", False, "5.3.0", "553",
     "553 5.3.0 flph829 DNSBL:RBL 521< 192.0.2.1 >_is_blocked.For assistance forward this error to "
     "abuse_rbl@abuse-att.net"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@att.net>... User unknown"),
    ("userunknown", True, "5.7.1", "554", "554 5.7.1 <user@bellsouth.net>: Recipient address rejected: Access denied"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@cox.net> recipient rejected"),
    ("blocked", False, None, "554", "554 cox.net rejected by IP blocklist AUP#CXBL - see http://cox.com/help"),
    ("blocked", False, "5.7.1", "554",
     "554 5.7.1 - ERROR: Mail refused - <192.0.2.1> - See http://www.spectrum.net/ AUP#I-1000"),
    ("toomanyconn", False, "4.7.0", "421", "421 4.7.0 Too many connections from your IP AUP#I-1310"),
    # Mimecast: community.mimecast.com 'Mimecast SMTP Error Codes'
    ("userunknown", True, None, "550",
     "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [ABCDEF.us123]"),
    ("rejected", False, None, "550",
     "550 Administrative prohibition envelope blocked - https://community.mimecast.com/docs/DOC-1369#550"),
    ("policyviolation", False, None, "550", "550 Rejected by header based Anti-Spoofing policy: user@example.org"),
    ("virusdetected", False, None, "554",
     "554 Email rejected due to security policies - https://community.mimecast.com/docs/DOC-1369#554"),
    ("badreputation", False, None, "451",
     "451 Internal resources are temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451"),
    ("badreputation", False, None, "550",
     "550 Local CT IP Reputation - (reject) - https://community.mimecast.com/docs/DOC-1369#550"),
    ("mesgtoobig", False, None, "554", "554 Maximum email size exceeded"),
    ("authfailure", False, None, "550", "550 SPF Sender Invalid - envelope rejected"),
    # Proofpoint (Essentials / on-premises): support.proofpoint.com dnsbl-lookup replies
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 User Unknown"),
    ("blocked", False, "5.7.0", "550",
     "550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1"),
    ("blocked", False, "5.7.0", "554", "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1"),
    ("policyviolation", False, "5.7.1", "550",
     "550 5.7.1 Recipient address rejected: Message rejected by recipient policy"),
    ("spamdetected", False, "5.7.1", "554", "554 5.7.1 Message rejected as spam by Content Filtering."),
    # Barracuda Email Security Gateway
    ("blocked", False, None, "550", "550 permanent failure for one or more recipients (user@example.org:blocked)"),
    ("blocked", False, None, "554",
     "554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation; "
     "http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.1"),
    ("userunknown", True, None, "550", "550 No such user (user@example.org)"),
    ("blocked", False, "5.7.1", "554",
     "554 5.7.1 Message blocked: Intent analysis: Domain blacklisted by Barracuda Intent Analysis"),
    # Symantec Email Security.cloud (MessageLabs): knowledge.broadcom.com article 169652
    ("norelaying", False, None, "553",
     "553-you are trying to use me [server-1.tower-1.messagelabs.com] as a relay, but I have not been "
     "configured to let you do this."),
    ("userunknown", True, None, "550", "550 Requested action not taken: mailbox unavailable"),
    # sisimai's Rhost::MessageLabs calls it spamdetected, knowing the host; the words alone say filtered.
    ("filtered", False, "5.7.1", "553",
     "553-Message filtered. Refer to the Troubleshooting page at http://www.symanteccloud.com/troubleshooting "
     "for more information. (#5.7.1)"),
    ("badreputation", False, None, "501",
     "501 Connection rejected by policy [7.7] 20805, please visit www.messagelabs.com/support for more details "
     "about this error message."),
    # Cisco IronPort / Secure Email
    ("userunknown", True, "5.1.0", "550", "550 #5.1.0 Address rejected."),
    ("policyviolation", False, "5.7.1", "554", "554 5.7.1 rejected by local policy"),
    # Trend Micro Email Reputation Services (ERS)
    ("blocked", False, "5.7.1", "550",
     "550 5.7.1 Rejected by recipient's policy. Your IP is listed in the ERS database."),
    ("blocked", False, "4.7.1", "421",
     "421 4.7.1 Connection refused by ERS. Please see http://ers.trendmicro.com/reputations/"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 User unknown"),
    # Sophos Email
    ("rejected", False, "5.7.1", "550", "550 5.7.1 Command rejected"),
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@example.org>: Recipient address rejected: User does not exist"),
    # Zoho Mail: zoho.com/mail/help (and its published failure alerts)
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 User does not exist - <user@zoho.com>"),
    ("spamdetected", False, "5.7.1", "554", "554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam."),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Mailbox size limit exceeded"),
    ("authfailure", False, "5.7.1", "550", "550 5.7.1 Email rejected per DMARC policy for zoho.com"),
    ("policyviolation", False, "5.7.7", "554", "554 5.7.7 Email policy violation detected"),
    ("blocked", False, "4.7.1", "451", "451 4.7.1 Greylisted, try again after some time"),
    # Fastmail (Postfix in front of Cyrus)
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@fastmail.com>: Recipient address rejected: User unknown in local recipient table"),
    ("suspend", False, "5.2.1", "550",
     "550 5.2.1 <user@fastmail.com>: Recipient address rejected: This account is disabled"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 <user@fastmail.com>: Over quota"),
    # Proton Mail
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Address does not exist"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Mailbox is full"),
    # Tencent QQ / Foxmail: service.mail.qq.com/detail/122
    ("userunknown", True, None, "550",
     "550 Mailbox not found. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728"),
    ("toomanyconn", False, None, "550",
     "550 Ip frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000722"),
    ("spamdetected", False, None, "550", "550 Mail content denied. https://service.mail.qq.com/detail/122/171"),
    ("blocked", False, None, "550", "550 Connection denied. https://service.mail.qq.com/detail/122/170"),
    ("blocked", False, None, "550", "550 Suspected spam ip. https://service.mail.qq.com/detail/122/66"),
    ("suspend", False, None, "550",
     "550 user@qq.com is a deactivated mailbox "
     "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000742"),
    ("mesgtoobig", False, None, "552", "552 Message too large. https://service.mail.qq.com/detail/122/168"),
    ("suspend", False, None, "550",
     "550 Mailbox unavailable or access denined. https://service.mail.qq.com/detail/122/166"),
    ("authfailure", False, None, "550", "550 SPF check failed. https://service.mail.qq.com/detail/122/72"),
    # NetEase 163 / 126: mail.163.com/help/help_spam_16.htm (MI:NUN, DT:SPM, RP:RDN, MI:SFQ)
    ("userunknown", True, None, "550", "550 User not found or inactive: user@163.com"),
    ("userunknown", True, None, "550",
     "550 MI:NUN User not found. http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1"),
    ("mesgtoobig", False, None, "552", "552 Requested mail action aborted: exceeded mailsize limit"),
    ("suspend", False, None, "550", "550 User suspended: user@126.com"),
    ("spamdetected", False, None, "554",
     "554 DT:SPM 163 smtp1,C8CowABXeqoV2 Mail rejected, spam is suspected. "
     "http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1"),
    ("mailboxfull", False, None, "552", "552 Mailbox is full or over quota: user@163.com"),
    ("toomanyconn", False, None, "451",
     "451 MI:SFQ Sender frequency limited. Please try again later. http://mail.163.com/help/help_spam_16.htm"),
    ("requireptr", False, None, "550", "550 RP:RDN 163 mx1,192.0.2.1 Mail rejected, reverse DNS lookup failed."),
    # Sina
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@sina.com>: Recipient address rejected: User unknown in local recipient table"),
    # Naver / Daum (Kakao)
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Recipient address rejected: user@naver.com : User unknown"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Recipient address rejected: user@naver.com mailbox is full"),
    ("blocked", False, "5.7.1", "550",
     "550 5.7.1 Message rejected: Sending IP 192.0.2.1 blocked (see https://mail.naver.com/)"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Mailbox does not exist"),
    # Mail.ru: help.mail.ru (notspam-support)
    ("userunknown", True, None, "550",
     "550 Message was not accepted -- invalid mailbox.  Local mailbox user@mail.ru is unavailable: user not "
     "found"),
    ("suspend", False, None, "550",
     "550 Message was not accepted -- invalid mailbox.  Local mailbox user@mail.ru is unavailable: account is "
     "disabled"),
    ("spamdetected", False, None, "550",
     "550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c=AbCd or report details "
     "to abuse@corp.mail.ru. Error code: ABCDEF"),
    ("mailboxfull", False, None, "452",
     "452 Message was not accepted -- mailbox full.  Local mailbox user@mail.ru is unavailable: mailbox full"),
    ("speeding", False, None, "421", "421 Too many messages from 192.0.2.1, try again later"),
    # Yandex: yandex.com/support/mail (ya.cc links)
    ("userunknown", True, "5.7.1", "550", "550 5.7.1 No such user!"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Mailbox size limit exceeded"),
    ("spamdetected", False, "5.7.1", "554",
     "554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1234567890-AbCdEf"),
    ("policyviolation", False, "5.7.1", "550", "550 5.7.1 Policy rejection on the target address"),
    # GMX / web.de / 1&1 (IONOS): postmaster.gmx.net/en/error-messages
    ("userunknown", True, None, "550", "550 Requested action not taken: mailbox unavailable"),
    ("requireptr", False, None, "550",
     "550-Requested action not taken: mailbox unavailable 550 invalid DNS PTR resource record, IP=192.0.2.1"),
    ("blocked", False, None, "554",
     "554-gmx.net (mxgmx014) Nemesis ESMTP Service not available 554-No SMTP service 554-IP address is block "
     "listed. 554 For explanation visit https://postmaster.gmx.net/en/error-messages?ip=192.0.2.1&c=bl"),
    ("mailboxfull", False, None, "552", "552 Requested mail action aborted: exceeded storage allocation"),
    ("mailboxfull", False, None, "550", "550 Mailbox quota exceeded"),
    ("policyviolation", False, None, "554",
     "554 Transaction failed Reject due to policy restrictions. For explanation visit "
     "https://www.gmx.net/mail/senderguidelines?c=pr"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Benutzer unbekannt"),
    # T-Online (Deutsche Telekom)
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@t-online.de>: Recipient address rejected: User unknown"),
    ("mailboxfull", False, "5.2.2", "550", "550 5.2.2 Mailbox full"),
    # Orange / Wanadoo / La Poste: OFR_/LPN codes (sisimai's Rhost::FrancePTT)
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. LPN416"),
    ("mailboxfull", False, "5.1.1", "552", "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417"),
    ("suspend", False, "5.5.0", "550",
     "550 5.5.0 Le compte du destinataire est bloque. The recipient account isblocked. LPN007_426"),
    ("blocked", False, None, "550",
     "550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam. Client host blocked for spamming "
     "issues. OFR006_102 Ref"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 Boite du destinataire archivee. Archived recipient. OFR_420"),
    ("blocked", False, None, "421",
     "421 mwinf5c77 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR_999 "
     "[999]"),
    ("mesgtoobig", False, "5.3.4", "552", "552 5.3.4 Taille limite du message atteinte. OFR_514"),
    # Free / SFR
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@free.fr>: Recipient address rejected: user@free.fr: Utilisateur inconnu"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Quota exceeded (mailbox for user is full)"),
    ("blocked", False, "5.7.1", "550", "550 5.7.1 Client host rejected: IP blacklisted by SFR"),
    # Libero / Italiaonline
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@libero.it>: Recipient address rejected: utente sconosciuto"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 casella piena"),
    # Poland: Interia / Onet / WP (Postfix), in Polish too
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@wp.pl>: Recipient address rejected: User unknown in virtual mailbox table"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Nie ma takiego konta"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Skrzynka odbiorcy jest pelna"),
    # i.ua (Ukraine): mail.i.ua/err/<code>
    ("userunknown", True, None, "550", "550 Mailbox unavailable. http://mail.i.ua/err/2/"),
    ("suspend", False, None, "550", "550 Mailbox was not used for more than 3 months. http://mail.i.ua/err/3/"),
    ("mailboxfull", False, None, "552", "552 Mailbox is full. http://mail.i.ua/err/4/"),
    ("blocked", False, None, "550", "550 IP-address of the sender is blacklisted. http://mail.i.ua/err/9/"),
    # Seznam.cz
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Mailbox user@seznam.cz does not exist"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Mailbox user@seznam.cz is full"),
    # Japanese carriers and ISPs: NTT docomo, au/KDDI, SoftBank, Biglobe, Nifty
    ("userunknown", True, None, "550", "550 Unknown user user@docomo.ne.jp"),
    ("mailboxfull", False, None, "552", "552 too much mail data"),
    ("userunknown", True, None, "550", "550 <user@ezweb.ne.jp>: User unknown"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@softbank.ne.jp>... User Unknown"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 <user@biglobe.ne.jp>: Mailbox full"),
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@nifty.com>: Recipient address rejected: User unknown in virtual alias table"),
    # Open-source MTAs: Postfix, Exim, Dovecot LMTP, Cyrus, sendmail
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown in virtual mailbox table"),
    ("userunknown", True, "5.1.1", "550",
     "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown in virtual alias table"),
    ("hostunknown", True, "5.0.0", None, "Unrouteable address"),
    ("norelaying", False, None, "550", "550 relay not permitted"),
    ("norelaying", False, "5.7.1", "554", "554 5.7.1 <user@example.org>: Relay access denied"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@example.org> User doesn't exist: user@example.org"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@example.org>: Mailbox doesn't exist: user@example.org"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Mailbox does not exist"),
    ("userunknown", True, "5.0.0", "550", "550 Mailbox does not exist"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 <user@example.org> Quota exceeded (mailbox for user is full)"),
    ("mailboxfull", False, "4.2.2", "452", "452 4.2.2 Quota exceeded (mailbox for user is full)"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Over quota"),
    ("mailboxfull", False, "5.0.0", "550", "550 5.0.0 Mailbox full"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@example.org>... User unknown"),
    ("userunknown", True, "5.0.0", "550", "550 unknown user"),
    ("userunknown", True, "5.7.1", "550", "550 5.7.1 <user@example.org>: no such user here"),
    ("userunknown", True, "5.3.0", "550", "550 5.3.0 <user@example.org>: Recipient address rejected: User unknown"),
    ("userunknown", True, "5.1.0", "550", "550 5.1.0 <user@example.org>: mailbox does not exist"),
    ("suspend", False, "5.7.1", "550", "550 5.7.1 Mailbox is disabled"),
    ("suspend", False, "5.2.1", "550", "550 5.2.1 Mailbox disabled for this recipient"),
    ("suspend", False, "5.0.0", "550", "550 5.0.0 Account suspended"),
    ("suspend", False, "5.0.0", "550", "550 5.0.0 User account is expired"),
    ("blocked", False, "5.0.0", "550", "550 5.0.0 Message rejected: mailbox unavailable, blocked by policy"),
    # Courier
    ("userunknown", True, None, "550", "550 User unknown."),
    ("mailboxfull", False, None, "550", "550 Unable to deliver to user@example.org: Mail quota exceeded."),
    # 'Mailbox full' in German, French, Spanish, Italian, Portuguese, Japanese, Chinese, Russian
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Postfach voll"),
    ("mailboxfull", False, "5.0.0", "550", "550 Das Postfach des Empfängers ist voll"),
    ("mailboxfull", False, None, "552", "552 Speicherplatz des Postfachs überschritten"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 La boîte aux lettres est pleine"),
    ("mailboxfull", False, "5.0.0", "550", "550 Boîte aux lettres pleine"),
    ("mailboxfull", False, "5.0.0", "550", "550 Quota dépassé"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 El buzón está lleno"),
    ("mailboxfull", False, "5.0.0", "550", "550 Buzón lleno"),
    ("mailboxfull", False, "5.0.0", "550", "550 Cuota excedida"),
    ("mailboxfull", False, "5.0.0", "550", "550 Casella di posta piena"),
    ("mailboxfull", False, "5.0.0", "550", "550 Quota superata"),
    ("mailboxfull", False, "5.0.0", "550", "550 Caixa postal cheia"),
    ("mailboxfull", False, "5.0.0", "550", "550 A caixa de correio está cheia"),
    ("mailboxfull", False, "5.0.0", "550", "550 メールボックスの容量が超過しています"),
    ("mailboxfull", False, "5.0.0", "550", "550 メールボックスがいっぱいです"),
    ("mailboxfull", False, "5.0.0", "550", "550 收件人邮箱已满"),
    ("mailboxfull", False, "5.0.0", "550", "550 邮箱空间不足"),
    ("mailboxfull", False, "5.0.0", "550", "550 Почтовый ящик переполнен"),
    ("mailboxfull", False, "5.0.0", "550", "550 Превышен размер почтового ящика"),
    # 'No such user' in the same languages
    ("userunknown", True, "5.0.0", "550", "550 Empfänger unbekannt"),
    ("userunknown", True, "5.0.0", "550", "550 Benutzer existiert nicht"),
    ("userunknown", True, "5.0.0", "550", "550 Destinataire inconnu"),
    ("userunknown", True, "5.0.0", "550", "550 Utilisateur inconnu"),
    ("userunknown", True, "5.0.0", "550", "550 Usuario desconocido"),
    ("userunknown", True, "5.0.0", "550", "550 El usuario no existe"),
    ("userunknown", True, "5.0.0", "550", "550 Utente sconosciuto"),
    ("userunknown", True, "5.0.0", "550", "550 Usuário desconhecido"),
    ("userunknown", True, "5.0.0", "550", "550 Utilizador desconhecido"),
    ("userunknown", True, "5.0.0", "550", "550 宛先のメールアドレスは存在しません"),
    ("userunknown", True, "5.0.0", "550", "550 该用户不存在"),
    ("userunknown", True, "5.0.0", "550", "550 收件人不存在"),
    ("userunknown", True, "5.0.0", "550", "550 Пользователь не найден"),
    ("userunknown", True, "5.0.0", "550", "550 Нет такого пользователя"),
    ("userunknown", True, "5.0.0", "550", "550 Такого почтового ящика не существует"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 Empfänger wurde nicht gefunden"),
    ("userunknown", True, "5.0.0", "550", "550 Postfach nicht gefunden"),
    ("userunknown", True, "5.0.0", "550", "550 Destinataire introuvable"),
    ("userunknown", True, "5.0.0", "550", "550 Usuario no encontrado"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Quota überschritten"),
    ("mailboxfull", False, "5.0.0", "550", "550 Le quota de la boîte aux lettres est dépassé"),
    ("mailboxfull", False, "5.0.0", "550", "550 El usuario ha excedido su cuota"),
    ("mailboxfull", False, "5.0.0", "550", "550 L'utente ha superato la quota"),
    ("mailboxfull", False, "5.0.0", "550", "550 O destinatário excedeu a quota"),
    ("mailboxfull", False, "5.0.0", "550", "550 メールボックスが一杯です"),
    ("mailboxfull", False, "5.0.0", "550", "550 收件人邮箱容量已满"),
    ("mailboxfull", False, "5.0.0", "550", "550 Недостаточно места в почтовом ящике"),
    # A mailbox that exists but takes no mail, beside the 5.1.1 some servers give it: soft
    # (the costly mistake is a hard verdict here), in English and in the same languages.
    ("suspend", False, "5.1.1", "550", "550 5.1.1 <user@example.org>: mailbox is currently suspended"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 Disabled recipient"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 <user@example.org>: User disabled"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 Konto gesperrt"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 Das Postfach wurde deaktiviert"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 Le compte est désactivé"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 La cuenta está suspendida"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 La casella è stata disattivata"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 A conta está bloqueada"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 このアカウントは停止されています"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 该账户已被冻结"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 Почтовый ящик заблокирован"),
    # Sender-side refusals sisimai's Reason::Rejected and the recipient's own choices its
    # Reason::Filtered and Reason::PolicyViolation list, beside a status that names the address.
    ("rejected", False, "5.7.1", "550",
     "550 5.7.1 Connections not accepted from servers without a valid sender domain.flph829"),
    ("norelaying", False, "5.0.0", "554", "554 Message rejected: Email address is not verified."),  # Amazon SES
    ("rejected", False, "5.7.1", "553", "553 5.7.1 Sender email address rejected"),
    ("filtered", False, "5.1.1", "550", "550 5.1.1 Bounced Address"),
    ("policyviolation", False, "5.7.1", "550", "550 5.7.1 The message was rejected by organization policy"),
    ("policyviolation", False, "5.7.1", "554", "554 5.7.1 Message bounced due to organizational settings"),
    # Gmail's bulk-sender requirements (support.google.com/a/answer/3726730, mail/answer/81126)
    ("authfailure", False, "4.7.27", "421",
     "421-4.7.27 Your email has been rate limited because SPF authentication didn't pass for this message. "
     "Gmail requires all bulk email senders to authenticate their email with SPF."),
    ("failedstarttls", False, "4.7.29", "421",
     "421-4.7.29 Your email has been rate limited because this message wasn't sent over a TLS connection. "
     "Gmail requires all bulk email senders to use TLS/SSL for SMTP connections."),
    ("policyviolation", False, "4.7.28", "421",
     "421-4.7.28 Gmail has detected this message exceeded its quota for sending messages with the same "
     "Message-ID:. To best protect our users, the message has been temporarily rejected."),
    ("blocked", False, "4.7.0", "421", "421-4.7.0 IP not in whitelist for RCPT domain, closing connection."),
    ("norelaying", False, "5.7.1", "550", "550 5.7.1 Invalid credentials for relay [192.0.2.1]."),
    ("rejected", False, "5.7.0", "550", "550 5.7.0 Mail Sending denied."),
    # Outlook.com's and Exchange Online's other codes
    ("blocked", False, None, "550",
     "550 SC-001 (BAY004-MC1F12) Unfortunately, messages from 192.0.2.1 weren't sent. Please contact your "
     "Internet service provider since part of their network is on our block list."),
    ("blocked", False, None, "550",
     "550 DY-001 (SNT004-MC1F43) Unfortunately, messages from 192.0.2.1 weren't sent. Please contact your "
     "Internet service provider. You can tell them that Hotmail does not relay dynamically-assigned IP ranges."),
    ("speeding", False, None, "421",
     "421 RP-001 (BAY004-MC1F1) Unfortunately, some messages from 192.0.2.1 weren't sent. Please try again. "
     "We have limits for how many messages can be sent per hour and per day."),
    ("rejected", False, "5.7.501", "550", "550 5.7.501 Access denied, spam abuse detected."),
    ("rejected", False, "5.1.8", "550", "550 5.1.8 Access denied, bad outbound sender"),
    ("rejected", False, "5.2.252", "554", "554 5.2.252 SendAsDenied; sender@example.org not allowed to send as"),
    ("policyviolation", False, "5.7.520", "550",
     "550 5.7.520 Access denied, Your organization does not allow external forwarding."),
    ("systemerror", False, "4.7.500", "451",
     "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS761)"),
    ("contenterror", False, "5.6.11", "550",
     "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds"),
    # Comcast, AOL, NetEase, Yahoo's older codes, Zoho
    ("blocked", False, None, "554",
     "554 resimta-po-01v.sys.comcast.net comcast 192.0.2.1 Comcast block for spam. Please see "
     "http://postmaster.comcast.net/smtp-error-codes.php#BL000000"),
    ("speeding", False, None, "421",
     "421 resimta-po-01v.sys.comcast.net comcast 192.0.2.1 Too many emails sent. See "
     "http://postmaster.comcast.net/smtp-error-codes.php#RL000001"),
    ("blocked", False, None, "554", "554 HVU:B1 http://postmaster.info.aol.com/errors/554hvub1.html"),
    ("blocked", False, None, "554", "554 IP:B01 mx1.163.com http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1"),
    ("rejected", False, "4.7.1", "421",
     "421 4.7.1 [TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints - 4.16.55.1"),
    ("rejected", False, "5.4.1", "541", "541 5.4.1 Mail rejected by destination domain"),
    ("policyviolation", False, "5.7.1", "552", "552 5.7.1 Mailbox delivery restricted by policy error"),
    # Generic phrasings beside a 5.1.1 that would otherwise make them hard: our sender
    # domain, a policy, a full or suspended mailbox.
    ("rejected", False, "5.1.1", "550", "550 5.1.1 MAIL FROM domain not found"),
    ("rejected", False, "5.1.8", "553", "553 5.1.8 <sender@example.org>... Sender's domain does not exist"),
    ("policyviolation", False, "5.1.1", "550", "550 5.1.1 Mailbox unavailable: message rejected by recipient policy"),
    ("policyviolation", False, "5.1.1", "550", "550 5.1.1 Recipient address rejected by policy"),
    ("mailboxfull", False, "5.1.1", "550", "550 5.1.1 <user@example.org>: mailbox is over its quota"),
    ("mailboxfull", False, "5.1.1", "550", "550 5.1.1 Mailbox size exceeded"),
    ("mailboxfull", False, "5.0.0", "552", "552 The recipient's mailbox has reached its storage limit"),
    ("userunknown", True, "5.1.1", "550", "550 5.1.1 <user@example.org>: this address is no longer valid"),
    # German providers' wordings (GMX, Web.de, T-Online, Lycos), as their replies are widely quoted
    # GMX's "inactive" says so with 5.2.1 (a disabled mailbox); "inactive" alone is sisimai's userunknown.
    ("suspend", False, "5.2.1", "550", "550 5.2.1 <user@gmx.example>... User is inactive"),
    ("suspend", False, "5.1.1", "550", "550 5.1.1 <user@example.org>: Recipient address rejected: Account Closed"),
    ("mailboxfull", False, "5.2.2", "552", "552 5.2.2 Over STORAGE quota"),
    ("mailboxfull", False, None, "550",
     "550 Benutzer hat das Speichervolumen ueberschritten. / User has exhausted allowed storage space."),
    ("mailboxfull", False, "4.2.2", "422", "422 4.2.2 Quota limit exceeded (Speicherplatz des Kontos ueberschritten)"),
    ("userunknown", True, None, "550", "550 Benutzer nicht bekannt/User unknown"),
    ("blocked", False, None, "554",
     "554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de "
     "to clarify.) (BL)"),
    # Cloudflare Email Routing (developers.cloudflare.com/email-routing/postmaster/)
    ("blocked", False, None, "554",
     "554 192.0.2.1 found on one or more RBLs (abusixip). Refer to "
     "https://developers.cloudflare.com/email-routing/postmaster/#spam-and-abusive-traffic/"),
    ("systemerror", False, "4.3.0", "451", "451 4.3.0 Upstream error"),
]


def _action(status: str | None, reply_code: str | None) -> str:
    return "delayed" if (status or reply_code or "5").startswith("4") else "failed"


@pytest.mark.parametrize("reason, hard, status, reply_code, text", REPLIES)
def test_provider_reply_in_a_dsn(reason, hard, status, reply_code, text):
    # Most replies come back to RCPT TO; a DSN's Diagnostic-Code is the remote MTA's reply (relayed).
    got = decide(_action(status, reply_code), status, reply_code, text, command="RCPT", relayed=True)
    assert got == (reason, hard)


SOFT = [row for row in REPLIES if not row[1]]


@pytest.mark.parametrize("reason, hard, status, reply_code, text", SOFT)
@pytest.mark.parametrize("command", [None, "HELO", "MAIL", "RCPT", "DATA"])
@pytest.mark.parametrize("relayed", [True, False])
def test_soft_never_turns_hard(reason, hard, status, reply_code, text, command, relayed):
    got_reason, got_hard = decide("failed", status, reply_code, text, command=command, relayed=relayed)
    assert not got_hard, got_reason


# A prose bounce (no DSN, no reply code: the reporting MTA's own words) that says in so
# many words (says_no_such_mailbox) that the mailbox does not exist is hard beside any status
# that does not name another cause (DESIGN.md: "5.0.0, 5.1.0, 5.3.0, a bare 550, or 5.7.1
# beside 'no such user' is what the text says").
UNKNOWN_WORDS = [row[4] for row in REPLIES if row[0] == "userunknown" and says_no_such_mailbox(row[4])]


@pytest.mark.parametrize("text", UNKNOWN_WORDS)
@pytest.mark.parametrize("status", [None, "5.0.0", "5.1.0", "5.3.0", "5.7.1"])
def test_generic_status_beside_no_such_mailbox_is_hard(text, status):
    assert decide("failed", status, None, text) == ("userunknown", True)


@pytest.mark.parametrize("text", UNKNOWN_WORDS)
def test_the_same_words_for_now_are_soft(text):
    # A 4xx is a refusal for now (a directory lookup that failed, greylisting): never hard.
    assert not decide("delayed", "4.0.0", "450", text, command="RCPT", relayed=True)[1]


# A hand-written DSN in Postfix's bounce(8) layout (notification, delivery report, headers),
# the shape most of these replies reach us in: the whole pipe, address included.
POSTFIX_DSN = """\
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@example.com
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0"

--B0
Content-Description: Notification
Content-Type: text/plain; charset=utf-8

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<user@example.org>: host mx.example.org[192.0.2.1] said: {reply} (in reply to RCPT TO command)

--B0
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; user@example.org
Action: failed
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {reply}

--B0
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: sender@example.com
To: user@example.org
Subject: hello

--B0--
"""


def _dsn(status: str, reply: str, encoding: str = "utf-8") -> bytes:
    return POSTFIX_DSN.format(status=status, reply=reply).replace("\n", "\r\n").encode(encoding)


FAILED = [row for row in REPLIES if not _action(row[2], row[3]) == "delayed"]


@pytest.mark.parametrize("reason, hard, status, reply_code, text", FAILED)
def test_provider_reply_in_a_postfix_dsn(reason, hard, status, reply_code, text):
    verdict = classify(_dsn(status or "5.0.0", text))
    assert [(r.address, r.reason, r.hard) for r in verdict.recipients] == [("user@example.org", reason, hard)]


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_an_8bit_diagnostic_code_keeps_its_words(encoding):
    # Raw 8-bit bytes in the delivery report (RFC 6533 allows UTF-8; some servers send
    # Latin-1): the words reach the rules, not U+FFFD. "Konto gesperrt" beside 5.1.1 stays soft.
    verdict = classify(_dsn("5.1.1", "550 5.1.1 Das Konto des Empfängers ist gesperrt", encoding))
    assert "Empfängers" in (verdict.recipients[0].diagnostic or "")
    assert [(r.reason, r.hard) for r in verdict.recipients] == [("suspend", False)]
