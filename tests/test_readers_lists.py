"""mailtools.bounces.readers.lists: HAND-WRITTEN samples of list managers' refusals.

None of these messages was received: each was written for this test from the
list manager's own templates or source (Mailman 2's Moderate.py, refuse.txt,
postheld.txt and Hold.py; Mailman 3's chains/reject.py and moderation rules;
FML's wording as sisimai's Lhost/FML.pm reads it; mlmmj's listtexts/en files;
ezmlm-idx's ezmlmrc), with made-up addresses. They check the list address
found, the reason read, that nothing is hard, and that a post held for a
moderator is no failure, through classify() as the pipe runs it.
"""

from __future__ import annotations

import pytest

from mailtools.bounces.classify import classify
from mailtools.bounces.readers import Bounce, lists

OURS = "bounce-42-3f9a2c1d-7@mail.example.com"


def notice(sender: str, subject: str, body: str, extra: str = "") -> bytes:
    """A list manager's notice to us: its text, then our post attached, as Mailman and mlmmj send it."""
    return (f"From: {sender}\nTo: {OURS}\nSubject: {subject}\nMessage-ID: <n1@lists.example.org>\n{extra}"
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n"
            f"--b1\nContent-Type: text/plain; charset=us-ascii\n\n{body}\n"
            "--b1\nContent-Type: message/rfc822\n\n"
            f"From: News <news@mail.example.com>\nReturn-Path: <{OURS}>\nTo: team@lists.example.org\n"
            "Subject: Our spring offers\nMessage-ID: <post-1@mail.example.com>\n\nHello list.\n"
            "--b1--\n").encode()


# Mailman 2: Moderate.py's default non-member rejection, sent back by
# MailList.BounceMessage from the list's -owner address under the post's subject.
MAILMAN2_NONMEMBER = """You are not allowed to post to this mailing list, and your message has been
automatically rejected.  If you think that your messages are being rejected in
error, contact the mailing list owner at team-owner@lists.example.org.
"""
# Mailman 2's other default wording of the same rejection.
MAILMAN2_NOT_SUBSCRIBED = """Your message has been rejected, probably because you are not subscribed to the
mailing list and the list's policy is to prohibit non-members from posting to
it.  If you think that your messages are being rejected in error, contact the
mailing list owner at team-owner@lists.example.org.
"""
# Mailman 2's refuse.txt, a moderator rejecting a post held for its size (Hold.py's reason).
MAILMAN2_REFUSED_SIZE = """Your request to the Team mailing list

    Posting of your message titled "Our spring offers"

has been rejected by the list moderator.  The moderator gave the following
reason for rejecting your request:

"Message body is too big: 912345 bytes with a limit of 40 KB"

Any questions or comments should be directed to the list administrator
at:

    team-owner@lists.example.org
"""
# Mailman 2's postheld.txt: the post waits for the moderator. Not a failure.
MAILMAN2_HELD = """Your mail to 'Team' with the subject

    Our spring offers

Is being held until the list moderator can review it for approval.

The reason it is being held:

    Post by non-member to a members-only list

Either the message will get posted to the list, or you will receive
notification of the moderator's decision.
"""
# Mailman 3: chains/reject.py's notice with the moderation rule's reason.
MAILMAN3_NONMEMBER = """Your message to the Team mailing-list was rejected for the following
reasons:

The message is not from a list member

The original message as received by Mailman is attached.
"""
MAILMAN3_SIZE = """Your message to the Team mailing-list was rejected for the following
reasons:

The message is larger than the 40 KB maximum size

The original message as received by Mailman is attached.
"""
# FML: the non-member refusal and the loop alert, in the wording sisimai's FML.pm reads.
FML_NONMEMBER = """You are not a member of this mailing list <staff@ml.example.jp>.

If you know the general guide of this list, please send mail with
the mail body

	guide

to the address

	staff-ctl@ml.example.jp
"""
FML_LOOP = """Duplicated Message-ID in <staff@ml.example.jp>.


Original mail as follows:

   From: News <news@mail.example.com>
   Subject: Our spring offers
"""
# FML refusing a sender on its reject list, and its security alert: the
# fragments sisimai's FML.pm reads ("reject mail from ...@", "Security alert:").
FML_REJECT = """reject mail from <news@mail.example.com>.

Original mail as follows:
"""
FML_SECURITY = """Security alert: the ML <staff@ml.example.jp> refused a mail with an insecure command.
"""
# ezmlm-idx: text/mod-reject and text/mod-timeout, from the list's -return address.
EZMLM_MOD_REJECT = """I'm sorry, your message (enclosed) was not accepted by the moderator.
If the moderator has made any comments, they are shown below.
"""
EZMLM_MOD_TIMEOUT = """I'm sorry, the list moderators for the club list
have failed to act on your post. Thus, I'm returning it to you.
If you feel that this is in error, please repost the message
or contact a list moderator directly.

--- Enclosed, please find the message you sent.
"""
# mlmmj: listtexts/en/subonlypost and maxmailsize (the list named on a line of its own).
MLMMJ_SUBONLY = """Hi, this is the mlmmj program managing the mailinglist

club@lists.example.net

Your post with subject line

Our spring offers

came from the email address

news@mail.example.com

but this address is not subscribed, and only subscribers may post to
the list.

(The denied message is below.)
"""
MLMMJ_SIZE = """Hi, this is the mlmmj program managing the mailinglist

club@lists.example.net

I'm sorry to inform you that your message could not be delivered to the
list. Your mail was rejected due to the size limit of 100000 bytes.

Thanks.
"""


