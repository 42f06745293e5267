"""Measure the classifier on the samples in this directory.

    python tests/data/bounces/measure.py

Prints hard-bounce recall, soft judged hard, non-bounces judged hard, how
often an address was found, and classify() throughput on a typical bounce
(a Postfix DSN) and on the whole sample mix. The truth is expected.json
("recipients").
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from mailtools.bounces.classify import classify  # noqa: E402


def main() -> None:
    expected = json.loads((HERE / "expected.json").read_text())
    hard_total = hard_found = soft_total = soft_as_hard = 0
    nonbounce_rcpts = nonbounce_as_hard = 0
    failures_total = failures_with_addr = 0
    for name, row in sorted(expected.items()):
        verdict = classify((HERE / name).read_bytes())
        got = {r.address: r.hard for r in verdict.recipients}
        truth = row["recipients"]
        if row["kind"] in ("bounce", "delay"):
            failures_total += 1
            failures_with_addr += bool(verdict.recipients)
        for rcpt in truth:
            if row["kind"] != "bounce":
                nonbounce_rcpts += 1
                nonbounce_as_hard += got.get(rcpt["address"], False)
            elif rcpt["hard"]:
                hard_total += 1
                hard_found += got.get(rcpt["address"], False)
            else:
                soft_total += 1
                soft_as_hard += got.get(rcpt["address"], False)
        if row["kind"] != "bounce":
            nonbounce_as_hard += sum(1 for r in verdict.recipients if r.hard and r.address not in
                                     {t["address"] for t in truth})

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} ({100 * a / b:.1f}%)" if b else "0/0"

    print(f"samples:                      {len(expected)}")
    print(f"hard recall:                  {pct(hard_found, hard_total)}")
    print(f"soft judged hard:             {pct(soft_as_hard, soft_total)}")
    print(f"non-bounce recipients hard:   {pct(nonbounce_as_hard, nonbounce_rcpts)}")
    print(f"bounces/delays with address:  {pct(failures_with_addr, failures_total)}")

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
