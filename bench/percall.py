"""Per call: what one command costs an application (wall time, exec to exit, medians).

    python bench/percall.py [--calls 50] [--ingest-calls 30]   (as root, for Postfix's sendmail)

- ``mq-send --config C -t -i < 1.5 KB message`` (installed command, fsynced spool;
  the way PHP's mail() and cron scripts call sendmail) and ``mq-send -f SENDER -i
  RCPT``, against ``/usr/sbin/sendmail -t -i`` of a running Postfix (relaying to
  an smtp-sink); calls alternate, a few warm-up calls of each are not counted.
- ``bounce-ingest`` in pipe mode, as Postfix's local(8) runs it (environment,
  ``From `` line, a real Postfix DSN on stdin, a distinct verified VERP address
  each time): bench/bench_ingest.py's bench_pipe(), pointed at the installed
  command with the installed .pyc files (no PYTHONPATH, no pycache prefix).
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

SECTION = "percall"
WARMUP = 3


def timed(argv, data: bytes, env=None) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, input=data, capture_output=True, env=env)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{common.shell(argv)} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return elapsed


# The two ways applications call sendmail: PHP's mail() and cron-style scripts pass -t -i
# (recipients from To:, sender from From:); others name both (-f SENDER -i RCPT).
FORMS = {
    "-t -i": lambda i: ["-t", "-i"],
    "-f -i RCPT": lambda i: ["-f", "app@example.org", "-i", f"user{i}@example.com"],
}


def send_calls(calls: int, with_postfix: bool) -> tuple[dict[str, list[float]], list[float], str | None, float]:
    """({form: mq-send ms}, sendmail -t -i ms, why sendmail was skipped, load before)."""
    from mailtools.outbound.spool import Spool

    ours: dict[str, list[float]] = {form: [] for form in FORMS}
    theirs: list[float] = []
    skipped = None
    with tempfile.TemporaryDirectory(prefix="bench-percall-", dir="/var/tmp") as tmp:
        spool = Path(tmp) / "spool"
        Spool(str(spool)).ensure()
        config = common.write_config(Path(tmp) / "mailtools.toml", spool)
        mq_send = [common.command("mq-send"), "--config", str(config)]
        env = common.user_env()
        load = common.load()

        def ours_once(i: int) -> None:
            for form, args in FORMS.items():
                t = timed(mq_send + args(i), common.message(i), env)
                if i >= WARMUP:
                    ours[form].append(t)

        try:
            if not with_postfix:
                raise common.Skipped("not asked (--no-postfix)")
            with common.smtp_sink() as port, common.postfix_relaying_to(port) as pf:
                pf.start()
                load = common.load()
                for i in range(calls + WARMUP):
                    ours_once(i)
                    t = timed(["/usr/sbin/sendmail", "-t", "-i"], common.message(i), {**os.environ, **pf.env()})
                    if i >= WARMUP:
                        theirs.append(t)
                common.e2e().wait_for(lambda: common.postfix_queue_count(pf) == 0, timeout=30,
                                      what="Postfix to deliver the sendmail calls' messages to the sink")
        except common.Skipped as exc:
            skipped = str(exc)
            for i in range(len(ours["-t -i"]) + (WARMUP if ours["-t -i"] else 0), calls + WARMUP):
                ours_once(i)
        queued = common.count_files(spool / "queued")
        if queued != (calls + WARMUP) * len(FORMS):
            raise RuntimeError(f"{queued} messages queued by {(calls + WARMUP) * len(FORMS)} mq-send calls")
    return ours, theirs, skipped, load


def ingest_calls(calls: int) -> dict:
    import bench_ingest

    with tempfile.TemporaryDirectory(prefix="bench-pipe-", dir="/var/tmp") as tmp:
        workdir = Path(tmp)
        spool = workdir / "spool"
        spool.mkdir()
        sends = bench_ingest.make_sends(spool, calls + WARMUP)
        env = bench_ingest.environment(spool, workdir)
        for key in ("PYTHONPATH", "PYTHONPYCACHEPREFIX"):  # the installed package, its own .pyc files
            env.pop(key, None)
        bench_ingest.COMMAND = [common.command("bounce-ingest")]
        load = common.load()
        result = bench_ingest.bench_pipe(spool, env, sends, calls, warmup=WARMUP)
    result["load"] = load
    return result


def measure(quick: bool = False, calls: int | None = None, ingest: int | None = None,
            with_postfix: bool = True) -> list[dict]:
    calls = calls or (15 if quick else 50)
    ingest = ingest or (10 if quick else 30)
    ours, theirs, skipped, load = send_calls(calls, with_postfix)
    rows = []
    for form, times in ours.items():
        ms = common.median(times)
        rows.append(common.row(SECTION, f"mq-send {form} per call (median of {calls})", f"{ms:.1f} ms",
                               goal="<= 30 ms", ok=ms <= 30,
                               command=f"python bench/run.py --only percall  # mq-send --config C {form} < msg.eml",
                               load=load, value=ms, min_ms=min(times), max_ms=max(times)))
    if theirs:
        theirs_ms = common.median(theirs)
        rows.append(common.row(SECTION, f"Postfix sendmail -t -i per call (median of {calls})", f"{theirs_ms:.1f} ms",
                               command="python bench/run.py --only percall  # /usr/sbin/sendmail -t -i < msg.eml",
                               load=load, value=theirs_ms, min_ms=min(theirs), max_ms=max(theirs)))
    else:
        rows.append(common.row(SECTION, "Postfix sendmail per call", f"skipped: {skipped}",
                               command="python bench/run.py --only percall"))
    pipe = ingest_calls(ingest)
    rows.append(common.row(SECTION, f"bounce-ingest pipe per call (median of {ingest})",
                           f"{pipe['pipe_ms_median']:.1f} ms (CPU {pipe['pipe_cpu_ms_median']:.1f};"
                           f" python -c pass: {pipe['python_pass_ms_median']:.1f})",
                           goal="<= 50 ms", ok=pipe["pipe_ms_median"] <= 50,
                           command="python bench/run.py --only percall  # bounce-ingest < DSN (env as local(8) sets)",
                           load=pipe["load"], value=pipe["pipe_ms_median"], detail=pipe))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--ingest-calls", type=int, default=30)
    parser.add_argument("--no-postfix", action="store_true", help="mailtools only (no root needed)")
    args = parser.parse_args()
    common.print_rows(measure(calls=args.calls, ingest=args.ingest_calls, with_postfix=not args.no_postfix))


if __name__ == "__main__":
    main()
