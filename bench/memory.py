"""Memory: mq-flush's peak RSS with a small and a large queue (it must stream, not load the queue).

    python bench/memory.py [--sizes 5000,50000]

Each queue is built with the library (``submit.build`` + ``Spool.stage``, one
sync, ``Spool.publish_new``: seconds, not 50k processes) as 1.5 KB messages in
``queued/``, then delivered to an smtp-sink by the installed ``mq-flush
--json`` under ``/usr/bin/time -f %M`` (a small parent: Linux carries a
forking parent's RSS high-water mark into its child's ``ru_maxrss``, so the
Python bench must not be the direct parent). Goal: the peaks <= 1.2x apart.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

SECTION = "memory"
TIME = "/usr/bin/time"
# When /usr/bin/time is missing: a bare interpreter as the small parent that reports wait4's rusage.
WAITER = ("import os,sys;p=os.fork()\nif p==0: os.execv(sys.argv[1],sys.argv[1:])\n"
          "_,s,r=os.wait4(p,0);sys.stderr.write('\\n%d\\n'%r.ru_maxrss);sys.exit(os.waitstatus_to_exitcode(s))")


def build_queue(spool_root: Path, count: int) -> float:
    from mailtools.config import parse_config
    from mailtools.outbound.spool import Spool
    from mailtools.outbound.submit import build

    started = time.perf_counter()
    spool = Spool(str(spool_root))
    spool.ensure()
    config = parse_config({"spool": str(spool_root)})
    staged = []
    for i in range(count):
        queue_id = spool.new_id(time.time())
        envelope, raw = build(config, common.message(i), "app@example.org", [f"user{i}@example.com"],
                              queue_id=queue_id, now=time.time())
        staged.append((spool.stage(envelope, raw), queue_id))
    spool.sync()
    for tmp, queue_id in staged:
        spool.publish_new(tmp, "queued", queue_id)
    spool.sync_dir("queued")
    return time.perf_counter() - started


def peak_rss_kb(argv: list[str], env: dict) -> tuple[int, float, str]:
    """Run argv under a small parent; return (peak RSS in KB, wall seconds, stdout)."""
    if os.path.exists(TIME):
        wrapped = [TIME, "-f", "%M", *argv]
    else:
        wrapped = [sys.executable, "-S", "-c", WAITER, *argv]
    started = time.perf_counter()
    done = subprocess.run(wrapped, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{common.shell(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return int(done.stderr.strip().splitlines()[-1]), seconds, done.stdout


def one(count: int, sink_port: int, extra: str = "") -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-memory-", dir="/var/tmp") as tmp:
        spool = Path(tmp) / "spool"
        built = build_queue(spool, count)
        config = common.write_config(Path(tmp) / "mailtools.toml", spool, sink_port, extra)
        load = common.load()
        kb, seconds, out = peak_rss_kb([common.command("mq-flush"), "--config", str(config), "--json"],
                                       common.user_env())
        sent = common.count_files(spool / "sent")
        if sent != count:
            raise RuntimeError(f"mq-flush sent {sent} of {count}: {out}")
    return {"count": count, "peak_rss_mb": kb / 1024, "flush_seconds": seconds, "rate": count / seconds,
            "build_seconds": built, "load": load}


def measure(quick: bool = False, sizes: list[int] | None = None) -> list[dict]:
    sizes = sizes or ([1000, 10000] if quick else [5000, 50000])
    results = []
    with common.smtp_sink() as port:
        for n in sizes:
            results.append(one(n, port))
            print(f"memory: {n} queued -> peak {results[-1]['peak_rss_mb']:.1f} MB, "
                  f"{results[-1]['rate']:.0f} msg/s", file=sys.stderr)
    rows = []
    for r in results:
        rows.append(common.row(SECTION, f"mq-flush peak RSS, {r['count']} queued", f"{r['peak_rss_mb']:.1f} MB "
                               f"({r['rate']:.0f} msg/s)",
                               command=f"python bench/memory.py --sizes {r['count']}  "
                               "# /usr/bin/time -f %M mq-flush --config C --json",
                               load=r["load"], value=r["peak_rss_mb"], detail=r))
    small, large = results[0], results[-1]
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    rows.append(common.row(SECTION, f"mq-flush peak RSS {large['count']} / {small['count']}", f"{ratio:.2f}x",
                           goal="<= 1.2x", ok=ratio <= 1.2,
                           command=f"python bench/memory.py --sizes {','.join(map(str, sizes))}",
                           load=large["load"], value=ratio))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,50000")
    args = parser.parse_args()
    common.print_rows(measure(sizes=[int(s) for s in args.sizes.split(",")]))


if __name__ == "__main__":
    main()
