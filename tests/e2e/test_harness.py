"""The harness itself: Postfix is up on loopback only, bounces everything non-local, and a
DSN reaches a pipe in the service user's alias map running as that user (not `nobody`).
These need no mailtools command, so they tell a broken harness from a broken command."""

from __future__ import annotations

import pwd
import smtplib
import stat
import subprocess
from email.message import EmailMessage

import pytest

from . import postfix_instance as pi

pytestmark = pytest.mark.e2e


def test_postfix_answers_on_loopback_only(postfix):
    assert postfix.banner().startswith("localhost ESMTP")
    assert postfix.get("inet_interfaces") == "127.0.0.1"
    assert postfix.get("default_transport").startswith("error:")
    assert postfix.get("local_recipient_maps") == ""
    assert postfix.get("recipient_delimiter") == "-"
    # mailtools-setup --postconf appended the service user's map, once.
    assert postfix.get("alias_maps") == f"hash:/etc/aliases, hash:{pi.ALIAS_FILE}"
    assert postfix.get("alias_database") == f"hash:/etc/aliases, hash:{pi.ALIAS_FILE}"
    ss = subprocess.run(["ss", "-Hltn", "sport = :25"], capture_output=True, text=True)
    if ss.returncode == 0:
        assert "127.0.0.1:25" in ss.stdout and "0.0.0.0:25" not in ss.stdout, ss.stdout


def test_setup_made_the_service_user_and_owned_files(postfix):
    user = pwd.getpwnam(pi.SERVICE_USER)
    assert user.pw_uid != 0 and user.pw_dir == str(pi.SERVICE_HOME)
    spool = pi.SPOOL.stat()
    assert spool.st_uid == user.pw_uid and stat.S_IMODE(spool.st_mode) == 0o751  # others reach maildrop/ only
    for path in (pi.ALIAS_FILE, pi.ALIAS_FILE.with_name("aliases.db")):
        assert path.stat().st_uid == user.pw_uid, f"{path} must belong to {pi.SERVICE_USER}"
    line = f'bounce: "|{pi.VENV}/bin/bounce-ingest --spool {pi.SPOOL} --config {pi.ETC}/smtp.toml"'
    assert line in pi.ALIAS_FILE.read_text().splitlines()
    looked_up = pi.run(["postalias", "-q", "bounce", f"hash:{pi.ALIAS_FILE}"]).stdout.strip()
    assert looked_up == line.split(": ", 1)[1]


def test_setup_script_is_idempotent(postfix):
    before = pi.ALIAS_FILE.read_text()
    out = pi.setup_service_user(postfix, extra_aliases={})
    assert "created" not in out, out
    assert "already has" in out
    assert pi.ALIAS_FILE.read_text() == before
    assert postfix.get("alias_maps").count(str(pi.ALIAS_FILE)) == 1


def smtp_send(sender: str, rcpt: str) -> None:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = "harness probe"
    msg.set_content("probe\n")
    with smtplib.SMTP("127.0.0.1", 25, timeout=10) as s:
        s.send_message(msg, from_addr=sender, to_addrs=[rcpt])


def test_a_dsn_reaches_the_service_users_pipe(postfix, maillog):
    """Unknown local user -> Postfix's own DSN -> alias pipe, run as the service user."""
    smtp_send("e2eprobe@localhost", "nosuchprobe@localhost")
    pi.wait_for(lambda: pi.PROBE_OUT.exists() and "nosuchprobe" in pi.PROBE_OUT.read_text(),
                timeout=15, what=lambda: f"the DSN in {pi.PROBE_OUT}\n{maillog()}")
    text = pi.PROBE_OUT.read_text()
    assert "report-type=delivery-status" in text
    assert "Status: 5.1.1" in text
    assert pi.PROBE_OUT.stat().st_uid == pwd.getpwnam(pi.SERVICE_USER).pw_uid, \
        "the pipe did not run as the alias map's owner"


def test_remote_mail_never_leaves(postfix):
    # The error: transport makes smtpd refuse remote recipients in the session itself.
    code, msg = postfix.rcpt_reply("someone@example.com")
    assert code == 550 and "sends nothing off this machine" in msg, msg


def test_a_pipe_exiting_75_leaves_the_dsn_deferred(postfix, maillog):
    """What the exit-75 test relies on: smtpd holds mail for HOLD_RECIPIENT, postsuper -H
    releases it (postqueue -i delivers it now), and a pipe that exits 75 gets the DSN deferred, not discarded."""
    smtp_send("e2etempfail@localhost", pi.HOLD_RECIPIENT)
    held = pi.wait_for(
        lambda: postfix.find_in_queue(queue_name="hold", rcpt_prefix=pi.HOLD_RECIPIENT),
        timeout=10, what=lambda: f"the message on hold\n{maillog()}")
    postfix.release(held["queue_id"])
    dsn = pi.wait_for(
        lambda: postfix.find_in_queue(queue_name="deferred", rcpt_prefix="e2etempfail@", null_sender=True),
        timeout=15, what=lambda: f"the DSN deferred\n{maillog()}")
    assert "temporary failure" in dsn["recipients"][0]["delay_reason"]
    pi.run(["postsuper", "-d", dsn["queue_id"]])
