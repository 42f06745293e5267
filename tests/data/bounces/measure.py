"""Measure the classifier on a directory of labelled samples.

    python tests/data/bounces/measure.py [-v] [DIR]

DIR holds an expected.json (sample path, relative to DIR -> "kind" and per
recipient "address", "reason", "hard"); by default this directory (our
Postfix's real DSNs and the synthetic samples), else e.g. blind-unix/ or
blind-hosted/, the blind tests. Prints hard-bounce recall, soft judged hard,
non-bounces judged hard, how often an address was found, how often the reason
agrees with the label; -v lists every sample whose verdict differs from its
label. On this directory it also prints classify() throughput on a typical
bounce (a Postfix DSN) and on the whole sample mix.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from mailtools.bounces.classify import Verdict, classify  # noqa: E402


def disagreements(row: dict, verdict: Verdict) -> list[str]:
    """How *verdict* differs from a sample's label (kind, and each labelled recipient's reason and hardness)."""
    got = {r.address: r for r in verdict.recipients}
    wrong = [] if verdict.kind == row["kind"] else [f"kind {verdict.kind} != {row['kind']}"]
    for want in row["recipients"]:
        r = got.get(want["address"])
        if r is None:
            if row["kind"] in ("bounce", "delay"):
                wrong.append(f"{want['address']} not found")    # a non-bounce need not name anyone
        elif r.hard != want["hard"] or (want["reason"] and r.reason != want["reason"]):
            wrong.append(f"{want['address']}: {r.reason}/{'hard' if r.hard else 'soft'} != "
                         f"{want['reason']}/{'hard' if want['hard'] else 'soft'}")
    return wrong


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    where = Path(args[0]).resolve() if args else HERE
    expected = json.loads((where / "expected.json").read_text())
    hard_total = hard_found = soft_total = soft_as_hard = 0
    nonbounce_rcpts = nonbounce_as_hard = 0
    failures_total = failures_with_addr = reason_total = reason_ok = 0
    for name, row in sorted(expected.items()):
        verdict = classify((where / name).read_bytes())
        got = {r.address: r for r in verdict.recipients}
        truth = row["recipients"]
        if row["kind"] in ("bounce", "delay"):
            failures_total += 1
            failures_with_addr += bool(verdict.recipients)
        for rcpt in truth:
            mine = got.get(rcpt["address"])
            hard = bool(mine and mine.hard)
            if row["kind"] != "bounce":
                nonbounce_rcpts += 1
                nonbounce_as_hard += hard
            elif rcpt["hard"]:
                hard_total += 1
                hard_found += hard
            else:
                soft_total += 1
                soft_as_hard += hard
            if rcpt["reason"] and row["kind"] == "bounce":
                reason_total += 1
                reason_ok += bool(mine and mine.reason == rcpt["reason"])
        if row["kind"] != "bounce":
            nonbounce_as_hard += sum(1 for r in verdict.recipients if r.hard and r.address not in
                                     {t["address"] for t in truth})
        wrong = disagreements(row, verdict) if verbose else []
        if wrong:
            print(f"{name}: " + "; ".join(wrong))

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} ({100 * a / b:.1f}%)" if b else "0/0"

    print(f"samples:                      {len(expected)}")
    print(f"hard recall:                  {pct(hard_found, hard_total)}")
    print(f"soft judged hard:             {pct(soft_as_hard, soft_total)}")
    print(f"non-bounce recipients hard:   {pct(nonbounce_as_hard, nonbounce_rcpts)}")
    print(f"bounces/delays with address:  {pct(failures_with_addr, failures_total)}")
    print(f"reason agrees with the label: {pct(reason_ok, reason_total)}")
    if where != HERE:
        return

    typical = (HERE / "postfix" / "bounce_spamhaus.eml").read_bytes()
    mix = [(HERE / n).read_bytes() for n in sorted(expected)]
    for label, batch in (("typical Postfix DSN", [typical] * 2000), ("whole sample mix", mix * 10)):
        classify(batch[0])
        start = time.perf_counter()
        for raw in batch:
            classify(raw)
        elapsed = time.perf_counter() - start
        print(f"throughput, {label + ':':22} {len(batch) / elapsed:,.0f} messages/s "
              f"({1000 * elapsed / len(batch):.2f} ms each)")


if __name__ == "__main__":
    main()
