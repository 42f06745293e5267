"""mq-send as the host's sendmail: the exact command lines of cron, mail(1), PHP and scripts (issue 10, 2 and 9).

Each caller's argv is the one that program really passes (Debian's cron and
cronie from their sources, bsd-mailx 8.1.2 as traced with strace on Debian
12, PHP's sendmail_path default plus mail()'s fifth parameter); the message
is what it writes. The mail is then delivered by mq-flush to a real SMTP
server on loopback and checked there.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import Cli, command_path

from mailtools.outbound.envelope import load

ORIGIN = "host.example.org"


@pytest.fixture
def config_file(tmp_path: Path, smtp) -> Path:  # noqa: ANN001 - the smtp fixture
    path = tmp_path / "mailtools.toml"
    path.write_text(f'myorigin = "{ORIGIN}"\n\n[transport]\nhost = "127.0.0.1"\nport = {smtp.port}\n'
                    'starttls = "never"\ntimeout = 5\n\n[bounce]\ndomain = "bounces.example.org"\n')
    return path


def queued(spool: Path) -> list:
    return [load(p.read_bytes()) for p in sorted((spool / "queued").iterdir())]


CRON_MESSAGE = (b"From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> /usr/local/bin/backup\n"
                b"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
                b"X-Cron-Env: <SHELL=/bin/sh>\n\nbackup: 3 files\n.\nstill the job's output\n")


@pytest.mark.parametrize("argv", [
    ["-i", "-FCronDaemon", "-B8BITMIME", "-oem", "root"],           # Debian's cron (do_command.c)
    ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"],  # cronie (MAILARGS)
    ["-t", "-f", "root"],                                             # cronie, as the issue quotes it
], ids=["debian-cron", "cronie", "cronie-short"])
def test_cron_lines_are_queued_with_bare_names_at_myorigin_and_delivered(cli, smtp, spool_dir, argv):
    done = cli("mq-send", *argv, input=CRON_MESSAGE)
    assert done.returncode == 0, done.stderr.decode()
    [queue_file] = queued(spool_dir)
    assert queue_file.envelope.sender == f"root@{ORIGIN}"
    assert [r.address for r in queue_file.envelope.recipients] == [f"root@{ORIGIN}"]
    # The headers a relay checks got their domain too; a lone "." cuts the output only without -i.
    assert f"From: Cron Daemon <root@{ORIGIN}>".encode() in queue_file.message
    assert f"\nTo: root@{ORIGIN}\n".encode() in queue_file.message
    assert (b"still the job's output" in queue_file.message) == ("-i" in argv)
    flushed = cli("mq-flush", "--json")
    assert flushed.returncode == 0, flushed.stderr.decode()
    [received] = smtp.wait_for(1)
    assert received.rcpt_tos == [f"root@{ORIGIN}"]
    assert received.mail_from.startswith("bounce-") and received.mail_from.endswith("@bounces.example.org")
    assert b"backup: 3 files" in received.data


@pytest.mark.parametrize("argv, sender", [
    (["-i", "-t"], "alice@example.org"),                                  # bsd-mailx: mail -s S RCPT
    (["-i", "-t", "-f", "list@example.org"], "list@example.org"),          # bsd-mailx: mail -r FROM -s S RCPT
    (["-i", "--", "bob@example.net", "carol@example.net"], "alice@example.org"),  # OpenBSD mail(1)
    (["-t", "-i"], "alice@example.org"),                                   # PHP mail(), a script
    (["-t", "-i", "-fwebmaster@example.org"], "webmaster@example.org"),    # PHP mail() with -f in its 5th parameter
], ids=["mailx", "mailx-r", "openbsd-mail", "php", "php-f"])
def test_mail_php_and_script_lines(cli, smtp, spool_dir, argv, sender):
    raw = (b"From: Alice <alice@example.org>\nTo: bob@example.net, carol@example.net\nSubject: report\n"
           b"X-PHP-Originating-Script: 33:report.php\n\nhello\n")
    done = cli("mq-send", *argv, input=raw)
    assert done.returncode == 0, done.stderr.decode()
    [queue_file] = queued(spool_dir)
    assert queue_file.envelope.sender == sender
    assert [r.address for r in queue_file.envelope.recipients] == ["bob@example.net", "carol@example.net"]
    assert cli("mq-flush").returncode == 0
    assert sorted(r for m in smtp.wait_for(2) for r in m.rcpt_tos) == ["bob@example.net", "carol@example.net"]


@pytest.mark.parametrize("null", ["<>", ""])
def test_null_sender_is_kept_to_the_server(cli, smtp, spool_dir, null):
    done = cli("mq-send", "-f", null, "bob@example.net", input=b"From: MAILER-DAEMON@example.org\nSubject: x\n\nx\n")
    assert done.returncode == 0, done.stderr.decode()
    assert queued(spool_dir)[0].envelope.sender == ""
    assert cli("mq-flush").returncode == 0
    [received] = smtp.wait_for(1)
    assert received.mail_from == "<>"  # aiosmtpd's "MAIL FROM:<>": no VERP address, nothing may bounce back
    listed = cli.json_lines("mq-list", "--state", "all")
    assert [(row["state"], row["sender"]) for row in listed] == [("sent", "")]


def test_bare_names_as_arguments_and_without_from(cli, spool_dir):
    done = cli("mq-send", "-f", "www-data", "root", "bob@example.net", input=b"Subject: x\n\nx\n")
    assert done.returncode == 0, done.stderr.decode()
    [queue_file] = queued(spool_dir)
    assert queue_file.envelope.sender == f"www-data@{ORIGIN}"
    assert [r.address for r in queue_file.envelope.recipients] == [f"root@{ORIGIN}", "bob@example.net"]
    assert f"From: www-data@{ORIGIN}".encode() in queue_file.message


@pytest.mark.parametrize("flags", [
    ["-B", "7BIT"], ["-N", "never"], ["-R", "hdrs"], ["-V"], ["-V", "+="], ["-X", "/dev/null"], ["-Am"],
    ["-C", "/etc/mail/sendmail.cf"], ["-L", "label"], ["-G"], ["-U"], ["-c"], ["-m"], ["-x"], ["-e", "p"],
    ["-h", "17"], ["-p", "smtp"], ["-odb"], ["-oem"], ["-om"], ["-o", "i"], ["-oA/etc/aliases"], ["-bm"],
    ["-ti"], ["-v"],
])
def test_flags_postfix_accepts_are_accepted(cli, spool_dir, flags):
    done = cli("mq-send", *flags, "-f", "a@example.org", "b@example.net", input=b"Subject: x\n\nx\n")
    assert done.returncode == 0, done.stderr.decode()
    assert len(queued(spool_dir)) == 1


@pytest.mark.parametrize("flags, says", [
    (["-n"], "-n option not supported"), (["-B", "9BIT"], "8BITMIME or 7BIT"), (["-bd"], "-bd is not supported"),
    (["-bv"], "unsupported: -bv"), (["-Z"], "no such option: -Z"), (["--frobnicate"], "--frobnicate"),
    (["-f"], "requires a value"), (["-qX"], "-qX is not implemented"),
])
def test_what_postfix_refuses_is_64_with_the_reason(cli, spool_dir, flags, says):
    done = cli("mq-send", *flags, input=b"Subject: x\n\nx\n")
    assert done.returncode == 64, done.stderr.decode()
    assert says in done.stderr.decode()
    assert not (spool_dir / "queued").exists() or queued(spool_dir) == []


def test_verbose_is_not_ignored_with_t(cli):
    """Issue 12: the click options and the fast parser had drifted; "-v -t" lost its -v."""
    quiet = cli("mq-send", "-t", input=b"From: a@example.org\nTo: b@example.net\n\nx\n")
    loud = cli("mq-send", "-v", "-t", input=b"From: a@example.org\nTo: b@example.net\n\nx\n")
    assert quiet.returncode == loud.returncode == 0
    assert b"uid=" not in quiet.stderr
    assert b"uid=%d, from=<a@example.org>" % os.getuid() in loud.stderr


def test_help_is_rendered_from_the_one_declaration(cli):
    from mailtools.outbound.sendmail_args import OPTIONS

    done = cli("mq-send", "--help")
    assert done.returncode == 0
    text = done.stdout.decode()
    for option in OPTIONS:
        for name in option.names:
            assert name in text, f"{name} is declared but --help does not show it"


# -- the other modes: none of them reads standard input ----------------------------------------------
def run_never_closing_stdin(argv: list[str], env: dict[str, str], timeout: float = 20) -> tuple[int, str, str]:
    """Run with a stdin pipe that is never written nor closed: a command that reads it hangs."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{argv} waited on standard input for {timeout}s")
    finally:
        if proc.stdin:
            proc.stdin.close()
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """mailq, newaliases and sendmail as an admin links them to mq-send."""
    bindir = tmp_path / "sbin"
    bindir.mkdir()
    for name in ("mailq", "newaliases", "sendmail"):
        (bindir / name).symlink_to(command_path("mq-send"))
    return bindir


