"""Issue 10, 1: mq-send run by users who cannot write the queue (DESIGN spool rule 8).

A spool made by the real ``scripts/mailtools-setup`` (its own service user,
created here and removed after), the real installed ``mq-send`` run with
``runuser`` as ``nobody`` (PHP as www-data) and as a fresh login user with
umask 077 (a user's crontab), then the real ``mq-flush`` as the service user
delivering to a real SMTP server on loopback. Root only: it creates users.
"""

from __future__ import annotations

import json
import os
import pwd

from conftest import NONROOT_ORIGIN as ORIGIN
from conftest import needs_other_users

from mailtools.outbound.envelope import dump, load

pytestmark = needs_other_users


PHP_MESSAGE = (b"To: alice@example.net\nSubject: Your order\nFrom: Shop <shop@example.org>\n"
               b"X-PHP-Originating-Script: 33:order.php\n\nThanks.\n")
CRON_MESSAGE = b"From: root (Cron Daemon)\nTo: root\nSubject: Cron <u@host> report\n\nreport output\n"


def test_nobody_and_a_crontab_user_queue_through_maildrop_and_mq_flush_delivers(installation, login_user, smtp):
    inst = installation
    php = inst.run("nobody", "mq-send", "-t", "-i", input=PHP_MESSAGE)
    assert php.returncode == 0, php.stderr.decode()
    cron = inst.run(login_user, "mq-send", "-i", "-FCronDaemon", "-B8BITMIME", "-oem", "someone",
                    input=CRON_MESSAGE, umask="077")
    assert cron.returncode == 0, cron.stderr.decode()
    php_id, cron_id = php.stdout.decode().strip(), cron.stdout.decode().strip()

    # In maildrop/, owned by their callers, readable by the service user whatever the umask; nothing queued.
    owners = {p.name: pwd.getpwuid(p.stat().st_uid).pw_name for p in (inst.spool / "maildrop").iterdir()}
    assert owners == {php_id: "nobody", cron_id: login_user}
    assert all((inst.spool / "maildrop" / name).stat().st_mode & 0o044 == 0o044 for name in owners)
    assert list((inst.spool / "queued").iterdir()) == []

    flushed = inst.run(inst.service, "mq-flush", "-v", "--json")
    assert flushed.returncode == 0, flushed.stderr.decode()
    assert json.loads(flushed.stdout.decode().splitlines()[-1])["sent"] == 2
    uid_nobody, uid_user = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam(login_user).pw_uid
    log = flushed.stderr.decode()
    assert f"{php_id}: uid={uid_nobody}, from=<shop@example.org>" in log
    assert f"{cron_id}: uid={uid_user}, from=<root@{ORIGIN}>" in log

    received = {tuple(m.rcpt_tos): m for m in smtp.wait_for(2)}
    assert set(received) == {("alice@example.net",), (f"someone@{ORIGIN}",)}
    assert b"From: Cron Daemon <root@" in received[(f"someone@{ORIGIN}",)].data

    listed = inst.run(inst.service, "mq-list", "--state", "all", "--json")
    assert listed.returncode == 0, listed.stderr.decode()
    rows = {row["id"]: row for row in map(json.loads, listed.stdout.decode().splitlines())}
    assert rows[php_id]["state"] == rows[cron_id]["state"] == "sent"
    assert (rows[php_id]["uid"], rows[cron_id]["uid"]) == (uid_nobody, uid_user)
    assert rows[php_id]["sender"] == "shop@example.org" and rows[cron_id]["recipients"] == [f"someone@{ORIGIN}"]
    assert list((inst.spool / "maildrop").iterdir()) == []


def test_a_non_root_caller_still_gets_64_and_65_at_once(installation):
    bad = installation.run("nobody", "mq-send", "-f", "a@example.org", "not an address", input=PHP_MESSAGE)
    assert bad.returncode == 64, bad.stderr.decode()
    empty = installation.run("nobody", "mq-send", "-t", input=b"")
    assert empty.returncode == 65, empty.stderr.decode()
    assert list((installation.spool / "maildrop").iterdir()) == []


def test_a_forged_envelope_in_maildrop_is_believed_only_for_addresses(installation, smtp):
    """Any local user can write maildrop/: a file claiming uid 0, a suppression bypass and the id of a
    message already queued gets its owner's uid, no bypass, and an id of its own."""
    inst = installation
    first = inst.run(inst.service, "mq-send", "-f", "a@example.org", "victim@example.net", input=PHP_MESSAGE)
    assert first.returncode == 0, first.stderr.decode()
    existing = first.stdout.decode().strip()
    forged = load(next((inst.spool / "queued").iterdir()).read_bytes())
    forged.envelope.uid, forged.envelope.bypass_suppression = 0, True
    forged.envelope.recipients[0].address = "other@example.net"
    path = inst.spool / "maildrop" / existing  # named like the queued message it wants to replace
    path.write_bytes(dump(forged.envelope, b"Subject: forged\n\nforged\n"))
    os.chown(path, pwd.getpwnam("nobody").pw_uid, -1)
    flushed = inst.run(inst.service, "mq-flush", "--json")
    assert flushed.returncode == 0, flushed.stderr.decode()
    listed = inst.run(inst.service, "mq-list", "--state", "all", "--json")
    rows = [json.loads(line) for line in listed.stdout.decode().splitlines()]
    assert len(rows) == 2 and len({row["id"] for row in rows}) == 2
    by_rcpt = {row["recipients"][0]: row for row in rows}
    assert by_rcpt["victim@example.net"]["id"] == existing
    assert by_rcpt["other@example.net"]["uid"] == pwd.getpwnam("nobody").pw_uid
    assert sorted(m.rcpt_tos[0] for m in smtp.wait_for(2)) == ["other@example.net", "victim@example.net"]
    queue_file = load(next((inst.spool / "sent").glob(by_rcpt["other@example.net"]["id"])).read_bytes())
    assert queue_file.envelope.bypass_suppression is False


