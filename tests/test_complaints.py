"""Complaints (ARF, RFC 5965) and mailto unsubscribes through bounce-ingest's alias pipe.

Real parts: the ARF is the synthetic sample in tests/data rewritten to be a
report about a message in the send log; the mailto address comes from a real
message that mq-send queued and mq-flush delivered to an SMTP server on
loopback; bounce-ingest runs as Postfix's local(8) runs it; the hook is a
shell script and the webhook a loopback HTTP server.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, command_path, flush, message, spool_state, write_config
from httpreceiver import Receiver
from ingest_support import DOMAIN, REPO, Sent, TestSpool, run_cli, run_pipe

ARF = REPO / "tests" / "data" / "bounces" / "synthetic" / "arf_abuse.eml"
FBL = f"bounce@{DOMAIN}"  # where the receiver's feedback loop sends its reports (aliased to the pipe)


@pytest.fixture
def spool(tmp_path: Path) -> TestSpool:
    return TestSpool(tmp_path / "spool")


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    """A platform's receiver without a secret: it takes every POST and answers 204."""
    server = Receiver()
    yield server
    server.close()


def posts(webhook: Receiver) -> list[tuple[str, dict]]:
    return [(r.path, r.event) for r in webhook.received]


def with_hooks(spool: TestSpool, tmp_path: Path, webhook: Receiver | None = None) -> Path:
    """on_complaint/on_unsubscribe of package 7 write their stdin to <out>.<kind>.<address>."""
    out = tmp_path / "hooks"
    out.mkdir()
    for kind in ("complaint", "unsubscribe"):
        hook = tmp_path / f"{kind}.sh"
        hook.write_text(f'#!/bin/sh\ncat > "{out}/{kind}.$1"\n')
        hook.chmod(0o755)
    text = (f'spool = "{spool.root}"\n[bounce]\ndomain = "{DOMAIN}"\n[packages.7]\n'
            f'on_complaint = "{tmp_path}/complaint.sh"\non_unsubscribe = "{tmp_path}/unsubscribe.sh"\n')
    if webhook is not None:
        text += f'[platforms."example.org"]\nwebhook = "{webhook.url}"\n'
    spool.config.write_text(text)
    return out


def arf(sent: Sent | None, verp: bool = True, headers_only: bool = False, rcpt: str | None = None,
        message_id: str | None = None) -> bytes:
    """The sample ARF, about ``sent``: its VERP address in the original's Return-Path (or none)."""
    text = ARF.read_text()
    address = sent.address if sent and verp else "news@example.org"
    text = text.replace("bounce-42-3f9a2c1d-7@lists.example.org", address)
    text = text.replace("complainer@mailbox.example", rcpt or (sent.recipient if sent else "x@mailbox.example"))
    text = text.replace("<arf.20241105@example.org>", message_id or (sent.message_id if sent else "<x@y>"))
    if headers_only:  # RFC 5965 allows the original's headers alone
        text = text.replace("Content-Type: message/rfc822", "Content-Type: text/rfc822-headers")
        text = re.sub(r"\n\nHello, here is our newsletter.*?\n", "\n", text, flags=re.S)
    return text.encode()


def suppressed(spool: TestSpool) -> list[tuple]:
    return spool.query("SELECT address, scope, reason, origin FROM suppressions ORDER BY address, scope")


def events(spool: TestSpool) -> list[tuple]:
    return spool.query("SELECT address, kind, reason, package_id, message_id FROM events ORDER BY id")


