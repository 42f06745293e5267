"""Run inside a private mount namespace (``unshare -m``) by test_fingerprint.py: a stand-in
for the machine's Postfix, running at /etc/postfix (a bind mount that only this namespace
sees), is fingerprinted before and after a full e2e instance lifecycle, and after a reload.

    unshare -m --propagation private python standin_system.py WORKDIR   -> one JSON object
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import postfix_instance as pi

# Debian's files that postfix(1) reads from meta_directory; the stand-in needs its own copies.
META = ("postfix-files", "postfix-files.d", "dynamicmaps.cf", "dynamicmaps.cf.d", "postfix-script", "post-install")


def standin(workdir: Path) -> pi.PostfixInstance:
    system = pi.PostfixInstance(workdir / "system")
    system.create()
    for name in META:
        source = pi.SYSTEM_CONFIG / name
        if source.is_dir():
            shutil.copytree(source, system.config_dir / name)
        elif source.exists():
            shutil.copy2(source, system.config_dir / name)
    pi.run(["mount", "--bind", system.config_dir, pi.SYSTEM_CONFIG])
    system.config_dir = pi.SYSTEM_CONFIG  # from here on it *is* the machine's Postfix
    system.postconf(config_directory=str(pi.SYSTEM_CONFIG), meta_directory=str(pi.SYSTEM_CONFIG))
    return system


def main(workdir: Path) -> dict:
    system = standin(workdir)
    system.start()
    try:
        before = pi.SystemPostfix.fingerprint()
        instance = pi.PostfixInstance(workdir / "instance")
        instance.create()
        instance.start()
        pi.run([instance.sendmail, "-i", "-f", "probe@localhost", "root@localhost"],
               input="Subject: probe\n\nthrough the instance's sendmail\n")
        pi.wait_for(lambda: "status=sent" in instance.log_tail(), timeout=15, what=instance.log_tail)
        instance.stop()
        after = pi.SystemPostfix.fingerprint()
        pi.run([pi.POSTFIX, "reload"])
        pi.wait_for(lambda: pi.SystemPostfix.fingerprint()["qmgr_pids"] not in ([], before["qmgr_pids"]),
                    timeout=15, what="the stand-in's qmgr to restart after the reload")
        reloaded = pi.SystemPostfix.fingerprint()
    finally:
        system.stop()
    return {"before": before, "after": after, "reloaded": reloaded}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
