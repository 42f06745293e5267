"""make bench: every measurement of issue 6, one table, bench/results.json.

    python bench/run.py [--quick] [--only SECTION,...] [--out FILE]   (sections below)

Sections (each also runs alone: see the module named):
  drain    bench/drain.py      mq-flush vs Postfix draining 2,000 dropped messages into smtp-sink
  percall  bench/percall.py    mq-send vs Postfix's sendmail; bounce-ingest as an alias pipe
  bounces  bench/bench_ingest.py (--maildir over 5,000 DSNs), bench/bench_sweep.py (100k, 1M)
  memory   bench/memory.py     mq-flush peak RSS with 5k and 50k queued
  dkim     bench/dkim_sign.py  ms per signature, RSA-2048 and ed25519
  classifier bench/classifier.py  bounce judgement on ../shared/corpora (issue 11), when it exists
  invariance bench/invariance.py  the same corpus, each message said differently: verdicts that change
  metrics  bench/bench_metrics.py  mailtools-metrics on 100,000 queued and 1M tracked addresses
  backends bench/backends.py   SQLite and PostgreSQL side by side: drain, 3 hosts, by cores, pipe, 1M sweep, memory

The Postfix comparisons need root (Postfix is installed if missing; they use the e2e
suite's own Postfix instance and lock, never the machine's Postfix); without root they are
reported as skipped. The load average is noted before each figure: this machine is
shared, and a figure taken under load says so in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

SECTIONS = ("drain", "percall", "bounces", "memory", "dkim", "classifier", "invariance", "metrics", "backends")
SWEEP = common.REPO / "bench" / "bench_sweep.py"
METRICS = common.REPO / "bench" / "bench_metrics.py"
METRICS_GOAL = 1.0  # seconds: a scrape every minute must be a small part of it
HIGH_LOAD = 0.75  # load average per CPU above which a figure is flagged


def maildir(quick: bool) -> list[dict]:
    """bounce-ingest --maildir (installed command) over N DSNs, median of runs: bench_ingest's code."""
    import bench_ingest

    count, runs = (1000, 1) if quick else (5000, 3)
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-maildir-", dir="/var/tmp") as tmp:
            workdir = Path(tmp)
            spool = workdir / "spool"
            spool.mkdir()
            sends = bench_ingest.make_sends(spool, count)
            with_schema(spool)  # bench_ingest's main() has its pipe calls create the tables first
            env = bench_ingest.environment(spool, workdir)
            for key in ("PYTHONPATH", "PYTHONPYCACHEPREFIX"):  # the installed package, its own .pyc files
                env.pop(key, None)
            bench_ingest.COMMAND = [common.command("bounce-ingest")]
            load = common.load()
            result = bench_ingest.bench_maildir(spool, env, workdir, sends)
            result["load"] = load
            results.append(result)
            print(f"maildir: {result['maildir_bounces_per_second']:.0f} bounces/s", file=sys.stderr)
    rate = common.median(r["maildir_bounces_per_second"] for r in results)
    return [common.row("bounces", f"bounce-ingest --maildir, {count} DSNs (median of {runs})",
                       f"{rate:.0f} bounces/s", goal=">= 1000/s", ok=rate >= 1000,
                       command=f"python bench/run.py --only bounces  # bounce-ingest --maildir DIR ({count} in new/)",
                       load=results[0]["load"], value=rate, runs=results)]


def with_schema(spool: Path) -> None:
    from mailtools.state import db_path, open_state

    open_state("sqlite:///" + db_path(str(spool))).close()  # creates every table


def sweep(quick: bool) -> list[dict]:
    """bench_sweep.py's own build and child steps (a child each, so each RSS is its own)."""
    sizes = [20_000, 100_000] if quick else [100_000, 1_000_000]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-sweep-", dir="/var/tmp") as base:
        for n in sizes:
            root = os.path.join(base, f"spool-{n}")
            started = time.perf_counter()
            subprocess.run([sys.executable, str(SWEEP), "--build", root, str(n)], check=True)
            built = time.perf_counter() - started
            load = common.load()
            done = subprocess.run([sys.executable, str(SWEEP), "--child", root], capture_output=True, text=True,
                                  check=True)
            result = json.loads(done.stdout)
            result.update(addresses=n, build_seconds=built, load=load)
            results.append(result)
            shutil_rmtree(root)
            print(f"sweep: {n} addresses in {result['seconds']:.2f} s, {result['rss_mb']:.0f} MB", file=sys.stderr)
    rows = []
    for r in results:
        n = r["addresses"]
        label = f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"
        goal, ok = "", None
        if n == 1_000_000:
            goal, ok = "<= 10 s, <= 512 MB", r["seconds"] <= 10 and r["rss_mb"] <= 512
        rows.append(common.row("bounces", f"bounce-sweep over {label} addresses",
                               f"{r['seconds']:.2f} s, {r['rss_mb']:.0f} MB "
                               f"({r['seconds'] / n * 1e5:.2f} s/100k)",
                               goal=goal, ok=ok, command=f"python bench/bench_sweep.py --sizes {n}",
                               load=r["load"], value=r["seconds"], rss_mb=r["rss_mb"], detail=r))
    small, large = results[0], results[-1]
    growth = (large["seconds"] / large["addresses"]) / (small["seconds"] / small["addresses"])
    label = f"bounce-sweep time per address, {large['addresses']:,} vs {small['addresses']:,}"
    rows.append(common.row("bounces", label,
                           f"{growth:.2f}x", goal="linear (<= 1.5x)", ok=growth <= 1.5,
                           command=f"python bench/bench_sweep.py --sizes {','.join(map(str, sizes))}",
                           load=large["load"], value=growth))
    return rows


