"""A real Postfix for the end-to-end tests, and a service user's mailtools install.

The machine's Postfix is taken over for one test session: installed from Debian's
packages when missing, configured with ``postconf`` for loopback only (everything
non-local bounces through ``error:``, so nothing leaves the machine), started with
``postfix start`` and, at the end, stopped, its main.cf and master.cf put back, the
queue files the session made removed, and started again only if it ran before.

The service user is made by ``scripts/mailtools-setup``, the same step an
administrator runs, so that script is tested here too.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import smtplib
import stat
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO / "scripts" / "mailtools-setup"

SERVICE_USER = "mailtools"
SERVICE_HOME = Path("/var/lib/mailtools")
ALIAS_DIR = SERVICE_HOME / "e2e"
ALIAS_FILE = ALIAS_DIR / "aliases"
PROBE_OUT = ALIAS_DIR / "probe.out"
SPOOL = Path("/var/spool/mailtools-e2e")

E2E_ROOT = Path("/opt/mailtools-e2e")  # root-owned, world-readable: the service user's install
VENV = E2E_ROOT / "venv"
ETC = E2E_ROOT / "etc"
SYSTEM_PYTHON = Path("/usr/bin/python3")

MAILLOG = Path("/var/log/postfix-e2e.log")
BACKUP = Path("/var/tmp/mailtools-e2e-backup")
LOCK = Path("/var/tmp/mailtools-e2e.lock")

POSTFIX = "/usr/sbin/postfix"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"  # util-linux: essential on Debian
POSTFIX_SENDMAIL = "/usr/sbin/sendmail"
COMMANDS = (
    "mq-send", "mq-flush", "mq-list", "mq-ctl",
    "bounce-ingest", "bounce-sweep", "bounce-status", "bounce-enable",
)
# The recipient whose mail smtpd puts on hold (test of the pipe's exit 75).
HOLD_RECIPIENT = "heldnobody@localhost"
REMOTE_ERROR = "error:5.7.1 the mailtools e2e Postfix sends nothing off this machine"
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold", "corrupt")


class CommandFailed(AssertionError):
    pass


def run(argv, *, check=True, timeout=120, **kw) -> subprocess.CompletedProcess:
    """Run argv, capture text output; on failure raise with everything it printed."""
    argv = [str(a) for a in argv]
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and cp.returncode != 0:
        raise CommandFailed(
            f"{' '.join(argv)} exited {cp.returncode}\n"
            f"--- stdout\n{cp.stdout}--- stderr\n{cp.stderr}"
        )
    return cp


def wait_for(predicate, *, timeout, what, interval=0.1):
    """Poll predicate() until it returns something true; return that, or fail after timeout.

    `what` names the wait; when it is callable it is called on failure (e.g. a log tail).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0): look at its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def is_root() -> bool:
    return os.geteuid() == 0


def postfix_installed() -> bool:
    return Path(POSTFIX).exists() and shutil.which("postconf", path="/usr/sbin:/usr/bin") is not None


def apt_install(packages) -> None:
    """Install Debian packages without questions; Postfix as "Local only"."""
    preseed = (
        "postfix postfix/main_mailer_type select Local only\n"
        "postfix postfix/mailname string localhost\n"
    )
    run(["debconf-set-selections"], input=preseed)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-q"], env=env, timeout=600)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], env=env, timeout=900)


def missing_packages() -> list[str]:
    wanted = []
    if not postfix_installed():
        wanted.append("postfix")
    if not SYSTEM_PYTHON.exists():
        wanted += ["python3", "python3-venv"]
    elif run([SYSTEM_PYTHON, "-c", "import ensurepip, venv"], check=False).returncode:
        wanted.append("python3-venv")  # Debian's python3 has venv without ensurepip
    return wanted


