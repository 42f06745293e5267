"""The check that the suite leaves the machine's Postfix alone really sees a running
Postfix, and a reload of it. The machine's own Postfix is usually stopped (CI, this
machine), so a stand-in plays it: started at /etc/postfix inside a private mount
namespace (standin_system.py), where only that process tree sees the bind mount."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from . import postfix_instance as pi

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent


def test_fingerprint_sees_a_running_postfix_unchanged_by_an_instance_and_changed_by_a_reload(postfix):
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-m", "true"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("unshare -m (a private mount namespace) is not available here")
    # Not pytest's tmp_path: Postfix's own user must reach the queue, and that is mode 0700.
    workdir = pi.ROOT.parent / "standin"
    shutil.rmtree(workdir, ignore_errors=True)
    done = subprocess.run([unshare, "-m", "--propagation", "private", sys.executable, HERE / "standin_system.py",
                           workdir], capture_output=True, text=True, timeout=120, cwd=HERE)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    before, after, reloaded = seen["before"], seen["after"], seen["reloaded"]
    assert before["master_pid"] and before["qmgr_pids"], before  # it saw the stand-in running
    assert before["files"][str(pi.SYSTEM_CONFIG / "main.cf")], before
    assert after == before  # a whole instance lifecycle, mail through its sendmail: nothing changed
    assert reloaded["master_pid"] == before["master_pid"]
    assert reloaded != before and reloaded["qmgr_pids"] != before["qmgr_pids"]  # a reload is seen
    # Outside the namespace the real /etc/postfix never saw the stand-in.
    assert pi.SystemPostfix.fingerprint() == postfix.system_before
