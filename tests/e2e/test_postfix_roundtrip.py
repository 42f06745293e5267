"""mailtools against a real Postfix, deployed as an administrator would: the commands run as
the service user from its own install, Postfix writes its own DSNs, and its local(8)
pipes them from the service user's alias map to bounce-ingest.

Every message is flushed with `mq-flush --id`, so one test's leftovers never change
another's counts; every test uses its own recipient and user id.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from . import deployment as dep
from . import postfix_instance as pi

pytestmark = pytest.mark.e2e

SENDER = "app@localhost"
PACKAGE_ID = "7"


def message(rcpt: str, subject: str, *, sender: str = SENDER, extra: str = "") -> str:
    msg_id = f"<{subject.replace(' ', '-')}.{os.getpid()}.{time.time_ns()}@localhost>"
    return (f"From: {sender}\nTo: {rcpt}\nSubject: {subject}\nMessage-ID: {msg_id}\n{extra}\n"
            f"Hello from the mailtools e2e suite.\n")


def send(mt: dep.Service, rcpt: str, *, user_id: str, config: str = "smtp") -> str:
    cp = mt.run("mq-send", "--user-id", user_id, "--package-id", PACKAGE_ID, "-f", SENDER, "--", rcpt,
                input=message(rcpt, f"e2e {user_id}"), config=config)
    queue_id = cp.stdout.strip()
    assert queue_id and "\n" not in queue_id, f"mq-send must print the queue id alone: {cp.stdout!r}"
    return queue_id


def flush(mt: dep.Service, queue_id: str, *, config: str = "smtp") -> dict:
    rows = mt.json_lines(mt.run("mq-flush", "--json", "--id", queue_id, config=config))
    assert len(rows) == 1, rows
    return rows[0]


def listed(mt: dep.Service, queue_id: str) -> list[dict]:
    return [r for r in mt.json_lines(mt.run("mq-list", "--json", "--state", "all")) if r["id"] == queue_id]


def round_trip(mt, maillog, record_round_trip, *, name, rcpt, user_id, config):
    """mq-send, then mq-flush -> Postfix's DSN -> alias pipe -> bounce-ingest -> bounce-status."""
    queue_id = send(mt, rcpt, user_id=user_id, config=config)
    t0 = time.monotonic()
    summary = flush(mt, queue_id, config=config)
    assert summary["sent"] == 1, summary
    record = mt.wait_for_hard_bounce(rcpt, log=maillog)
    record_round_trip(name, time.monotonic() - t0)

    assert record["address"] == rcpt
    assert str(record["user_id"]) == user_id
    assert record["hard_bounces"] == 1
    assert record["disabled"] is False
    # The DSN went to the VERP address and through the alias pipe, as the service user.
    delivered = re.search(rf"to=<bounce-{user_id}-[^>]*-{PACKAGE_ID}@localhost>.*relay=local.*"
                          rf"status=sent \(delivered to command: {re.escape(str(dep.BIN))}/bounce-ingest",
                          maillog(400))
    assert delivered, f"no pipe delivery of the DSN in the Postfix log:\n{maillog()}"
    assert [r["state"] for r in listed(mt, queue_id)] == ["sent"]


def test_smtp_round_trip_records_the_hard_bounce(postfix, mailtools, maillog, record_round_trip):
    round_trip(mailtools, maillog, record_round_trip, name=f"SMTP to 127.0.0.1:{postfix.smtp_port}",
               rcpt="nosuchuser@localhost", user_id="42", config="smtp")


def test_sendmail_round_trip_records_the_hard_bounce(postfix, mailtools, maillog, record_round_trip):
    """Through the instance's sendmail (MAIL_CONFIG), run by the service user: nothing lands in
    the machine's own Postfix queue (checked at the end of the session)."""
    round_trip(mailtools, maillog, record_round_trip, name=f"sendmail ({postfix.sendmail})",
               rcpt="nosuchuser2@localhost", user_id="43", config="sendmail")


def test_recipient_refused_in_the_smtp_session_is_dropped(postfix, mailtools):
    rcpt = "nosuchuser3@localhost"
    # The strict listener: unknown local users are refused at RCPT (local_recipient_maps).
    queue_id = send(mailtools, rcpt, user_id="45", config="strict")
    summary = flush(mailtools, queue_id, config="strict")
    assert summary["dropped"] == 1 and summary["sent"] == 0, summary
    rows = listed(mailtools, queue_id)
    assert [r["state"] for r in rows] == ["dropped"], rows
    assert rows[0]["recipients"] == [rcpt]
    assert "550" in rows[0]["last_error"] and "5.1.1" in rows[0]["last_error"], rows[0]


