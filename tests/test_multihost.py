"""Several hosts as one installation (issue 13): three sending hosts and an MX host on one PostgreSQL.

Each host has its own spool and config and runs the real commands; they
share the database and one secret_file. Three mq-flush run at once against
one SMTP sink: every message is delivered exactly once. A bounce that
arrives on the MX host (which has no queue of its own) is verified against
the shared send log; once the sweep disables the address, no host mails it.
One sweep runs at a time, whichever host starts it.
"""

from __future__ import annotations

import email
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import Cli, command_path, message, smtp_config
from ingest_support import Sent, make_dsn
from smtpserver import SmtpServer

from mailtools.bounces.sweep import sweep_lock
from mailtools.outbound import verp
from mailtools.state import open_state

T0 = 1_800_000_000
PER_HOST = 40


class Installation:
    """Three sending hosts and an MX host, as configs over one database and one secret."""

    def __init__(self, root: Path, smtp: SmtpServer, url: str) -> None:
        self.url = url
        self.secret = root / "shared" / "secret"  # one file every host's config names
        self.secret.parent.mkdir()
        self.secret.write_text(os.urandom(32).hex() + "\n")
        self.secret.chmod(0o600)
        common = f'\n[bounce]\ndomain = "bounces.example.org"\nmax_bounce_count = 0\n\n[database]\nurl = "{url}"\n'
        self.hosts = []
        for n in range(3):
            config = smtp_config(root / f"host{n}.toml", smtp.port, f'timeout = 10\nconnections = 2\n{common}')
            config.write_text(f'secret_file = "{self.secret}"\n' + config.read_text())
            (root / f"host{n}" / "spool").mkdir(parents=True)  # as mailtools-setup makes it on each host
            self.hosts.append(Cli(root / f"host{n}" / "spool", config))
        (root / "mx" / "spool").mkdir(parents=True)  # the set-up made it (mailtools-setup): only bounces land here
        self.mx_config = root / "mx.toml"
        self.mx_config.write_text(f'spool = "{root / "mx" / "spool"}"\nsecret_file = "{self.secret}"\n{common}')

    def send(self, host: Cli, rcpt: str, now: float = T0) -> str:
        done = host("mq-send", "-f", "app@example.org", "--user-id", "42", "--package-id", "7", rcpt,
                    input=message(), now=now)
        assert done.returncode == 0, done.stderr
        return done.stdout.decode().strip()

    def flush_all(self, now: float = T0) -> list[dict]:
        """mq-flush on the three hosts at once."""
        procs = [subprocess.Popen([command_path("mq-flush"), "--json"], env=dict(h.env, MAILTOOLS_NOW=str(now)),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for h in self.hosts]
        summaries = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err.decode()
            summaries.append(eval_json(out))
        return summaries

    def pipe_on_mx(self, raw: bytes, recipient: str) -> subprocess.CompletedProcess:
        """bounce-ingest as Postfix's local(8) runs it on the MX host."""
        local, _, domain = recipient.partition("@")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTOOLS_")}
        env.update(MAILTOOLS_CONFIG=str(self.mx_config), ORIGINAL_RECIPIENT=recipient, RECIPIENT=recipient,
                   SENDER="", LOCAL=local, DOMAIN=domain, EXTENSION=local.partition("-")[2], USER="nobody")
        raw = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + raw
        return subprocess.run([command_path("bounce-ingest")], input=raw, env=env, capture_output=True, timeout=60)


def eval_json(out: bytes) -> dict:
    import json

    return json.loads(out.decode().strip().splitlines()[-1])


@pytest.fixture
def installation(tmp_path: Path, smtp: SmtpServer, pg_database: str) -> Installation:
    return Installation(tmp_path, smtp, pg_database)


def test_three_hosts_and_an_mx_host_work_as_one_installation(installation: Installation,
                                                             smtp: SmtpServer) -> None:
    hosts = installation.hosts
    for n, host in enumerate(hosts):
        for i in range(PER_HOST):
            installation.send(host, f"h{n}u{i}@example.net")
    installation.send(hosts[1], "victim@example.net")

    # Three flushers at once, one per host, against one sink: each message exactly once.
    summaries = installation.flush_all()
    assert [s["sent"] for s in summaries] == [PER_HOST, PER_HOST + 1, PER_HOST]
    delivered = Counter(m.rcpt_tos[0] for m in smtp.messages)
    assert len(delivered) == 3 * PER_HOST + 1 and set(delivered.values()) == {1}

    # The bounce of host 1's message arrives on the MX host, which never sent anything.
    [original] = [m for m in smtp.messages if m.rcpt_tos == ["victim@example.net"]]
    message_id = email.message_from_bytes(original.data)["Message-ID"]
    sent = Sent(original.mail_from, "victim@example.net", message_id, "42", "7")
    done = installation.pipe_on_mx(make_dsn("bounce_userunknown.eml", sent), original.mail_from)
    assert done.returncode == 0, done.stderr
    mx_bounces = Path(installation.mx_config.read_text().split('"')[1]) / "bounces"
    assert len(os.listdir(mx_bounces / "processed")) == 1  # verified, not unrecognized
    assert verp.parse(original.mail_from) is not None

    # Every host sees it; the sweep (on host 2) disables it; no host mails it again.
    for host in hosts:
        [row] = host.json_lines("bounce-status", "victim@example.net", now=T0 + 60)
        assert (row["hard_bounces"], row["user_id"]) == (1, "42")
    assert hosts[2].json_lines("bounce-sweep", now=T0 + 120)[0]["disabled"] == 1
    for host in hosts:
        installation.send(host, "victim@example.net", now=T0 + 200)
    again = installation.flush_all(now=T0 + 200)
    # Each host drops its message as suppressed; host 2 also sends the sweep's notice, which
    # goes past the suppression (DESIGN "Notify"): the one mail the address gets.
    assert [(s["sent"], s["suppressed"]) for s in again] == [(0, 1), (0, 1), (1, 1)]
    assert len(smtp.messages) == 3 * PER_HOST + 1 + 1
    assert smtp.messages[-1].rcpt_tos == ["victim@example.net"]
    assert b"has been stopped" in smtp.messages[-1].data


def test_one_sweep_at_a_time_whichever_host_starts_it(installation: Installation) -> None:
    holder = open_state(installation.url)  # a sweep running somewhere (here: this process)
    try:
        with sweep_lock(holder, T0):
            for host in installation.hosts:
                done = host("bounce-sweep", now=T0)
                assert done.returncode == 0, done.stderr
                assert f"the sweep runs on {os.uname().nodename} (pid {os.getpid()}".encode() in done.stderr
                assert done.stdout == b""  # it did nothing
    finally:
        holder.close()  # a holder that goes away frees the lock
    assert installation.hosts[0]("bounce-sweep", now=T0).returncode == 0


def test_a_named_secret_file_that_is_missing_is_a_config_error(installation: Installation) -> None:
    installation.secret.unlink()
    host = installation.hosts[0]
    installation.send(host, "a@example.net")  # queueing needs neither the secret nor the database
    done = host("mq-flush", now=T0)
    assert done.returncode == 78 and b"secret_file" in done.stderr
    assert not installation.secret.exists()  # never made anew by one host alone