def test_arf_with_our_verp_suppresses_at_once_and_hook_and_webhook_hear(spool, tmp_path, webhook) -> None:
    out = with_hooks(spool, tmp_path, webhook)
    sent = spool.send("ann@mailbox.example")
    done = run_pipe(spool, arf(sent), FBL)
    assert done.returncode == 0, done.stderr
    assert suppressed(spool) == [("ann@mailbox.example", "", "complaint", "arf")]  # all mail, not one package
    assert events(spool) == [("ann@mailbox.example", "complaint", "arf", "7", sent.message_id)]
    hook = json.loads((out / "complaint.ann@mailbox.example").read_text())
    assert (hook["type"], hook["address"], hook["package_id"], hook["message_id"]) == (
        "complaint", "ann@mailbox.example", "7", sent.message_id)
    [(path, body)] = posts(webhook)
    assert path == "/emails/ann%40mailbox.example/suspend" and body["type"] == "complaint" and body["id"]
    assert spool.files("processed")[0].endswith(".feedback")
    assert spool.counts("ann@mailbox.example") is None  # a complaint is no bounce: nothing counted
    status = subprocess.run([str(command_path("bounce-status")), "--json", "ann@mailbox.example"],
                            env=spool.env(), capture_output=True)
    assert json.loads(status.stdout)["user_id"] == sent.user_id  # the verified VERP names the user
    shown = subprocess.run([str(command_path("bounce-status")), "--events", "ann@mailbox.example"],
                           env=spool.env(), capture_output=True).stdout.decode()
    assert "kind=complaint, reason=arf, status=-" in shown  # neither hard nor soft: it is no bounce
    assert run_pipe(spool, arf(sent), FBL).returncode == 0  # the same report again
    assert len(events(spool)) == 1 and len(posts(webhook)) == 1


def test_arf_with_only_the_originals_headers_and_message_id_is_found_in_the_send_log(spool) -> None:
    sent = spool.send("bob@mailbox.example")
    done = run_pipe(spool, arf(sent, verp=False, headers_only=True), FBL)
    assert done.returncode == 0, done.stderr
    assert suppressed(spool) == [("bob@mailbox.example", "", "complaint", "arf")]


def test_message_id_of_a_message_to_several_needs_the_report_to_name_one(spool) -> None:
    message_id = "<shared@example.org>"
    a = spool.send("a@mailbox.example", message_id=message_id)
    spool.send("b@mailbox.example", message_id=message_id)
    redacted = arf(a, verp=False, rcpt="redacted@mailbox.example")
    assert run_pipe(spool, redacted, FBL).returncode == 0
    assert suppressed(spool) == [] and events(spool) == []
    [kept] = [f for f in spool.files("unrecognized") if not f.endswith(".why")]
    assert "names none of them" in (spool.root / "bounces" / "unrecognized" / f"{kept}.why").read_text()
    assert run_pipe(spool, arf(a, verp=False), FBL).returncode == 0  # Original-Rcpt-To names a
    assert suppressed(spool) == [("a@mailbox.example", "", "complaint", "arf")]


@pytest.mark.parametrize("bad", ["forged-verp", "unknown-message-id", "no-original", "garbage-report",
                                 "quotes-another-message"])
def test_a_bad_or_unverifiable_arf_changes_nothing_and_is_kept_with_why(spool, bad: str) -> None:
    sent = spool.send("ann@mailbox.example")
    if bad == "forged-verp":
        raw = arf(sent).replace(sent.address.encode(), sent.address.replace("bounce-42-", "bounce-43-").encode())
    elif bad == "unknown-message-id":
        raw = arf(sent, verp=False, message_id="<never-sent@example.org>")
    elif bad == "no-original":
        boundary = rb"--part1_13d.2e68ed54_boundary"
        raw = re.sub(boundary + rb"\nContent-Type: message/rfc822.*?(?=" + boundary + rb"--)", b"",
                     arf(sent, verp=False), flags=re.S)
    elif bad == "garbage-report":
        raw = arf(sent, verp=False).split(b"\n\n", 1)[0] + b"\n\n--part1_13d.2e68ed54_boundary\n\x00\xff garbage"
    else:
        raw = arf(sent, message_id="<another@example.org>")
    done = run_pipe(spool, raw, FBL)
    assert done.returncode == 0, done.stderr
    assert suppressed(spool) == [] and events(spool) == []
    whys = [f for f in spool.files("unrecognized") if f.endswith(".why")]
    assert len(whys) == 1 and (spool.root / "bounces" / "unrecognized" / whys[0]).read_text().strip()


def test_a_complaint_takes_over_a_bounce_suppression_so_no_notice_goes_out(spool) -> None:
    sent = spool.send("dee@mailbox.example")
    db = spool_state(spool.root)
    db.suppress("dee@mailbox.example", "bounce", "bounce-sweep", 1.0)
    db.conn.execute("UPDATE addresses SET disabled = 1, disabled_at = 1 WHERE address = 'dee@mailbox.example'")
    assert [n.address for n in db.notices_due(10.0, 4, 1.0)] == ["dee@mailbox.example"]
    db.close()
    assert run_pipe(spool, arf(sent), FBL).returncode == 0
    db = spool_state(spool.root)
    try:
        assert db.is_suppressed(["dee@mailbox.example"]) == {"dee@mailbox.example": "complaint"}
        assert db.notices_due(10.0, 4, 1.0) == []
    finally:
        db.close()