def test_mailq_and_bp_list_the_queue(cli, spool_dir, linked):
    sent = cli("mq-send", "-f", "a@example.org", "b@example.net", input=b"Subject: x\n\nx\n")
    queue_id = sent.stdout.decode().strip()
    for argv in ([str(linked / "mailq")], [str(linked / "sendmail"), "-bp"], [command_path("mq-send"), "-bp"]):
        code, out, err = run_never_closing_stdin(argv, cli.env)
        assert code == 0, err
        assert queue_id in out and "b@example.net" in out
    code, out, _ = run_never_closing_stdin([command_path("mq-send"), "-bp", "--json"], cli.env)
    assert code == 0 and json.loads(out)["id"] == queue_id


def test_empty_queue_through_mailq(cli, spool_dir, linked):
    from mailtools.outbound.spool import Spool

    Spool(str(spool_dir)).ensure()
    code, out, err = run_never_closing_stdin([str(linked / "mailq")], cli.env)
    assert code == 0, err
    assert "Mail queue is empty" in out


def test_sendmail_q_flushes_without_reading_stdin(cli, smtp, spool_dir, linked):
    cli("mq-send", "-f", "a@example.org", "b@example.net", input=b"Subject: x\n\nx\n")
    code, _, err = run_never_closing_stdin([str(linked / "sendmail"), "-q"], cli.env)
    assert code == 0, err
    assert [m.rcpt_tos for m in smtp.wait_for(1)] == [["b@example.net"]]
    started = time.monotonic()
    code, _, err = run_never_closing_stdin([str(linked / "sendmail"), "-q30m"], cli.env)
    assert code == 0 and time.monotonic() - started < 10  # a daemon's interval: nothing to do


