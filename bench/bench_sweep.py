"""Time bounce-sweep over 100k and 1M tracked addresses; report seconds and peak RSS.

    cd /work/main && python bench/bench_sweep.py [--sizes 100000,1000000] [--keep DIR] [--url URL]

With ``--url postgresql://...`` the state is in that (empty, initialised)
database instead of the spool's SQLite file: bulk-loaded with COPY, then
ANALYZEd, as a restore would leave it.

The spool is built with bulk SQL through the library's schema (not a million
processes): every address was mailed in the last 10 days; 30% have bounced
(mostly 1-5 hard bounces, 0.05% just past max_bounce_count); 5% have soft
bounces from one or two sending domains; 2% are already disabled at various
points of their notice schedule (so ~0.15% of addresses get a notice: the
daily volume of a large site, each one a durable queue file); a month of send log; sent/ messages, an
eighth of them past retention. Each sweep runs in a child process, so its
``ru_maxrss`` is the sweep's alone. Goal: 1M in <= 10 s and <= 512 MB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mailtools.outbound.envelope import Envelope, Recipient  # noqa: E402
from mailtools.outbound.spool import Spool  # noqa: E402
from mailtools.state import db_path, open_state  # noqa: E402

DAY = 86400.0
NOW = 1_750_000_000.0


def _state_url(root: str, url: str) -> str:
    return url or "sqlite:///" + db_path(root)


def _load(store, table: str, columns: str, rows: list[tuple]) -> None:
    """Rows straight into a table: the interface adds them one event at a time."""
    if store.url.startswith("postgres"):
        with store.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ",".join("?" * len(columns.split(",")))
        store.conn.executemany(f"INSERT INTO {table}({columns}) VALUES ({marks})", rows)


def build(root: str, n: int, seed: int = 1, url: str = "") -> None:
    rng = random.Random(seed)
    spool = Spool(root)
    spool.ensure()
    store = open_state(_state_url(root, url))
    conn = store.conn
    sqlite = not store.url.startswith("postgres")
    if sqlite:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -200000")
    else:  # one database serves each size in turn
        conn.execute("TRUNCATE addresses, events, soft_counters, sendlog, suppressions, callbacks, notice_intents,"
                     " tokens_used")
    addresses, events, soft, sends = [], [], {}, []
    for i in range(n):
        address = f"user{i:07d}@example{i % 997}.org"
        last_sent = NOW - rng.uniform(0, 10) * DAY
        roll = rng.random()
        hard = disabled = notices = 0
        first = last = last_notice = disabled_at = None
        if roll < 0.0005:
            hard = 11
        elif roll < 0.02:
            # steady state: each has had its first notice; about 1 in 14 is owed the next one today
            hard, disabled, notices = 11, 1, rng.randint(1, 4)
            last_notice = NOW - rng.uniform(0.5, 7.5) * DAY
            disabled_at = last_notice - (notices - 1) * 7 * DAY
        elif roll < 0.30:
            hard = rng.randint(1, 5)
        if hard:
            last = NOW - rng.uniform(0, 10) * DAY
            first = last - rng.uniform(0, 5) * DAY
            events.append((f"dsn-{i}", address, None, None, "shop.example", "userunknown", "5.1.1", 1, last,
                           None, None, 0))
        softs = 0
        if rng.random() < 0.05:
            for j in range(rng.randint(1, 7)):
                domain = "shop.example" if j % 2 == 0 else "news.example"
                when = NOW - rng.uniform(0, 4) * DAY
                events.append((f"soft-{i}-{j}", address, None, None, domain, "mailboxfull", "4.2.2", 0, when,
                               None, None, 1))
                count, latest = soft.get((address, domain), (0, 0.0))
                soft[(address, domain)] = (count + 1, max(latest, when))
                softs += 1
                last = max(last or 0, when)
                first = min(first or when, when)
        # quiet_since: the first mail after the last bounce (here the one mail the bench knows of)
        quiet_since = last_sent if last is not None and last_sent > last else None
        addresses.append((address, None, hard, softs, disabled, disabled_at, first, last, last_sent, quiet_since,
                          notices, last_notice))
        sends.append((f"h{i:07d}", address, f"<m{i}@shop.example>", None, None, "app@shop.example", None,
                      NOW - rng.uniform(0, 31) * DAY))
    conn.execute("BEGIN")
    _load(store, "addresses", "address, user_id, hard_bounces, soft_bounces, disabled, disabled_at,"
          " first_bounce, last_bounce, last_sent, quiet_since, notices_sent, last_notice", addresses)
    _load(store, "events", "dsn_key, address, user_id, package_id, sending_domain, reason, status,"
          " hard, time, message_id, bounce_file, soft_pending", events)
    _load(store, "soft_counters", "address, sending_domain, count, last_soft",
          [(a, d, c, t) for (a, d), (c, t) in soft.items()])
    _load(store, "sendlog", "hash, recipient, message_id, user_id, package_id, sender, queue_id, time", sends)
    _load(store, "suppressions", "address, scope, reason, origin, since",
          [(a[0], "", "bounce", "bounce-sweep", a[5]) for a in addresses if a[4]])
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)" if sqlite else "ANALYZE")
    conn.close()
    for i in range(n // 50):  # a week of sent messages, an eighth of them just past retention
        done = NOW - rng.uniform(0, 8) * DAY
        envelope = Envelope(id=spool.new_id(done), sender="app@shop.example", recipients=[Recipient(f"u{i}@x.org")],
                            created=done - 60, done_at=done)
        spool.write("sent", envelope, b"Subject: x\n\nhello\n", sync=False)


def child(root: str, url: str = "") -> None:
    """Run one sweep and report on stdout: seconds, peak RSS, summary, per-step times."""
    from mailtools.bounces.policy import sweep
    from mailtools.config import parse_config

    steps: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            steps.append(record.getMessage())

    logging.getLogger("mailtools").addHandler(Capture())
    logging.getLogger("mailtools").setLevel(logging.DEBUG)
    os.environ["MAILTOOLS_NOW"] = str(NOW)
    config = parse_config({"spool": root, "database": {"url": url},
                           "bounce": {"domain": "bounces.example.org", "reenable_url": "https://example.org/r?t={token}"}})
    started = time.perf_counter()
    summary = sweep(config, Spool(root), NOW)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if sys.platform == "linux":  # the kernel's own peak for this process image, as a cross-check
        with open("/proc/self/status") as handle:
            hwm = [line for line in handle if line.startswith("VmHWM:")]
        rss_mb = max(rss_mb, int(hwm[0].split()[1]) / 1024) if hwm else rss_mb
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "summary": summary,
                      "steps": [s for s in steps if " took " in s]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--keep", metavar="DIR", help="build the spools under DIR and keep them")
    parser.add_argument("--url", default="", help="a PostgreSQL database (empty, initialised) instead of SQLite")
    parser.add_argument("--child", metavar="SPOOL", help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, metavar=("SPOOL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.url)
    if args.build:
        return build(args.build[0], int(args.build[1]), url=args.url)
    print("command: python bench/bench_sweep.py --sizes " + args.sizes)
    base = args.keep or tempfile.mkdtemp(prefix="bench-sweep-")
    rows = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            root = os.path.join(base, f"spool-{n}")
            started = time.perf_counter()
            # Built in a child too: Linux carries a parent's RSS high-water mark into a
            # forked child's ru_maxrss, so this process must stay small.
            subprocess.run([sys.executable, os.path.abspath(__file__), "--build", root, str(n), "--url", args.url],
                           check=True)
            built = time.perf_counter() - started
            done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", root, "--url", args.url],
                                  capture_output=True, text=True, check=True)
            result = json.loads(done.stdout)
            rows.append((n, built, result))
            print(f"built {n} in {built:.1f} s; " + "; ".join(result["steps"]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"\n{'addresses':>10} {'sweep s':>8} {'peak MB':>8} {'s/100k':>7}  summary")
    for n, _, result in rows:
        print(f"{n:>10} {result['seconds']:>8.2f} {result['rss_mb']:>8.1f} "
              f"{result['seconds'] / n * 1e5:>7.2f}  {json.dumps(result['summary'])}")


if __name__ == "__main__":
    main()
