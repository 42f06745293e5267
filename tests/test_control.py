"""mailtools.control (mq-ctl's library): an action that fails leaves the message where it was."""

from __future__ import annotations

import os

import pytest

from mailtools.control import act
from mailtools.envelope import Envelope, Recipient
from mailtools.errors import DataError
from mailtools.spool import Spool

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