@pytest.mark.parametrize(("sender", "body", "extra", "address", "reason"), [
    ("team-owner@lists.example.org", MAILMAN2_NONMEMBER, "", "team@lists.example.org", "rejected"),
    ("team-owner@lists.example.org", MAILMAN2_NOT_SUBSCRIBED, "", "team@lists.example.org", "rejected"),
    ("team-bounces@lists.example.org", MAILMAN2_REFUSED_SIZE, "", "team@lists.example.org", "mesgtoobig"),
    ("team-owner@lists.example.org", MAILMAN3_NONMEMBER, "", "team@lists.example.org", "rejected"),
    ("team-owner@lists.example.org", MAILMAN3_SIZE, "", "team@lists.example.org", "mesgtoobig"),
    ("staff-admin@ml.example.jp", FML_NONMEMBER, "X-MLServer: fml [fml 4.0.3 release]\n",
     "staff@ml.example.jp", "rejected"),
    ("staff-admin@ml.example.jp", FML_LOOP, "X-MLServer: fml [fml 4.0.3 release]\n",
     "staff@ml.example.jp", "systemerror"),
    ("staff-admin@ml.example.jp", FML_REJECT, "X-MLServer: fml [fml 4.0.3 release]\n",
     "staff@ml.example.jp", "rejected"),
    ("staff-admin@ml.example.jp", FML_SECURITY, "X-MLServer: fml [fml 4.0.3 release]\n",
     "staff@ml.example.jp", "securityerror"),
    ("club-return-12-@lists.example.net", EZMLM_MOD_REJECT, "", "club@lists.example.net", "rejected"),
    ("club-return-13-@lists.example.net", EZMLM_MOD_TIMEOUT, "", "club@lists.example.net", "rejected"),
    ("club+bounces-help@lists.example.net", MLMMJ_SUBONLY, "", "club@lists.example.net", "rejected"),
    ("club+bounces-help@lists.example.net", MLMMJ_SIZE, "", "club@lists.example.net", "mesgtoobig"),
])
def test_a_list_refusal_fails_the_list_softly(sender: str, body: str, extra: str, address: str,
                                              reason: str) -> None:
    verdict = classify(notice(sender, "Our spring offers", body, extra))
    assert verdict.kind == "bounce"
    assert [(r.address, r.reason, r.hard) for r in verdict.recipients] == [(address, reason, False)]


def test_a_post_held_for_the_moderator_is_no_failure() -> None:
    # The held notice names the reason it is held in a refusal's words.
    verdict = classify(notice("team-bounces@lists.example.org", "Your message to Team awaits moderator approval",
                              MAILMAN2_HELD))
    assert verdict.kind != "bounce"
    assert not any(r.hard or r.action == "failed" for r in verdict.recipients)


def fml_japanese(subject: str, body: str) -> bytes:
    """FML's notice in a Japanese installation: ISO-2022-JP text under an English subject."""
    head = (f"From: staff-admin@ml.example.jp\nTo: {OURS}\nSubject: {subject}\n"
            "Message-ID: <200401010000.FMLAAA0001.staff@ml.example.jp>\nX-MLServer: fml [fml 4.0.3 release]\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-2022-jp\n\n")
    return head.encode() + body.encode("iso-2022-jp")


@pytest.mark.parametrize(("subject", "reason"), [
    ("NOT MEMBER article from news@mail.example.com (staff ML)", "rejected"),
    ("Loop Alert: dup'ed message-id (staff ML)", "systemerror"),
])
def test_fml_says_it_in_japanese_under_an_english_subject(subject: str, reason: str) -> None:
    # Hand-written Japanese: "this mail was not delivered to the list <staff@ml.example.jp>".
    body = "メーリングリスト <staff@ml.example.jp> へのメールは配送されませんでした。\n"
    verdict = classify(fml_japanese(subject, body))
    assert [(r.address, r.reason, r.hard) for r in verdict.recipients] == [("staff@ml.example.jp", reason, False)]


