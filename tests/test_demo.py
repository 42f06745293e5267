"""make demo tells the whole story: run as make runs it (into a temporary directory), it
disables an address, mails it a notice with a re-enable link, re-enables it with that
link's token, and leaves every message the sink received under DIR/received/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import BIN, ROOT


def test_demo_disables_notifies_and_reenables_by_the_notices_link(tmp_path: Path):
    demo = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTOOLS_")}
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), str(demo)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    seconds = time.monotonic() - t0
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    out = done.stdout
    assert seconds < 20, f"make demo took {seconds:.1f} s"

    assert '"disabled": 1, "notified": 1' in out  # the sweep
    received = sorted((demo / "received").glob("*.eml"))
    assert [p.name for p in received] == [f"{n:03d}.eml" for n in range(1, len(received) + 1)]
    notices = [p for p in received if "Subject: Mail to alice@example.net has been stopped" in p.read_text()]
    assert len(notices) == 1, [p.read_text()[:300] for p in received]
    notice = notices[0].read_text()
    assert notice.startswith("Return-Path: <") and "\nDelivered-To: alice@example.net\n" in notice
    link = re.search(r"https://example\.org/mail/reenable\?token=(\S+)", notice)
    assert link, notice

    # The token bounce-enable got is the one in the notice; it worked once, then not again.
    assert f"bounce-enable --token {link.group(1)}\nalice@example.net: enabled (its suppression lifted)" in out
    assert re.search(r"^\$ bounce-enable --token \.\.\.\n.*\n  \(exit 65\)$", out, re.M), out
    # While disabled, mail to her was dropped as suppressed, not sent.
    assert re.search(r"\(app@example\.org => alice@example\.net\) dropped .*error='suppressed", out)
    # The reader is told where to look.
    assert f"demo/received/: the {len(received)} messages the sink received" in out
    assert f"the notice to Alice is {notices[0].name}" in out
