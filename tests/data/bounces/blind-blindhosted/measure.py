"""Score the classifier on the HAND-WRITTEN samples in this directory.

    python tests/data/bounces/blind-blindhosted/measure.py [-v]

Same figures as ../measure.py (hard recall, soft judged hard, non-bounces
judged hard, bounces/delays with an address) on expected.json here; -v lists
every sample whose verdict differs from its label.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from mailtools.bounces.classify import classify  # noqa: E402


def main() -> None:
    verbose = "-v" in sys.argv
    expected = json.loads((HERE / "expected.json").read_text())
    hard_total = hard_found = soft_total = soft_as_hard = 0
    nb_rcpts = nb_hard = fail_total = fail_addr = 0
    for name, row in sorted(expected.items()):
        verdict = classify((HERE.parent / name).read_bytes())
        got = {r.address: r for r in verdict.recipients}
        truth = row["recipients"]
        if row["kind"] in ("bounce", "delay"):
            fail_total += 1
            fail_addr += bool(verdict.recipients)
        for rcpt in truth:
            g = got.get(rcpt["address"])
            ghard = bool(g and g.hard)
            if row["kind"] != "bounce":
                nb_rcpts += 1
                nb_hard += ghard
            elif rcpt["hard"]:
                hard_total += 1
                hard_found += ghard
            else:
                soft_total += 1
                soft_as_hard += ghard
        if row["kind"] != "bounce":
            nb_hard += sum(1 for r in verdict.recipients
                           if r.hard and r.address not in {t["address"] for t in truth})
        if verbose:
            want = sorted((t["address"], t["reason"], t["hard"]) for t in truth)
            have = sorted((r.address, r.reason, r.hard) for r in verdict.recipients)
            if want != have or verdict.kind != row["kind"]:
                print(f"{name}: want {row['kind']} {want}\n{' ' * len(name)}  got  {verdict.kind} {have}")

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} ({100 * a / b:.1f}%)" if b else "0/0"

    print(f"samples:                      {len(expected)}")
    print(f"hard recall:                  {pct(hard_found, hard_total)}")
    print(f"soft judged hard:             {pct(soft_as_hard, soft_total)}")
    print(f"non-bounce recipients hard:   {pct(nb_hard, nb_rcpts)}")
    print(f"bounces/delays with address:  {pct(fail_addr, fail_total)}")


if __name__ == "__main__":
    main()
