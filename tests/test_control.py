"""mailtools.outbound.control (mq-ctl's library): an action that fails leaves the message where it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mailtools.errors import DataError
from mailtools.outbound.control import act
from mailtools.outbound.envelope import Envelope, Recipient
from mailtools.outbound.spool import Spool

T0 = 1_800_000_000.0


def test_a_failed_release_puts_the_message_back_in_held(tmp_path) -> None:
    spool = Spool(str(tmp_path / "spool"))
    spool.ensure()
    queue_id = spool.new_id(T0)
    spool.write("held", Envelope(id=queue_id, sender="a@example.org", recipients=[Recipient("b@example.net")]),
                b"Subject: x\n\nx\n", sync=False)
    with open(spool.path("held", queue_id), "wb") as damaged:
        damaged.write(b"not a queue file")
    with pytest.raises(DataError):
        act(spool, "release", queue_id, T0)
    # Not left claimed in active/ (where mq-ctl would call it "being delivered"):
    assert os.listdir(spool.dir("active")) == []
    assert os.listdir(spool.dir("held")) == [queue_id]
    assert act(spool, "delete", queue_id, T0) == "deleted"


@pytest.mark.parametrize("active", ["symlink", "file"])
def test_mq_ctl_refuses_a_spool_whose_active_dir_is_not_a_real_directory(cli, tmp_path, active: str) -> None:
    # Found by hand: with active/ a symlink to /tmp, mq-ctl hold moved the message out through it;
    # with active/ a file it died with "internal error" (70). Now 75 naming it, the message untouched.
    from conftest import message

    done = cli("mq-send", "-f", "app@example.org", "bob@example.net", input=message())
    queue_id = done.stdout.decode().strip()
    spool = Path(cli.env["MAILTOOLS_SPOOL"])
    (spool / "active").rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if active == "symlink":
        (spool / "active").symlink_to(elsewhere)
    else:
        (spool / "active").write_text("")
    done = cli("mq-ctl", "hold", queue_id)
    assert done.returncode == 75, done.stderr
    assert f"{spool}/active is" in done.stderr.decode()
    assert (spool / "queued" / queue_id).exists() and list(elsewhere.iterdir()) == []


def test_requeue_of_a_message_given_up_gives_it_a_fresh_budget_and_reaches_sent_files(smtp, spool_dir, tmp_path):
    from conftest import T0, Cli, flush, rows, send, smtp_config

    cli = Cli(spool_dir, smtp_config(tmp_path / "m.toml", smtp.port, """
