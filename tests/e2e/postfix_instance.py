"""A Postfix instance of the tests' own, beside (never instead of) the machine's Postfix.

Everything the instance is lives under one directory (``ROOT``): its config directory
(main.cf and master.cf written here from scratch, every parameter the tests rely on set
explicitly, so nothing in /etc/postfix can change a result), queue, data, mail spool and
log. It listens on loopback only, on two ports picked free at start (none of them 25),
and is started with ``postfix -c DIR start`` and stopped with ``postfix -c DIR stop``.
/etc/postfix is never written, and the machine's Postfix is never stopped, started or
reloaded: ``SystemPostfix`` takes its fingerprint before and after, and the suite fails
when they differ.

Why ``command_directory`` and ``setgid_group`` are the instance's own: postdrop (run by
sendmail) and postqueue are set-gid programs, and Postfix lets a set-gid program run by
anyone but root use a non-default config directory only when the *default* main.cf lists
it in ``alternate_config_directories``: which would mean editing /etc/postfix. A set-gid
program whose group is the caller's own group is not running with borrowed rights, so
Postfix trusts its environment. The instance's postdrop and postqueue are therefore
copies set-gid to ``setgid_group``, the service user's own group, and the service user's
``sendmail`` is a wrapper that sets ``MAIL_CONFIG`` (``sendmail -C`` is for root only).

Installing Postfix when it is missing is done from Debian's packages, answering debconf's
question with "No configuration": the package's own main.cf is not needed here.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import smtplib
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path("/opt/mailtools-e2e/postfix")
LOCK = Path("/var/tmp/mailtools-e2e.lock")

POSTFIX = "/usr/sbin/postfix"
SYSTEM_SENDMAIL = "/usr/sbin/sendmail"
SYSTEM_CONFIG = Path("/etc/postfix")
# Postfix's queue subdirectories that hold messages.
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold", "corrupt")
# The recipient whose mail smtpd puts on hold (test of the pipe's exit 75).
HOLD_RECIPIENT = "heldnobody@localhost"
REMOTE_ERROR = "error:5.7.1 the mailtools e2e Postfix sends nothing off this machine"


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
        # A zombie still answers kill(0): look at its state.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def is_root() -> bool:
    return os.geteuid() == 0


def postfix_installed() -> bool:
    return Path(POSTFIX).exists() and shutil.which("postconf", path="/usr/sbin:/usr/bin") is not None


def apt_install(packages) -> None:
    """Install Debian packages without questions; Postfix with "No configuration"."""
    run(["debconf-set-selections"], input="postfix postfix/main_mailer_type select No configuration\n")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-q"], env=env, timeout=600)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], env=env, timeout=900)


def free_port() -> int:
    """A TCP port nothing listens on now on 127.0.0.1 (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def session_lock(timeout=300):
    """One session per machine at a time: e2e and bench share ROOT and the service user."""
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


def queue_ids(queue_dir: Path) -> set[str]:
    ids = set()
    for name in QUEUES:
        base = queue_dir / name
        if base.is_dir():
            ids.update(p.name for p in base.rglob("*") if p.is_file())
    return ids


def master_cf(smtp_port: int, strict_port: int) -> str:
    """Every service the tests use, none chrooted (there is no chroot set up here)."""
    services = [
        # Accepts unknown local users, so local(8) writes a DSN for them (the bounce path).
        f"127.0.0.1:{smtp_port} inet n - n - - smtpd -o local_recipient_maps=",
        # main.cf's local_recipient_maps: unknown local users are refused at RCPT.
        f"127.0.0.1:{strict_port} inet n - n - - smtpd",
        "pickup unix n - n 60 1 pickup",
        "cleanup unix n - n - 0 cleanup",
        "qmgr unix n - n 300 1 qmgr",
        "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce",
        "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce",
        "verify unix - - n - 1 verify",
        "flush unix n - n 1000? 0 flush",
        "proxymap unix - - n - - proxymap",
        "smtp unix - - n - - smtp",
        "relay unix - - n - - smtp",
        "showq unix n - n - - showq",
        "error unix - - n - - error",
        "retry unix - - n - - error",
        "discard unix - - n - - discard",
        "local unix - n n - - local",
        "anvil unix - - n - 1 anvil",
        "scache unix - - n - 1 scache",
        "postlog unix-dgram n - n - 1 postlogd",
    ]
    return "# written by tests/e2e/postfix_instance.py\n" + "\n".join(services) + "\n"


class PostfixInstance:
    """The tests' Postfix: created fresh under ROOT, started, inspected, stopped."""

    def __init__(self, root: Path = ROOT, *, setgid_group: str = "postdrop"):
        self.root = root
        self.setgid_group = setgid_group
        self.config_dir = root / "etc"
        self.queue_dir = root / "queue"
        self.data_dir = root / "data"
        self.command_dir = root / "sbin"
        self.mail_dir = root / "mail"
        self.maillog = root / "maillog"
        self.aliases = self.config_dir / "aliases"
        self.sendmail = root / "sendmail"  # the instance's sendmail for any caller
        self.smtp_port = 0
        self.strict_port = 0

    # -- creation ------------------------------------------------------------------------
    def main_cf(self) -> dict[str, str]:
        return {
            "compatibility_level": "3.6",
            "config_directory": str(self.config_dir),
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "command_directory": str(self.command_dir),
            "daemon_directory": "/usr/lib/postfix/sbin",
            "shlib_directory": "/usr/lib/postfix",
            "meta_directory": "/etc/postfix",  # Debian's postfix-files and dynamicmaps.cf, only read
            "mail_owner": "postfix",
            "setgid_group": self.setgid_group,
            "syslog_name": "postfix-e2e",
            # No init system and no /dev/log needed: the instance logs to its own file.
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.root),
            "myhostname": "localhost",
            "mydomain": "localdomain",
            "myorigin": "$myhostname",
            "mydestination": "localhost, localhost.localdomain",
            "append_dot_mydomain": "no",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "relayhost": "",
            # Nothing leaves the machine: every non-local address is refused or bounced.
            "default_transport": REMOTE_ERROR,
            "relay_transport": REMOTE_ERROR,
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": f"check_recipient_access inline:{{ {HOLD_RECIPIENT}=HOLD }}",
            "smtpd_reject_unlisted_recipient": "yes",
            "local_recipient_maps": "unix:passwd.byname $alias_maps",
            "unknown_local_recipient_reject_code": "550",
            "recipient_delimiter": "-",
            # mailtools-setup --postconf appends the service user's map to these.
            "alias_maps": f"hash:{self.aliases}",
            "alias_database": f"hash:{self.aliases}",
            "allow_mail_to_commands": "alias",
            "default_privs": "nobody",
            # Local mailboxes in the instance's own directory; no user's .forward or mailbox_command.
            "mail_spool_directory": str(self.mail_dir),
            "home_mailbox": "",
            "mailbox_command": "",
            "forward_path": "",
            "mailbox_size_limit": "0",
            "biff": "no",
            "smtpd_banner": "$myhostname ESMTP",
        }

    def create(self) -> None:
        """A fresh instance: whatever an earlier session left under ROOT is stopped and removed."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        for d in (self.root, self.config_dir, self.command_dir, self.queue_dir):
            d.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700)
        shutil.chown(self.data_dir, "postfix")  # master.lock is made by the mail_owner
        self.mail_dir.mkdir(mode=0o755)  # not world-writable: local(8) creates mailboxes as root
        self.smtp_port, self.strict_port = free_port(), free_port()
        while self.strict_port == self.smtp_port:
            self.strict_port = free_port()
        (self.config_dir / "main.cf").write_text(
            "# written by tests/e2e/postfix_instance.py\n"
            + "".join(f"{k} = {v}\n" for k, v in self.main_cf().items()))
        (self.config_dir / "master.cf").write_text(master_cf(self.smtp_port, self.strict_port))
        self.aliases.write_text("postmaster: root\n")
        self._commands()
        self.sendmail.write_text(
            "#!/bin/sh\n# The e2e Postfix instance's sendmail (sendmail -C is for root only).\n"
            f"MAIL_CONFIG={self.config_dir}; export MAIL_CONFIG\nexec {SYSTEM_SENDMAIL} \"$@\"\n")
        self.sendmail.chmod(0o755)
        run(["postalias", "-c", self.config_dir, self.aliases])
        # "postfix check" creates the queue's directories with their owners and modes, so
        # postdrop can leave mail in maildrop/ before the instance first starts.
        run([POSTFIX, "-c", self.config_dir, "check"])
        self.settle()

    def _commands(self) -> None:
        """The instance's command_directory: Postfix's commands, its own set-gid pair (see top)."""
        for path in Path("/usr/sbin").glob("post*"):
            (self.command_dir / path.name).symlink_to(path)
        (self.command_dir / "sendmail").symlink_to(SYSTEM_SENDMAIL)
        for name in ("postdrop", "postqueue"):
            target = self.command_dir / name
            target.unlink()
            shutil.copy(f"/usr/sbin/{name}", target)
            shutil.chown(target, "root", self.setgid_group)
            target.chmod(0o2555)

    def settle(self) -> None:
        # Postfix programs wait until main.cf/master.cf are two seconds old before they
        # read them (a file being edited). The harness is the only writer: backdate them.
        then = time.time() - 5
        for name in ("main.cf", "master.cf"):
            os.utime(self.config_dir / name, (then, then))

    def postconf(self, **params: str) -> None:
        run(["postconf", "-c", self.config_dir, "-e", *(f"{k} = {v}" for k, v in params.items())])
        self.settle()

    def get(self, param: str) -> str:
        return run(["postconf", "-c", self.config_dir, "-h", param]).stdout.strip()

    def services(self) -> list[str]:
        """master.cf's services as postconf -M prints them, one line each."""
        return run(["postconf", "-c", self.config_dir, "-M"]).stdout.splitlines()

    def env(self) -> dict[str, str]:
        """The environment that points Postfix's commands at this instance."""
        return {"MAIL_CONFIG": str(self.config_dir)}

    # -- lifecycle ----------------------------------------------------------------------
    def running(self) -> bool:
        if not (self.config_dir / "main.cf").exists():
            return False
        return run([POSTFIX, "-c", self.config_dir, "status"], check=False).returncode == 0

    def start(self) -> None:
        run([POSTFIX, "-c", self.config_dir, "start"])
        wait_for(lambda: self.banner(self.smtp_port) and self.banner(self.strict_port), timeout=10,
                 what=lambda: f"SMTP banners on 127.0.0.1:{self.smtp_port} and :{self.strict_port}\n"
                              f"{self.log_tail()}")

    def stop(self) -> None:
        if self.running():
            pid = self.master_pid()
            run([POSTFIX, "-c", self.config_dir, "stop"], check=False)
            # "postfix status" goes by master.pid's lock, which the master drops before it exits.
            wait_for(lambda: not pid_alive(pid), timeout=15, what=f"the instance's master (pid {pid}) to exit")

    def master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    # -- looking at it ------------------------------------------------------------------
    def banner(self, port: int | None = None) -> str | None:
        """The SMTP greeting on 127.0.0.1:port, or None while nothing answers."""
        s = smtplib.SMTP(timeout=5)
        try:
            code, msg = s.connect("127.0.0.1", port or self.smtp_port)
            return msg.decode(errors="replace") if code == 220 else None
        except OSError:
            return None
        finally:
            s.close()

    def rcpt_reply(self, rcpt: str, *, port: int | None = None, sender: str = "probe@localhost") -> tuple[int, str]:
        """What smtpd answers to RCPT TO:<rcpt> (the session is reset, nothing is sent)."""
        with smtplib.SMTP("127.0.0.1", port or self.smtp_port, timeout=10) as s:
            s.ehlo("localhost")
            s.mail(sender)
            code, msg = s.rcpt(rcpt)
            s.rset()
            return code, msg.decode(errors="replace")

    def queue(self) -> list[dict]:
        out = run(["postqueue", "-c", self.config_dir, "-j"]).stdout
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
        run(["postsuper", "-c", self.config_dir, "-H", queue_id])
        run(["postqueue", "-c", self.config_dir, "-i", queue_id])

    def flush_queue(self) -> None:
        run(["postqueue", "-c", self.config_dir, "-f"])

    def delete(self, queue_id: str) -> None:
        run(["postsuper", "-c", self.config_dir, "-d", queue_id])

    def queue_ids(self) -> set[str]:
        return queue_ids(self.queue_dir)

    def log_tail(self, lines: int = 40) -> str:
        if not self.maillog.exists():
            return f"({self.maillog} does not exist)"
        return "\n".join(self.maillog.read_text(errors="replace").splitlines()[-lines:])


