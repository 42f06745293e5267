"""mq-list (mailtools.outbound.listing) as a Postfix admin uses mailq and postcat (issue 10, 9)."""

from __future__ import annotations

import json

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