[retry]
max_attempts = 2
"""))
    smtp.behaviour.rules["slow@example.net"] = "451 later"
    queue_id = send(cli, "ok@example.net", "slow@example.net")
    flush(cli)
    flush(cli, now=T0 + 300)  # the second attempt: slow@ given up, ok@ delivered: the file is in sent/
    assert {r["state"] for r in rows(cli)} == {"sent", "dropped"}
    smtp.behaviour.rules.clear()
    assert cli("mq-ctl", "requeue", queue_id, now=T0 + 400).returncode == 0
    assert flush(cli, now=T0 + 400)["sent"] == 1
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["ok@example.net", "slow@example.net"]
    done = cli("mq-ctl", "requeue", queue_id, now=T0 + 500)
    assert done.returncode == 65 and b"nothing to requeue" in done.stderr


# -- ALL, as postsuper's (issue 10, 9) ----------------------------------------------------------------
def test_all_with_a_state_acts_on_that_state_only(cli, smtp, spool_dir):
    from conftest import T0, flush, rows, send

    smtp.behaviour.rules["later@example.net"] = "451 4.3.0 later"
    deferred = {send(cli, "later@example.net") for _ in range(3)}
    flush(cli)
    queued = send(cli, "now@example.net")
    done = cli("mq-ctl", "delete", "ALL", "--state", "deferred", now=T0 + 1)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode().splitlines()
    assert sorted(line.split(":")[0] for line in out[:-1]) == sorted(deferred)
    assert out[-1] == "Deleted: 3 messages"
    assert [(r["id"], r["state"]) for r in rows(cli)] == [(queued, "queued")]


def test_hold_release_requeue_all(cli, smtp):
    from conftest import T0, flush, rows, send

    smtp.behaviour.rules["gone@example.net"] = "550 5.1.1 no such user"
    dropped = send(cli, "gone@example.net")
    flush(cli)
    ids = {send(cli, f"r{i}@example.net") for i in range(2)}
    assert cli("mq-ctl", "hold", "ALL", now=T0 + 1).stdout.decode().splitlines()[-1] == "Placed on hold: 2 messages"
    assert {r["state"] for r in rows(cli) if r["id"] in ids} == {"held"}
    assert cli("mq-ctl", "release", "ALL", now=T0 + 2).returncode == 0
    assert {r["state"] for r in rows(cli) if r["id"] in ids} == {"queued"}
    smtp.behaviour.rules.clear()
    requeued = cli("mq-ctl", "requeue", "ALL", "--state", "dropped", "--json", now=T0 + 3)
    assert [json.loads(line)["id"] for line in requeued.stdout.splitlines()] == [dropped]
    assert flush(cli, now=T0 + 4)["sent"] == 3


def test_all_leaves_what_is_being_delivered_alone_and_says_so(cli, smtp, spool_dir):
    """mq-ctl hold ALL while a flusher holds a message: that one is reported, not touched (the help's words)."""
    from conftest import T0, send

    busy, idle = send(cli, "busy@example.net"), send(cli, "idle@example.net")
    claim = f"{busy}~{os.uname().nodename}~{os.getpid()}.1~{T0:.0f}"  # a live flusher's claim
    os.rename(spool_dir / "queued" / busy, spool_dir / "active" / claim)
    done = cli("mq-ctl", "hold", "ALL", now=T0 + 1)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert f"{idle}: held" in lines and f"{busy}: being delivered right now, left alone" in lines
    assert lines[-1] == "Placed on hold: 1 message (1 being delivered, left alone)"
    assert os.listdir(spool_dir / "active") == [claim]
    as_json = [json.loads(line) for line in cli("mq-ctl", "delete", "ALL", "--json", now=T0 + 2).stdout.splitlines()]
    assert {"id": busy, "action": "delete", "ok": False, "error": "being delivered right now"} in as_json
    assert os.listdir(spool_dir / "active") == [claim]


def test_all_refuses_what_does_not_fit(cli, smtp):
    from conftest import send

    queue_id = send(cli, "a@example.net")
    assert cli("mq-ctl", "hold", queue_id, "--state", "queued").returncode == 64  # --state goes with ALL
    wrong = cli("mq-ctl", "release", "ALL", "--state", "deferred")
    assert wrong.returncode == 64 and "release applies to held" in wrong.stderr.decode()
    nothing = cli("mq-ctl", "release", "ALL")
    assert nothing.returncode == 0 and nothing.stdout.decode() == "Released from hold: 0 messages\n"


def test_requeue_all_dropped_takes_what_mq_list_shows_dropped_and_only_those_recipients(cli, smtp, spool_dir):
    """A message sent to some recipients with others dropped is in sent/ (another with one dropped and one
    deferred in deferred/): requeue ALL --state dropped takes both, as mq-list --state dropped shows them,
    and requeues only the dropped recipients; the delivered one is not sent again."""
    from conftest import T0, flush, rows, send

    smtp.behaviour.rules["gone@example.net"] = "550 5.1.1 no such user"
    smtp.behaviour.rules["gone2@example.net"] = "550 5.1.1 no such user"
    smtp.behaviour.rules["later@example.net"] = "451 4.3.0 try later"
    partly = send(cli, "ok@example.net", "gone@example.net")
    mixed = send(cli, "later@example.net", "gone2@example.net")
    flush(cli)
    assert (spool_dir / "sent" / partly).exists() and (spool_dir / "deferred" / mixed).exists()
    shown = {row["id"] for row in rows(cli, "--state", "dropped")}
    assert shown == {partly, mixed}
    done = cli("mq-ctl", "requeue", "ALL", "--state", "dropped", now=T0 + 1)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines()[-1] == "Requeued: 2 messages"
    assert rows(cli, "--state", "dropped") == []
    status = {r["address"]: r for row in rows(cli, "--state", "all") for r in row["recipient_status"]}
    assert {a: (r["state"], r["attempts"]) for a, r in status.items()} == {
        "ok@example.net": ("sent", 1), "gone@example.net": ("pending", 0),
        "later@example.net": ("deferred", 1), "gone2@example.net": ("pending", 0)}  # the deferred one kept its own
    assert status["later@example.net"]["last_error"] == "451 4.3.0 try later"
    smtp.behaviour.rules.clear()
    smtp.messages.clear()
    assert flush(cli, now=T0 + 2)["sent"] == 3
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["gone2@example.net", "gone@example.net",
                                                            "later@example.net"]  # ok@ not twice