@contextlib.contextmanager
def session_lock(timeout=300):
    """One e2e session per machine at a time: they all take over the same Postfix."""
    with open(LOCK, "w") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"another e2e session holds {LOCK} for more than {timeout} s") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Postfix:
    """The machine's Postfix, configured for the tests and put back afterwards."""

    def __init__(self):
        self.config_dir = Path(run(["postconf", "-h", "config_directory"]).stdout.strip())
        self.queue_dir = Path(run(["postconf", "-h", "queue_directory"]).stdout.strip())
        self.was_running = False
        self.queue_before: set[str] = set()

    # -- lifecycle -----------------------------------------------------------------
    def take_over(self) -> None:
        """Back up main.cf/master.cf (or restore an earlier crashed run's backup first)."""
        state = BACKUP / "state.json"
        if state.exists():
            # A previous session died before putting things back: its backup is the original.
            self.stop()
            self._restore_files()
            self.was_running = json.loads(state.read_text())["was_running"]
        else:
            self.was_running = self.running()
            if self.was_running:
                self.stop()
            BACKUP.mkdir(mode=0o700, parents=True, exist_ok=True)
            for name in ("main.cf", "master.cf"):
                shutil.copy2(self.config_dir / name, BACKUP / name)
            state.write_text(json.dumps({"was_running": self.was_running}))
        self.queue_before = self.queue_ids()

    def give_back(self) -> None:
        """Stop, drop this session's queue files, restore the config, restart if it ran before."""
        self.stop()
        new = sorted(self.queue_ids() - self.queue_before)
        for queue_id in new:
            run(["postsuper", "-d", queue_id], check=False)
        self._restore_files()
        shutil.rmtree(BACKUP, ignore_errors=True)
        if self.was_running:
            run([POSTFIX, "start"], check=False)

    def _restore_files(self) -> None:
        for name in ("main.cf", "master.cf"):
            if (BACKUP / name).exists():
                shutil.copy2(BACKUP / name, self.config_dir / name)  # keeps the old mtime

    def running(self) -> bool:
        return run([POSTFIX, "status"], check=False).returncode == 0

    def start(self) -> None:
        run([POSTFIX, "start"])
        wait_for(self.banner, timeout=10, what="an SMTP banner on 127.0.0.1:25")

    def stop(self) -> None:
        if self.running():
            pid = self.master_pid()
            run([POSTFIX, "stop"], check=False)
            wait_for(lambda: not self.running(), timeout=15, what="Postfix to stop")
            # "postfix status" goes by master.pid's lock, which the master drops before it exits.
            wait_for(lambda: not pid_alive(pid), timeout=15, what=f"Postfix's master (pid {pid}) to exit")

    def master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def reload(self) -> None:
        run([POSTFIX, "reload"])

    # -- configuration ---------------------------------------------------------------
    def postconf(self, *args, **params) -> None:
        """postconf ARGS, or postconf -e NAME=VALUE...; then let Postfix read it at once."""
        run(["postconf", *(args or ["-e", *(f"{k} = {v}" for k, v in params.items())])])
        self.settle()

    def settle(self) -> None:
        # Postfix programs wait until main.cf/master.cf are two seconds old before they
        # read them (a file being edited). The harness is the only writer: backdate them.
        then = time.time() - 5
        for name in ("main.cf", "master.cf"):
            os.utime(self.config_dir / name, (then, then))

    def get(self, param: str) -> str:
        return run(["postconf", "-h", param]).stdout.strip()

    def configure_base(self) -> None:
        """Loopback only, local delivery only, unknown local users accepted at SMTP time."""
        self.postconf(
            myhostname="localhost",
            myorigin="$myhostname",
            mydestination="localhost, localhost.localdomain",
            inet_interfaces="127.0.0.1",
            inet_protocols="ipv4",
            mynetworks="127.0.0.0/8",
            relayhost="",
            default_transport=REMOTE_ERROR,
            relay_transport=REMOTE_ERROR,
            # Accept unknown local users in the SMTP session, so local(8) writes a DSN.
            local_recipient_maps="",
            recipient_delimiter="-",
            # mailtools-setup --postconf appends the service user's map to these.
            alias_maps="hash:/etc/aliases",
            alias_database="hash:/etc/aliases",
            # No init system and no /dev/log here: Postfix logs to its own file.
            maillog_file=str(MAILLOG),
            smtpd_recipient_restrictions=f"check_recipient_access inline:{{ {HOLD_RECIPIENT}=HOLD }}",
            biff="no",
            mailbox_size_limit="0",
        )
        # Debian runs the daemons chrooted; there is nothing set up in the chroot here.
        self.postconf("-F", "*/*/chroot = n")
        if not Path("/etc/aliases.db").exists():
            if not Path("/etc/aliases").exists():
                Path("/etc/aliases").write_text("postmaster: root\n")
            run(["postalias", "/etc/aliases"])

    @contextlib.contextmanager
    def changed(self, set_params=None, default_params=()):
        """Change parameters (set, or back to Postfix's default) for a block, reloading."""
        saved = {p: self.get(p) for p in [*(set_params or {}), *default_params]}
        if set_params:
            self.postconf(**set_params)
        if default_params:
            self.postconf("-X", *default_params)
        self.reload()
        try:
            yield
        finally:
            self.postconf(**saved)
            self.reload()

    # -- looking at it ------------------------------------------------------------------
    def banner(self) -> str | None:
        """The SMTP greeting on 127.0.0.1:25, or None while nothing answers."""
        s = smtplib.SMTP(timeout=5)
        try:
            code, msg = s.connect("127.0.0.1", 25)
            return msg.decode(errors="replace") if code == 220 else None
        except OSError:
            return None
        finally:
            s.close()

    def rcpt_reply(self, rcpt: str, sender: str = "probe@localhost") -> tuple[int, str]:
        """What smtpd answers now to RCPT TO:<rcpt> (the session is reset, nothing is sent)."""
        with smtplib.SMTP("127.0.0.1", 25, timeout=10) as s:
            s.ehlo("localhost")
            s.mail(sender)
            code, msg = s.rcpt(rcpt)
            s.rset()
            return code, msg.decode(errors="replace")

    def queue(self) -> list[dict]:
        out = run(["postqueue", "-j"]).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def find_in_queue(self, *, queue_name: str, rcpt_prefix: str, null_sender=False) -> dict | None:
        """The first queued message in queue_name with a recipient starting with rcpt_prefix."""
        for m in self.queue():
            if m["queue_name"] != queue_name:
                continue
            if null_sender and m.get("sender") not in ("", "MAILER-DAEMON"):
                continue
            if any(r["address"].startswith(rcpt_prefix) for r in m["recipients"]):
                return m
        return None

    def release(self, queue_id: str) -> None:
        """Take a message off hold and deliver it now (released mail waits in deferred)."""
        run(["postsuper", "-H", queue_id])
        run(["postqueue", "-i", queue_id])

    def queue_ids(self) -> set[str]:
        ids = set()
        for name in QUEUES:
            base = self.queue_dir / name
            if base.is_dir():
                ids.update(p.name for p in base.rglob("*") if p.is_file())
        return ids

    def log_tail(self, lines: int = 40) -> str:
        if not MAILLOG.exists():
            return f"({MAILLOG} does not exist)"
        return "\n".join(MAILLOG.read_text(errors="replace").splitlines()[-lines:])


