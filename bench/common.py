"""What the benches share: the machine's state, a Postfix smtp-sink, test messages, commands.

The installed commands (``.venv/bin``, put on PATH by ``make bench``) are what is
measured: the package is installed non-editably there, so its start-up is what
users get. Nothing here imports the library except to build spools quickly.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
SMTP_SINK = "/usr/sbin/smtp-sink"
MESSAGE_SIZE = 1536  # 1.5 KB, as the issue asks

try:
    # The installed package (make venv), the same code the measured commands run, and not a
    # half-edited working tree. Imported first, so every mailtools submodule comes from it even
    # after bench_ingest.py puts the repository at the front of sys.path.
    import mailtools  # noqa: F401
except ImportError:  # run with a Python that lacks it: the repository's source
    sys.path.insert(0, str(REPO))


def command(name: str) -> str:
    """The installed console script: PATH first (make bench puts .venv/bin there), then .venv/bin."""
    found = shutil.which(name)
    if found:
        return found
    if (BIN / name).exists():
        return str(BIN / name)
    raise SystemExit(f"{name} is not installed: run `make venv` (or `make bench`, which does)")


def load() -> float:
    """The one-minute load average, noted before each figure."""
    return round(os.getloadavg()[0], 2)


def machine() -> dict:
    info = {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "bench_python": sys.executable,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "mem_total_mb": _meminfo("MemTotal"),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "uid": os.geteuid(),
    }
    try:
        info["postfix"] = subprocess.run(["postconf", "-h", "mail_version"], capture_output=True, text=True,
                                         check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["postfix"] = None
    try:
        info["git"] = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                     capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["git"] = None
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _meminfo(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def free_port() -> int:
    """A loopback port nothing listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_sink(backlog: int = 256):
    """Postfix's smtp-sink on a free loopback port; yields the port. Accepts and discards all mail."""
    if not Path(SMTP_SINK).exists():
        raise SystemExit(f"{SMTP_SINK} is missing (it ships with the postfix package)")
    for _ in range(5):
        port = free_port()
        argv = [SMTP_SINK]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]  # smtp-sink refuses to run as root without it
        argv += [f"127.0.0.1:{port}", str(backlog)]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"220"):
                    break
            time.sleep(0.02)
        if proc.poll() is None:
            break
        proc.wait()  # lost the port to someone else: try another
    else:
        raise SystemExit(f"smtp-sink did not start: {proc.stderr.read().decode(errors='replace')}")
    try:
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def message(i: int, size: int = MESSAGE_SIZE, domain: str = "example.com") -> bytes:
    """Message number i: a To: header and a body filled up to ``size`` bytes."""
    head = (f"From: App <app@example.org>\nTo: user{i}@{domain}\nSubject: bench message {i}\n"
            f"Message-ID: <bench.{i}.{os.getpid()}@example.org>\n\n").encode()
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\n"
    body = (line * (size // len(line) + 1))[: max(0, size - len(head) - 1)] + b"\n"
    return head + body


def drop_into(maildrop: Path, count: int, size: int = MESSAGE_SIZE) -> None:
    """Drop ``count`` messages the way DESIGN.md says applications do: '.name', then rename."""
    for i in range(count):
        tmp = maildrop / f".bench-{i:06d}"
        with open(tmp, "wb") as fh:
            fh.write(message(i, size))
        os.rename(tmp, maildrop / f"bench-{i:06d}")


def write_config(path: Path, spool: Path, sink_port: int | None = None, extra: str = "") -> Path:
    text = f'spool = "{spool}"\n\n[bounce]\ndomain = "bounces.example.org"\n'
    if sink_port is not None:
        text += f'\n[transport]\nhost = "127.0.0.1"\nport = {sink_port}\nstarttls = "never"\n'
    path.write_text(text + extra)
    return path


def timed_flush(config: Path, spool: Path, count: int) -> dict:
    """One ``mq-flush --json`` timed from exec to exit; every one of ``count`` messages must be in sent/."""
    argv = [command("mq-flush"), "--config", str(config), "--json"]
    before = load()
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=user_env())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"mq-flush exited {done.returncode}: {done.stderr[-2000:]}")
    sent = count_files(spool / "sent")
    if sent != count:
        raise RuntimeError(f"mq-flush sent {sent} of {count}: {done.stdout} {done.stderr[-2000:]}")
    return {"seconds": seconds, "load": before, "summary": done.stdout.strip()}


