"""Time mailtools-metrics on a queue of 100,000 messages and a database of 1M tracked addresses.

    python bench/bench_metrics.py [--queue 100000] [--addresses 1000000] [--runs 5] [--keep DIR]

The database is bench_sweep.py's (1M addresses with their bounces, soft
counters, a month of send log, 2% disabled, sent/ files) plus an imported
suppression list of 100,000 addresses and 2,000 outbox rows in every state;
the queue is 100,000 real queue files: 80% queued, 15% deferred, 5% held.
The installed command is timed from exec to exit with ``--textfile`` (what
cron runs every minute), median of the runs; its output is parsed and
checked against the spool. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_sweep  # noqa: E402
import common  # noqa: E402

from mailtools.outbound.envelope import Envelope, Recipient  # noqa: E402
from mailtools.outbound.spool import Spool  # noqa: E402
from mailtools.state import db_path, open_state  # noqa: E402

SHARES = (("queued", 0.80), ("deferred", 0.15), ("held", 0.05))


def build(root: str, queue: int, addresses: int) -> dict[str, int]:
    """The spool and database; returns the queue files written per state."""
    bench_sweep.build(root, addresses)
    store = open_state("sqlite:///" + db_path(root))
    conn = store.conn  # bulk rows straight into SQLite, as bench_sweep does
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO suppressions(address, scope, reason, origin, since) VALUES (?, '', 'manual',"
                     " 'import', ?) ON CONFLICT DO NOTHING",
                     ((f"imported{i:07d}@example.net", bench_sweep.NOW) for i in range(100_000)))
    conn.executemany("INSERT INTO callbacks(kind, target, sending_domain, address, payload, created, next_try,"
                     " attempts, given_up) VALUES ('bounce', 'webhook', 'shop.example', ?, '{}', ?, ?, ?, ?)",
                     ((f"user{i:07d}@example.org", bench_sweep.NOW, bench_sweep.NOW + 60 * (i % 3), i % 3,
                       bench_sweep.NOW if i % 3 == 2 else None) for i in range(2000)))
    conn.execute("COMMIT")
    store.close()
    spool, written, message = Spool(root), {}, b"Subject: bench\n\n" + b"x" * 1000 + b"\n"
    start = bench_sweep.NOW - 3 * 86400
    for state, share in SHARES:
        count = int(queue * share)
        for i in range(count):
            at = start + i * 0.5
            envelope = Envelope(id=spool.new_id(at), sender="app@shop.example",
                                recipients=[Recipient(f"q{i}@example.com")], created=at,
                                next_attempt=at + 3600 if state == "deferred" else None)
            spool.write(state, envelope, message, sync=False)
        written[state] = count
    return written


def measure(root: str, runs: int) -> dict:
    out = os.path.join(root, "metrics.prom")
    env = common.user_env(MAILTOOLS_SPOOL=root)
    env.pop("MAILTOOLS_CONFIG", None)
    argv = [common.command("mailtools-metrics"), "--textfile", out]
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS, not the largest child's
        times.append(time.perf_counter() - started)
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.returncode == 0, child.returncode
        peaks.append(usage.ru_maxrss / 1024)
    text = open(out).read()
    from prometheus_client.parser import text_string_to_metric_families

    queue = {s.labels["state"]: s.value for f in text_string_to_metric_families(text)
             if f.name == "mailtools_queue_messages" for s in f.samples}
    return {"seconds": common.median(times), "runs": times, "queue": queue,
            "rss_mb": max(peaks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue", type=int, default=100_000)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="build the spool under DIR and keep it")
    parser.add_argument("--build", metavar="SPOOL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build(args.build, args.queue, args.addresses)))
        return
    base = args.keep or tempfile.mkdtemp(prefix="bench-metrics-", dir="/var/tmp")
    root = os.path.join(base, "spool")
    try:
        started = time.perf_counter()
        # Built in a child: Linux carries a parent's RSS high-water mark into a forked child's
        # ru_maxrss, so this process must stay small for the command's own figure to be true.
        written = json.loads(subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--build", root, "--queue", str(args.queue),
             "--addresses", str(args.addresses)], check=True, capture_output=True, text=True).stdout)
        built = time.perf_counter() - started
        load = common.load()
        result = measure(root, args.runs)
        for state, count in written.items():  # the figures must be right, not only fast
            assert result["queue"][state] == count, (state, result["queue"][state], count)
        result.update(queue_messages=args.queue, addresses=args.addresses, build_seconds=built, load=load)
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
