"""SQLite and PostgreSQL side by side (issue 13): drain, several hosts, the pipe, the sweep, memory.

    python bench/backends.py [--quick]        (also: python bench/run.py --only backends)

A throw-away PostgreSQL cluster is started for the run (tests/pgcluster.py:
initdb into a temporary directory, its own port on 127.0.0.1), with fsync and
synchronous_commit on, as a real server runs, where the tests turn them off;
SQLite runs as it ships (WAL, synchronous=NORMAL). Each figure gets a fresh
database. Figures:

- drain: N 1.5 KB messages dropped into one spool, one ``mq-flush`` to
  Postfix's smtp-sink, per backend; goal PostgreSQL >= 0.8x SQLite.
- several hosts: three spools (three "hosts", one config each, one shared
  database) of N messages each, three ``mq-flush`` at once, against one with
  N: total msg/s; goal >= 1.5x on this 2-core machine (the flushers mostly
  wait on the sink and the server, so it grows with cores until the sink or
  the database is the limit).
- cores: the same drains (1, 2, then 3 hosts at once) with everything
  they use (the flushers, smtp-sink, every PostgreSQL process) allowed on
  1 core, then on 2, ... up to the machine's: msg/s per core count, and
  how many times the rate on 1 core each count gives.
- pipe: ``bounce-ingest`` as Postfix's alias pipe, median ms per call.
- sweep: ``bounce-sweep`` over 1M tracked addresses (bench_sweep.py's
  spool); goal <= 10 s on each backend.
- memory: mq-flush's peak RSS with 5k and 50k queued on PostgreSQL; goal
  flat (<= 1.2x).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

sys.path.insert(0, str(common.REPO / "tests"))
from pgcluster import PgCluster  # noqa: E402

SECTION = "backends"
SWEEP = common.REPO / "bench" / "bench_sweep.py"
_names = iter(range(1, 1 << 20))


@contextmanager
def cluster() -> Iterator[PgCluster]:
    pg = PgCluster().init()
    with open(pg.data / "postgresql.conf", "a") as conf:  # later lines win: a durable server, as in production
        conf.write("fsync = on\nsynchronous_commit = on\nshared_buffers = 256MB\nmax_wal_size = 2GB\n")
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


def fresh_database(pg: PgCluster) -> str:
    """A new database with the tables made (mailtools-db init)."""
    from mailtools.state import manage

    url = pg.createdb(f"bench{next(_names)}")
    manage.init(url)
    return url


def database_toml(url: str) -> str:
    return f'\n[database]\nurl = "{url}"\n' if url else ""


def _flushers(spools: list[Path], configs: list[Path], count: int) -> tuple[float, float, float]:
    """Run one mq-flush per spool at once; return the wall seconds until the last exits, the load
    before, and the CPU seconds the flushers used."""
    load = common.load()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    procs = [subprocess.Popen([common.command("mq-flush"), "--config", str(c), "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=common.user_env()) for c in configs]
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"mq-flush exited {proc.returncode}: {err[-2000:]}")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    for spool in spools:
        sent = common.count_files(spool / "sent")
        if sent != count:
            raise RuntimeError(f"mq-flush sent {sent} of {count} in {spool}")
    return seconds, load, cpu


def server_cpu(pg: PgCluster | None) -> float:
    """CPU seconds the PostgreSQL server has used so far: the postmaster, the backends it reaped
    (its children's times) and the processes still running under it."""
    if pg is None:
        return 0.0
    postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for pid in _descendants(postmaster):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:13] + (fields[13:15] if pid == postmaster else []))
    return total / os.sysconf("SC_CLK_TCK")


def drain(hosts: int, count: int, port: int, url: str, pg: PgCluster | None = None) -> dict:
    """``hosts`` spools of ``count`` messages each, one flusher per spool at once."""
    from mailtools.outbound.spool import Spool

    with tempfile.TemporaryDirectory(prefix="bench-hosts-", dir="/var/tmp") as tmp:
        spools, configs = [], []
        secret = Path(tmp) / "secret"  # one secret for the hosts of one installation
        secret.write_text(os.urandom(32).hex() + "\n")
        secret.chmod(0o600)
        for n in range(hosts):
            spool = Path(tmp) / f"host{n}" / "spool"
            Spool(str(spool)).ensure()
            common.drop_into(spool / "maildrop", count)
            config = common.write_config(Path(tmp) / f"host{n}.toml", spool, port, database_toml(url))
            config.write_text(f'secret_file = "{secret}"\n' + config.read_text())
            spools.append(spool)
            configs.append(config)
        server = server_cpu(pg)
        seconds, load, cpu = _flushers(spools, configs, count)
        server = server_cpu(pg) - server
    return {"hosts": hosts, "messages": hosts * count, "seconds": seconds, "rate": hosts * count / seconds,
            "load": load, "flusher_cpu_seconds": cpu, "server_cpu_seconds": server,
            "busy_cores": (cpu + server) / seconds}