def _file_fingerprint(path: Path) -> str | None:
    try:
        data = path.read_bytes()
        return f"sha256:{hashlib.sha256(data).hexdigest()} mtime_ns:{path.stat().st_mtime_ns}"
    except FileNotFoundError:
        return None


def _children(pid: int) -> dict[int, str]:
    """{pid: command name} of pid's children, from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split(" (", 1)[1].rsplit(") ", 1)
        if int(rest.split()[1]) == pid:
            found[int(stat.parent.name)] = name
    return found


class SystemPostfix:
    """A fingerprint of the machine's own Postfix, to show the suite left it alone.

    Its config files (content and mtime), its aliases, the pid of its master and of that
    master's qmgr (a reload restarts qmgr, a restart the master), and the messages in its
    queue (nothing of the tests' may land there).
    """

    FILES = (SYSTEM_CONFIG / "main.cf", SYSTEM_CONFIG / "master.cf", Path("/etc/aliases"), Path("/etc/aliases.db"))

    @staticmethod
    def queue_dir() -> Path:
        cp = run(["postconf", "-h", "queue_directory"], check=False)
        if cp.returncode != 0 or not cp.stdout.strip():  # no main.cf ("No configuration")
            cp = run(["postconf", "-dh", "queue_directory"])
        return Path(cp.stdout.strip())

    @classmethod
    def fingerprint(cls) -> dict:
        queue_dir = cls.queue_dir()
        master = None
        with contextlib.suppress(OSError, ValueError, IndexError):
            master = int((queue_dir / "pid" / "master.pid").read_text().split()[0])
        if not (pid_alive(master) and Path(f"/proc/{master}/comm").read_text().strip() == "master"):
            master = None
        qmgr = sorted(p for p, name in _children(master).items() if name == "qmgr") if master else []
        return {
            "files": {str(p): _file_fingerprint(p) for p in cls.FILES},
            "master_pid": master,
            "qmgr_pids": qmgr,
            "queue": sorted(queue_ids(queue_dir)),
        }