def setup_service_user(postfix: Postfix, *, extra_aliases: dict[str, str]) -> str:
    """Run scripts/mailtools-setup as an administrator would; add test-only aliases."""
    out = run([
        "bash", SETUP_SCRIPT,
        "--user", SERVICE_USER, "--home", SERVICE_HOME, "--spool", SPOOL,
        "--aliases", ALIAS_FILE, "--ingest", VENV / "bin" / "bounce-ingest",
        "--config", ETC / "smtp.toml", "--postconf",
    ]).stdout
    postfix.settle()
    text = ALIAS_FILE.read_text()
    for name, value in extra_aliases.items():
        if f"\n{name}:" not in text:
            text += f"{name}: {value}\n"
    ALIAS_FILE.write_text(text)  # the file stays the service user's: written in place
    run([RUNUSER, "-u", SERVICE_USER, "--", "postalias", ALIAS_FILE])
    return out


def write_configs() -> dict[str, Path]:
    """mailtools configs for the tests: SMTP to the local Postfix, or its sendmail."""
    ETC.mkdir(parents=True, exist_ok=True)
    common = f'spool = "{SPOOL}"\n\n[bounce]\ndomain = "localhost"\n'
    configs = {
        "smtp": '[transport]\nkind = "smtp"\nhost = "127.0.0.1"\nport = 25\nstarttls = "never"\n',
        "sendmail": f'[transport]\nkind = "sendmail"\nsendmail_path = "{POSTFIX_SENDMAIL}"\n',
    }
    paths = {}
    for name, transport in configs.items():
        path = ETC / f"{name}.toml"
        path.write_text(common + "\n" + transport)
        path.chmod(0o644)
        paths[name] = path
    return paths