def test_the_refusal_is_the_diagnostic() -> None:
    verdict = classify(notice("team-owner@lists.example.org", "Our spring offers", MAILMAN2_NONMEMBER))
    assert "not allowed to post to this mailing list" in (verdict.recipients[0].diagnostic or "")


def bounce(body: str, sender: str) -> Bounce:
    return Bounce(body, body, frozenset({OURS, "news@mail.example.com"}), False, sender)


def test_a_robot_names_itself_when_the_notice_names_no_list() -> None:
    # LISTSERV writes from its robot's address; its sentence names the list
    # by name and the poster by address (ours), so the robot is what we have.
    text = f"You are not authorized to send mail to the STATS-L list from your {OURS} account.\n"
    found = lists.read(bounce(text, "listserv@listserv.example.edu"))
    assert [(f.address, f.status) for f in found] == [("listserv@listserv.example.edu", "5.7.1")]


def test_the_poster_named_in_the_sentence_is_not_the_list() -> None:
    # Our From address, not known to us as ours here (no copy of the post attached).
    text = "You are not authorized to send mail to the STATS-L list from your news@shop.example.com account.\n"
    found = lists.read(bounce(text, "listserv@listserv.example.edu"))
    assert [f.address for f in found] == ["listserv@listserv.example.edu"]


def test_an_address_in_the_posts_title_is_not_the_list() -> None:
    text = MAILMAN2_REFUSED_SIZE.replace("Our spring offers", "Spring offers for carol@example.net")
    found = lists.read(bounce(text, "team-bounces@lists.example.org"))
    assert [(f.address, f.status) for f in found] == [("team@lists.example.org", "5.3.4")]


def test_the_diagnostic_is_the_refusals_sentence_not_the_owners_words() -> None:
    # A list's own nonmember_rejection_notice (Mailman 2 wraps it into one
    # paragraph): the owner's words after the refusal are no verdict on a mailbox.
    text = ("You are not allowed to post to this mailing list, and your message has been\n"
            "automatically rejected. Your address is unknown here: no such user is on our roster.\n")
    verdict = classify(notice("team-owner@lists.example.org", "Our spring offers", text))
    assert [(r.address, r.reason, r.hard) for r in verdict.recipients] == [
        ("team@lists.example.org", "rejected", False)]
    assert "no such user" not in (verdict.recipients[0].diagnostic or "")


def test_sympa_refuses_from_its_robot() -> None:
    # mail_tt2/report.tt2's send_subscriber entry, in a notice from the Sympa robot.
    text = ("Message distribution in the list is restricted to list subscribers.\n"
            "If you are subscribed to the list with a different email address, you should either use that\n"
            "other email address or update your list membership with the new email address.\n")
    verdict = classify(notice("Sympa <sympa@lists.example.org>", "Message distribution", text))
    assert [(r.address, r.reason, r.hard) for r in verdict.recipients] == [
        ("sympa@lists.example.org", "rejected", False)]


def test_only_a_list_managers_notice_counts() -> None:
    # A person who pastes the refusal into a mail of their own is not a list refusing us.
    assert lists.read(bounce(MAILMAN2_NONMEMBER, "alice@example.org")) == []
    # Nor is a list's notice that refuses nothing (a welcome).
    assert lists.read(bounce("Welcome to the Team mailing list!\n", "team-request@lists.example.org")) == []


def test_ezmlm_refusal_inside_a_qmail_bounce_stays_soft() -> None:
    # ezmlmrc's check in the list's .qmail file: ezmlm-issubn fails, the echo
    # becomes qmail-local's bounce text (exit 100), and qmail-send bounces it.
    body = ("Hi. This is the qmail-send program at lists.example.net.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            "<club@lists.example.net>:\n"
            "Sorry, only subscribers may post. If you are a subscriber, please forward this message to\n"
            "club-owner@lists.example.net to get your new address included (#5.7.2)\n\n"
            "--- Below this line is a copy of the message.\n\n"
            f"Return-Path: <{OURS}>\n")
    raw = (f"From: MAILER-DAEMON@lists.example.net\nTo: {OURS}\nSubject: failure notice\n\n{body}").encode()
    verdict = classify(raw)
    assert [(r.address, r.hard) for r in verdict.recipients] == [("club@lists.example.net", False)]
