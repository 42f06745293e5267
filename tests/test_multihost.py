"""Several hosts as one installation (issue 13): three sending hosts and an MX host on one PostgreSQL.

Each host has its own spool and config and runs the real commands; they
share the database and one secret_file. Three mq-flush run at once against
one SMTP sink: every message is delivered exactly once. A bounce that
arrives on the MX host (which has no queue of its own) is verified against
the shared send log; once the sweep disables the address, no host mails it.
One sweep runs at a time, whichever host starts it.

Each test runs twice: with the hosts as processes on this machine's
loopback, and with each host in a network namespace of its own
(tests/netns.py: its own loopback, a veth into a bridge whose address
is the only way to the database and the sink, its own host name), where
every command of a host (mq-send, mq-flush, bounce-ingest, bounce-sweep,
bounce-status) runs inside its namespace. Without CAP_SYS_ADMIN (or iproute2)
the namespace variant is skipped, saying why.
"""

from __future__ import annotations

import email
import itertools
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import Cli, command_path, message, pg_admin, smtp_config, tally
from ingest_support import Sent, make_dsn
from netns import Hosts, Unavailable
from pgcluster import PgCluster
from smtpserver import SmtpServer

from mailtools.outbound import verp
from mailtools.state import open_state

T0 = 1_800_000_000
PER_HOST = 40
SENDERS = ["host0", "host1", "host2"]
MX = "mx"


class Network:
    """Where the hosts run: ``address`` is where the shared database and SMTP sink listen."""

    def __init__(self, hosts: Hosts | None) -> None:
        self.hosts = hosts
        self.address = hosts.address if hosts else "127.0.0.1"

    def prefix(self, name: str) -> list[str]:
        return self.hosts.prefix(name) if self.hosts else []

    def address_of(self, name: str) -> str:
        """The address a host's connections come from."""
        return self.hosts.addresses[name] if self.hosts else "127.0.0.1"

    def host_name(self, name: str) -> str:
        """What a program on that host reports as its node name."""
        return f"{name}.example.net" if self.hosts else os.uname().nodename


@pytest.fixture(scope="module")
def namespaces() -> Iterator[Hosts]:
    try:
        hosts = Hosts.make([*SENDERS, MX])
    except Unavailable as exc:
        pytest.skip(f"hosts as network namespaces are not possible here ({exc}); the loopback variant runs")
    try:
        yield hosts
    finally:
        hosts.close()  # namespaces, veths and bridge, whatever the tests did


@pytest.fixture(scope="module")
def bridged_cluster(namespaces: Hosts) -> Iterator[PgCluster]:
    """A cluster of this module's own that listens on the bridge and trusts the hosts' subnet."""
    cluster = PgCluster(host=namespaces.address, clients=namespaces.subnet).init()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(params=["loopback", "netns"])
def network(request: pytest.FixtureRequest) -> Network:
    return Network(request.getfixturevalue("namespaces") if request.param == "netns" else None)


_names = itertools.count(1)