def queued_and_delivered(tmp_path: Path, smtp, spool: TestSpool, *args: str) -> str:  # noqa: ANN001 - SmtpServer
    """The List-Unsubscribe mailto address of a real message mq-send queued and mq-flush delivered."""
    text = spool.config.read_text() + f'\n[transport]\nhost = "127.0.0.1"\nport = {smtp.port}\nstarttls = "never"\n'
    text = text.replace("[bounce]", '[unsubscribe]\nurl = "https://example.org/u?token={token}"\n[bounce]', 1)
    cli = Cli(spool.root, write_config(tmp_path / "send.toml", text))
    assert cli("mq-send", "--unsubscribe", *args, "-f", "news@example.org", "ann@mailbox.example", "b@mailbox.example",
               input=message()).returncode == 0
    assert flush(cli)["sent"] == 2
    [received] = [m for m in smtp.messages if m.rcpt_tos == ["ann@mailbox.example"]]
    return re.search(rb"<mailto:([^?>]+)", received.data).group(1).decode()


def unsubscribe_mail(to: str) -> bytes:
    return (f"From: Ann <ann@mailbox.example>\nTo: {to}\nSubject: unsubscribe\n"
            "Message-ID: <u1@mailbox.example>\n\nPlease unsubscribe me.\n").encode()


def test_a_mail_to_the_mailto_address_unsubscribes_from_that_package(spool, tmp_path, smtp) -> None:
    out = with_hooks(spool, tmp_path)
    mailto = queued_and_delivered(tmp_path, smtp, spool, "--package-id", "7")
    assert len(mailto.partition("@")[0]) <= 64 and mailto.startswith("bounce-unsub-")
    done = run_pipe(spool, unsubscribe_mail(mailto), mailto, args=())
    assert done.returncode == 0, done.stderr
    assert suppressed(spool) == [("ann@mailbox.example", "7", "unsubscribe", "mailto")]
    assert [e[:4] for e in events(spool)] == [("ann@mailbox.example", "unsubscribe", "mailto", "7")]
    assert json.loads((out / "unsubscribe.ann@mailbox.example").read_text())["type"] == "unsubscribe"
    assert spool.files("processed")[0].endswith(".unsubscribe")
    dry = run_cli(spool, "--dry-run", "--json", stdin=unsubscribe_mail(mailto))
    assert json.loads(dry.stdout)["kind"] == "unsubscribe"


def test_a_mailto_without_package_covers_all_mail(spool, tmp_path, smtp) -> None:
    with_hooks(spool, tmp_path)
    mailto = queued_and_delivered(tmp_path, smtp, spool)
    assert run_pipe(spool, unsubscribe_mail(mailto), mailto).returncode == 0
    assert suppressed(spool) == [("ann@mailbox.example", "", "unsubscribe", "mailto")]


@pytest.mark.parametrize("tamper", ["mac", "hash", "short-mac"])
def test_a_forged_mailto_address_changes_nothing_and_is_kept_with_why(spool, tmp_path, smtp, tamper: str) -> None:
    with_hooks(spool, tmp_path)
    mailto = queued_and_delivered(tmp_path, smtp, spool, "--package-id", "7")
    local, _, domain = mailto.partition("@")
    head, mac = local.rsplit(".", 1)
    if tamper == "mac":
        forged = f"{head}.{'a' if mac[0] != 'a' else 'b'}{mac[1:]}@{domain}"
    elif tamper == "hash":
        forged = f"{head[:-1]}{'a' if head[-1] != 'a' else 'b'}.{mac}@{domain}"
    else:
        forged = f"{head}.{mac[:10]}@{domain}"  # a shorter MAC is no easier to guess
    assert run_pipe(spool, unsubscribe_mail(forged), forged).returncode == 0
    assert suppressed(spool) == [] and events(spool) == []
    [why] = [f for f in spool.files("unrecognized") if f.endswith(".why")]
    text = (spool.root / "bounces" / "unrecognized" / why).read_text()
    assert "does not verify" in text


