"""The whole loop: mq-send and mq-flush to a real SMTP server, a Postfix DSN back through the pipe."""

from __future__ import annotations

import re
import subprocess

from conftest import command_path, message
from ingest_support import Sent, make_dsn

from mailtools.outbound import verp


def _sent_through_the_queue(cli, smtp, recipient: str) -> Sent:
    done = cli("mq-send", "-f", "app@example.org", "--user-id", "42", "--package-id", "7", recipient,
               input=message("newsletter"))
    assert done.returncode == 0, done.stderr
    assert cli("mq-flush").returncode == 0
    received = smtp.wait_for(1)[-1]
    address = verp.parse(received.mail_from, "bounce")
    assert address is not None and address.user_id == "42" and address.package_id == "7"
    message_id = re.search(rb"^Message-ID:\s*(<[^>]+>)", received.data, re.M | re.I).group(1).decode()
    return Sent(received.mail_from, recipient, message_id, "42", "7")


def _pipe(cli, raw: bytes, address: str) -> subprocess.CompletedProcess:
    env = dict(cli.env, ORIGINAL_RECIPIENT=address, RECIPIENT=address, SENDER="",
               EXTENSION=address.split("@")[0].partition("-")[2])
    return subprocess.run([command_path("bounce-ingest")], env=env, capture_output=True,
                          input=b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n" + raw, timeout=60)


def test_hard_bounce_of_a_queued_message_counts(cli, smtp):
    sent = _sent_through_the_queue(cli, smtp, "gone@remote.test")
    proc = _pipe(cli, make_dsn("bounce_userunknown.eml", sent), sent.address)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    status = cli.json_lines("bounce-status", "gone@remote.test")
    assert status[0]["hard_bounces"] == 1 and status[0]["user_id"] == "42"


def test_forged_bounce_for_a_queued_address_counts_nothing(cli, smtp):
    sent = _sent_through_the_queue(cli, smtp, "victim@remote.test")
    forged = re.sub(r"-[a-z2-7]{8,16}-", "-" + "b" * 16 + "-", sent.address)
    raw = make_dsn("bounce_userunknown.eml", sent).replace(sent.address.encode(), forged.encode())
    assert _pipe(cli, raw, forged).returncode == 0
    # The address may be listed (mail was sent to it), but with no bounce counted.
    for status in cli.json_lines("bounce-status", "victim@remote.test"):
        assert status["hard_bounces"] == 0 and status["soft_bounces"] == 0
