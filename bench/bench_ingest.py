"""Benchmark bounce-ingest: pipe-mode start-up per bounce, and --maildir throughput.

    python bench/bench_ingest.py [--calls 30] [--maildir-count 5000]

Pipe mode: the median wall time of ``--calls`` real calls, each a distinct
Postfix DSN for a real VERP address (so each one verifies and records a hard
bounce), run as Postfix runs it (environment, ``From `` line, stdin). The
interpreter's bare start-up (``python -c pass``) is printed alongside: it is
the floor. Bytecode caching is turned on (into a temporary prefix) because an
installed package has its .pyc files; the first calls warm it and are not
counted.

Maildir: ``--maildir-count`` DSNs delivered into a Maildir's new/, then one
``bounce-ingest --maildir`` run; bounces per second over its wall time,
start-up included.

Results are printed and written to bench/results.json (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailtools.outbound import verp  # noqa: E402
from mailtools.secret import load_secret  # noqa: E402
from mailtools.state import db_path, open_state  # noqa: E402
from mailtools.state.base import SendRecord  # noqa: E402

TEMPLATE = REPO / "tests" / "data" / "bounces" / "postfix" / "bounce_userunknown.eml"
COMMAND = [sys.executable, "-c", "from mailtools.cli.bounce_ingest import main; main()"]


def make_sends(spool: Path, count: int, url: str = "") -> list[tuple[str, str, str]]:
    """``count`` send-log rows (in ``url``, else the spool's SQLite); returns (verp address, recipient, message id)."""
    secret = load_secret(str(spool))
    store = open_state(url or "sqlite:///" + db_path(str(spool)))
    rows, out = [], []
    for i in range(count):
        recipient = f"user{i}@remote.test"
        message_id = f"<{uuid.uuid4().hex}@example.org>"
        address = verp.make(secret, "bounce", "bounces.example.org", str(i + 1), "7", message_id, recipient)
        rows.append(SendRecord(address.hash, recipient, message_id, str(i + 1), "7", "app@example.org", "Q",
                               time.time()))
        out.append((address.address, recipient, message_id))
    store.add_sends(rows)
    store.close()
    return out


def make_dsn(template: str, address: str, recipient: str, message_id: str) -> bytes:
    text = template.replace("nosuchuser@localhost", recipient).replace("dsnsink@localhost", address)
    text = text.replace("<userunknown.1795316926@pfx.test>", message_id)
    text = text.replace("<20261122030846.E41E320C9C5@pfx.test>", f"<{uuid.uuid4().hex}@pfx.test>")
    return text.encode()


def environment(spool: Path, workdir: Path, url: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    env["PYTHONPATH"] = str(REPO)
    config = workdir / "mailtools.toml"
    config.write_text(f'spool = "{spool}"\n' + (f'[database]\nurl = "{url}"\n' if url else ""))
    env["MAILTOOLS_CONFIG"] = str(config)
    return env


def bench_pipe(spool: Path, env: dict[str, str], sends: list[tuple[str, str, str]], calls: int,
               warmup: int = 3) -> dict[str, float]:
    template = TEMPLATE.read_text()
    times, cpu = [], []
    for i, (address, recipient, message_id) in enumerate(sends[:calls + warmup]):
        raw = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + make_dsn(template, address, recipient, message_id)
        call_env = dict(env, ORIGINAL_RECIPIENT=address, RECIPIENT=address, SENDER="",
                        EXTENSION=address.split("@")[0].partition("-")[2])
        used = children_cpu()
        started = time.perf_counter()
        proc = subprocess.run(COMMAND, input=raw, env=call_env, cwd=REPO, capture_output=True)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"pipe call failed ({proc.returncode}): {proc.stderr.decode()}")
        if i >= warmup:
            times.append(elapsed * 1000)
            cpu.append((children_cpu() - used) * 1000)
    bare = []
    for _ in range(calls):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env)
        bare.append((time.perf_counter() - started) * 1000)
    recorded = sqlite_count(spool, env)
    if recorded < calls:
        raise SystemExit(f"only {recorded} of {calls} pipe calls recorded a bounce")
    return {"pipe_ms_median": statistics.median(times), "pipe_cpu_ms_median": statistics.median(cpu),
            "pipe_ms_min": min(times),
            "pipe_ms_max": max(times), "python_pass_ms_median": statistics.median(bare), "calls": calls}


def children_cpu() -> float:
    """User + system seconds of the waited-for children: less moved by other load than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sqlite_count(spool: Path, env: dict[str, str] | None = None) -> int:
    """Events recorded, in the database the pipe's config names."""
    from mailtools.config import load_config

    config = load_config(env["MAILTOOLS_CONFIG"]) if env else None
    store = open_state(config or "sqlite:///" + db_path(str(spool)), readonly=True)
    try:
        return store.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        store.close()


def bench_maildir(spool: Path, env: dict[str, str], workdir: Path, sends: list[tuple[str, str, str]]) -> dict:
    template = TEMPLATE.read_text()
    maildir = workdir / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for i, (address, recipient, message_id) in enumerate(sends):
        (maildir / "new" / f"{1795317000 + i}.M{i}P1.bench").write_bytes(
            make_dsn(template, address, recipient, message_id))
    before = sqlite_count(spool)
    started = time.perf_counter()
    proc = subprocess.run(COMMAND + ["--maildir", str(maildir)], env=env, cwd=REPO, capture_output=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"--maildir failed ({proc.returncode}): {proc.stderr.decode()}")
    recorded = sqlite_count(spool) - before
    if recorded != len(sends) or os.listdir(maildir / "new"):
        raise SystemExit(f"--maildir recorded {recorded} of {len(sends)}")
    return {"maildir_count": len(sends), "maildir_seconds": elapsed,
            "maildir_bounces_per_second": len(sends) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--maildir-count", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        spool = workdir / "spool"
        spool.mkdir()
        sends = make_sends(spool, args.calls + 3 + args.maildir_count)
        env = environment(spool, workdir)
        results = bench_pipe(spool, env, sends, args.calls)
        results.update(bench_maildir(spool, env, workdir, sends[args.calls + 3:]))
    print(f"pipe mode: median {results['pipe_ms_median']:.1f} ms per bounce over {args.calls} calls "
          f"(min {results['pipe_ms_min']:.1f}, max {results['pipe_ms_max']:.1f}; "
          f"CPU {results['pipe_cpu_ms_median']:.1f} ms; "
          f"bare 'python -c pass' {results['python_pass_ms_median']:.1f} ms)")
    print(f"--maildir: {results['maildir_count']} bounces in {results['maildir_seconds']:.2f} s = "
          f"{results['maildir_bounces_per_second']:.0f} bounces/s")
    out = REPO / "bench" / "results.json"
    try:
        merged = json.loads(out.read_text())  # other benches write here too
    except (OSError, ValueError):
        merged = {}
    merged["bench_ingest"] = results
    out.write_text(json.dumps(merged, indent=1) + "\n")


if __name__ == "__main__":
    main()