@pytest.fixture
def database(network: Network, request: pytest.FixtureRequest) -> Iterator[str]:
    """The installation's one database, at the address every host reaches."""
    if network.hosts is None:
        yield request.getfixturevalue("pg_database")
        return
    cluster = request.getfixturevalue("bridged_cluster")
    name = f"multihost{next(_names)}"
    pg_admin(cluster, f"CREATE DATABASE {name}")
    url = cluster.url(name)
    open_state(url).close()  # mailtools-db init
    yield url
    pg_admin(cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sink(network: Network) -> Iterator[SmtpServer]:
    server = SmtpServer(host=network.address).start()
    yield server
    server.stop()


class Installation:
    """Three sending hosts and an MX host, as configs over one database and one secret."""

    def __init__(self, root: Path, smtp: SmtpServer, url: str, network: Network) -> None:
        self.url = url
        self.network = network
        self.secret = root / "shared" / "secret"  # one file every host's config names
        self.secret.parent.mkdir()
        self.secret.write_text(os.urandom(32).hex() + "\n")
        self.secret.chmod(0o600)
        common = f'\n[bounce]\ndomain = "bounces.example.org"\nmax_bounce_count = 0\n\n[database]\nurl = "{url}"\n'
        self.hosts = []
        for name in SENDERS:
            config = smtp_config(root / f"{name}.toml", smtp.port, f'timeout = 10\nconnections = 2\n{common}',
                                 host=smtp.host)
            config.write_text(f'secret_file = "{self.secret}"\n' + config.read_text())
            (root / name / "spool").mkdir(parents=True)  # as mailtools-setup makes it on each host
            self.hosts.append(Cli(root / name / "spool", config, prefix=network.prefix(name)))
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
        procs = [subprocess.Popen([*h.prefix, command_path("mq-flush"), "--json"],
                                  env=dict(h.env, MAILTOOLS_NOW=str(now)),
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
        return subprocess.run([*self.network.prefix(MX), command_path("bounce-ingest")], input=raw, env=env,
                              capture_output=True, timeout=60)


    def hold_sweep_lock(self, host: str) -> subprocess.Popen:
        """A sweep's lock taken on ``host`` and held until its stdin closes (a sweep that runs long)."""
        holder = subprocess.Popen([*self.network.prefix(host), sys.executable, "-c", HOLDER, self.url, str(T0)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert holder.stdout.readline() == b"locked\n", holder.stderr.read()
        return holder


def eval_json(out: bytes) -> dict:
    import json

    return json.loads(out.decode().strip().splitlines()[-1])


HOLDER = """
import sys
from mailtools.bounces.policy import sweep_lock
from mailtools.state import open_state
state = open_state(sys.argv[1])
with sweep_lock(state, float(sys.argv[2])):
    print("locked", flush=True)
    sys.stdin.read()
state.close()
"""


@pytest.fixture
def installation(tmp_path: Path, sink: SmtpServer, database: str, network: Network) -> Installation:
    return Installation(tmp_path, sink, database, network)


def test_three_hosts_and_an_mx_host_work_as_one_installation(installation: Installation,
                                                             sink: SmtpServer) -> None:
    smtp = sink
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
    # each host's mail came from that host (its namespace's address when the hosts are namespaces)
    network = installation.network
    assert {(m.rcpt_tos[0][:2], m.peer) for m in smtp.messages if m.rcpt_tos[0][0] == "h"} == {
        (f"h{n}", network.address_of(name)) for n, name in enumerate(SENDERS)}
    where = "network namespaces" if network.hosts else "loopback"
    tally(f"multihost ({where}): messages from 3 flushers at once", len(smtp.messages))
    tally(f"multihost ({where}): duplicates", sum(n - 1 for n in delivered.values()))

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
    network = installation.network
    holder = installation.hold_sweep_lock("host0")  # a sweep running on host 0
    try:
        with psycopg.connect(installation.url, autocommit=True) as admin:  # it holds the lock over the network
            [(client,)] = admin.execute("SELECT client_addr::text FROM pg_stat_activity"
                                        " WHERE application_name = 'mailtools'").fetchall()
        assert client.split("/")[0] == network.address_of("host0")
        for host in installation.hosts[1:] + installation.hosts[:1]:
            done = host("bounce-sweep", now=T0)
            assert done.returncode == 0, done.stderr
            assert f"the sweep runs on {network.host_name('host0')} (pid {holder.pid}".encode() in done.stderr
            assert done.stdout == b""  # it did nothing
    finally:
        holder.stdin.close()  # the sweep ends: its lock goes with it
        assert holder.wait(timeout=30) == 0, holder.stderr.read()
        holder.stdout.close()
        holder.stderr.close()
    [summary] = installation.hosts[1].json_lines("bounce-sweep", now=T0)
    assert "disabled" in summary  # now host 1 sweeps


def test_a_named_secret_file_that_is_missing_is_a_config_error(installation: Installation) -> None:
    installation.secret.unlink()
    host = installation.hosts[0]
    installation.send(host, "a@example.net")  # queueing needs neither the secret nor the database
    done = host("mq-flush", now=T0)
    assert done.returncode == 78 and b"secret_file" in done.stderr
    assert not installation.secret.exists()  # never made anew by one host alone