def test_the_dry_run_of_a_mailto_unsubscribe_shows_whom_it_would_unsubscribe(spool, tmp_path, smtp) -> None:
    """The installed bounce-ingest --dry-run: the address a verified mailto unsubscribe names (table and
    --json, as a bounce's recipients), nothing for a forged one, and nothing changed."""
    import subprocess

    from conftest import command_path

    with_hooks(spool, tmp_path)
    mailto = queued_and_delivered(tmp_path, smtp, spool, "--package-id", "7")
    local, _, domain = mailto.partition("@")
    head, mac = local.rsplit(".", 1)
    forged = f"{head}.{'a' if mac[0] != 'a' else 'b'}{mac[1:]}@{domain}"

    def dry(to: str, *args: str) -> str:
        done = subprocess.run([command_path("bounce-ingest"), "--dry-run", *args], input=unsubscribe_mail(to),
                              env=spool.env(), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    line = json.loads(dry(mailto, "--json"))
    assert (line["kind"], line["verp"]) == ("unsubscribe", None)
    assert line["recipients"] == [{"address": "ann@mailbox.example", "action": None, "status": None,
                                   "reply_code": None, "reason": "unsubscribe", "hard": False}]
    assert dry(mailto) == "-: unsubscribe, mailto address verified: ann@mailbox.example - - unsubscribe\n"
    assert json.loads(dry(forged, "--json"))["recipients"] == []
    assert dry(forged) == "-: unsubscribe, mailto address NOT verified\n"
    assert suppressed(spool) == [] and events(spool) == []  # a dry run changes nothing


# ../shared beside the checkout (a worktree one level deeper finds it one further up)
SISIMAI = next((p / "shared" / "corpora" / "sisimai-dev" / "messages" for p in (REPO.parent, REPO.parent.parent)
                if (p / "shared" / "corpora" / "sisimai-dev" / "messages").is_dir()), Path("/nonexistent"))


@pytest.mark.skipif(not SISIMAI.is_dir(), reason="../shared/corpora is not beside this checkout")
@pytest.mark.parametrize(("name", "message_id", "recipient"), [
    ("arf-02.eml", "<000000000000000000000000.smtp@example.com>", "this-local-part-does-not-exist-on-yahoo@yahoo.com"),
    ("arf-17.eml", "<EEEEEEEE-0000-0000-0000-EEEEEEEE2222@example.net>", "kijitora@example.com"),
])
def test_real_feedback_reports_suppress_by_the_originals_message_id(spool, name: str, message_id: str,
                                                                     recipient: str) -> None:
    """Providers' own ARF reports (sisimai's corpus, not written here), about a message made ours."""
    raw = (SISIMAI / name).read_bytes()
    assert run_pipe(spool, raw, FBL).returncode == 0  # before we sent it: not ours, nothing changes
    assert suppressed(spool) == []
    spool.send(recipient, message_id=message_id)
    assert run_pipe(spool, raw, FBL).returncode == 0
    assert suppressed(spool) == [(recipient, "", "complaint", "arf")]


@pytest.mark.parametrize("feedback_type", ["not-spam", "auth-failure"])
def test_a_not_spam_or_auth_failure_report_is_no_complaint(spool, feedback_type: str) -> None:
    # RFC 5965's "not-spam" (the person said our mail is wanted) and RFC 6591's
    # "auth-failure" (a receiver's SPF/DKIM/DMARC report) are feedback, not complaints.
    sent = spool.send("ann@mailbox.example")
    raw = arf(sent).replace(b"Feedback-Type: abuse", f"Feedback-Type: {feedback_type}".encode())
    done = run_pipe(spool, raw, FBL)
    assert done.returncode == 0, done.stderr
    assert suppressed(spool) == [] and events(spool) == []
    assert spool.files("processed")[0].endswith(".feedback")
    dry = subprocess.run([str(command_path("bounce-ingest")), "--dry-run", "--json", "-"], input=raw,
                         env=spool.env(), capture_output=True)
    assert json.loads(dry.stdout)["kind"] == "feedback"  # still a report, as sisimai reads it
