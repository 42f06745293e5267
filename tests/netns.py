"""Hosts as Linux network namespaces, for the multi-host tests.

``Hosts(names)`` makes one bridge in the root namespace with an address of a
private /24 of our own (10.213.X.1, an X no interface uses yet) and, per host,
a network namespace with its own loopback and a veth pair whose inside end
is 10.213.X.(10+n). A server listening on ``hosts.address`` is reached from
every namespace over that path (bridge, veth), not over a shared loopback.

``hosts.prefix(name)`` is the command prefix that runs a program on that
host: ``ip netns exec`` into its network namespace, then ``unshare --uts``
with the host's own name, so that what a program says about where it runs
(the sweep lock's holder) names the host.

``close()`` removes everything it made, and kills what still runs inside
the namespaces (only processes the tests started there). Namespaces left by
a run that was killed outright (their creator's pid is gone) are removed at
the next start. Making them needs CAP_SYS_ADMIN and iproute2: ``Hosts.make``
raises ``Unavailable`` with the reason when either is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess

PREFIX = "mt"  # of every namespace and link made here: mt<pid>h<n>, mt<pid>v<n>, mt<pid>br


class Unavailable(Exception):
    """Network namespaces cannot be made here (no iproute2, or no CAP_SYS_ADMIN)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise Unavailable(f"'ip {' '.join(args)}' failed: {done.stderr.strip() or done.returncode}")
    return done


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_inside(namespace: str) -> None:
    """SIGKILL the processes still running in one of our namespaces (a test's, left by a failure)."""
    for pid in _ip("netns", "pids", namespace, check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def remove_stale() -> None:
    """Remove the namespaces and links of earlier runs whose process is gone."""
    pattern = re.compile(rf"^{PREFIX}(\d+)(h\d+|br|v\d+)\b")
    names = _ip("netns", "list", check=False).stdout.split("\n") + [
        line.split(":")[1].strip().split("@")[0] for line in _ip("-o", "link", "show", check=False).stdout.splitlines()]
    for name in names:
        found = pattern.match(name.strip())
        if found and not _alive(int(found.group(1))):
            name = name.split()[0]
            if found.group(2).startswith("h"):
                _kill_inside(name)
                _ip("netns", "del", name, check=False)
            else:
                _ip("link", "del", name, check=False)


def _free_subnet() -> int:
    """An X such that no address or route of the machine is in 10.213.X.0/24."""
    used = _ip("-o", "-4", "addr", "show", check=False).stdout + _ip("-4", "route", "show", "table", "all",
                                                                     check=False).stdout
    start = os.getpid() % 200
    for step in range(250):
        x = (start + step) % 250 + 1
        if f"10.213.{x}." not in used:
            return x
    raise Unavailable("no free 10.213.X.0/24 for the test hosts")


class Hosts:
    """Namespaces for ``names``, bridged to the root namespace; see the module's docstring."""

    def __init__(self) -> None:
        self.bridge = f"{PREFIX}{os.getpid()}br"
        self.namespaces: dict[str, str] = {}  # host name -> namespace
        self.addresses: dict[str, str] = {}  # host name -> its address on the bridge
        self.links: list[str] = []
        self.address = ""  # the root namespace's, where the shared servers listen
        self.subnet = ""

    @classmethod
    def make(cls, names: list[str]) -> Hosts:
        if shutil.which("ip") is None:
            raise Unavailable("iproute2 is not installed (scripts/test-deps installs it)")
        if shutil.which("unshare") is None:
            raise Unavailable("unshare (util-linux) is not installed")
        remove_stale()
        hosts = cls()
        try:
            hosts._build(names)
        except BaseException:
            hosts.close()
            raise
        return hosts

    def _build(self, names: list[str]) -> None:
        x = _free_subnet()
        self.subnet, self.address = f"10.213.{x}.0/24", f"10.213.{x}.1"
        _ip("link", "add", self.bridge, "type", "bridge")
        self.links.append(self.bridge)
        _ip("addr", "add", f"{self.address}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for n, name in enumerate(names):
            namespace = f"{PREFIX}{os.getpid()}h{n}"
            _ip("netns", "add", namespace)  # the first one fails without CAP_SYS_ADMIN
            self.namespaces[name] = namespace
            veth = f"{PREFIX}{os.getpid()}v{n}"
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            self.links.append(veth)
            _ip("link", "set", veth, "master", self.bridge)
            _ip("link", "set", veth, "up")
            self.addresses[name] = f"10.213.{x}.{10 + n}"
            _ip("-n", namespace, "addr", "add", f"{self.addresses[name]}/24", "dev", "eth0")
            _ip("-n", namespace, "link", "set", "eth0", "up")
            _ip("-n", namespace, "link", "set", "lo", "up")  # its own 127.0.0.1

    def prefix(self, name: str) -> list[str]:
        """Run a command on host ``name``: in its network namespace, under its own host name."""
        return ["ip", "netns", "exec", self.namespaces[name], "unshare", "--uts", "sh", "-c",
                'hostname "$0" && exec "$@"', f"{name}.example.net"]

    def close(self) -> None:
        for namespace in self.namespaces.values():
            _kill_inside(namespace)
            _ip("netns", "del", namespace, check=False)  # takes the veth's inside end with it
        for link in reversed(self.links):
            _ip("link", "del", link, check=False)  # gone already when its peer's namespace went
        self.namespaces.clear()
        self.links.clear()
