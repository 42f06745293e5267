"""bounce-ingest in pipe mode, run as Postfix runs it: exit 0 once stored, 75 only when not."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

import pytest
from conftest import BOTH_BACKENDS, spool_state, write_config
from ingest_support import DATA, TestSpool, make_dsn, run_pipe

BACKENDS = BOTH_BACKENDS


@pytest.fixture
def spool(tmp_path, state_url):
    return TestSpool(tmp_path / "spool")


def test_hard_bounce_is_recorded_with_the_user_id(spool):
    sent = spool.send("nosuchuser@remote.test", user_id="42", package_id="7")
    proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    assert spool.counts(sent.recipient) == (1, 0)
    assert spool.events() == [("nosuchuser@remote.test", "42", "7", "userunknown", 1)]
    processed = spool.files("processed")
    assert len(processed) == 1 and processed[0].endswith(".bounce")
    assert spool.files("incoming") == [] and spool.files("unrecognized") == []
    stored = (spool.root / "bounces" / "processed" / processed[0]).read_bytes()
    assert stored.startswith(b"From MAILER-DAEMON")  # kept as received, envelope lines added
    assert f"X-Mailtools-Rcpt: {sent.address}".encode() in stored


def test_mailbox_full_is_soft(spool):
    sent = spool.send("full@remote.test")
    assert run_pipe(spool, make_dsn("bounce_mailboxfull.eml", sent), sent.address).returncode == 0
    assert spool.counts(sent.recipient) == (0, 1)
    assert spool.events()[0][3] == "mailboxfull"


@pytest.mark.parametrize("template", ["delayed_slow.eml", "delayed_greylist.eml"])
def test_delayed_records_nothing(spool, template):
    sent = spool.send("slow@remote.test")
    proc = run_pipe(spool, make_dsn(template, sent), sent.address)
    assert proc.returncode == 0
    assert spool.counts(sent.recipient) is None and spool.events() == []
    assert [n.rsplit(".", 1)[1] for n in spool.files("processed")] == ["delay"]


def test_vacation_reply_records_nothing(spool):
    sent = spool.send("alice@remote.example")
    proc = run_pipe(spool, make_dsn("vacation.eml", sent, folder=DATA), sent.address)
    assert proc.returncode == 0
    assert spool.events() == []
    assert [n.rsplit(".", 1)[1] for n in spool.files("processed")] == ["autoreply"]


def test_forged_hash_changes_nothing(spool):
    sent = spool.send("victim@remote.test")
    local, _, domain = sent.address.partition("@")
    prefix, uid, digest, pid = local.split("-")
    forged = f"{prefix}-{uid}-{'a' * len(digest)}-{pid}@{domain}"
    raw = make_dsn("bounce_userunknown.eml", sent).replace(sent.address.encode(), forged.encode())
    proc = run_pipe(spool, raw, forged)
    assert proc.returncode == 0
    assert spool.events() == [] and spool.counts(sent.recipient) is None
    names = spool.files("unrecognized")
    assert len(names) == 2 and names[1].endswith(".why")
    assert b"no send-log entry" in (spool.root / "bounces" / "unrecognized" / names[1]).read_bytes()


def test_hash_of_another_recipient_does_not_verify(spool):
    # A real send-log hash with the user id changed: the HMAC no longer matches.
    sent = spool.send("victim@remote.test", user_id="42")
    other = sent.address.replace("bounce-42-", "bounce-43-")
    raw = make_dsn("bounce_userunknown.eml", sent).replace(sent.address.encode(), other.encode())
    assert run_pipe(spool, raw, other).returncode == 0
    assert spool.events() == []
    why = (spool.root / "bounces" / "unrecognized").glob("*.why")
    assert b"does not verify" in next(why).read_bytes()


def test_quoted_message_id_must_agree_with_the_send_log(spool):
    sent = spool.send("victim@remote.test")
    raw = make_dsn("bounce_userunknown.eml", sent).replace(sent.message_id.encode(), b"<other@example.org>")
    assert run_pipe(spool, raw, sent.address).returncode == 0
    assert spool.events() == []
    assert any(n.endswith(".why") for n in spool.files("unrecognized"))


def test_random_bytes_exit_0_and_are_kept(spool):
    raw = random.Random(7).randbytes(5000)
    proc = run_pipe(spool, raw, None)
    assert proc.returncode == 0
    assert b"Traceback" not in proc.stderr
    names = spool.files("unrecognized")
    assert len(names) == 2
    assert (spool.root / "bounces" / "unrecognized" / names[0]).read_bytes().endswith(raw)


def test_not_ours_is_unrecognized(spool):
    raw = (DATA.parent / "bounces" / "postfix" / "bounce_userunknown.eml").read_bytes()
    assert run_pipe(spool, raw, "postmaster@example.org").returncode == 0
    assert spool.events() == [] and len(spool.files("unrecognized")) == 2


def test_same_dsn_twice_counts_once(spool):
    sent = spool.send("nosuchuser@remote.test")
    raw = make_dsn("bounce_userunknown.eml", sent)
    assert run_pipe(spool, raw, sent.address).returncode == 0
    assert run_pipe(spool, raw, sent.address).returncode == 0  # Postfix redelivers after a 75
    assert spool.counts(sent.recipient) == (1, 0)
    assert len(spool.events()) == 1
    assert len(spool.files("processed")) == 2  # both copies kept for a person


def test_one_message_bounces_once_two_messages_twice(spool):
    # Two DSNs (distinct Message-IDs) about one sent message count once: a
    # replay of forged DSNs for a VERP address seen in the wild cannot disable it.
    sent = spool.send("full@remote.test")
    for _ in range(2):
        assert run_pipe(spool, make_dsn("bounce_mailboxfull.eml", sent), sent.address).returncode == 0
    assert spool.counts(sent.recipient) == (0, 1)
    again = spool.send("full@remote.test")
    assert run_pipe(spool, make_dsn("bounce_mailboxfull.eml", again), again.address).returncode == 0
    assert spool.counts(sent.recipient) == (0, 2)


def test_recipient_is_the_send_logs_not_the_bodys(spool):
    sent = spool.send("real@remote.test")
    raw = make_dsn("bounce_userunknown.eml", sent).replace(b"real@remote.test", b"someone-else@remote.test")
    assert run_pipe(spool, raw, sent.address).returncode == 0
    assert spool.counts("real@remote.test") is not None
    assert spool.counts("someone-else@remote.test") is None


@pytest.mark.parametrize("where", ["delivered-to", "return-path"])
def test_verp_found_without_the_environment(spool, where):
    sent = spool.send("nosuchuser@remote.test")
    raw = make_dsn("bounce_userunknown.eml", sent)
    if where == "return-path":  # only the quoted original's Return-Path names us
        head, _, body = raw.partition(b"\n\n")
        raw = head.replace(sent.address.encode(), b"dsnsink@localhost") + b"\n\n" + body
    env = spool.env()
    assert run_pipe(spool, raw, env=env).returncode == 0
    assert spool.counts(sent.recipient) == (1, 0)


def test_spool_missing_is_75_and_nothing_written(tmp_path):
    spool = TestSpool(tmp_path / "spool")
    sent = spool.send("x@remote.test")
    spool.config.write_text(f'spool = "{tmp_path / "gone"}"\n')
    proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
    assert proc.returncode == 75
    assert b"Traceback" not in proc.stderr and b"does not exist" in proc.stderr
    assert not (tmp_path / "gone").exists()


def test_bad_config_is_75_in_pipe_mode(spool):
    spool.config.write_text('spool = "x"\nnot_a_key = 1\n')
    proc = run_pipe(spool, b"Subject: x\n\nhello\n", None)
    assert proc.returncode == 75 and b"not_a_key" in proc.stderr


def test_on_bounce_callback_runs_from_the_pipe(spool, tmp_path):
    hook = tmp_path / "hook.sh"
    out = tmp_path / "called"
    hook.write_text(f'#!/bin/sh\ncat > "{out}.$1"\n')
    hook.chmod(0o755)
    write_config(spool.config, f'spool = "{spool.root}"\n[packages.7]\non_bounce = "{hook}"\n')
    sent = spool.send("nosuchuser@remote.test", package_id="7")
    proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads((tmp_path / f"called.{sent.recipient}").read_text())
    assert payload["address"] == sent.recipient and payload["reason"] == "userunknown"


def test_failing_callback_never_changes_the_exit(spool, tmp_path):
    write_config(spool.config, f'spool = "{spool.root}"\n[packages.7]\non_bounce = "/bin/false"\n')
    sent = spool.send("nosuchuser@remote.test", package_id="7")
    proc = run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address)
    assert proc.returncode == 0
    assert b"Traceback" not in proc.stderr
    assert spool.counts(sent.recipient) == (1, 0)
    assert spool.query("SELECT COUNT(*) FROM callbacks") == [(1,)]  # kept for a later run


def test_dsn_that_only_delays_our_recipient_records_nothing(spool):
    # One DSN, two recipients: someone else failed, ours is only delayed.
    sent = spool.send("ours@remote.test")
    raw = make_dsn("bounce_userunknown.eml", sent).decode()
    block = (f"Final-Recipient: rfc822; {sent.recipient}\nOriginal-Recipient: rfc822;{sent.recipient}\n"
             "Action: failed\nStatus: 5.1.1\n")
    assert block in raw
    raw = raw.replace(block, "Final-Recipient: rfc822; other@remote.test\nAction: failed\nStatus: 5.1.1\n"
                             'Diagnostic-Code: X-Postfix; unknown user: "other"\n\n'
                             f"Final-Recipient: rfc822; {sent.recipient}\nAction: delayed\nStatus: 4.4.1\n")
    assert run_pipe(spool, raw.encode(), sent.address).returncode == 0
    assert spool.events() == []
    assert [n.rsplit(".", 1)[1] for n in spool.files("processed")] == ["bounce"]  # ours, verified


def test_verp_found_from_the_extension_alone(spool):
    # After alias expansion RECIPIENT may be the alias; EXTENSION keeps "<user>-<hash>-<package>".
    sent = spool.send("nosuchuser@remote.test")
    raw = make_dsn("bounce_userunknown.eml", sent).replace(sent.address.encode(), b"dsnsink@localhost")
    local, _, domain = sent.address.partition("@")
    env = dict(spool.env(), RECIPIENT=f"bounce@{domain}", EXTENSION=local.partition("-")[2], SENDER="")
    assert run_pipe(spool, raw, env=env).returncode == 0
    assert spool.counts(sent.recipient) == (1, 0)


def test_ours_but_unreadable_is_kept_as_unrecognized_with_why(spool):
    sent = spool.send("someone@remote.test")
    assert run_pipe(spool, os.urandom(2000), sent.address).returncode == 0
    unrecognized = spool.root / "bounces" / "unrecognized"
    whys = [p for p in unrecognized.iterdir() if p.suffix == ".why"]
    assert len(whys) == 1 and "not recognised" in whys[0].read_text()
    assert oct(whys[0].stat().st_mode & 0o777) == "0o640"
    assert not list((spool.root / "bounces" / "processed").iterdir())


def test_events_say_why_with_the_diagnostic_and_outlive_forget(spool):
    """bounce-status --events: every recorded event with the text it was judged on, after Forget too."""
    sent = spool.send("nosuchuser@remote.test", user_id="42", package_id="7")
    assert run_pipe(spool, make_dsn("bounce_userunknown.eml", sent), sent.address).returncode == 0
    status = [sys.executable, "-c", "from mailtools.cli.bounce_status import main; main()"]

    def events() -> list[dict]:
        done = subprocess.run([*status, "--events", "--json", "NoSuchUser@remote.test"], env=spool.env(),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    [event] = events()
    assert {k: event[k] for k in ("address", "kind", "reason", "hard", "status", "package_id")} == {
        "address": "nosuchuser@remote.test", "kind": "bounce", "reason": "userunknown", "hard": True,
        "status": "5.1.1", "package_id": "7"}
    assert event["diagnostic"] == 'unknown user: "nosuchuser"' and event["message_id"] == sent.message_id
    text = subprocess.run([*status, "--events", "nosuchuser@remote.test"], env=spool.env(), capture_output=True,
                          text=True, timeout=60)
    assert "reason=userunknown" in text.stdout and "diagnostic=" in text.stdout
    # Forget: mailed after the bounce, then quiet past max_days_to_bounce: the counts go, the event stays.
    db = spool_state(spool.root)
    db.mark_sent(["nosuchuser@remote.test"], time.time() + 60)  # what mq-flush records on delivery
    db.close()
    later = dict(spool.env(), MAILTOOLS_NOW=str(time.time() + 10 * 86400))
    sweep = subprocess.run([sys.executable, "-c", "from mailtools.cli.bounce_sweep import main; main()",
                            "--json"], env=later, capture_output=True, text=True, timeout=60)
    assert sweep.returncode == 0 and json.loads(sweep.stdout)["reset"] == 1, sweep.stderr
    assert spool.counts("nosuchuser@remote.test") is None  # the counts are gone
    assert [e["reason"] for e in events()] == ["userunknown"]
    usage = subprocess.run([*status, "--events"], env=spool.env(), capture_output=True, timeout=60)
    assert usage.returncode == 64
