"""mq-list (mailtools.outbound.listing) as a Postfix admin uses mailq and postcat (issue 10, 9)."""

from __future__ import annotations

import json
import os

from conftest import T0, flush, rows, send

from mailtools.outbound.spool import Spool


def test_each_recipient_has_its_own_attempts_and_last_error(cli, smtp):
    smtp.behaviour.rules["full@example.net"] = "452 4.2.2 mailbox full"
    smtp.behaviour.rules["later@example.net"] = "451 4.3.0 try later"
    queue_id = send(cli, "ok@example.net", "full@example.net", "later@example.net")
    flush(cli)
    smtp.behaviour.rules.pop("later@example.net")
    flush(cli, now=T0 + 400)  # later@ gets through on the second try, full@ is still full
    by_state = {row["state"]: row for row in rows(cli)}
    assert set(by_state) == {"sent", "deferred"}
    sent, deferred = by_state["sent"], by_state["deferred"]
    assert sent["id"] == deferred["id"] == queue_id
    status = {r["address"]: r for r in sent["recipient_status"] + deferred["recipient_status"]}
    assert (status["ok@example.net"]["attempts"], status["ok@example.net"]["last_error"]) == (1, None)
    assert status["later@example.net"]["attempts"] == 2 and status["later@example.net"]["last_error"] is None
    assert status["full@example.net"]["attempts"] == 2
    assert status["full@example.net"]["last_error"] == "452 4.2.2 mailbox full"
    assert sent["attempts"] == deferred["attempts"] == 2  # the message's; each recipient's is in its status


def test_two_recipients_errors_are_not_merged_per_recipient(cli, smtp):
    smtp.behaviour.rules["a@example.net"] = "451 4.3.0 greylisted"
    smtp.behaviour.rules["b@example.net"] = "452 4.2.2 mailbox full"
    send(cli, "a@example.net", "b@example.net")
    flush(cli)
    [row] = rows(cli)
    assert [(r["address"], r["last_error"]) for r in row["recipient_status"]] == [
        ("a@example.net", "451 4.3.0 greylisted"), ("b@example.net", "452 4.2.2 mailbox full")]


def test_requeue_clears_the_old_error_and_count(cli, smtp):
    smtp.behaviour.rules["a@example.net"] = "550 5.1.1 no such user"
    queue_id = send(cli, "a@example.net")
    flush(cli)
    assert rows(cli)[0]["recipient_status"][0]["last_error"].startswith("550")
    assert cli("mq-ctl", "requeue", queue_id, now=T0 + 10).returncode == 0
    [row] = rows(cli)
    assert row["state"] == "queued" and row["last_error"] is None
    assert row["recipient_status"][0] == {"address": "a@example.net", "state": "pending", "attempts": 0,
                                          "last_error": None, "time": row["recipient_status"][0]["time"]}


def test_empty_queue_and_the_summary_line(cli, smtp, spool_dir):
    Spool(str(spool_dir)).ensure()  # mq-list and mq-flush do not create one (75)
    empty = cli("mq-list")
    assert empty.returncode == 0 and empty.stdout.decode() == "Mail queue is empty\n"
    send(cli, "a@example.net")
    send(cli, "b@example.net", "c@example.net")
    listed = cli("mq-list").stdout.decode().splitlines()
    assert len(listed) == 3 and listed[-1] == "-- 1 Kbytes in 2 Requests."
    sizes = sum((spool_dir / "queued" / row["id"]).stat().st_size > row["size"] > 0 for row in rows(cli))
    assert sizes == 2  # size is the message's, without the envelope


def test_ids_show_the_messages_whole_like_postcat(cli, smtp):
    smtp.behaviour.rules["b@example.net"] = "451 4.3.0 try later"
    queue_id = send(cli, "a@example.net", "b@example.net", extra=("--user-id", "42"))
    flush(cli)
    text = cli("mq-list", queue_id)
    assert text.returncode == 0, text.stderr.decode()
    out = text.stdout.decode()
    assert out.startswith(f"*** ENVELOPE deferred/{queue_id} ***\nsender: app@example.org\n")
    assert "user_id: 42" in out and "attempts: 1" in out
    assert "recipient: a@example.net state=sent attempts=1" in out
    assert "recipient: b@example.net state=deferred attempts=1" in out and "last_error='451 4.3.0 try later'" in out
    assert "*** HEADERS ***\n" in out and "Subject: hello" in out
    assert "Hello there." not in out and "*** BODY ***" not in out
    with_body = cli("mq-list", "--body", queue_id).stdout.decode()
    assert "*** BODY ***\nHello there.\n" in with_body and with_body.endswith(f"*** END OF MESSAGE {queue_id} ***\n")
    [shown] = [json.loads(line) for line in cli("mq-list", "--json", "--body", queue_id).stdout.splitlines()]
    assert shown["state"] == "deferred" and shown["body"] == "Hello there.\n"
    assert [(r["address"], r["state"], r["attempts"]) for r in shown["recipients"]] == [
        ("a@example.net", "sent", 1), ("b@example.net", "deferred", 1)]


