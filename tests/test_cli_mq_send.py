"""mq-send's contract, driven through the installed command."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import message, needs_other_users, smtp_config

from mailtools.outbound.envelope import load


def queued_files(spool):
    return sorted((spool / "queued").iterdir()) if (spool / "queued").exists() else []


def test_queues_and_prints_the_id(cli, spool_dir):
    done = cli("mq-send", "-f", "app@example.org", "bob@example.net", input=message())
    assert done.returncode == 0, done.stderr
    queue_id = done.stdout.decode().strip()
    files = queued_files(spool_dir)
    assert [f.name for f in files] == [queue_id]
    queue_file = load(files[0].read_bytes())
    assert queue_file.envelope.sender == "app@example.org"
    assert [r.address for r in queue_file.envelope.recipients] == ["bob@example.net"]
    # Date and Message-ID were missing: added, and the Message-ID recorded.
    assert b"\nDate: " in b"\n" + queue_file.message
    assert queue_file.envelope.message_id and queue_file.envelope.message_id.encode() in queue_file.message


def test_extract_recipients_adds_to_arguments_and_removes_bcc(cli, spool_dir):
    raw = message(From="A <a@example.org>", To="x@example.net, Y <y@example.net>", Bcc="z@example.net")
    done = cli("mq-send", "-t", "--json", "--user-id", "42", "--package-id", "7", "extra@example.net", input=raw)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["recipients"] == ["extra@example.net", "x@example.net", "y@example.net", "z@example.net"]
    assert out["sent"] is False
    queue_file = load(queued_files(spool_dir)[0].read_bytes())
    assert b"Bcc:" not in queue_file.message
    assert queue_file.envelope.sender == "a@example.org"
    assert (queue_file.envelope.user_id, queue_file.envelope.package_id) == ("42", "7")


def test_sendmail_flags_are_accepted(cli, spool_dir):
    done = cli("mq-send", "-oi", "-odb", "-oem", "-fapp@example.org", "-F", "The App", "-N", "never",
               "--", "bob@example.net", input=b"Subject: x\n\nline\n.\nafter the dot\n")
    assert done.returncode == 0, done.stderr
    queue_file = load(queued_files(spool_dir)[0].read_bytes())
    assert b"From: The App <app@example.org>" in queue_file.message
    assert b"after the dot" in queue_file.message  # -oi: a lone dot does not end input


def test_without_i_a_lone_dot_ends_the_message(cli, spool_dir):
    done = cli("mq-send", "-f", "a@example.org", "b@example.net", input=b"Subject: x\n\nline\n.\nignored\n")
    assert done.returncode == 0
    assert b"ignored" not in load(queued_files(spool_dir)[0].read_bytes()).message


@pytest.mark.parametrize("args, raw, code, says", [
    (["-f", "a@example.org\nBcc: victim@example.net", "b@example.net"], message(), 64, "line break"),
    (["-F", "Name\r\nBcc: victim@example.net", "-f", "a@example.org", "b@example.net"], message(), 64,
     "line break"),
    (["-f", "a@example.org", "b@example.net\nX: y"], message(), 64, "line break"),
    (["-f", "a@example.org", "--", "-oQ/tmp@example.net"], message(), 64, "starts with '-'"),
    (["-f", "a@example.org", "not an address"], message(), 64, "not a valid address"),
    (["-f", "a@example.org", "b@example.net"], b"", 65, "empty"),
    (["-f", "a@example.org", "b@example.net"], b"just some text\nno headers\n", 65, "header"),
    (["-f", "a@example.org"], message(), 64, "no recipients"),
    (["--no-such-flag", "b@example.net"], message(), 64, "no-such-flag"),
    (["-bs"], message(), 64, "-bm"),
    (["--user-id", "4-2", "-f", "a@example.org", "b@example.net"], message(), 64, "user id"),
    # Accepted, these made every mq-flush exit 64 with the whole batch left in active/:
    (["--user-id", "u" * 40, "--package-id", "p" * 20, "-f", "a@example.org", "b@example.net"], message(), 64,
     "no room for the hash"),
])
def test_refusals(cli, spool_dir, args, raw, code, says):
    done = cli("mq-send", *args, input=raw)
    assert done.returncode == code, done.stderr
    assert says in done.stderr.decode()
    assert queued_files(spool_dir) == []
    assert not list((spool_dir / "tmp").iterdir()) if (spool_dir / "tmp").exists() else True


def test_quoted_and_non_ascii_addresses_are_accepted(cli, spool_dir):
    done = cli("mq-send", "-f", "a@example.org", '"john doe"@example.net', "jürgen@example.de", input=message())
    assert done.returncode == 0, done.stderr
    envelope = load(queued_files(spool_dir)[0].read_bytes()).envelope
    assert [r.address for r in envelope.recipients] == ['"john doe"@example.net', "jürgen@example.de"]


def test_unwritable_spool_is_a_temporary_failure(cli, tmp_path):
    spool = tmp_path / "ro"
    spool.mkdir()
    (spool / "queued").write_text("a file where a directory should be")
    done = cli("mq-send", "-f", "a@example.org", "b@example.net", input=message(),
               env={"MAILTOOLS_SPOOL": str(spool)})
    assert done.returncode == 75, done.stderr
    assert "queued is not a directory" in done.stderr.decode()


def test_missing_parent_directory_is_a_temporary_failure(cli, tmp_path):
    spool = tmp_path / "file"
    spool.write_text("x")
    done = cli("mq-send", "-f", "a@example.org", "b@example.net", input=message(),
               env={"MAILTOOLS_SPOOL": str(spool / "spool")})
    assert done.returncode == 75


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_full_disk_is_75_and_leaves_nothing_half_written(cli, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], check=True)
    try:
        spool = mount / "spool"
        ok = cli("mq-send", "-f", "a@example.org", "b@example.net", input=message(),
                 env={"MAILTOOLS_SPOOL": str(spool)})
        assert ok.returncode == 0, ok.stderr
        big = message(body="x" * 200_000 + "\n")
        done = cli("mq-send", "-f", "a@example.org", "b@example.net", input=big,
                   env={"MAILTOOLS_SPOOL": str(spool)})
        assert done.returncode == 75, done.stderr
        assert "No space left" in done.stderr.decode()
        assert len(list((spool / "queued").iterdir())) == 1  # only the first, complete one
        assert list((spool / "tmp").iterdir()) == []
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_unknown_config_key_is_78_naming_it(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[transport]\nhots = "x"\n')
    done = cli("mq-send", "-f", "a@example.org", "b@example.net", input=message(),
               env={"MAILTOOLS_CONFIG": str(bad)})
    assert done.returncode == 78
    assert "transport.hots" in done.stderr.decode()


def test_now_delivers_before_returning(cli, smtp, spool_dir):
    done = cli("mq-send", "--now", "--json", "-f", "a@example.org", "b@example.net", input=message())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] is True
    assert len(smtp.messages) == 1
    assert len(list((spool_dir / "sent").iterdir())) == 1


def test_now_with_the_server_down_stays_queued_and_exits_0(cli, smtp, spool_dir):
    smtp.stop()
    done = cli("mq-send", "--now", "--json", "-f", "a@example.org", "b@example.net", input=message())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] is False
    assert len(list((spool_dir / "deferred").iterdir())) == 1
    smtp.start()  # the fixture stops it again


def test_now_failing_on_config_still_exits_0_with_the_id(cli, smtp, spool_dir, tmp_path):
    # Queued is queued: a 78 here made the caller queue (and send) the message twice.
    config = smtp_config(tmp_path / "auth.toml", smtp.port, f'username = "u"\npassword_file = "{tmp_path}/missing"\n')
    done = cli("mq-send", "--now", "--json", "-f", "a@example.org", "b@example.net", input=message(),
               env={"MAILTOOLS_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["sent"] is False
    # The attempt failed on the config before claiming it: still queued, for mq-flush.
    assert os.listdir(spool_dir / "queued") == [out["id"]]
    assert b"password_file" in done.stderr


def test_help_teaches(cli):
    done = cli("mq-send", "--help")
    assert done.returncode == 0
    text = done.stdout.decode()
    assert "Examples:" in text and "Exit codes" in text and "sendmail" in text


def test_a_line_longer_than_998_is_re_encoded_not_left_for_the_server_to_refuse(cli, smtp, spool_dir):
    import email
    import email.policy

    long_line = "<p>" + "é and more text " * 200 + "</p>"
    done = cli("mq-send", "-f", "a@example.org", "b@example.net",
               input=f"Subject: html\nContent-Type: text/html; charset=utf-8\n\n{long_line}\nend\n".encode())
    assert done.returncode == 0, done.stderr
    assert cli("mq-flush", "-q").returncode == 0
    [received] = smtp.messages
    assert max(len(line) for line in received.data.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert parsed.get_content().replace("\r\n", "\n") == f"{long_line}\nend\n"  # same text, on the wire in CRLF


@pytest.mark.parametrize("raw, says", [
    (b"Subject: " + b"x" * 1200 + b"\n\nbody\n", b"header line is longer"),
    (b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\n" + b"y" * 1200 + b"\n--b--\n", b"encode that part"),
])
def test_a_long_line_that_cannot_be_re_encoded_is_refused_with_65(cli, raw, says):
    done = cli("mq-send", "-f", "a@example.org", "b@example.net", input=raw)
    assert done.returncode == 65 and says in done.stderr


def test_t_without_i_still_ends_the_message_at_a_lone_dot_like_sendmail(cli, spool_dir):
    raw = b"From: a@example.org\nTo: b@example.net\nSubject: x\n\nfirst\n.\nnot part of it\n"
    assert cli("mq-send", "-t", input=raw).returncode == 0
    assert b"not part of it" not in load(queued_files(spool_dir)[0].read_bytes()).message


def test_now_stopped_by_sigterm_records_the_reply_in_flight(cli, smtp, spool_dir):
    """An application's timeout killing mq-send --now mid-transaction: the reply is awaited and
    recorded, so the next mq-flush does not send the message again."""
    import signal
    import time

    from conftest import command_path

    smtp.behaviour.stall_seconds = 1.0
    proc = subprocess.Popen([command_path("mq-send"), "--now", "-f", "a@example.org", "b@example.net"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli.env)
    proc.stdin.write(message())
    proc.stdin.close()
    deadline = time.monotonic() + 20
    while not (spool_dir / "active").exists() or not os.listdir(spool_dir / "active"):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.005)
    time.sleep(0.3)  # inside the server's DATA stall
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read().decode()
    assert len(smtp.messages) == 1
    assert len(list((spool_dir / "sent").iterdir())) == 1
    again = cli("mq-flush", "--json")
    assert json.loads(again.stdout)["sent"] == 0 and len(smtp.messages) == 1


@needs_other_users
def test_now_by_a_user_who_cannot_deliver_queues_in_maildrop_says_why_and_exits_0(installation, smtp):
    """mq-send --now as nobody (PHP as www-data) and as root in the service user's spool: neither may
    deliver, so the message waits in maildrop/ for the next mq-flush, stderr says so and why, exit 0;
    the flush delivers each message once."""
    import pwd

    inst = installation
    done = inst.run("nobody", "mq-send", "--now", "--json", "-f", "shop@example.org", "alice@example.net",
                    input=message())
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["sent"] is False
    said = done.stderr.decode()
    uid = pwd.getpwnam("nobody").pw_uid
    assert f"{out['id']}: queued in maildrop/ for the next mq-flush, not delivered now" in said
    assert f"nobody (uid {uid}) is not the spool's owner and may not write {inst.spool}/tmp" in said
    assert "queued/" not in said.replace("maildrop/", "") and "Permission denied" not in said
    assert os.listdir(inst.spool / "maildrop") == [out["id"]]

    as_root = inst.run("root", "mq-send", "--now", "-f", "root@example.org", "bob@example.net", input=message())
    assert as_root.returncode == 0, as_root.stderr.decode()
    owner = pwd.getpwnam(inst.service).pw_uid
    assert (f"root does not deliver from a spool that {inst.service} (uid {owner}) owns"
            in as_root.stderr.decode())
    assert smtp.messages == []  # nothing went out from either caller

    flushed = inst.run(inst.service, "mq-flush", "--json")
    assert flushed.returncode == 0, flushed.stderr.decode()
    assert sorted(m.rcpt_tos[0] for m in smtp.wait_for(2)) == ["alice@example.net", "bob@example.net"]
    assert os.listdir(inst.spool / "maildrop") == []
