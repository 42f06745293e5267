"""mailtools.outbound.control (mq-ctl's library): an action that fails leaves the message where it was."""

from __future__ import annotations

import os

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


def test_mq_ctl_exits_with_the_code_of_the_error(tmp_path, monkeypatch) -> None:
    from mailtools.cli import mq_ctl
    from mailtools.errors import PermissionDenied

    def refuse(*_args) -> str:
        raise PermissionDenied("refusing to follow a symlink")

    monkeypatch.setattr(mq_ctl, "act", refuse)
    code = mq_ctl.command.main(["hold", "0" * 22, "--spool", str(tmp_path), "--config", os.devnull],
                               standalone_mode=False)
    assert code == 77  # not folded into 65 by a mapping of its own


def test_requeue_of_a_message_given_up_gives_it_a_fresh_budget_and_reaches_sent_files(smtp, spool_dir, tmp_path):
    from conftest import Cli, smtp_config
    from test_flush import T0, flush, rows, send

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
