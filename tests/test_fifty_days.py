"""Fifty simulated days through the real commands: mq-send, mq-flush to a real SMTP
server, Postfix-shaped DSNs piped to bounce-ingest, the daily bounce-sweep.

The whole loop of issue 4's acceptance: an address bouncing hard every day is
disabled after its 11th bounce (not its 10th), its mail is then dropped as
suppressed, it gets exactly 4 notices at least 7 days apart, a tampered token is
refused, the notice's token re-enables it and mail flows again; an address that
stops bouncing is forgotten after 3 quiet days; 4 soft bounces count as no hard
one and 6 as at least one; sent mail older than 8 days is gone.
"""

from __future__ import annotations

import email
import re

from conftest import Cli, message, smtp_config, spool_state

from mailtools.demo import samples
from mailtools.outbound import verp

DAY = 86400
T0 = 1_800_000_000
HARD, FLAKY, SOFT4, SOFT6 = "hard@example.net", "flaky@example.net", "soft4@example.net", "soft6@example.net"


def test_fifty_days(smtp, spool_dir, tmp_path):
    cli = Cli(spool_dir, smtp_config(tmp_path / "m.toml", smtp.port, """
[bounce]
domain = "bounces.example.org"
reenable_url = "https://example.org/mail/reenable?token={token}"
"""))
    db = spool_state(spool_dir)
    seen = 0
    bounce_count = {HARD: 0}
    disabled_on = notices = None
    notice_days: list[int] = []
    token = None

    def bounce(rcpt: str, mail_from: str, kind: str, now: int) -> None:
        row = db.lookup_send(verp.parse(mail_from).hash)
        dsn = samples.postfix_dsn(mail_from, rcpt, row.message_id, kind)
        done = cli("bounce-ingest", input=dsn, now=now, env={"RECIPIENT": mail_from, "ORIGINAL_RECIPIENT": mail_from})
        assert done.returncode == 0, done.stderr

    def status(address: str, now: int) -> dict | None:
        found = cli.json_lines("bounce-status", address, now=now)
        return found[0] if found else None

    for day in range(50):
        now = T0 + day * DAY
        for rcpt, uid in ((HARD, "42"), (FLAKY, "43"), (SOFT4, "44"), (SOFT6, "45")):
            done = cli("mq-send", "-f", "app@example.org", "--user-id", uid, rcpt, input=message(f"day {day}"),
                       now=now)
            assert done.returncode == 0, done.stderr
        assert cli("mq-flush", "-q", now=now).returncode == 0
        delivered = smtp.messages[seen:]
        seen = len(smtp.messages)
        for received in delivered:
            rcpt = received.rcpt_tos[0]
            if received.mail_from.startswith("bounce-"):
                if rcpt == HARD and token is None:
                    bounce(HARD, received.mail_from, "userunknown", now + 60)
                    bounce_count[HARD] += 1
                elif rcpt == FLAKY and day < 3:
                    bounce(FLAKY, received.mail_from, "userunknown", now + 60)
                elif (rcpt == SOFT4 and day < 4) or (rcpt == SOFT6 and day < 6):
                    bounce(rcpt, received.mail_from, "mailboxfull", now + 60)
            if rcpt == HARD and b"reenable?token=" in received.data:
                notice_days.append(day)
                body = email.message_from_bytes(received.data).get_payload(decode=True).decode()
                token = re.search(r"reenable\?token=(\S+)", body).group(1) if len(notice_days) == 4 else None
        assert cli("bounce-sweep", "-q", now=now + 3600).returncode == 0
        record = status(HARD, now + 3600)
        if record and record["disabled"] and disabled_on is None:
            disabled_on = day
            assert bounce_count[HARD] == 11  # the 11th hard bounce disables, not the 10th
        if day == 9:
            assert record["hard_bounces"] == 10 and not record["disabled"]
        if day == 5:  # last bounce on day 2, mailed on day 3: not yet 3 quiet days
            assert status(FLAKY, now + 3600)["hard_bounces"] == 3
        if day == 6:
            assert status(FLAKY, now + 3600)["hard_bounces"] == 0  # forgotten
            assert status(SOFT4, now + 3600)["hard_bounces"] == 0
            assert status(SOFT6, now + 3600)["hard_bounces"] >= 1
        if day == 40:
            notices = list(notice_days)
            # Suppressed since it was disabled: dropped with "suppressed", never delivered.
            assert not [m for m in smtp.messages if m.rcpt_tos == [HARD] and b"day 40" in m.data]
            dropped = cli.json_lines("mq-list", "--state", "dropped", now=now)
            assert any(r["recipients"] == [HARD] and r["last_error"].startswith("suppressed") for r in dropped)
            # A tampered token is refused and changes nothing; the real one re-enables, once.
            tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
            refused = cli("bounce-enable", "--token", tampered, now=now)
            assert refused.returncode == 65 and status(HARD, now)["disabled"]
            assert cli("bounce-enable", "--token", token, now=now).returncode == 0
            assert not status(HARD, now)["disabled"]
            assert cli("bounce-enable", "--token", token, now=now).returncode == 65
        if day == 41:
            assert [m for m in smtp.messages if m.rcpt_tos == [HARD] and b"day 41" in m.data]  # mail flows again

    assert disabled_on == 10
    assert len(notices) == 4
    assert all(b - a >= 7 for a, b in zip(notices, notices[1:], strict=False))
    end = T0 + 49 * DAY
    sent = cli.json_lines("mq-list", "--state", "sent", now=end)
    assert sent and all(r["created"] >= end - 8 * DAY for r in sent)  # older sent mail was purged
