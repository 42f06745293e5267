"""Score the classifier on the HAND-WRITTEN blind samples in this directory.

    python tests/data/bounces/blind-blindunix/score.py [-v]

The same figures as ../measure.py (hard recall, soft judged hard, non-bounces
judged hard, address found) plus how often the reason agrees with the label;
-v lists every sample whose verdict differs from expected.json.
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
    hard_total = hard_found = soft_total = soft_as_hard = nb_total = nb_hard = 0
    fail_total = fail_addr = reason_total = reason_ok = 0
    for name, row in sorted(expected.items()):
        verdict = classify((HERE / name).read_bytes())
        got = {r.address: r for r in verdict.recipients}
        wrong = []
        if verdict.kind != row["kind"]:
            wrong.append(f"kind {verdict.kind} != {row['kind']}")
        if row["kind"] in ("bounce", "delay"):
            fail_total += 1
            fail_addr += bool(verdict.recipients)
        for t in row["recipients"]:
            g = got.get(t["address"])
            hard = bool(g and g.hard)
            if row["kind"] != "bounce":
                nb_total += 1
                nb_hard += hard
            elif t["hard"]:
                hard_total += 1
                hard_found += hard
            else:
                soft_total += 1
                soft_as_hard += hard
            if t["reason"]:
                reason_total += 1
                reason_ok += bool(g and g.reason == t["reason"])
            if g is None:
                if row["kind"] in ("bounce", "delay"):
                    wrong.append(f"{t['address']} missing")   # a non-bounce need not name anyone
            elif g.hard != t["hard"] or (t["reason"] and g.reason != t["reason"]):
                wrong.append(f"{t['address']} {g.reason}/{'hard' if g.hard else 'soft'} != "
                             f"{t['reason']}/{'hard' if t['hard'] else 'soft'}")
        if row["kind"] != "bounce":
            nb_hard += sum(1 for r in verdict.recipients if r.hard and r.address not in
                           {t["address"] for t in row["recipients"]})
        if verbose and wrong:
            print(f"{name}: " + "; ".join(wrong))

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} ({100 * a / b:.1f}%)" if b else "0/0"

    print(f"samples:                      {len(expected)}")
    print(f"hard recall:                  {pct(hard_found, hard_total)}")
    print(f"soft judged hard:             {pct(soft_as_hard, soft_total)}")
    print(f"non-bounce recipients hard:   {pct(nb_hard, nb_total)}")
    print(f"bounces/delays with address:  {pct(fail_addr, fail_total)}")
    print(f"reason agrees with label:     {pct(reason_ok, reason_total)}")


if __name__ == "__main__":
    main()
