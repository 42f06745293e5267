"""Claims, crash recovery and the spool's safety rules."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from conftest import T0, command_path, flush, message, rows, send

from mailtools.outbound.envelope import Envelope, Recipient
from mailtools.outbound.spool import ClaimName, Spool


def crash_a_flush(cli, smtp, spool_dir) -> None:
    """Start mq-flush against a stalling server and SIGKILL it while it holds a claim."""
    smtp.behaviour.stall_seconds = 30
    stalls = smtp.recorder.stalls
    proc = subprocess.Popen([command_path("mq-flush")], env=dict(cli.env, MAILTOOLS_NOW=str(T0)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Killed only once it waits in a stalled DATA (not after a fixed sleep, which a
    # loaded machine can outlast before the flusher has even connected).
    deadline = time.monotonic() + 30
    while smtp.recorder.stalls == stalls and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert smtp.recorder.stalls > stalls, "mq-flush never reached the stalled DATA"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    smtp.behaviour.stall_seconds = 0


def test_a_killed_flush_is_recovered_at_once_and_delivered(cli, smtp, spool_dir):
    queue_id = send(cli, "a@example.net")
    crash_a_flush(cli, smtp, spool_dir)
    assert [ClaimName.parse(n).id for n in os.listdir(spool_dir / "active")] == [queue_id]
    assert flush(cli)["sent"] == 1
    assert os.listdir(spool_dir / "active") == []
    [row] = rows(cli)
    assert row["state"] == "sent" and row["attempts"] == 2  # the crashed attempt counts


def test_three_crashes_hold_the_message(cli, smtp, spool_dir):
    queue_id = send(cli, "a@example.net")
    for _ in range(3):
        crash_a_flush(cli, smtp, spool_dir)  # each run first recovers the previous crash
    assert flush(cli)["sent"] == 0  # the third recovery holds it instead of retrying
    assert smtp.messages == []
    [row] = cli.json_lines("mq-list")
    assert row["state"] == "held" and "3 crashed deliveries" in row["last_error"]
    assert cli("mq-ctl", "release", queue_id).returncode == 0
    assert flush(cli)["sent"] == 1


def test_a_message_that_crashes_the_flusher_is_held_alone(cli, smtp, spool_dir):
    killer = send(cli, "killer@example.net")
    innocents = [send(cli, f"u{i}@example.net") for i in range(7)]
    smtp.behaviour.stall_for = {"killer@example.net"}
    for _ in range(3):
        crash_a_flush(cli, smtp, spool_dir)  # the first crash takes the whole batch down with it
    smtp.behaviour.stall_for = set()
    flush(cli)
    rows = {r["id"]: r for r in cli.json_lines("mq-list", "--state", "all")}
    assert rows[killer]["state"] == "held" and "3 crashed deliveries" in rows[killer]["last_error"]
    # After the first crash each recovered message went alone: only the killer crashed again.
    assert [rows[i]["state"] for i in innocents] == ["sent"] * 7
    delivered = {m.rcpt_tos[0] for m in smtp.messages}
    assert {f"u{i}@example.net" for i in range(7)} <= delivered


def _claim_as(spool: Spool, queue_id: str, host: str, at: float) -> None:
    os.rename(spool.path("queued", queue_id), spool.path("active", f"{queue_id}~{host}~4242.99~{at:.0f}"))


def test_a_claim_naming_another_host_is_judged_by_its_pid_at_once(cli, smtp, spool_dir):
    """The spool is never shared (DESIGN spool rule 4): no lease to wait for, as over NFS."""
    queue_id = send(cli, "a@example.net")
    spool = Spool(str(spool_dir))
    _claim_as(spool, queue_id, "otherhost", T0)
    assert flush(cli, now=T0 + 60)["sent"] == 1
    assert [m.rcpt_tos for m in smtp.messages] == [["a@example.net"]]


def test_a_claim_by_a_reused_pid_is_recognised_as_dead(spool_dir):
    spool = Spool(str(spool_dir))
    spool.ensure()
    envelope = Envelope(id=spool.new_id(T0), sender="a@example.org", recipients=[Recipient("b@example.net")])
    spool.enqueue(envelope, message())
    # Our own pid is alive, but with another start time it is another process.
    _claim_as(spool, envelope.id, os.uname().nodename, T0)
    name = os.listdir(spool.dir("active"))[0]
    os.rename(spool.path("active", name), spool.path("active", name.replace("4242.99", f"{os.getpid()}.1")))
    assert spool.recover(T0) == [envelope.id]
    assert spool.find(envelope.id)[0] == "deferred"  # due at once, behind the queued mail


def test_symlinks_in_the_spool_are_never_followed(cli, smtp, spool_dir, tmp_path):
    send(cli, "a@example.net")
    secret_elsewhere = tmp_path / "outside"
    secret_elsewhere.write_text("{not a queue file}")
    os.symlink(secret_elsewhere, spool_dir / "queued" / "0000000000000000000000")
    os.symlink(secret_elsewhere, spool_dir / "maildrop" / "evil")
    assert flush(cli)["sent"] == 1
    assert secret_elsewhere.read_text() == "{not a queue file}"
    assert os.path.islink(spool_dir / "maildrop" / "evil")


@pytest.mark.parametrize("bad", ["../../etc/passwd", "..", "0660D4E0CC45D44ADE607B/../x", "abc"])
def test_mq_ctl_refuses_ids_that_are_not_ids(cli, spool_dir, bad):
    Spool(str(spool_dir)).ensure()
    done = cli("mq-ctl", "delete", bad)
    assert done.returncode == 65
    assert "not a queue id" in done.stderr.decode()


def test_mq_ctl_hold_release_requeue_delete(cli, smtp, spool_dir):
    smtp.behaviour.rules["gone@example.net"] = "550 no"
    a = send(cli, "a@example.net")
    b = send(cli, "gone@example.net")
    assert cli("mq-ctl", "hold", a).returncode == 0
    assert flush(cli)["dropped"] == 1  # a is held: not tried
    assert smtp.messages == []
    assert [r["state"] for r in cli.json_lines("mq-list", "--state", "held")] == ["held"]
    done = cli("mq-ctl", "release", "-", input=f"{a}\n")
    assert done.returncode == 0 and f"{a}: queued" in done.stdout.decode()
    smtp.behaviour.rules.clear()
    assert cli("mq-ctl", "requeue", b).returncode == 0
    assert flush(cli)["sent"] == 2
    assert cli("mq-ctl", "delete", a).returncode == 0
    assert cli("mq-ctl", "delete", a).returncode == 65  # gone
    assert [r["id"] for r in rows(cli)] == [b]


def test_mq_ctl_refuses_a_message_being_delivered(cli, smtp, spool_dir):
    queue_id = send(cli, "a@example.net")
    spool = Spool(str(spool_dir))
    _claim_as(spool, queue_id, os.uname().nodename, T0)
    assert cli("mq-ctl", "hold", queue_id).returncode == 75


def test_due_streams_the_queue_oldest_first_in_windows(spool_dir):
    spool = Spool(str(spool_dir))
    spool.ensure()
    ids = []
    for i in range(23):
        envelope = Envelope(id=spool.new_id(T0 + i), sender="a@example.org", recipients=[Recipient("b@example.net")])
        spool.enqueue(envelope, message())
        ids.append(envelope.id)
    walked = []
    for _, queue_id in spool.due(T0, window=5):
        walked.append(queue_id)
        if queue_id == ids[7]:  # arrivals during the walk come after it, in order
            late = Envelope(id=spool.new_id(T0 + 100), sender="a@example.org",
                            recipients=[Recipient("c@example.net")])
            spool.enqueue(late, message())
            ids.append(late.id)
    assert walked == ids


def test_a_state_directory_that_is_a_symlink_is_refused(cli, smtp, spool_dir, tmp_path):
    send(cli, "a@example.net")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.rmdir(spool_dir / "sent")
    os.symlink(outside, spool_dir / "sent")
    done = cli("mq-flush")
    assert done.returncode == 75 and b"is a symlink" in done.stderr
    assert os.listdir(outside) == [] and smtp.messages == []
    assert cli("mq-send", "-f", "a@example.org", "b@example.net", input=message()).returncode == 75


def test_other_users_can_reach_the_maildrop_only(cli, spool_dir):
    send(cli, "a@example.net")
    assert oct(spool_dir.stat().st_mode & 0o777) == "0o751"
    assert oct((spool_dir / "maildrop").stat().st_mode & 0o7777) == "0o1733"
    assert oct((spool_dir / "queued").stat().st_mode & 0o777) == "0o750"
