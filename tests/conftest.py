"""Shared fixtures: a spool, a real SMTP server on loopback, the installed commands."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import smtpserver  # noqa: E402
from smtpserver import SmtpServer  # noqa: E402

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def command_path(name: str) -> str:
    """The installed console script (make test installs them into .venv)."""
    path = BIN / name
    return str(path) if path.exists() else str(ROOT / "bin" / name)


def spool_state(spool: Path | str, readonly: bool = False):
    """The state database of a spool (the test's PostgreSQL one when it runs on that), through the
    state layer's interface (closes with .close())."""
    from mailtools.state import db_path, open_state

    return open_state(DATABASE_URL or "sqlite:///" + db_path(str(spool)), readonly=readonly)


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def write_config(path: Path, text: str) -> Path:
    """Write a config; on PostgreSQL (``state_url``) it names the test's database."""
    path.write_text(text + (database_toml() if "[database]" not in text else ""))
    return path


def smtp_config(path: Path, port: int, more: str = "", host: str = "127.0.0.1") -> Path:
    """A config that delivers to a test SMTP server (on loopback unless ``host`` says), in the
    clear; ``more`` continues the [transport] table (more keys, then other tables)."""
    return write_config(path, f'[transport]\nhost = "{host}"\nport = {port}\nstarttls = "never"\n{more}')


def postfix_dsn_for(received: smtpserver.Received, recipient: str) -> bytes:
    """A real Postfix "user unknown" DSN bouncing ``received`` (a message mq-flush delivered
    to the test server) for ``recipient``: sent to its VERP address, quoting its Message-ID."""
    import email

    template = (ROOT / "tests" / "data" / "bounces" / "postfix" / "bounce_userunknown.eml").read_text()
    text = template.replace("nosuchuser@localhost", recipient).replace("dsnsink@localhost", received.mail_from)
    message_id = email.message_from_bytes(received.data)["Message-ID"]
    return text.replace("<userunknown.1795316926@pfx.test>", message_id).encode()


@pytest.fixture
def config_file(tmp_path: Path, smtp: SmtpServer, state_url: str | None) -> Path:
    return smtp_config(tmp_path / "mailtools.toml", smtp.port, """
timeout = 5

[bounce]
domain = "bounces.example.org"
""")


class Cli:
    """Runs the real commands as subprocesses against one spool and config; ``prefix`` runs
    them elsewhere (e.g. ``ip netns exec NS``: another host, tests/netns.py)."""

    def __init__(self, spool: Path, config: Path | None, prefix: list[str] | None = None) -> None:
        self.prefix = prefix or []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTOOLS_")}
        self.env["MAILTOOLS_SPOOL"] = str(spool)
        if config is not None:
            self.env["MAILTOOLS_CONFIG"] = str(config)

    def __call__(self, name: str, *args: str, input: bytes | str = b"", now: float | str | None = None,
                 env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        run_env = dict(self.env, **(env or {}))
        if now is not None:
            run_env["MAILTOOLS_NOW"] = str(now)
        data = input.encode() if isinstance(input, str) else input
        return subprocess.run([*self.prefix, command_path(name), *args], input=data, capture_output=True, env=run_env,
                              timeout=timeout)

    def json_lines(self, name: str, *args: str, **kwargs) -> list[dict]:
        done = self(name, *args, "--json", **kwargs)
        assert done.returncode == 0, done.stderr.decode()
        return [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]


@pytest.fixture
def cli(spool_dir: Path, config_file: Path) -> Cli:
    return Cli(spool_dir, config_file)


def message(subject: str = "hello", body: str = "Hello there.\n", **headers: str) -> bytes:
    lines = [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()] + [f"Subject: {subject}"]
    return ("\n".join(lines) + "\n\n" + body).encode()


def prose_bounce(body: str, subject: str = "Undelivered Mail Returned to Sender",
                 sender: str = "MAILER-DAEMON@mx.example.net", content_type: str = "text/plain") -> bytes:
    """A bounce that is not a DSN: *body* is the MTA's text (the readers' tests write one per MTA)."""
    return (f"From: Mail Delivery System <{sender}>\nTo: bounce-42-3f9a2c1d-7@lists.example.org\n"
            f"Subject: {subject}\nMIME-Version: 1.0\nContent-Type: {content_type}; charset=utf-8\n\n"
            f"{body}").encode()


WEBHOOK_SECRET = b"whsec-test-5f1d2c"


@pytest.fixture
def receiver() -> Iterator:
    """A platform's webhook receiver on loopback that checks signatures with README's example."""
    from httpreceiver import Receiver

    server = Receiver(WEBHOOK_SECRET)
    yield server
    server.close()


WEBHOOK_DOMAIN = "shop.example"  # the sending domain whose platform has the webhook


def webhook_key_file(tmp_path: Path, secret: bytes = WEBHOOK_SECRET) -> Path:
    """A platform's secret_file, as `echo $KEY > file` writes it (the newline is not part of the key)."""
    path = tmp_path / "shop.key"
    path.write_bytes(secret + b"\n")
    path.chmod(0o600)
    return path


def webhook_config(url: str, key: Path | None, timeout: float = 10):
    """A config whose platform WEBHOOK_DOMAIN posts to ``url``, signed with ``key`` when given."""
    from mailtools.config import parse_config

    settings = {"webhook": url} | ({"secret_file": str(key)} if key else {})
    return parse_config({"bounce": {"callback_timeout": timeout}, "platforms": {WEBHOOK_DOMAIN: settings}})


def record_hard_bounce(state, config, address: str = "ann+x/y@example.org", key: str = "k1",
                       when: float = 0) -> None:
    """A hard bounce of mail from WEBHOOK_DOMAIN, recorded: one webhook call queued."""
    import time

    from mailtools.bounces.records import BounceEvent, record_bounce

    event = BounceEvent(address, "42", "7", WEBHOOK_DOMAIN, "userunknown", "5.1.1", True, when or time.time(),
                        "<m1@shop.example>", key, "/spool/bounces/processed/x")
    assert record_bounce(state, event, config)


# -- the state database: every backend-aware test runs on SQLite and on PostgreSQL --------------------
#
# A test that uses ``state_url`` (directly, through ``config_file``/``cli``, or a module's
# ``pytestmark = pytest.mark.usefixtures("state_url")``) in a module that says
# ``BACKENDS = BOTH_BACKENDS`` runs once per backend: the param is ``backend``. (Other
# modules stay on SQLite: the whole suite twice would not fit make test's budget; a test
# can say ``@pytest.mark.backends("sqlite")``.) On PostgreSQL it gets a fresh database of
# one cluster that the session starts
# (tests/pgcluster.py: initdb into a temporary directory, its own port; stopped at the end), and
# every config written with ``write_config`` points at it. ``--backends=sqlite`` runs SQLite only.

from pgcluster import PgCluster  # noqa: E402

BOTH_BACKENDS = ("sqlite", "postgresql")
DATABASE_URL: str | None = None  # the current test's PostgreSQL database, for write_config and spool_state


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backends", default=",".join(BOTH_BACKENDS),
                     help="state backends the modules with BACKENDS = BOTH_BACKENDS run on (default both)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names): the state backends this test runs on")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        wanted = [b for b in metafunc.config.getoption("--backends").split(",") if b]
        marker = metafunc.definition.get_closest_marker("backends")
        names = marker.args if marker else getattr(metafunc.module, "BACKENDS", ("sqlite",))
        chosen = [b for b in names if b in wanted]
        metafunc.parametrize("backend", chosen, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One throw-away cluster for the session, with a template database that has the schema."""
    cluster = PgCluster().init()
    try:
        cluster.start()
        from mailtools.state import open_state

        template = cluster.createdb("mailtools_template")
        open_state(template).close()
        yield cluster
    finally:
        cluster.destroy()


def pg_admin(cluster: PgCluster, sql: str) -> None:
    """One statement as the superuser, outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


_databases = iter(range(1, 1 << 30))


@pytest.fixture
def pg_database(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh database with the schema (a copy of the template), dropped after the test."""
    name = f"t{next(_databases)}_{os.getpid()}"
    pg_admin(pg_cluster, f"CREATE DATABASE {name} TEMPLATE mailtools_template")
    yield pg_cluster.url(name)
    pg_admin(pg_cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def state_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None on SQLite (each spool's own file); on PostgreSQL the url every config of the test names."""
    global DATABASE_URL
    if backend == "sqlite":
        yield None
        return
    DATABASE_URL = request.getfixturevalue("pg_database")
    try:
        yield DATABASE_URL
    finally:
        DATABASE_URL = None


def database_toml() -> str:
    """The [database] table of the current test's configs ("" on SQLite)."""
    return f'\n[database]\nurl = "{DATABASE_URL}"\n' if DATABASE_URL else ""


def database_table() -> dict:
    """The same as a parse_config table: {"database": {"url": ...}} on PostgreSQL, else {}."""
    return {"database": {"url": DATABASE_URL}} if DATABASE_URL else {}


# -- helpers the test modules share (one place, not imported from one test module into another) ----
T0 = 1_800_000_000  # a fixed "now" (2027-01-15) for the commands, through MAILTOOLS_NOW


def send(cli: Cli, *rcpts: str, sender: str = "app@example.org", now: float = T0, extra=()) -> str:
    """``mq-send -f SENDER RCPT...`` of a small message; its queue id."""
    done = cli("mq-send", "-f", sender, *extra, *rcpts, input=message(), now=now)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().strip()


def flush(cli: Cli, *args: str, now: float = T0) -> dict:
    """``mq-flush --json``: its one summary line."""
    [summary] = cli.json_lines("mq-flush", *args, now=now)
    return summary


def rows(cli: Cli, *args: str) -> list[dict]:
    """``mq-list --state all --json``: one row per message and state."""
    return cli.json_lines("mq-list", "--state", "all", *args)


def enqueue(spool_dir: Path, config_file: Path, count: int) -> dict[str, str]:
    """``count`` one-recipient messages queued in-process (mq-send's own code, without 600 start-ups)."""
    from mailtools.config import load_config
    from mailtools.outbound.spool import Spool
    from mailtools.outbound.submit import submit

    config = load_config(str(config_file), str(spool_dir))
    spool = Spool(str(spool_dir))
    ids = {}
    for i in range(count):
        raw = f"From: app@example.org\nTo: r{i}@example.net\nSubject: {i}\n\nmessage {i}\n".encode()
        envelope = submit(config, spool, raw, "app@example.org", [f"r{i}@example.net"], now=time.time())
        ids[envelope.id] = f"r{i}@example.net"
    return ids


def assert_no_half_file(spool_dir: Path) -> None:
    """Every file in a state directory parses as a complete queue file."""
    from mailtools.outbound.envelope import load
    from mailtools.outbound.spool import STATES

    for state in STATES:
        for name in os.listdir(spool_dir / state):
            data = (spool_dir / state / name).read_bytes()
            queue_file = load(data)  # raises on a truncated envelope
            assert queue_file.message.endswith(b"\n"), f"{state}/{name} is cut short"


def flush_env(cli: Cli) -> dict[str, str]:
    """The command's environment with the real clock (a flusher that waits must see time pass)."""
    return {k: v for k, v in cli.env.items() if k != "MAILTOOLS_NOW"}


def ed25519_keys(tmp_path: Path) -> tuple[bytes, bytes]:
    """A DKIM ed25519 key: (private key file content, the DNS record's text)."""
    import base64

    import nacl.signing

    signing = nacl.signing.SigningKey.generate()
    return (base64.b64encode(bytes(signing)),
            b"v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(signing.verify_key)))


# -- the figures the reliability tests report, printed at the end of the run ------------------------
FIGURES: collections.Counter = collections.Counter()


def tally(key: str, amount: float = 1, quiet: bool = False) -> None:
    """Add to one of the figures pytest's terminal summary prints ("reliability figures")."""
    FIGURES[key] += amount
    if not quiet:
        print(f"[reliability] {key} += {amount}")


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest's TerminalReporter
    if FIGURES:
        terminalreporter.section("reliability figures")
        for key in sorted(FIGURES):
            value = FIGURES[key]
            terminalreporter.write_line(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")


# -- real other users (tests/test_nonroot_callers.py and every test that needs a caller who is not the
#    spool's owner): a spool made by the real scripts/mailtools-setup, commands run with runuser ---------
needs_other_users = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("useradd"),
    reason="needs root, runuser and useradd to create and become other users")
NONROOT_ORIGIN = "host.example.org"


@pytest.fixture(scope="session")
def system_venv() -> Iterator[Path]:
    """mailtools installed into a venv of Debian's python3, as a deployment has it.

    The Python running the tests may live under /root (pyenv), which no other
    user can enter: the commands that nobody and the service user run need an
    install of their own. The source is copied first so pip builds nothing in
    the work tree. About 7 s, once per test run.
    """
    python = Path("/usr/bin/python3")
    if not python.exists() or subprocess.run([python, "-c", "import venv, ensurepip"]).returncode:
        pytest.skip("needs Debian's python3 with venv (apt-get install python3-venv)")
    base = Path(tempfile.mkdtemp(prefix="mailtools-venv-", dir="/var/tmp"))
    base.chmod(0o755)
    try:
        src = base / "src"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", ".ruff_cache",
            ".hypothesis", "demo", "bench"))
        umask = lambda: os.umask(0o022)  # noqa: E731 - every user must read the install
        subprocess.run([python, "-m", "venv", base / "venv"], check=True, preexec_fn=umask, capture_output=True)
        pip = subprocess.run([base / "venv" / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check",
                              src], preexec_fn=umask, capture_output=True, timeout=600)
        assert pip.returncode == 0, pip.stderr.decode()[-2000:]
        yield base / "venv" / "bin"
    finally:
        shutil.rmtree(base, ignore_errors=True)


class Installation:
    """A spool as mailtools-setup makes it, a config every user can read, and who runs what."""

    def __init__(self, base: Path, service: str, port: int, bindir: Path) -> None:
        self.base, self.service, self.bindir = base, service, bindir
        self.spool = base / "spool"
        self.config = base / "mailtools.toml"
        self.config.write_text(f'myorigin = "{NONROOT_ORIGIN}"\n\n[transport]\nhost = "127.0.0.1"\nport = {port}\n'
                               'starttls = "never"\ntimeout = 5\n\n[bounce]\ndomain = "bounces.example.org"\n')
        self.config.chmod(0o644)

    def run(self, user: str, name: str, *args: str, input: bytes = b"", umask: str = "022"
            ) -> subprocess.CompletedProcess:
        """The installed command as ``user``, in a clean environment as cron or PHP-FPM gives one."""
        script = f'umask {umask}; exec "$@"'
        argv = ["runuser", "-u", user, "--", "env", "-i", "PATH=/usr/bin:/bin", f"MAILTOOLS_SPOOL={self.spool}",
                f"MAILTOOLS_CONFIG={self.config}", "sh", "-c", script, "sh", str(self.bindir / name), *args]
        return subprocess.run(argv, input=input, capture_output=True, timeout=60, cwd="/")


def _new_user(prefix: str) -> str:
    name = f"{prefix}{os.urandom(3).hex()}"
    subprocess.run(["useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                    name], check=True, capture_output=True)
    return name


@pytest.fixture
def installation(smtp, system_venv: Path) -> Iterator[Installation]:  # noqa: ANN001 - the smtp fixture
    # Under /var/tmp, not pytest's tmp_path: /tmp/pytest-of-root is 0700, which no other user can pass.
    base = Path(tempfile.mkdtemp(prefix="mailtools-nonroot-", dir="/var/tmp"))
    base.chmod(0o755)
    service = f"mts{os.urandom(3).hex()}"
    made: list[str] = []
    try:
        setup = subprocess.run([str(ROOT / "scripts" / "mailtools-setup"), "--user", service,
                                "--home", str(base / "home"), "--spool", str(base / "spool"),
                                "--ingest", str(system_venv / "bounce-ingest")], capture_output=True, timeout=120)
        assert setup.returncode == 0, setup.stderr.decode()
        made.append(service)
        yield Installation(base, service, smtp.port, system_venv)
    finally:
        for user in made:
            subprocess.run(["userdel", user], capture_output=True)
        subprocess.run(["groupdel", service], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def login_user() -> Iterator[str]:
    """A user with a crontab: no business in the spool, umask 077."""
    name = _new_user("mtu")
    yield name
    subprocess.run(["userdel", name], capture_output=True)


# -- a real full disk: a 2 MB tmpfs the test fills (root only) ------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path) -> Path:
    """Take every free block of the tmpfs; returns the filler to delete when space should return."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler
