"""mq-flush against a real SMTP server on loopback, through the installed commands."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from conftest import BOTH_BACKENDS, T0, Cli, command_path, flush, rows, send, smtp_config, spool_state, write_config
from smtpserver import SmtpServer

from mailtools.outbound import verp
from mailtools.secret import load_secret

BACKENDS = BOTH_BACKENDS
pytestmark = pytest.mark.usefixtures("state_url")  # every test here on SQLite and on PostgreSQL


def test_each_message_is_delivered_once_with_its_own_verp_address(cli, smtp, spool_dir):
    ids = [send(cli, f"user{i}@example.net", extra=("--user-id", str(i), "--package-id", "7")) for i in range(5)]
    assert flush(cli) == {"sent": 5, "deferred": 0, "dropped": 0, "suppressed": 0}
    assert flush(cli) == {"sent": 0, "deferred": 0, "dropped": 0, "suppressed": 0}
    assert len(smtp.messages) == 5
    secret = load_secret(str(spool_dir))
    db = spool_state(spool_dir, readonly=True)
    for received in smtp.messages:  # parallel connections: any order
        i = int(received.rcpt_tos[0].removeprefix("user").split("@")[0])
        address = verp.parse(received.mail_from, "bounce")
        assert address is not None and address.domain == "bounces.example.org"
        assert (address.user_id, address.package_id) == (str(i), "7")
        row = db.lookup_send(address.hash)
        assert row.recipient == f"user{i}@example.net" and row.queue_id == ids[i]
        assert verp.verify(secret, address, row.message_id, row.recipient)
        assert row.message_id.encode() in received.data
    assert {r["state"] for r in rows(cli)} == {"sent"}


def test_connections_are_reused_across_messages(cli, smtp):
    for i in range(30):
        send(cli, f"u{i}@example.net")
    assert flush(cli)["sent"] == 30
    # At most transport.connections (4 by default) plus aiosmtpd's start-up probe, not one per message.
    assert smtp.recorder.connections <= 5


def test_verp_without_user_id_still_identifies_the_recipient(cli, smtp, spool_dir):
    send(cli, "a@example.net", "b@example.net")
    flush(cli)
    db = spool_state(spool_dir, readonly=True)
    froms = {m.rcpt_tos[0]: m.mail_from for m in smtp.messages}
    assert froms["a@example.net"] != froms["b@example.net"]
    for rcpt, mail_from in froms.items():
        assert db.lookup_send(verp.parse(mail_from).hash).recipient == rcpt


def test_4xx_defers_with_backoff_then_delivers(cli, smtp):
    smtp.behaviour.rules["slow@example.net"] = "451 4.7.1 greylisted, try later"
    queue_id = send(cli, "slow@example.net")
    assert flush(cli)["deferred"] == 1
    [row] = rows(cli)
    assert row["state"] == "deferred" and row["attempts"] == 1
    assert row["next_attempt"] == T0 + 300 and "451" in row["last_error"]
    del smtp.behaviour.rules["slow@example.net"]
    assert flush(cli, now=T0 + 299)["sent"] == 0  # not due yet
    assert flush(cli, now=T0 + 300)["sent"] == 1
    assert [m.rcpt_tos for m in smtp.messages] == [["slow@example.net"]]
    assert rows(cli)[0]["id"] == queue_id and rows(cli)[0]["state"] == "sent"


def test_backoff_doubles_up_to_the_maximum(cli, smtp):
    smtp.behaviour.rules["slow@example.net"] = "450 4.2.1 later"
    send(cli, "slow@example.net")
    now, delays = T0, []
    for _ in range(6):
        flush(cli, now=now)
        nxt = rows(cli)[0]["next_attempt"]
        delays.append(nxt - now)
        now = nxt
    assert delays == [300, 600, 1200, 2400, 4000, 4000]


def test_5xx_drops_with_the_reply_and_the_others_are_delivered(cli, smtp):
    smtp.behaviour.rules["gone@example.net"] = "550 5.1.1 <gone@example.net>: no such user"
    smtp.behaviour.rules["later@example.net"] = "452 4.2.2 mailbox busy"
    send(cli, "ok@example.net", "gone@example.net", "later@example.net")
    assert flush(cli) == {"sent": 1, "deferred": 1, "dropped": 1, "suppressed": 0}
    by_state = {r["state"]: r for r in rows(cli)}
    assert by_state["sent"]["recipients"] == ["ok@example.net"]
    assert by_state["dropped"]["recipients"] == ["gone@example.net"]
    assert by_state["dropped"]["last_error"].startswith("550 5.1.1")
    assert by_state["deferred"]["recipients"] == ["later@example.net"]
    # The default listing hides what is finished.
    assert [r["state"] for r in cli.json_lines("mq-list")] == ["deferred"]
    assert [r["recipients"] for r in cli.json_lines("mq-list", "--state", "dropped")] == [["gone@example.net"]]


def test_server_down_defers_everything_then_delivers(cli, smtp):
    smtp.stop()
    for i in range(3):
        send(cli, f"u{i}@example.net")
    started = time.monotonic()
    assert flush(cli)["deferred"] == 3
    assert time.monotonic() - started < 5  # one refused connect, not one per message
    assert all("cannot connect" in r["last_error"] for r in rows(cli))
    smtp.start()
    assert flush(cli, now=T0 + 300)["sent"] == 3
    assert len(smtp.messages) == 3


def test_connection_dropped_in_data_is_deferred_not_lost(cli, smtp):
    smtp.behaviour.drop_in_data = True
    send(cli, "a@example.net")
    assert flush(cli)["deferred"] == 1
    smtp.behaviour.drop_in_data = False
    assert flush(cli, now=T0 + 300)["sent"] == 1
    assert len(smtp.messages) == 1


def test_421_and_slow_server_are_deferred(cli, smtp, tmp_path, spool_dir):
    smtp.behaviour.data_reply = "421 4.3.2 shutting down"
    send(cli, "a@example.net")
    assert flush(cli)["deferred"] == 1
    smtp.behaviour.data_reply = None
    smtp.behaviour.stall_seconds = 3
    fast = smtp_config(tmp_path / "fast.toml", smtp.port, "timeout = 1\n")
    impatient = Cli(spool_dir, fast)
    assert flush(impatient, now=T0 + 300)["deferred"] == 1
    assert "timed out" in rows(impatient)[0]["last_error"]
    smtp.behaviour.stall_seconds = 0
    assert flush(cli, now=T0 + 1000)["sent"] == 1


def test_gives_up_after_max_attempts_or_max_age(cli, smtp, tmp_path, spool_dir):
    smtp.behaviour.rules["slow@example.net"] = "451 later"
    strict = Cli(spool_dir, smtp_config(tmp_path / "s.toml", smtp.port, """