def test_an_unknown_id_is_65_and_the_others_are_shown(cli, smtp):
    queue_id = send(cli, "a@example.net")
    done = cli("mq-list", "0" * 22, queue_id)
    assert done.returncode == 65
    assert "no message 0000000000000000000000" in done.stderr.decode()
    assert f"*** ENVELOPE queued/{queue_id} ***" in done.stdout.decode()


def drop(spool_dir, name: str, raw: bytes) -> None:
    """As an application that cannot run a command: write ".name" in maildrop/, then rename it."""
    part = spool_dir / "maildrop" / f".{name}"
    part.write_bytes(raw)
    part.rename(spool_dir / "maildrop" / name)


def test_mail_waiting_in_maildrop_is_listed_as_its_own_state_until_mq_flush_takes_it_in(cli, smtp, spool_dir):
    """Postfix's mailq shows maildrop mail: mq-list too (table, --json, summary, --state maildrop and all),
    with what the file says; a file still being written (".name") is not listed."""
    Spool(str(spool_dir)).ensure()
    queued = send(cli, "q@example.net")
    drop(spool_dir, "order-17.eml", b"From: Shop <shop@example.org>\nTo: ann@example.net\nCc: bob@example.net\n"
                                    b"Message-ID: <o17@example.org>\nSubject: order\n\nThanks.\n")
    drop(spool_dir, "garbage", b"\x00 not a message at all")
    (spool_dir / "maildrop" / ".half-written").write_bytes(b"From: x@example.org\n")
    listed = {row["id"]: row for row in rows(cli)}  # the default: every state but sent and dropped
    assert {i: r["state"] for i, r in listed.items()} == {"order-17.eml": "maildrop", "garbage": "maildrop",
                                                          queued: "queued"}
    order = listed["order-17.eml"]
    assert (order["sender"], order["recipients"], order["uid"], order["attempts"], order["next_attempt"]) == (
        "shop@example.org", ["ann@example.net", "bob@example.net"], os.getuid(), 0, None)
    assert order["size"] > 0 and order["last_error"] is None
    assert "the next mq-flush drops it" in listed["garbage"]["last_error"]
    assert [r["id"] for r in rows(cli, "--state", "maildrop")] == ["garbage", "order-17.eml"]
    assert {r["id"] for r in rows(cli, "--state", "all")} == set(listed)
    table = cli("mq-list").stdout.decode().splitlines()
    assert "order-17.eml: (shop@example.org => ann@example.net, bob@example.net) maildrop attempts=0 next=-" \
        in table
    assert table[-1] == "-- 1 Kbytes in 3 Requests."

    flush(cli)
    assert rows(cli, "--state", "maildrop") == []
    states = {tuple(r["recipients"]): r["state"] for r in rows(cli, "--state", "all")}
    assert states == {("ann@example.net", "bob@example.net"): "sent", (): "dropped", ("q@example.net",): "sent"}


def test_a_mq_send_drop_is_listed_with_its_envelope_and_the_id_mq_send_printed(cli, smtp, spool_dir):
    """What mq-send leaves in maildrop/ for a caller who cannot queue (written here as it writes it):
    its envelope's sender, recipients and ids; the uid is the file's owner's, whatever the file says."""
    from mailtools.outbound.envelope import Envelope, Recipient

    spool = Spool(str(spool_dir))
    spool.ensure()
    queue_id = spool.new_id(T0)
    spool.drop(Envelope(id=queue_id, sender="app@example.org", recipients=[Recipient("r@example.net")],
                        user_id="42", created=T0, uid=12345, source="mq-send"), b"Subject: x\n\nbody\n")
    [row] = rows(cli)
    assert (row["id"], row["state"], row["sender"], row["recipients"], row["created"], row["uid"]) == (
        queue_id, "maildrop", "app@example.org", ["r@example.net"], T0, os.getuid())
    assert json.loads(cli("mq-list", "--json", "--state", "maildrop").stdout)["id"] == queue_id
    shown = cli("mq-list", "--json", queue_id)  # postcat -q finds it too
    assert shown.returncode == 0, shown.stderr.decode()
    whole = json.loads(shown.stdout)
    assert (whole["state"], whole["user_id"], whole["uid"], whole["headers"]) == (
        "maildrop", "42", os.getuid(), "Subject: x\n")