def measure_drain(pg: PgCluster, quick: bool) -> list[dict]:
    count, runs = (500, 1) if quick else (2000, 3)
    results: dict[str, list[dict]] = {"sqlite": [], "postgresql": [], "three": []}
    with common.smtp_sink() as port:
        for i in range(runs):  # alternating, so a burst of load elsewhere hits both
            results["sqlite"].append(drain(1, count, port, ""))
            results["postgresql"].append(drain(1, count, port, fresh_database(pg)))
            results["three"].append(drain(3, count, port, fresh_database(pg)))
            print(f"backends drain run {i + 1}: " + ", ".join(f"{k} {v[-1]['rate']:.0f} msg/s"
                                                               for k, v in results.items()), file=sys.stderr)
    rate = {k: common.median(r["rate"] for r in v) for k, v in results.items()}
    ratio, scale = rate["postgresql"] / rate["sqlite"], rate["three"] / rate["postgresql"]
    cmd = "python bench/backends.py --only drain"
    return [
        common.row(SECTION, f"drain {count} msgs, one host: SQLite", f"{rate['sqlite']:.0f} msg/s", command=cmd,
                   load=results["sqlite"][0]["load"], value=rate["sqlite"], runs=results["sqlite"]),
        common.row(SECTION, f"drain {count} msgs, one host: PostgreSQL", f"{rate['postgresql']:.0f} msg/s",
                   command=cmd, load=results["postgresql"][0]["load"], value=rate["postgresql"],
                   runs=results["postgresql"]),
        common.row(SECTION, "drain PostgreSQL/SQLite, one host", f"{ratio:.2f}x", goal=">= 0.8x", ok=ratio >= 0.8,
                   command=cmd, load=results["postgresql"][0]["load"], value=ratio),
        common.row(SECTION, f"drain 3 hosts x {count} msgs at once, PostgreSQL", f"{rate['three']:.0f} msg/s",
                   command=cmd, load=results["three"][0]["load"], value=rate["three"], runs=results["three"]),
        common.row(SECTION, "drain 3 hosts / 1 host, PostgreSQL", f"{scale:.2f}x", goal=">= 1.5x", ok=scale >= 1.5,
                   command=cmd, load=results["three"][0]["load"], value=scale),
    ]


def _descendants(pid: int) -> list[int]:
    """pid and every process below it (/proc's children lists)."""
    found = [pid]
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/children") as children:
            for child in children.read().split():
                found += _descendants(int(child))
    return found


@contextmanager
def on_cpus(cpus: set[int], pg: PgCluster) -> Iterator[None]:
    """Run on ``cpus`` only: this process (so the flushers and the smtp-sink it starts next) and the
    PostgreSQL server (the postmaster and its children; the backends it forks next inherit it)."""
    postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    pids = [os.getpid(), *_descendants(postmaster)]
    before = {pid: os.sched_getaffinity(pid) for pid in pids}
    for pid in pids:
        os.sched_setaffinity(pid, cpus)
    try:
        yield
    finally:
        for pid, allowed in before.items():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(pid, allowed)


HOSTS = (1, 2, 3)  # flushers at once, one per spool


def measure_cores(pg: PgCluster, quick: bool) -> list[dict]:
    count, runs = (500, 1) if quick else (2000, 2)
    allowed = sorted(os.sched_getaffinity(0))
    rates: dict[tuple[int, int], list[dict]] = {}
    for i in range(runs):
        for cores in range(1, len(allowed) + 1):
            with on_cpus(set(allowed[:cores]), pg), common.smtp_sink() as port:
                for hosts in HOSTS:
                    rates.setdefault((cores, hosts), []).append(drain(hosts, count, port, fresh_database(pg), pg))
                    last = rates[cores, hosts][-1]
                    print(f"backends cores run {i + 1}: {cores} core(s), {hosts} host(s): {last['rate']:.0f} msg/s,"
                          f" flushers+server busy {last['busy_cores']:.2f} cores", file=sys.stderr)
    rate = {key: common.median(r["rate"] for r in results) for key, results in rates.items()}
    cmd = "python bench/backends.py --only cores"
    rows = []
    busy = {key: common.median(r["busy_cores"] for r in results) for key, results in rates.items()}
    for hosts in HOSTS:
        one = rate[1, hosts]
        growth = "; ".join(f"{cores} cores {rate[cores, hosts]:.0f} msg/s ({rate[cores, hosts] / one:.2f}x,"
                           f" busy {busy[cores, hosts]:.2f})" for cores in range(2, len(allowed) + 1))
        rows.append(common.row(SECTION, f"drain {hosts} host(s) x {count} msgs on PostgreSQL, by cores"
                               " (flushers, smtp-sink and server pinned; busy = CPU s of flushers and server"
                               " per wall s)", f"1 core {one:.0f} msg/s (busy {busy[1, hosts]:.2f}); {growth}",
                               command=cmd, load=rates[1, hosts][0]["load"],
                               value={c: rate[c, hosts] for c in range(1, len(allowed) + 1)},
                               runs={c: rates[c, hosts] for c in range(1, len(allowed) + 1)}))
    return rows


