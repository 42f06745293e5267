"""Drain: N messages waiting in a drop directory, delivered to Postfix's smtp-sink on loopback.

    python bench/drain.py [--count 2000] [--runs 3]       (as root, for the Postfix side)

mailtools: N 1.5 KB messages are dropped into ``spool/maildrop/`` (written as
'.name', then renamed), then one ``mq-flush --json`` (installed command, default
``transport.connections`` = 4, PIPELINING) is timed from exec to exit, and every
message must be in ``sent/``.

Postfix: with Postfix stopped, the same N messages are injected with
``/usr/sbin/sendmail -i RCPT`` (they wait in its ``maildrop/``), then
``postfix start`` is timed until its queue (maildrop, incoming, active,
deferred, hold) is empty, and the log must show N ``status=sent`` to the sink.
main.cf: the e2e base (loopback, no chroot, own log) plus
``relayhost = [127.0.0.1]:<sink>``, ``default_transport = smtp``,
``relay_transport = relay``, ``smtp_tls_security_level = none``; concurrency
limits as Postfix ships them (noted in the results).

Runs alternate (mailtools, Postfix, mailtools, ...); the figure is the median.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

SECTION = "drain"


def mailtools_once(count: int, sink_port: int) -> dict:
    from mailtools.outbound.spool import Spool

    with tempfile.TemporaryDirectory(prefix="bench-drain-", dir="/var/tmp") as tmp:
        spool = Path(tmp) / "spool"
        Spool(str(spool)).ensure()
        config = common.write_config(Path(tmp) / "mailtools.toml", spool, sink_port)
        common.drop_into(spool / "maildrop", count)
        run = common.timed_flush(config, spool, count)
    return {**run, "rate": count / run["seconds"]}


def inject(pf, count: int) -> None:
    """Postfix's sendmail, once per message, while Postfix is stopped: the mail waits in maildrop/."""
    sendmail = "/usr/sbin/sendmail"
    env = {**os.environ, **pf.env()}  # the instance's, not the machine's

    def one(i: int) -> None:
        done = subprocess.run([sendmail, "-i", f"user{i}@example.com"], input=common.message(i),
                              capture_output=True, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"sendmail exited {done.returncode}: {done.stderr.decode(errors='replace')}")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(count)))


def sent_in_log(pf, offset: int, sink_port: int) -> int:
    try:
        with open(pf.maillog, "rb") as fh:
            fh.seek(offset)
            text = fh.read()
    except FileNotFoundError:
        return 0
    relay = f"relay=127.0.0.1[127.0.0.1]:{sink_port}".encode()
    return sum(1 for line in text.splitlines() if b"status=sent" in line and relay in line)


def postfix_once(pf, pi, count: int, sink_port: int) -> dict:
    pf.stop()
    if common.postfix_queue_count(pf):
        raise RuntimeError("Postfix's queue is not empty before the run")
    inject(pf, count)
    waiting = common.count_files(pf.queue_dir / "maildrop")
    if waiting != count:
        raise RuntimeError(f"{waiting} of {count} messages in Postfix's maildrop after injection")
    offset = pf.maillog.stat().st_size if pf.maillog.exists() else 0
    load = common.load()
    started = time.perf_counter()
    subprocess.run([pi.POSTFIX, "-c", pf.config_dir, "start"], check=True, capture_output=True)
    up = time.perf_counter() - started
    deadline = started + 300
    while common.postfix_queue_count(pf):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"Postfix's queue did not empty in 300 s:\n{pf.log_tail()}")
        if common.count_files(pf.queue_dir / "deferred"):
            raise RuntimeError(f"Postfix deferred mail (is the sink reachable?):\n{pf.log_tail()}")
        time.sleep(0.02)  # each poll scans ~50 queue directories: keep it off Postfix's CPUs
    seconds = time.perf_counter() - started
    # postlogd writes asynchronously: give the log a moment to catch up
    pi.wait_for(lambda: sent_in_log(pf, offset, sink_port) >= count, timeout=30,
                what=lambda: f"{count} status=sent lines in {pf.maillog} "
                             f"(found {sent_in_log(pf, offset, sink_port)})\n{pf.log_tail()}")
    pf.stop()
    return {"seconds": seconds, "rate": count / seconds, "load": load, "start_command_s": up,
            "rate_after_start_returned": count / (seconds - up)}


def measure(quick: bool = False, count: int | None = None, runs: int | None = None) -> list[dict]:
    count = count or (500 if quick else 2000)
    runs = runs or (1 if quick else 3)
    mine, theirs, notes = [], [], {}
    skipped = None
    with common.smtp_sink() as port:
        try:
            with common.postfix_relaying_to(port) as pf:
                pi = common.e2e()
                notes = {p: pf.get(p) for p in ("default_destination_concurrency_limit",
                                                "initial_destination_concurrency", "smtp_connection_cache_on_demand",
                                                "in_flow_delay", "relayhost", "default_transport")}
                for i in range(runs):
                    mine.append(mailtools_once(count, port))
                    print(f"drain run {i + 1}: mq-flush {mine[-1]['rate']:.0f} msg/s", file=sys.stderr)
                    theirs.append(postfix_once(pf, pi, count, port))
                    print(f"drain run {i + 1}: Postfix {theirs[-1]['rate']:.0f} msg/s", file=sys.stderr)
        except common.Skipped as exc:
            skipped = str(exc)
            if not mine:
                for _ in range(runs):
                    mine.append(mailtools_once(count, port))
    rate = common.median(r["rate"] for r in mine)
    rerun = f"python bench/run.py --only drain  # each run: mq-flush --config C --json ({count} in maildrop/)"
    rows = [common.row(SECTION, f"drain {count} msgs: mq-flush", f"{rate:.0f} msg/s",
                       command=rerun, load=mine[0]["load"], value=rate, runs=mine)]
    if theirs:
        theirs_rate = common.median(r["rate"] for r in theirs)
        ratio = rate / theirs_rate
        rows.append(common.row(SECTION, f"drain {count} msgs: Postfix", f"{theirs_rate:.0f} msg/s",
                               command=f"python bench/run.py --only drain  # inject: sendmail -i RCPT x{count} "
                               "(stopped); time: postfix start -> queue empty",
                               load=theirs[0]["load"], value=theirs_rate, runs=theirs, postfix_settings=notes))
        rows.append(common.row(SECTION, "drain ratio mq-flush/Postfix", f"{ratio:.2f}x", goal=">= 1.0x",
                               ok=ratio >= 1.0, command="python bench/run.py --only drain",
                               load=max(r["load"] for r in mine + theirs), value=ratio))
    else:
        rows.append(common.row(SECTION, "drain ratio mq-flush/Postfix", f"skipped: {skipped}", goal=">= 1.0x",
                               command="python bench/run.py --only drain"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    common.print_rows(measure(count=args.count, runs=args.runs))


if __name__ == "__main__":
    main()