[retry]
max_attempts = 2
max_age_days = 1
"""))
    send(strict, "slow@example.net")
    flush(strict)
    assert flush(strict, now=T0 + 300)["dropped"] == 1
    [row] = rows(strict)
    assert row["state"] == "dropped" and "max_attempts" in row["last_error"] and "451" in row["last_error"]
    send(strict, "slow@example.net", now=T0 + 1000)
    flush(strict, now=T0 + 1000)
    assert flush(strict, now=T0 + 1000 + 86400)["dropped"] == 1
    assert any("max_age_days" in (r["last_error"] or "") for r in rows(strict))


def test_sender_id_and_limit_select_messages(cli, smtp):
    a = send(cli, "x@example.net", sender="a@example.org")
    send(cli, "y@example.net", sender="b@example.org")
    send(cli, "z@example.net", sender="b@example.org")
    assert flush(cli, "--sender", "a@example.org")["sent"] == 1
    assert smtp.messages[0].rcpt_tos == ["x@example.net"]
    assert flush(cli, "--limit", "1")["sent"] == 1
    assert len(cli.json_lines("mq-list", "b@example.org")) == 1
    assert rows(cli, "a@example.org")[0]["id"] == a


def test_id_delivers_a_deferred_message_now(cli, smtp):
    smtp.behaviour.rules["a@example.net"] = "451 later"
    queue_id = send(cli, "a@example.net")
    flush(cli)
    smtp.behaviour.rules.clear()
    assert flush(cli, "--id", queue_id, now=T0 + 1)["sent"] == 1


@pytest.mark.parametrize("reason", ["bounce", "manual"])
def test_disabled_recipient_is_suppressed_and_others_delivered(cli, smtp, spool_dir, reason):
    db = spool_state(spool_dir)
    db.suppress("Bad@example.net", reason, "test", T0)
    send(cli, "bad@example.net", "good@example.net")
    assert flush(cli) == {"sent": 1, "deferred": 0, "dropped": 0, "suppressed": 1}
    dropped = [r for r in rows(cli) if r["state"] == "dropped"]
    assert dropped[0]["recipients"] == ["bad@example.net"]
    assert dropped[0]["last_error"].startswith("suppressed")
    assert ("repeated hard bounces" if reason == "bounce" else "suppressed: manual") in dropped[0]["last_error"]
    assert [m.rcpt_tos for m in smtp.messages] == [["good@example.net"]]
    # A look inside through the backend's SQL: last_sent is not part of what bounce-status shows.
    last_sent = db.execute("SELECT last_sent FROM addresses WHERE address = ?", ("good@example.net",)).fetchone()
    assert tuple(last_sent) == (T0,)


def test_sendmail_transport_passes_verp_and_recipient_after_dashdash(tmp_path, spool_dir):
    log = tmp_path / "calls.jsonl"
    fake = tmp_path / "sendmail"
    fake.write_text(f"""#!/usr/bin/env python3
