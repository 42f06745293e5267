"""Who holds a message: claim names that record host, pid (with its start time) and time.

A worker claims a message by renaming it into ``active/`` under such a name,
so the claim is as atomic as the rename. A claim whose process is gone (the
pid is dead, or alive with another start time, i.e. reused) is stale at once.
The spool is local to its host (DESIGN spool rule 4: several hosts share a
database, never a spool), so the host in the name is for people reading it,
not a reason to wait for a lease.
"""

from __future__ import annotations

import os

from ..ids import is_valid

HOST = os.uname().nodename.replace("~", "-")  # in claim names, for people


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ")".
    return stat[stat.rfind(b")") + 2:].split()[19].decode()


_ME = f"{os.getpid()}.{_start_time(os.getpid()) or 0}"


def me() -> str:
    """This process as claims name it: ``<pid>.<start time>``."""
    global _ME
    if not _ME.startswith(f"{os.getpid()}."):  # after a fork
        _ME = f"{os.getpid()}.{_start_time(os.getpid()) or 0}"
    return _ME


def claim_name(queue_id: str, now: float) -> str:
    return f"{queue_id}~{HOST}~{me()}~{now:.0f}"


class Claim:
    """A message this process holds in ``active/``."""

    def __init__(self, id: str, path: str, came_from: str) -> None:  # noqa: A002 - the queue id
        self.id, self.path = id, path
        self.came_from = came_from  # the state it was claimed from

    def __repr__(self) -> str:
        return f"Claim({self.id!r}, {self.path!r}, {self.came_from!r})"


class ClaimName:
    """What a claim's name says: whose it is (host, pid and its start time) and since when."""

    def __init__(self, id: str, host: str, pid: int, start: str, time: float) -> None:  # noqa: A002
        self.id, self.host, self.pid, self.start, self.time = id, host, pid, start, time

    @classmethod
    def parse(cls, name: str) -> ClaimName | None:
        parts = name.split("~")
        if len(parts) != 4 or not is_valid(parts[0]):
            return None
        try:
            pid, start = parts[2].split(".", 1)
            return cls(parts[0], parts[1], int(pid), start, float(parts[3]))
        except ValueError:
            return None

    def is_stale(self, now: float) -> bool:
        return _start_time(self.pid) != self.start
