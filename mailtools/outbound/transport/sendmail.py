"""Delivery through a sendmail binary (Postfix's, or any compatible one).

``sendmail -i -f <verp> -- <recipient>`` with the message on stdin. Its exit
code is read as nullmailer reads its protocols': sysexits codes that mean the
address or the data is bad are permanent, the rest temporary.
"""

from __future__ import annotations

import subprocess

from .base import Reply

PERMANENT = {64: "usage", 65: "data format error", 66: "cannot open input", 67: "addressee unknown",
             68: "host name unknown", 77: "permission denied", 78: "configuration error"}


class SendmailTransport:
    def __init__(self, path: str, timeout: float = 30) -> None:
        self.path, self.timeout = path, timeout

    def send(self, sender: str, recipient: str, data: bytes) -> Reply:
        argv = [self.path, "-i", "-f", sender, "--", recipient]
        try:
            # Its own session: a Ctrl-C on mq-flush's terminal must not kill the sendmail
            # mid-message; mq-flush itself stops cleanly and waits for this reply.
            done = subprocess.run(argv, input=data, capture_output=True, timeout=self.timeout,
                                  start_new_session=True)
        except FileNotFoundError:
            return Reply(451, f"sendmail_path {self.path} not found")
        except subprocess.TimeoutExpired:
            return Reply(451, f"{self.path} did not finish within {self.timeout:g}s")
        except OSError as exc:
            return Reply(451, f"cannot run {self.path}: {exc.strerror}")
        if done.returncode == 0:
            return Reply(250, f"accepted by {self.path}")
        said = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        code = 550 if done.returncode in PERMANENT else 451
        meaning = PERMANENT.get(done.returncode, "temporary failure")
        return Reply(code, f"{self.path} exited {done.returncode} ({meaning}): {said}".rstrip(": "))

    def close(self) -> None:
        pass
