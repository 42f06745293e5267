"""maildrop/: finished files from applications that cannot run a command."""

from __future__ import annotations

import os

from conftest import T0, flush, message, rows

from mailtools.config import Config
from mailtools.outbound.maildrop import intake
from mailtools.outbound.spool import Spool


def drop(spool_dir, name: str, data: bytes) -> None:
    """As an application must: write under a dot name, then rename."""
    (spool_dir / "maildrop").mkdir(parents=True, exist_ok=True)
    tmp = spool_dir / "maildrop" / f".{name}"
    tmp.write_bytes(data)
    os.rename(tmp, spool_dir / "maildrop" / name)


SMAILER = """<?xml version="1.0" encoding="utf-8"?>
<list>
  <item><fld_time>1800000000</fld_time><fld_sender>news@example.org</fld_sender>
        <fld_address>anna@example.net</fld_address><fld_topic>Grüße</fld_topic>
        <fld_content>Hallo Anna,
zweite Zeile.</fld_content></item>
  <item><fld_time/><fld_sender>news@example.org</fld_sender><fld_address>ben@example.net</fld_address>
        <fld_topic>Hello</fld_topic><fld_content>Hi Ben</fld_content></item>
</list>
""".encode()


def test_an_eml_is_taken_like_mq_send_t(cli, smtp, spool_dir):
    drop(spool_dir, "order-17.eml", message(From="shop@example.org", To="c@example.net", Cc="d@example.net"))
    drop(spool_dir, ".half-written", b"incomplete")  # dot files are not finished: left alone
    assert flush(cli) == {"sent": 2, "deferred": 0, "dropped": 0, "suppressed": 0}
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["c@example.net", "d@example.net"]
    assert [r["sender"] for r in rows(cli)] == ["shop@example.org"]
    assert os.listdir(spool_dir / "maildrop") == [".half-written"]


def test_a_smailer_xml_list_becomes_one_message_per_item(cli, smtp):
    drop(cli_spool(cli), "batch.xml", SMAILER)
    assert flush(cli)["sent"] == 2
    by_rcpt = {m.rcpt_tos[0]: m.data for m in smtp.messages}
    assert set(by_rcpt) == {"anna@example.net", "ben@example.net"}
    assert b"Subject: =?utf-8?" in by_rcpt["anna@example.net"]  # non-ASCII topic encoded
    assert b"From: news@example.org" in by_rcpt["ben@example.net"]


def cli_spool(cli):
    from pathlib import Path

    return Path(cli.env["MAILTOOLS_SPOOL"])


def test_what_cannot_be_parsed_is_dropped_with_the_reason_never_lost(cli, smtp, spool_dir):
    drop(spool_dir, "garbage.bin", b"\x00\x01 not mail at all")
    drop(spool_dir, "broken.xml", b"<?xml version='1.0'?><list><item>")
    drop(spool_dir, "norcpt.eml", message(From="a@example.org"))
    drop(spool_dir, "066197C60AD1008AE2E1BD", b'{\n "id": "cut short by a full disk"')  # an mq-send drop, damaged
    flush(cli)
    dropped = {r["id"]: r for r in rows(cli) if r["state"] == "dropped"}
    assert len(dropped) == 4
    reasons = " ".join(r["last_error"] for r in dropped.values())
    assert "garbage.bin" in reasons and "not well-formed" in reasons and "no recipients" in reasons
    assert "no envelope" in reasons
    kept = b"".join((spool_dir / "dropped" / i).read_bytes() for i in dropped)
    assert b"not mail at all" in kept  # the original bytes are kept for a person
    assert smtp.messages == []


def test_an_intake_interrupted_by_a_crash_is_finished_without_duplicates(spool_dir):
    spool = Spool(str(spool_dir))
    spool.ensure()
    drop(spool_dir, "batch.xml", SMAILER)
    # Claim it as a process that then died, after it had queued the first item.
    name = f"{spool.new_id(T0)}~{os.uname().nodename}~999999.1~{T0}~batch.xml"
    os.rename(spool_dir / "maildrop" / "batch.xml", spool_dir / "intake" / name)
    intake(Config(), spool, T0)
    first = spool.names("queued")
    assert len(first) == 2
    # A replay (as if the unlink of the intake file had not happened) queues nothing twice.
    drop(spool_dir, "again", b"")
    os.rename(spool_dir / "maildrop" / "again", spool_dir / "intake" / name)
    (spool_dir / "intake" / name).write_bytes(SMAILER)
    intake(Config(), spool, T0)
    assert spool.names("queued") == first


def test_a_dead_intake_is_taken_over_by_one_flusher_only(spool_dir, monkeypatch):
    spool = Spool(str(spool_dir))
    spool.ensure()
    queue_id = spool.new_id(T0)
    dead = f"{queue_id}~{os.uname().nodename}~999999.1~{T0}~mail.eml"
    (spool_dir / "intake" / dead).write_bytes(message(From="a@example.org", To="b@example.net"))
    # Flusher A lists the leftover; flusher B finishes it and starts delivering before A goes on.
    listed = spool.names("intake")
    intake(Config(), spool, T0)
    assert spool.claim("queued", queue_id, T0) is not None
    monkeypatch.setattr(spool, "names", lambda state: listed if state == "intake" else Spool.names(spool, state))
    intake(Config(), spool, T0)
    # A found the leftover gone: the message is not queued again beside B's claim.
    assert spool.names("queued") == []
    assert len(spool.names("active")) == 1


def test_a_dot_file_abandoned_for_a_day_is_removed_a_fresh_one_kept(cli, smtp, spool_dir):
    """What an mq-send killed before its rename left (it never told its caller 0)."""
    import time

    drop(spool_dir, "ok.eml", message(From="a@example.org", To="b@example.net"))
    (spool_dir / "maildrop" / ".0661A.123.abc").write_bytes(b"half")
    (spool_dir / "maildrop" / ".being-written").write_bytes(b"half")
    day_ago = time.time() - 25 * 3600
    os.utime(spool_dir / "maildrop" / ".0661A.123.abc", (day_ago, day_ago))
    flush(cli)
    assert os.listdir(spool_dir / "maildrop") == [".being-written"]
