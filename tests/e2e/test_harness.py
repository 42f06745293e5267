"""The harness itself: the suite's Postfix instance is up on loopback only, bounces everything
non-local, a DSN reaches a pipe in the service user's alias map running as that user (not
`nobody`), and the machine's own Postfix is left alone. These need no mailtools command, so
they tell a broken harness from a broken command."""

from __future__ import annotations

import pwd
import shutil
import smtplib
import stat
import subprocess
from email.message import EmailMessage

import pytest

from . import deployment as dep
from . import postfix_instance as pi

pytestmark = pytest.mark.e2e


def test_instance_answers_on_loopback_only(postfix):
    assert postfix.banner().startswith("localhost ESMTP")
    assert postfix.get("config_directory") == str(postfix.config_dir)
    assert postfix.get("queue_directory") == str(postfix.queue_dir)
    assert postfix.get("inet_interfaces") == "127.0.0.1"
    assert postfix.get("default_transport").startswith("error:")
    assert postfix.get("recipient_delimiter") == "-"
    # mailtools-setup --postconf --postfix-config appended the service user's map, once.
    assert postfix.get("alias_maps") == f"hash:{postfix.aliases}, hash:{dep.ALIAS_FILE}"
    assert postfix.get("alias_database") == f"hash:{postfix.aliases}, hash:{dep.ALIAS_FILE}"
    listeners = [line.split()[0] for line in postfix.services() if " inet " in line]
    assert listeners == [f"127.0.0.1:{postfix.smtp_port}", f"127.0.0.1:{postfix.strict_port}"]
    assert 25 not in (postfix.smtp_port, postfix.strict_port)
    if shutil.which("ss"):  # iproute2: what the kernel says is bound, beside what master.cf asks for
        ss = subprocess.run(["ss", "-Hltn", f"( sport = :{postfix.smtp_port} or sport = :{postfix.strict_port} )"],
                            capture_output=True, text=True, check=True)
        bound = sorted(line.split()[3] for line in ss.stdout.splitlines())
        assert bound == sorted([f"127.0.0.1:{postfix.smtp_port}", f"127.0.0.1:{postfix.strict_port}"]), ss.stdout


def test_the_machines_postfix_is_left_alone(postfix):
    """/etc/postfix unwritten, its master neither started, stopped nor reloaded, nothing in its
    queue: checked here, after the instance started and mailtools-setup ran, and again when
    the session ends."""
    assert pi.SystemPostfix.fingerprint() == postfix.system_before
    assert str(pi.SYSTEM_CONFIG) not in postfix.get("config_directory")


def test_only_the_strict_listener_refuses_unknown_local_users(postfix):
    """Both sides of local_recipient_maps, set in the instance whatever /etc/postfix says."""
    code, msg = postfix.rcpt_reply("nosuchlistener@localhost", port=postfix.strict_port)
    assert code == 550 and "5.1.1" in msg, msg
    assert postfix.rcpt_reply("nosuchlistener@localhost", port=postfix.smtp_port)[0] == 250


def test_setup_made_the_service_user_and_owned_files(postfix):
    user = pwd.getpwnam(dep.SERVICE_USER)
    assert user.pw_uid != 0 and user.pw_dir == str(dep.SERVICE_HOME)
    spool = dep.SPOOL.stat()
    assert spool.st_uid == user.pw_uid and stat.S_IMODE(spool.st_mode) == 0o751  # others reach maildrop/ only
    for path in (dep.ALIAS_FILE, dep.ALIAS_FILE.with_name("aliases.db")):
        assert path.stat().st_uid == user.pw_uid, f"{path} must belong to {dep.SERVICE_USER}"
    line = f'bounce: "|{dep.BIN}/bounce-ingest --spool {dep.SPOOL} --config {dep.ETC}/smtp.toml"'
    assert line in dep.ALIAS_FILE.read_text().splitlines()
    looked_up = pi.run(["postalias", "-c", postfix.config_dir, "-q", "bounce", f"hash:{dep.ALIAS_FILE}"]).stdout.strip()
    assert looked_up == line.split(": ", 1)[1]


def test_install_put_each_command_and_its_manual_page(mailtools):
    """mailtools-setup --install-to PREFIX: PREFIX/bin/COMMAND and man COMMAND, as make install."""
    for command in dep.COMMANDS:
        assert (dep.BIN / command).resolve() == dep.VENV / "bin" / command
        assert (dep.MAN / "man1" / f"{command}.1").is_file()
    assert (dep.MAN / "man5" / "mailtools.toml.5").is_file()
    if shutil.which("man"):
        found = pi.run(["man", "-M", dep.MAN, "-w", "mq-send", "mailtools.toml"]).stdout.split()
        assert found == [str(dep.MAN / "man1" / "mq-send.1"), str(dep.MAN / "man5" / "mailtools.toml.5")]


def test_setup_script_is_idempotent(postfix):
    before = dep.ALIAS_FILE.read_text()
    out = dep.setup_service_user(postfix, extra_aliases={})
    assert "created" not in out, out
    assert "already has" in out
    assert dep.ALIAS_FILE.read_text() == before
    assert postfix.get("alias_maps").count(str(dep.ALIAS_FILE)) == 1


def smtp_send(postfix, sender: str, rcpt: str) -> None:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = "harness probe"
    msg.set_content("probe\n")
    with smtplib.SMTP("127.0.0.1", postfix.smtp_port, timeout=10) as s:
        s.send_message(msg, from_addr=sender, to_addrs=[rcpt])


def test_a_dsn_reaches_the_service_users_pipe(postfix, maillog):
    """Unknown local user -> Postfix's own DSN -> alias pipe, run as the service user."""
    smtp_send(postfix, "e2eprobe@localhost", "nosuchprobe@localhost")
    pi.wait_for(lambda: dep.PROBE_OUT.exists() and "nosuchprobe" in dep.PROBE_OUT.read_text(),
                timeout=15, what=lambda: f"the DSN in {dep.PROBE_OUT}\n{maillog()}")
    text = dep.PROBE_OUT.read_text()
    assert "report-type=delivery-status" in text
    assert "Status: 5.1.1" in text
    assert dep.PROBE_OUT.stat().st_uid == pwd.getpwnam(dep.SERVICE_USER).pw_uid, \
        "the pipe did not run as the alias map's owner"


def test_remote_mail_never_leaves(postfix):
    # The error: transport makes smtpd refuse remote recipients in the session itself.
    code, msg = postfix.rcpt_reply("someone@example.com")
    assert code == 550 and "sends nothing off this machine" in msg, msg


def test_a_pipe_exiting_75_leaves_the_dsn_deferred(postfix, maillog):
    """What the exit-75 test relies on: smtpd holds mail for HOLD_RECIPIENT, postsuper -H
    releases it (postqueue -i delivers it now), and a pipe that exits 75 gets the DSN deferred, not discarded."""
    smtp_send(postfix, "e2etempfail@localhost", pi.HOLD_RECIPIENT)
    held = pi.wait_for(
        lambda: postfix.find_in_queue(queue_name="hold", rcpt_prefix=pi.HOLD_RECIPIENT),
        timeout=10, what=lambda: f"the message on hold\n{maillog()}")
    postfix.release(held["queue_id"])
    dsn = pi.wait_for(
        lambda: postfix.find_in_queue(queue_name="deferred", rcpt_prefix="e2etempfail@", null_sender=True),
        timeout=15, what=lambda: f"the DSN deferred\n{maillog()}")
    assert "temporary failure" in dsn["recipients"][0]["delay_reason"]
    postfix.delete(dsn["queue_id"])