import json, sys
data = sys.stdin.buffer.read().decode()
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "data": data}}) + "\\n")
rcpt = sys.argv[-1]
sys.exit(67 if rcpt.startswith("nouser") else 75 if rcpt.startswith("later") else 0)
""")
    fake.chmod(0o755)
    cli = Cli(spool_dir, write_config(tmp_path / "sm.toml",
                                      f'[transport]\nkind="sendmail"\nsendmail_path="{fake}"\n'))
    send(cli, "ok@example.net", "nouser@example.net", "later@example.net", extra=("--user-id", "9"))
    assert flush(cli) == {"sent": 1, "deferred": 1, "dropped": 1, "suppressed": 0}
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c["argv"][-2:] for c in calls] == [["--", "ok@example.net"], ["--", "nouser@example.net"],
                                               ["--", "later@example.net"]]
    assert calls[0]["argv"][:3] == ["-i", "-f", calls[0]["argv"][2]]
    assert verp.parse(calls[0]["argv"][2]).user_id == "9"
    assert "Subject: hello" in calls[0]["data"]
    by_state = {r["state"]: r for r in rows(cli)}
    assert "exited 67" in by_state["dropped"]["last_error"]


def test_per_sender_account_uses_its_own_server(cli, smtp, tmp_path, spool_dir):
    other = SmtpServer().start()
    try:
        config = smtp_config(tmp_path / "acct.toml", smtp.port, f"""
[senders."news@example.org"]
host = "127.0.0.1"
port = {other.port}
""")
        accounts = Cli(spool_dir, config)
        send(accounts, "a@example.net", sender="news@example.org")
        send(accounts, "b@example.net", sender="app@example.org")
        assert flush(accounts)["sent"] == 2
        assert [m.rcpt_tos for m in other.messages] == [["a@example.net"]]
        assert [m.rcpt_tos for m in smtp.messages] == [["b@example.net"]]
    finally:
        other.stop()


def test_two_flushers_at_once_send_each_message_exactly_once(cli, smtp):
    total = 120
    for i in range(total):
        send(cli, f"r{i}@example.net")
    procs = [subprocess.Popen([command_path("mq-flush"), "--json"], env=dict(cli.env, MAILTOOLS_NOW=str(T0)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert sum(json.loads(o[0])["sent"] for o in outs) == total
    received = sorted(m.rcpt_tos[0] for m in smtp.wait_for(total))
    assert received == sorted(f"r{i}@example.net" for i in range(total))


def _tls_server(tmp_path):
    import ssl

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=mx.example.net"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return SmtpServer(tls_context=context).start()


def test_starttls_auto_encrypts_without_verifying_always_insists_on_a_valid_certificate(tmp_path, spool_dir):
    server = _tls_server(tmp_path)
    try:
        def run(mode: str, now: float) -> dict:
            cli = Cli(spool_dir, write_config(tmp_path / f"{mode}.toml", f"""
[transport]
host = "127.0.0.1"
port = {server.port}
starttls = "{mode}"
"""))
            send(cli, f"{mode}@example.net", now=now)
            return flush(cli, now=now)

        assert run("auto", T0)["sent"] == 1  # self-signed: opportunistic TLS still delivers
        assert run("always", T0 + 1)["deferred"] == 1  # ... but "always" wants a certificate it can verify
        [row] = [r for r in rows(Cli(spool_dir, None)) if r["state"] == "deferred"]
        assert "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
        assert [(m.rcpt_tos, m.tls) for m in server.messages] == [(["auto@example.net"], True)]
    finally:
        server.stop()


def test_a_sender_account_without_its_password_file_stops_the_run_with_78(smtp, spool_dir, tmp_path):
    # Checked at start, before anything is claimed: not a deferral with exit 0 nobody notices.
    password = tmp_path / "bad.pass"
    cli = Cli(spool_dir, smtp_config(tmp_path / "acct.toml", smtp.port, f"""
[senders."bad@example.org"]
host = "127.0.0.1"
port = {smtp.port}
username = "bad"
password_file = "{password}"
"""))
    for i in range(3):
        send(cli, f"good{i}@example.net")
    send(cli, "x@example.net", sender="bad@example.org")
    done = cli("mq-flush", now=T0)
    assert done.returncode == 78
    assert f'senders."bad@example.org".password_file\': cannot read {password}' in done.stderr.decode()
    assert smtp.messages == [] and len(os.listdir(spool_dir / "queued")) == 4  # nothing claimed, nothing lost