def metrics(quick: bool) -> list[dict]:
    """bench_metrics.py in a child (its build holds a million rows; the figure is the command's own)."""
    queue, addresses = (10_000, 100_000) if quick else (100_000, 1_000_000)
    done = subprocess.run([sys.executable, str(METRICS), "--queue", str(queue), "--addresses", str(addresses)],
                          capture_output=True, text=True, check=True)
    r = json.loads(done.stdout)
    print(f"metrics: {r['seconds']:.2f} s for {queue:,} queued, {addresses:,} addresses", file=sys.stderr)
    return [common.row("metrics", f"mailtools-metrics --textfile, {queue:,} queued, {addresses:,} addresses "
                       f"(median of {len(r['runs'])})", f"{r['seconds']:.2f} s, {r['rss_mb']:.0f} MB",
                       goal=f"<= {METRICS_GOAL:g} s", ok=r["seconds"] <= METRICS_GOAL,
                       command=f"python bench/bench_metrics.py --queue {queue} --addresses {addresses}",
                       load=r["load"], value=r["seconds"], detail=r)]


def shutil_rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def run_section(name: str, quick: bool) -> list[dict]:
    if name == "drain":
        import drain

        return drain.measure(quick)
    if name == "percall":
        import percall

        return percall.measure(quick)
    if name == "bounces":
        return maildir(quick) + sweep(quick)
    if name == "memory":
        import memory

        return memory.measure(quick)
    if name == "dkim":
        import dkim_sign

        return dkim_sign.measure(quick)
    if name == "classifier":  # bench/classifier.py: scores on ../shared/corpora, when it exists
        import classifier

        return classifier.measure(quick)
    if name == "invariance":  # bench/invariance.py: the same corpus said differently (~10 s)
        import invariance

        return invariance.measure(quick)
    if name == "metrics":
        return metrics(quick)
    if name == "backends":
        import backends

        return backends.measure(quick)
    raise ValueError(name)


def table(rows: list[dict], nproc: int) -> str:
    def status(r: dict) -> str:
        return {True: "pass", False: "FAIL", None: ""}[r["ok"]]

    def load(r: dict) -> str:
        if r["load"] is None:
            return ""
        return f"{r['load']:.2f}" + (" HIGH" if r["load"] > HIGH_LOAD * nproc else "")

    cols = [("figure", lambda r: r["figure"]), ("goal", lambda r: r["goal"]),
            ("measured", lambda r: r["measured"]), ("ok", status), ("load", load)]
    widths = [max(len(title), *(len(f(r)) for r in rows)) for title, f in cols]
    lines = ["  ".join(title.ljust(w) for (title, _), w in zip(cols, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(f(r).ljust(w) for (_, f), w in zip(cols, widths, strict=True)).rstrip())
        lines.append(f"    $ {r['command']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, one run each (a smoke test)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--out", default=str(common.REPO / "bench" / "results.json"))
    args = parser.parse_args()
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")

    info = common.machine()
    print(f"machine: {info['nproc']} CPU ({info['cpu']}), {info['mem_total_mb']} MB, Linux {info['kernel']}, "
          f"Python {info['python']}, Postfix {info['postfix']}, load {info['loadavg_at_start']}", flush=True)
    if any(s in wanted for s in ("drain", "percall", "memory", "backends")):
        try:
            common.ensure_postfix()  # smtp-sink ships with it
        except common.Skipped as exc:
            print(f"bench: {exc}", file=sys.stderr)
    rows, errors, timings = [], {}, {}
    started = time.perf_counter()
    for name in wanted:
        t0 = time.perf_counter()
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            rows += run_section(name, args.quick)
        except common.Skipped as exc:
            rows.append(common.row(name, name, f"skipped: {exc}", command=f"python bench/run.py --only {name}"))
        except Exception as exc:  # one broken section must not lose the others' figures
            traceback.print_exc()
            errors[name] = f"{type(exc).__name__}: {exc}"
            rows.append(common.row(name, name, f"ERROR: {type(exc).__name__}", ok=False,
                                   command=f"python bench/run.py --only {name}"))
        timings[name] = round(time.perf_counter() - t0, 1)
    info["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(table(rows, info["nproc"] or 1))
    high = [r for r in rows if r["load"] is not None and r["load"] > HIGH_LOAD * (info["nproc"] or 1)]
    print(f"\nmachine: nproc {info['nproc']}, load average {info['loadavg_at_start']} at start, "
          f"{info['loadavg_at_end']} at end; Python {info['python']}, Postfix {info['postfix']}")
    if high:
        print(f"note: {len(high)} figure(s) taken with load above {HIGH_LOAD} per CPU (marked HIGH): "
              "other work shared the CPUs; rerun the command shown when the machine is quiet")
    failed = [r["figure"] for r in rows if r["ok"] is False]
    print(f"{len(failed)} goal(s) missed" + (": " + "; ".join(failed) if failed else "") +
          f"; {time.perf_counter() - started:.0f} s in all")
    Path(args.out).write_text(json.dumps({"machine": info, "quick": args.quick, "section_seconds": timings,
                                          "errors": errors, "rows": rows}, indent=1, default=str) + "\n")
    print(f"written: {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