def user_env(**extra: str) -> dict[str, str]:
    """The environment the measured commands get: no test tweaks (bytecode caches as installed)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE", "MAILTOOLS_NOW")}
    env.update(extra)
    return env


def median(values) -> float:
    return statistics.median(values)


def shell(argv) -> str:
    """A command line to paste."""
    return " ".join(shlex.quote(str(a)) for a in argv)


def count_files(top: Path) -> int:
    """Regular files under ``top`` (recursively), cheaply."""
    n = 0
    stack = [str(top)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for e in entries:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
                    else:
                        n += 1
        except FileNotFoundError:
            continue
    return n


# -- the e2e suite's Postfix instance (never the machine's) ------------------------------------


class Skipped(Exception):
    """A figure that cannot be measured here (no root, no Postfix): reported, not a crash."""


def e2e():
    """tests/e2e/postfix_instance.py, imported (not copied): install, lock, the instance."""
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    try:
        import postfix_instance
    finally:
        sys.path.remove(str(REPO / "tests" / "e2e"))
    return postfix_instance


def ensure_postfix() -> None:
    """Install Postfix (for smtp-sink and the comparisons) when missing, as the e2e suite does."""
    pi = e2e()
    if pi.postfix_installed() and Path(SMTP_SINK).exists():
        return
    if not pi.is_root():
        raise Skipped("Postfix is not installed and installing it needs root")
    with pi.session_lock(timeout=900):
        if not (pi.postfix_installed() and Path(SMTP_SINK).exists()):
            started = time.monotonic()
            pi.apt_install(["postfix"])
            print(f"bench: installed postfix in {time.monotonic() - started:.1f} s", file=sys.stderr)


# What the bench sets in the e2e instance's main.cf (loopback only, no chroot, own log);
# everything else, the concurrency limits included, stays as Postfix ships it.
def relay_params(sink_port: int) -> dict[str, str]:
    return {
        "relayhost": f"[127.0.0.1]:{sink_port}",
        "default_transport": "smtp",
        "relay_transport": "relay",
        "smtp_tls_security_level": "none",  # the sink has no TLS; mq-flush runs with starttls="never"
    }


@contextlib.contextmanager
def postfix_relaying_to(sink_port: int):
    """The e2e suite's own Postfix instance (never the machine's), created stopped, relaying
    everything to the sink; stopped after. Uses the e2e harness's lock: the bench and the
    e2e suite never share the instance."""
    pi = e2e()
    if not pi.is_root():
        raise Skipped("creating and starting a Postfix instance needs root")
    ensure_postfix()
    with pi.session_lock(timeout=900):
        pf = pi.PostfixInstance()
        pf.create()
        try:
            pf.postconf(**relay_params(sink_port))
            yield pf
        finally:
            pf.stop()


def postfix_queue_count(pf) -> int:
    return sum(count_files(pf.queue_dir / name) for name in ("maildrop", "incoming", "active", "deferred", "hold"))


# -- result rows -----------------------------------------------------------------------------


def row(section: str, figure: str, measured: str, *, goal: str = "", ok: bool | None = None,
        command: str = "", load: float | None = None, **detail) -> dict:
    return {"section": section, "figure": figure, "goal": goal, "measured": measured, "ok": ok,
            "command": command, "load": load, **detail}


def print_rows(rows: list[dict]) -> None:
    for r in rows:
        status = {True: "pass", False: "FAIL", None: "-"}[r["ok"]]
        print(f"{r['figure']}: {r['measured']} [{status}] (goal {r['goal'] or '-'}; load {r['load']})\n"
              f"    $ {r['command']}")
