"""Issue 10, 3: mq-flush stopped by SIGINT or SIGTERM at random moments (DESIGN spool rule 3).

A slow real server (aiosmtpd whose DATA handler sleeps) keeps transactions
in flight; each round queues a few messages, starts the installed mq-flush,
waits until it has claimed mail, then sends SIGINT or SIGTERM after a random
delay. Every stopped run must exit 75; a final run finishes the queue. Then:
0 duplicates (by Message-ID at the server), 0 lost, 0 held, no crash counted.
The figures go to the "reliability figures" summary.
"""

from __future__ import annotations

import collections
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import command_path, flush_env, tally

from mailtools.config import load_config
from mailtools.outbound.envelope import load
from mailtools.outbound.spool import Spool
from mailtools.outbound.submit import submit

_MESSAGE_ID = re.compile(rb"(?mi)^Message-ID:\s*(<[^>]+>)")


def queue_some(spool_dir: Path, config_file: Path, count: int, tag: str) -> list[str]:
    """``count`` one-recipient messages queued in-process; their Message-IDs."""
    config = load_config(str(config_file), str(spool_dir))
    spool = Spool(str(spool_dir))
    ids = []
    for i in range(count):
        raw = f"From: app@example.org\nTo: r{tag}-{i}@example.net\nSubject: {tag}/{i}\n\nmessage {tag}/{i}\n"
        envelope = submit(config, spool, raw.encode(), "app@example.org", [f"r{tag}-{i}@example.net"],
                          now=time.time())
        ids.append(envelope.message_id)
    return ids


def stop_at_random_moments(cli, smtp, spool_dir: Path, config_file: Path, rounds: int,  # noqa: ANN001
                           rng: random.Random, per_round: int = 6) -> dict[str, int]:
    smtp.behaviour.stall_seconds = 0.15  # every DATA waits: transactions are in flight when the signal lands
    expected: list[str] = []
    counts: collections.Counter = collections.Counter()
    for round_no in range(rounds):
        expected += queue_some(spool_dir, config_file, per_round, str(round_no))
        proc = subprocess.Popen([command_path("mq-flush"), "-q"], env=flush_env(cli),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while not os.listdir(spool_dir / "active") and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)  # until it holds mail: its handlers are installed by then
        time.sleep(rng.uniform(0.0, 0.35))
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stderr.read().decode()
            counts["finished before the signal"] += 1
            continue
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        accepted_before = len(smtp.messages)
        proc.send_signal(signum)
        code = proc.wait(timeout=30)
        err = proc.stderr.read().decode()
        if code in (0, -signum) and "stopped by" not in err:
            # The run had finished its work and was exiting when the signal landed (Python
            # restores the default handlers as it shuts down): nothing may be left claimed.
            assert os.listdir(spool_dir / "active") == [], f"{signum.name} at exit left claims: {err}"
            counts["finished as the signal came"] += 1
            continue
        assert code == 75, f"{signum.name}: exit {code}: {err}"
        assert "stopped by " + signum.name in err
        counts[signum.name] += 1
        # What the server accepted after the signal: transactions that were in flight, now recorded.
        counts["accepted after a signal"] += len(smtp.messages) - accepted_before
    smtp.behaviour.stall_seconds = 0
    for _ in range(3):
        done = subprocess.run([command_path("mq-flush"), "--json"], env=flush_env(cli), capture_output=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        if not os.listdir(spool_dir / "queued") and not os.listdir(spool_dir / "deferred"):
            break
    received = collections.Counter(_MESSAGE_ID.search(m.data).group(1).decode() for m in smtp.messages)
    counts["duplicates"] = sum(n - 1 for n in received.values() if n > 1)
    counts["lost"] = len(set(expected) - set(received))
    counts["held"] = len(os.listdir(spool_dir / "held"))
    counts["left in active/"] = len(os.listdir(spool_dir / "active"))
    counts["crashes counted"] = sum(load((spool_dir / "sent" / name).read_bytes()).envelope.crashes
                                    for name in os.listdir(spool_dir / "sent"))
    counts["messages"] = len(expected)
    return counts


def check_and_report(counts: dict[str, int], rounds: int) -> None:
    stopped = counts["SIGINT"] + counts["SIGTERM"]
    for key, value in sorted(counts.items()):
        tally(f"signals: {key}", value, quiet=True)
    print(f"[reliability] signals: {dict(counts)}")
    assert stopped >= rounds * 0.8, f"only {stopped} of {rounds} runs were stopped by a signal"
    assert counts["SIGINT"] and counts["SIGTERM"]
    assert counts["accepted after a signal"] > 0, "no transaction was ever in flight at a signal"
    assert (counts["duplicates"], counts["lost"], counts["held"], counts["left in active/"],
            counts["crashes counted"]) == (0, 0, 0, 0, 0), counts


def test_sigint_and_sigterm_at_random_moments(cli, smtp, spool_dir, config_file):
    rng = random.Random(int(os.environ.get("SIGNAL_SEED", "10")))
    counts = stop_at_random_moments(cli, smtp, spool_dir, config_file, rounds=24, rng=rng)
    check_and_report(counts, 24)


@pytest.mark.slow
def test_sigint_and_sigterm_soak(cli, smtp, spool_dir, config_file):
    rng = random.Random()
    counts = stop_at_random_moments(cli, smtp, spool_dir, config_file, rounds=150, rng=rng, per_round=10)
    check_and_report(counts, 150)
