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
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from mailtools.outbound.envelope import dump, load

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("useradd"),
                                reason="needs root, runuser and useradd to create and become other users")
ORIGIN = "host.example.org"


@pytest.fixture(scope="module")
def system_venv() -> Iterator[Path]:
    """mailtools installed into a venv of Debian's python3, as a deployment has it.

    The Python running the tests may live under /root (pyenv), which no other
    user can enter: the commands that nobody and the service user run need an
    install of their own. The source is copied first so pip builds nothing in
    the work tree. About 7 s, once for this module.
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
        self.config.write_text(f'myorigin = "{ORIGIN}"\n\n[transport]\nhost = "127.0.0.1"\nport = {port}\n'
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
