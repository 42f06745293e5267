"""mailtools deployed as an administrator would, for the e2e suite: the commands and manual
pages installed and a service user made by ``scripts/mailtools-setup --install-to`` (so
that script and scripts/install-mailtools are tested too), and configs that point at the
tests' Postfix instance.

The service user is the suite's own (``mailtools_e2e``, with its own home and spool), so a
``mailtools`` user of a real deployment on the same machine is never touched.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import stat
import subprocess
from pathlib import Path

from .postfix_instance import PostfixInstance, run, wait_for

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO / "scripts" / "mailtools-setup"

SERVICE_USER = "mailtools_e2e"  # no "-": that is the recipient_delimiter
SERVICE_HOME = Path("/var/lib/mailtools-e2e")
ALIAS_FILE = SERVICE_HOME / "aliases"
PROBE_OUT = SERVICE_HOME / "probe.out"
SPOOL = Path("/var/spool/mailtools-e2e")

E2E_ROOT = Path("/opt/mailtools-e2e")  # root-owned, world-readable: the service user's install
BIN = E2E_ROOT / "bin"  # as /usr/local/bin after make install
VENV = E2E_ROOT / "lib" / "mailtools"
MAN = E2E_ROOT / "share" / "man"
ETC = E2E_ROOT / "etc"
SYSTEM_PYTHON = Path("/usr/bin/python3")
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"  # util-linux: essential on Debian
COMMANDS = (
    "mq-send", "mq-flush", "mq-list", "mq-ctl",
    "bounce-ingest", "bounce-sweep", "bounce-status", "bounce-enable",
)


def missing_packages(postfix_installed: bool) -> list[str]:
    wanted = [] if postfix_installed else ["postfix"]
    if not SYSTEM_PYTHON.exists():
        wanted += ["python3", "python3-venv"]
    elif run([SYSTEM_PYTHON, "-c", "import ensurepip, venv"], check=False).returncode:
        wanted.append("python3-venv")  # Debian's python3 has venv without ensurepip
    return wanted


def ensure_group(name: str) -> None:
    """A system group, as mailtools-setup makes it (it keeps one that exists)."""
    if run(["getent", "group", name], check=False).returncode != 0:
        run(["groupadd", "--system", name])


def setup_service_user(instance: PostfixInstance, *, extra_aliases: dict[str, str], install: bool = False) -> str:
    """Run scripts/mailtools-setup as an administrator of that instance would; add test-only aliases.

    With install, it first installs the commands and manual pages under E2E_ROOT: the
    Python that runs the tests may live under /root, which the service user cannot enter,
    so the commands it runs (and Postfix's pipe) need an install of their own.
    """
    out = run([
        "bash", SETUP_SCRIPT,
        "--user", SERVICE_USER, "--home", SERVICE_HOME, "--spool", SPOOL, "--aliases", ALIAS_FILE,
        "--ingest", BIN / "bounce-ingest", "--config", ETC / "smtp.toml",
        "--postconf", "--postfix-config", instance.config_dir,
        *(["--install-to", E2E_ROOT] if install else []),
    ], timeout=600).stdout
    instance.settle()
    text = ALIAS_FILE.read_text()
    for name, value in extra_aliases.items():
        if f"\n{name}:" not in text:
            text += f"{name}: {value}\n"
    ALIAS_FILE.write_text(text)  # the file stays the service user's: written in place
    run([RUNUSER, "-u", SERVICE_USER, "--", "postalias", "-c", instance.config_dir, ALIAS_FILE])
    return out


def write_configs(instance: PostfixInstance) -> dict[str, Path]:
    """mailtools configs: SMTP to the instance's accepting or strict smtpd, or its sendmail."""
    ETC.mkdir(parents=True, exist_ok=True)
    common = f'spool = "{SPOOL}"\n\n[bounce]\ndomain = "localhost"\n'

    def smtp(port: int) -> str:
        return f'[transport]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {port}\nstarttls = "never"\n'

    transports = {
        "smtp": smtp(instance.smtp_port),
        "strict": smtp(instance.strict_port),
        "sendmail": f'[transport]\nkind = "sendmail"\nsendmail_path = "{instance.sendmail}"\n',
    }
    paths = {}
    for name, transport in transports.items():
        path = ETC / f"{name}.toml"
        path.write_text(common + "\n" + transport)
        path.chmod(0o644)
        paths[name] = path
    return paths


def installed_commands() -> list[str]:
    """The commands install-mailtools linked into BIN; fails when one is missing."""
    missing = [c for c in COMMANDS if not (BIN / c).exists()]
    if missing:
        raise AssertionError(f"mailtools-setup --install-to made no {BIN}/ command for: {', '.join(missing)}")
    return sorted(p.name for p in BIN.iterdir())


class Service:
    """The installed mailtools commands, run as the service user (as cron or Postfix would)."""

    def __init__(self, bin_dir: Path, configs: dict[str, Path]):
        self.bin = bin_dir
        self.configs = configs

    def run(self, command: str, *args, config="smtp", input=None, env=None, check=True,
            timeout=60) -> subprocess.CompletedProcess:
        """`command --spool SPOOL --config CONFIG args...` as the service user, clean env."""
        argv = [RUNUSER, "-u", SERVICE_USER, "--", self.bin / command,
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
