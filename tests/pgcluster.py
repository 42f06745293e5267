"""A throw-away PostgreSQL cluster for the tests: initdb into a temporary
directory, its own port on 127.0.0.1 and its own socket directory, run as an
unprivileged user. The machine's own clusters are never touched.

The binaries come from Debian's packages (``postgresql-NN``: /usr/lib/postgresql/NN/bin);
``scripts/test-deps`` installs them on a fresh machine without creating a system cluster.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def pg_bindir() -> str | None:
    """The newest installed server's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """One cluster: ``start()``, ``stop()`` (fast or immediate, as a crash), ``url(db)``."""

    def __init__(self, root: Path | None = None, user: str = "postgres", host: str = "127.0.0.1",
                 clients: str = "") -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found: run scripts/test-deps (make test does)")
        self.bin = bindir
        # Not under pytest's tmp_path: its directories are 0700 root, and the
        # server runs as another user who must reach its data directory.
        self.root = root or Path(tempfile.mkdtemp(prefix="mailtools-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "server.log"
        # host: the address its urls name; it listens there and on 127.0.0.1, and trusts
        # clients from the network ``clients`` (a CIDR of our own, e.g. the test hosts' bridge).
        self.host = host
        self.clients = clients
        self.port = free_port()
        # initdb and postgres refuse to run as root: run them as an unprivileged user.
        self.run_as = user if os.geteuid() == 0 else None
        self._owner = pwd.getpwnam(user) if self.run_as else None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [os.path.join(self.bin, args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120, cwd="/")

    def init(self) -> PgCluster:
        for d in (self.root, self.sockets):
            d.mkdir(parents=True, exist_ok=True)
        if self._owner:
            for d in (self.root, self.sockets):
                os.chown(d, self._owner.pw_uid, self._owner.pw_gid)
            os.chmod(self.root, 0o755)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        with open(self.data / "postgresql.conf", "a") as conf:
            listen = ",".join(dict.fromkeys(["127.0.0.1", self.host]))
            conf.write(f"\nport = {self.port}\nlisten_addresses = '{listen}'\n"
                       f"unix_socket_directories = '{self.sockets}'\nfsync = off\n"
                       "max_connections = 200\nshared_buffers = 64MB\n")
        if self.clients:
            with open(self.data / "pg_hba.conf", "a") as hba:
                hba.write(f"host all all {self.clients} trust\n")
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash: no checkpoint, clients cut off mid-transaction."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def createdb(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{name}"

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_down(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.1)