def install_mailtools() -> Path:
    """A venv from Debian's python3 with the repo installed, as a deployment would have.

    The Python that runs the tests may live under /root, which the service user cannot
    enter, so the commands it runs (and Postfix's pipe) need this install of their own.
    """
    if not (VENV / "bin" / "python").exists():
        run([SYSTEM_PYTHON, "-m", "venv", VENV], preexec_fn=lambda: os.umask(0o022))
    src = E2E_ROOT / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(
        REPO, src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist",
            ".pytest_cache", ".ruff_cache", ".hypothesis", "demo", "bench"),
    )
    run([VENV / "bin" / "pip", "install", "--quiet", "--upgrade", src],
        preexec_fn=lambda: os.umask(0o022), timeout=600)
    missing = [c for c in COMMANDS if not (VENV / "bin" / c).exists()]
    if missing:
        raise AssertionError(f"pip install of the repo made no console script for: {', '.join(missing)}")
    return VENV


class Service:
    """The installed mailtools commands, run as the service user (as cron or Postfix would)."""

    def __init__(self, venv: Path, configs: dict[str, Path]):
        self.venv = venv
        self.configs = configs

    def run(self, command: str, *args, config="smtp", input=None, env=None, check=True,
            timeout=60) -> subprocess.CompletedProcess:
        """`command --spool SPOOL --config CONFIG args...` as the service user, clean env."""
        argv = [RUNUSER, "-u", SERVICE_USER, "--", self.venv / "bin" / command,
                "--spool", SPOOL, "--config", self.configs[config], *args]
        return run(argv, input=input, check=check, timeout=timeout, env=self.env(env), cwd="/")

    def env(self, extra=None) -> dict[str, str]:
        # runuser sets HOME, SHELL, USER and LOGNAME; nothing of the test process leaks in.
        return {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8", **(extra or {})}

    @staticmethod
    def json_lines(cp: subprocess.CompletedProcess) -> list[dict]:
        return [json.loads(line) for line in cp.stdout.splitlines() if line.strip()]

    def bounce_record(self, address: str) -> dict | None:
        rows = [r for r in self.json_lines(self.run("bounce-status", "--json", address))
                if r.get("address", "").lower() == address.lower()]
        return rows[0] if rows else None

    def wait_for_hard_bounce(self, address: str, *, timeout=20, log=lambda: "") -> dict:
        """Poll bounce-status until it shows a hard bounce for address; log() explains a timeout."""
        return wait_for(
            lambda: (r := self.bounce_record(address)) and r.get("hard_bounces", 0) >= 1 and r,
            timeout=timeout, interval=0.05,
            what=lambda: f"bounce-status to show a hard bounce for {address}\n{log()}")


@contextlib.contextmanager
def read_only(top: Path):
    """Take every write bit off a tree (as a full disk or a bad mount would), then put them back."""
    modes = {}
    for path in [top, *top.rglob("*")]:
        if path.is_symlink():
            continue
        modes[path] = stat.S_IMODE(path.stat().st_mode)
        path.chmod(modes[path] & ~0o222)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
