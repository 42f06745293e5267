"""The classifier's judgement on real bounces no one here wrote (issue 11), when they exist.

    python bench/classifier.py

Runs ../shared/corpora/measure.py (found in a parent directory of the
repository, or at $MAILTOOLS_CORPORA) against the installed
`bounce-ingest --dry-run --json`, and turns its figures into bench rows with
the issue's goals. A clone without the corpora prints that it skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import common

SECTION = "classifier"
# (figure, measure.py's words, goal, is it met)
GOALS = [
    ("hard recall", "hard recall", ">= 95%", lambda v: v >= 95.0),
    ("soft judged hard", "soft judged hard", "<= 3%", lambda v: v <= 3.0),
    ("address found", "address found", ">= 95%", lambda v: v >= 95.0),
    ("reason agrees with sisimai", "reason agrees", ">= 80%", lambda v: v >= 80.0),
]


def corpora() -> Path | None:
    """shared/corpora beside the repository or one of its parents (worktrees sit deeper)."""
    if os.environ.get("MAILTOOLS_CORPORA"):
        return Path(os.environ["MAILTOOLS_CORPORA"])
    for parent in common.REPO.parents:
        found = parent / "shared" / "corpora"
        if (found / "measure.py").exists():
            return found
    return None


def measure(quick: bool = False) -> list[dict]:
    where = corpora()
    if where is None:
        raise common.Skipped("no shared/corpora beside the repository (the labelled bounces are kept outside it)")
    command = [common.command("bounce-ingest"), "--dry-run", "--json"]
    load = common.load()
    done = subprocess.run([sys.executable, str(where / "measure.py"), *command], capture_output=True, text=True,
                          check=True, timeout=600)
    line = done.stdout.strip().splitlines()[-1]
    shown = f"python {where / 'measure.py'} bounce-ingest --dry-run --json"
    rows = []
    for figure, words, goal, met in GOALS:
        m = re.search(re.escape(words) + r" ([\d.]+)% \((\d+/\d+)\)", line)
        if m is None:
            raise ValueError(f"measure.py printed no {words!r}: {line}")
        value = float(m.group(1))
        rows.append(common.row(SECTION, f"{figure}, {line.split()[0]}", f"{value:.1f}% ({m.group(2)})",
                               goal=goal, ok=met(value), command=shown, load=load, value=value))
    m = re.search(r"non-bounces judged hard (\d+)/(\d+)", line)
    if m:
        rows.append(common.row(SECTION, f"non-bounces judged hard, {line.split()[0]}", f"{m.group(1)}/{m.group(2)}",
                               goal="0", ok=m.group(1) == "0", command=shown, load=load, value=int(m.group(1))))
    return rows


if __name__ == "__main__":
    common.print_rows(measure())