@pytest.mark.parametrize("argv", [["newaliases"], ["sendmail", "-bi"], ["sendmail", "-I"]])
def test_newaliases_says_there_is_nothing_to_do(cli, linked, argv):
    code, out, err = run_never_closing_stdin([str(linked / argv[0]), *argv[1:]], cli.env)
    assert code == 0, err
    assert "nothing to do" in out


def test_json_output_of_a_sendmail_line(cli):
    done = cli("mq-send", "-t", "-i", "--json", input=b"From: a@example.org\nTo: root\n\nx\n")
    assert done.returncode == 0
    assert json.loads(done.stdout)["recipients"] == [f"root@{ORIGIN}"]


def test_myorigin_defaults_to_the_host_fqdn(tmp_path):
    import socket

    cli = Cli(tmp_path / "spool", None)
    done = cli("mq-send", "-t", "--json", input=b"From: a@example.org\nTo: root\n\nx\n")
    assert done.returncode == 0, done.stderr.decode()
    name = os.uname().nodename
    fqdn = (name if "." in name else socket.getfqdn(name)).lower()
    assert json.loads(done.stdout)["recipients"] == [f"root@{fqdn}"]


def _real_mailx() -> str | None:
    import shutil

    mail = shutil.which("mail")
    if not mail or not os.path.realpath(mail).endswith("bsd-mailx"):
        return None
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists("/usr/sbin/sendmail"):
        return None
    return mail


@pytest.mark.skipif(_real_mailx() is None, reason="needs bsd-mailx (apt-get install bsd-mailx), root and unshare")
def test_the_real_bsd_mailx_through_usr_sbin_sendmail(cli, smtp, spool_dir):
    """The real mail(1), in a private mount namespace where /usr/sbin/sendmail is mq-send
    (the host's own sendmail and Postfix are not touched)."""
    script = 'mount --bind "$0" /usr/sbin/sendmail && exec mail -s "disk report" -r ops@example.org "$@"'
    done = subprocess.run(["unshare", "--mount", "sh", "-c", script, command_path("mq-send"), "bob@example.net",
                           "carol"], input=b"/var is 91% full\n", capture_output=True, env=cli.env, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    [queue_file] = queued(spool_dir)
    assert queue_file.envelope.sender == "ops@example.org"
    assert [r.address for r in queue_file.envelope.recipients] == ["bob@example.net", f"carol@{ORIGIN}"]
    assert cli("mq-flush").returncode == 0
    received = smtp.wait_for(2)
    assert sorted(r for m in received for r in m.rcpt_tos) == ["bob@example.net", f"carol@{ORIGIN}"]
    assert all(b"Subject: disk report" in m.data and b"/var is 91% full" in m.data for m in received)