def pipe(calls: int, url: str) -> dict:
    import bench_ingest

    with tempfile.TemporaryDirectory(prefix="bench-pipe-", dir="/var/tmp") as tmp:
        workdir = Path(tmp)
        spool = workdir / "spool"
        spool.mkdir()
        sends = bench_ingest.make_sends(spool, calls + 3, url)
        env = bench_ingest.environment(spool, workdir, url)
        for key in ("PYTHONPATH", "PYTHONPYCACHEPREFIX"):  # the installed package, its own .pyc files
            env.pop(key, None)
        bench_ingest.COMMAND = [common.command("bounce-ingest")]
        load = common.load()
        result = bench_ingest.bench_pipe(spool, env, sends, calls, warmup=3)
    result["load"] = load
    return result


def import_ms(module: str, runs: int) -> float:
    """Median wall ms of ``python -c 'import MODULE'`` (python -c pass included)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=common.user_env())
        times.append((time.perf_counter() - started) * 1000)
    return common.median(times)


def measure_pipe(pg: PgCluster, quick: bool) -> list[dict]:
    calls = 20 if quick else 100
    rows = []
    for name, url in (("SQLite", ""), ("PostgreSQL", fresh_database(pg))):
        r = pipe(calls, url)
        # What the PostgreSQL pipe pays on top: psycopg's import (it brings asyncio, logging,
        # importlib.metadata and typing_extensions), next to python's own start-up.
        extra = f"; python -c 'import psycopg': {import_ms('psycopg', calls):.1f}" if url else ""
        print(f"backends pipe {name}: {r['pipe_ms_median']:.1f} ms{extra}", file=sys.stderr)
        rows.append(common.row(SECTION, f"bounce-ingest pipe per call, {name} (median of {calls})",
                               f"{r['pipe_ms_median']:.1f} ms (python -c pass: {r['python_pass_ms_median']:.1f}"
                               f"{extra})",
                               goal="<= 50 ms", ok=r["pipe_ms_median"] <= 50,
                               command="python bench/backends.py --only pipe", load=r["load"],
                               value=r["pipe_ms_median"], detail=r))
    return rows


def sweep(n: int, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-sweep-", dir="/var/tmp") as base:
        root = os.path.join(base, "spool")
        started = time.perf_counter()
        subprocess.run([sys.executable, str(SWEEP), "--build", root, str(n), "--url", url], check=True)
        built = time.perf_counter() - started
        load = common.load()
        done = subprocess.run([sys.executable, str(SWEEP), "--child", root, "--url", url], capture_output=True,
                              text=True, check=True)
    result = json.loads(done.stdout)
    result.update(addresses=n, build_seconds=built, load=load)
    return result


def measure_sweep(pg: PgCluster, quick: bool) -> list[dict]:
    n = 100_000 if quick else 1_000_000
    rows = []
    for name, url in (("SQLite", ""), ("PostgreSQL", fresh_database(pg))):
        r = sweep(n, url)
        print(f"backends sweep {name}: {n} in {r['seconds']:.2f} s; " + "; ".join(r["steps"]), file=sys.stderr)
        rows.append(common.row(SECTION, f"bounce-sweep over {n:,} addresses, {name}",
                               f"{r['seconds']:.2f} s, {r['rss_mb']:.0f} MB", goal="<= 10 s" if n >= 1e6 else "",
                               ok=r["seconds"] <= 10 if n >= 1e6 else None,
                               command=f"python bench/bench_sweep.py --sizes {n}"
                               + (" --url postgresql://..." if url else ""),
                               load=r["load"], value=r["seconds"], detail=r))
    return rows


def measure_memory(pg: PgCluster, quick: bool) -> list[dict]:
    import memory

    sizes = [1000, 10000] if quick else [5000, 50000]
    results = []
    with common.smtp_sink() as port:
        for n in sizes:
            results.append(memory.one(n, port, database_toml(fresh_database(pg))))
            print(f"backends memory: {n} queued -> {results[-1]['peak_rss_mb']:.1f} MB", file=sys.stderr)
    small, large = results[0], results[-1]
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    return [common.row(SECTION, f"mq-flush peak RSS on PostgreSQL, {small['count']} / {large['count']} queued",
                       f"{small['peak_rss_mb']:.1f} / {large['peak_rss_mb']:.1f} MB ({ratio:.2f}x)",
                       goal="<= 1.2x", ok=ratio <= 1.2, command="python bench/backends.py --only memory",
                       load=large["load"], value=ratio, detail=results)]


PARTS = {"drain": measure_drain, "cores": measure_cores, "pipe": measure_pipe, "sweep": measure_sweep,
         "memory": measure_memory}


def measure(quick: bool = False, only: list[str] | None = None) -> list[dict]:
    rows = []
    with cluster() as pg:
        for name in only or list(PARTS):
            rows += PARTS[name](pg, quick)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated: {','.join(PARTS)}")
    args = parser.parse_args()
    common.print_rows(measure(args.quick, [p for p in args.only.split(",") if p]))


if __name__ == "__main__":
    main()