def test_pipe_exit_75_leaves_the_dsn_in_postfix_and_it_is_counted_once(postfix, mailtools, maillog):
    rcpt = pi.HOLD_RECIPIENT  # smtpd puts mail for it on hold: the spool can be broken meanwhile
    queue_id = send(mailtools, rcpt, user_id="44")
    assert flush(mailtools, queue_id)["sent"] == 1
    held = pi.wait_for(lambda: postfix.find_in_queue(queue_name="hold", rcpt_prefix=rcpt),
                       timeout=10, what=lambda: f"the message on hold in Postfix\n{maillog()}")

    with dep.read_only(dep.SPOOL):
        postfix.release(held["queue_id"])  # local(8) bounces it; the DSN goes to the pipe
        dsn = pi.wait_for(
            lambda: postfix.find_in_queue(queue_name="deferred", rcpt_prefix="bounce-44-", null_sender=True),
            timeout=15, what=lambda: f"Postfix to defer the DSN after the pipe's exit 75\n{maillog()}")
    # EX_TEMPFAIL: local(8) says "temporary failure"; any other code would have lost the DSN.
    assert "temporary failure" in dsn["recipients"][0]["delay_reason"], dsn
    before = mailtools.bounce_record(rcpt) or {}  # mailed, so it may have a record, but no bounce
    assert before.get("hard_bounces", 0) == 0 and before.get("soft_bounces", 0) == 0, \
        f"a bounce that was not stored was counted: {before}"

    postfix.flush_queue()  # the spool is writable again: redeliver now
    record = mailtools.wait_for_hard_bounce(rcpt, log=maillog)
    assert record["hard_bounces"] == 1 and str(record["user_id"]) == "44"
    pi.wait_for(lambda: not any(m["queue_id"] == dsn["queue_id"] for m in postfix.queue()),
                timeout=10, what="the DSN to leave Postfix's queue")
    postfix.flush_queue()
    time.sleep(1)
    assert mailtools.bounce_record(rcpt)["hard_bounces"] == 1, "the redelivered DSN was counted twice"


APP = """#!/bin/sh
# notify RCPT SUBJECT < body: an application mailing the way mail(1) and PHP's mail() do,
# through whatever `sendmail` is first on its PATH, with -t -i.
to=$1 subject=$2
{
    printf 'From: %s\\n' "$NOTIFY_FROM"
    printf 'To: %s\\n' "$to"
    printf 'Subject: %s\\n\\n' "$subject"
    cat
} | sendmail -t -i
"""


@pytest.fixture
def service_mailbox(postfix):
    """The service user's local mailbox (in the instance's mail_spool_directory)."""
    box = postfix.mail_dir / dep.SERVICE_USER
    box.unlink(missing_ok=True)
    yield box
    box.unlink(missing_ok=True)


def test_mq_send_as_the_applications_sendmail(mailtools, service_mailbox, maillog):
    app = dep.E2E_ROOT / "app"
    (app / "bin").mkdir(parents=True, exist_ok=True)
    sendmail = app / "bin" / "sendmail"
    sendmail.unlink(missing_ok=True)
    sendmail.symlink_to(mailtools.bin / "mq-send")  # what /usr/sbin/sendmail would be
    notify = app / "notify"
    notify.write_text(APP)
    notify.chmod(0o755)

    rcpt = f"{dep.SERVICE_USER}@localhost"
    subject = f"e2e-app-{time.time_ns()}"
    body = "first line\n.\nafter a lone dot (sendmail -i keeps it)\n"
    env = {"PATH": f"{app / 'bin'}:/usr/bin:/bin", "NOTIFY_FROM": "webapp@localhost",
           "MAILTOOLS_SPOOL": str(dep.SPOOL), "MAILTOOLS_CONFIG": str(mailtools.configs["smtp"])}
    cp = pi.run([dep.RUNUSER, "-u", dep.SERVICE_USER, "--", notify, rcpt, subject],
                input=body, env=mailtools.env(env), cwd="/")
    queue_id = cp.stdout.strip()
    rows = listed(mailtools, queue_id)
    assert len(rows) == 1 and rows[0]["state"] == "queued", rows
    assert rows[0]["sender"] == "webapp@localhost" and rows[0]["recipients"] == [rcpt]

    assert flush(mailtools, queue_id)["sent"] == 1
    text = pi.wait_for(
        lambda: service_mailbox.exists() and subject in (t := service_mailbox.read_text()) and t,
        timeout=15, what=lambda: f"the message in {service_mailbox}\n{maillog()}")
    assert "after a lone dot (sendmail -i keeps it)" in text
    assert re.search(r"^Return-Path: <bounce-[^>]*@localhost>$", text, re.M), text
    assert re.search(r"^From: webapp@localhost$", text, re.M), text