def test_root_works_in_the_spool_as_its_owner(installation, smtp):
    """Root's mail goes through maildrop/ (uid 0 kept); root's mq-flush and bounce-sweep act as the
    service user, so nothing they create (secret, database, sweep lock) locks the service user out."""
    inst = installation
    sent = inst.run("root", "mq-send", "-f", "root@example.org", "bob@example.net", input=b"Subject: hi\n\nhello\n")
    assert sent.returncode == 0, sent.stderr.decode()
    queue_id = sent.stdout.decode().strip()
    assert [p.stat().st_uid for p in (inst.spool / "maildrop").iterdir()] == [0]
    flushed = inst.run("root", "mq-flush", "--json")
    assert flushed.returncode == 0, flushed.stderr.decode()
    assert json.loads(flushed.stdout.decode().splitlines()[-1])["sent"] == 1
    assert [m.rcpt_tos for m in smtp.wait_for(1)] == [["bob@example.net"]]
    swept = inst.run("root", "bounce-sweep", "--json")
    assert swept.returncode == 0, swept.stderr.decode()
    service = pwd.getpwnam(inst.service).pw_uid
    made = [inst.spool / "secret", inst.spool / "db", *(inst.spool / "db").iterdir()]
    assert {str(p): p.stat().st_uid for p in made} == {str(p): service for p in made}
    # The service user's own runs go on: its cron jobs are not locked out by what root did.
    for command in (["mq-flush", "--json"], ["bounce-sweep", "--json"], ["bounce-status", "--json"]):
        done = inst.run(inst.service, *command)
        assert done.returncode == 0, (command, done.stderr.decode())
    listed = inst.run(inst.service, "mq-list", "--state", "all", "--json", queue_id)
    assert listed.returncode == 0, listed.stderr.decode()
    assert {row["uid"] for row in map(json.loads, listed.stdout.decode().splitlines())} == {0}


def test_what_waits_in_maildrop_is_seen_by_mq_list_and_the_metrics_before_the_flush(installation, smtp):
    """The service user's mq-list (table, --json, summary) and mailtools-metrics show nobody's message in
    maildrop/ with its envelope and nobody's uid; after the flush it is queued and sent, listed once."""
    inst = installation
    # mailtools-setup made the state database too: the metrics read it before the first flush.
    assert (inst.spool / "db" / "state.sqlite").stat().st_uid == pwd.getpwnam(inst.service).pw_uid
    php = inst.run("nobody", "mq-send", "-t", "-i", "--user-id", "42", input=PHP_MESSAGE)
    assert php.returncode == 0, php.stderr.decode()
    php_id = php.stdout.decode().strip()
    listed = inst.run(inst.service, "mq-list", "--json")
    assert listed.returncode == 0, listed.stderr.decode()
    [row] = map(json.loads, listed.stdout.decode().splitlines())
    assert (row["id"], row["state"], row["sender"], row["recipients"], row["uid"]) == (
        php_id, "maildrop", "shop@example.org", ["alice@example.net"], pwd.getpwnam("nobody").pw_uid)
    table = inst.run(inst.service, "mq-list").stdout.decode().splitlines()
    assert table[0].startswith(f"{php_id}: (shop@example.org => alice@example.net) maildrop ")
    assert table[-1] == "-- 1 Kbytes in 1 Request."
    metrics = inst.run(inst.service, "mailtools-metrics")
    assert metrics.returncode == 0, metrics.stderr.decode()
    assert 'mailtools_queue_messages{state="maildrop"} 1.0' in metrics.stdout.decode()

    assert inst.run(inst.service, "mq-flush").returncode == 0
    smtp.wait_for(1)
    after = [json.loads(line) for line in inst.run(inst.service, "mq-list", "--state", "all", "--json")
             .stdout.decode().splitlines()]
    assert [(r["id"], r["state"]) for r in after] == [(php_id, "sent")]
    assert 'mailtools_queue_messages{state="maildrop"} 0.0' in inst.run(inst.service, "mailtools-metrics") \
        .stdout.decode()


def test_mq_ctl_holds_and_deletes_what_waits_in_maildrop_before_the_flush(installation, smtp):
    """Found by the black-box run: mq-list showed nobody's message in maildrop/, but mq-ctl said
    'no message'; postsuper acts on maildrop. mq-ctl takes maildrop/ in first, as mq-flush would."""
    inst = installation
    held = inst.run("nobody", "mq-send", "-t", "-i", input=PHP_MESSAGE).stdout.decode().strip()
    gone = inst.run("nobody", "mq-send", "-t", "-i", input=PHP_MESSAGE).stdout.decode().strip()
    done = inst.run(inst.service, "mq-ctl", "hold", held)
    assert done.returncode == 0 and done.stdout.decode() == f"{held}: held\n", done.stderr.decode()
    done = inst.run(inst.service, "mq-ctl", "delete", gone)
    assert done.returncode == 0 and done.stdout.decode() == f"{gone}: deleted\n", done.stderr.decode()
    assert inst.run(inst.service, "mq-flush").returncode == 0
    assert smtp.messages == []  # neither went out
    listed = inst.run(inst.service, "mq-list", "--state", "all", "--json").stdout.decode().splitlines()
    assert [(row["id"], row["state"]) for row in map(json.loads, listed)] == [(held, "held")]
