#!/usr/bin/env python3
"""make demo: the whole story on an embedded default, with the real commands.

    python scripts/demo.py [DIR]      (default ./demo; the commands must be on PATH)

A spool under ./demo/, a local SMTP sink on loopback (started and stopped here),
messages queued, flushed, listed, one deferred and retried, one refused; sample
bounces piped to bounce-ingest as Postfix would; a second hard bounce, the daily
sweep disabling the address and mailing it a notice with its re-enable link; mail
to it dropped while disabled; the link's token given to bounce-enable. Every step
is a command you can copy; every message the sink received stays in
./demo/received/ to read.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from smtpserver import SmtpServer  # noqa: E402

from mailtools.demo import samples  # noqa: E402
from mailtools.outbound import verp  # noqa: E402

DEMO = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "demo"
RECEIVED = DEMO / "received"
NOW = int(time.time())
DAY = 86400
REENABLE_URL = "https://example.org/mail/reenable?token={token}"


def run(*args: str, stdin: bytes = b"", now: int | None = None, env: dict | None = None,
        show: bool = True, check: bool = True) -> subprocess.CompletedProcess:
    run_env = dict(os.environ, MAILTOOLS_SPOOL=str(DEMO / "spool"), MAILTOOLS_CONFIG=str(DEMO / "mailtools.toml"))
    run_env.pop("MAILTOOLS_NOW", None)
    if now is not None:
        run_env["MAILTOOLS_NOW"] = str(now)
    run_env.update(env or {})
    prefix = f"MAILTOOLS_NOW={now} " if now is not None else ""
    if show:
        print(f"\n$ {prefix}{shlex.join(args)}")
    done = subprocess.run(list(args), input=stdin, capture_output=True, env=run_env)
    if show:
        sys.stdout.write(done.stdout.decode())
        sys.stdout.write(done.stderr.decode())
        print(f"  (exit {done.returncode})")
    if check and done.returncode != 0:
        raise SystemExit(f"demo: {args[0]} failed with exit {done.returncode}")
    return done


def shown(path: Path) -> str:
    """A path as the reader can use it from where make demo ran."""
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def keep_received(sink: SmtpServer) -> list[Path]:
    """Every message the sink got, as demo/received/NNN.eml, with the envelope on top
    the way a local delivery agent writes it (Return-Path, Delivered-To)."""
    RECEIVED.mkdir(exist_ok=True)
    paths = []
    for number, message in enumerate(sink.messages, 1):
        path = RECEIVED / f"{number:03d}.eml"
        if not path.exists():
            envelope = f"Return-Path: <{message.mail_from}>\nDelivered-To: {', '.join(message.rcpt_tos)}\n"
            path.write_bytes(envelope.encode() + message.data.replace(b"\r\n", b"\n"))
        paths.append(path)
    return paths


def bounce_back(sink: SmtpServer, rcpt: str, kind: str, now: int) -> None:
    """The latest message to rcpt comes back as a Postfix DSN through the alias pipe: to its
    bounce address, quoting its Message-ID, as the receiving MTA would."""
    message = [m for m in sink.messages if m.rcpt_tos == [rcpt]][-1]
    address = message.mail_from
    message_id = BytesHeaderParser().parsebytes(message.data)["Message-ID"]
    dsn = samples.postfix_dsn(address, rcpt, message_id, kind)
    run("bounce-ingest", stdin=dsn, now=now, env={"RECIPIENT": address, "ORIGINAL_RECIPIENT": address, "SENDER": ""})
    print(f"  (a Postfix DSN: {kind} for {rcpt})")


def main() -> None:
    started = time.monotonic()
    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.mkdir()
    sink = SmtpServer().start()
    sink.behaviour.rules["greylisted@example.net"] = "451 4.7.1 Greylisted, please try again later"
    sink.behaviour.rules["nobody@example.net"] = "550 5.1.1 <nobody@example.net>: Recipient address rejected"
    (DEMO / "mailtools.toml").write_text(f"""# the demo's config: a local SMTP sink on loopback
[transport]
host = "127.0.0.1"
port = {sink.port}
starttls = "never"

[bounce]
domain = "bounces.example.org"
max_bounce_count = 1              # disable after more than 1 hard bounce (default 10), to get there today
reenable_url = "{REENABLE_URL}"
""")
    print(f"== a spool in {DEMO / 'spool'}, an SMTP sink on 127.0.0.1:{sink.port}")
    try:
        print("\n== 1. applications queue mail")
        run("mq-send", "-f", "app@example.org", "--user-id", "42", "--package-id", "7", "alice@example.net",
            stdin=b"Subject: Welcome\n\nHello Alice.\n", now=NOW)
        run("mq-send", "-t", "--json", "--user-id", "43", stdin=b"From: News <news@example.org>\n"
            b"To: bob@example.net, greylisted@example.net\nCc: nobody@example.net\nSubject: News\n\nNews.\n", now=NOW)
        (DEMO / "spool" / "maildrop" / ".order.eml").write_bytes(
            b"From: shop@example.org\nTo: carol@example.net\nSubject: Your order\n\nShipped.\n")
        os.rename(DEMO / "spool" / "maildrop" / ".order.eml", DEMO / "spool" / "maildrop" / "order.eml")
        print("\n(and a shop dropped order.eml into spool/maildrop/)")
        run("mq-list", now=NOW)

        print("\n== 2. cron runs mq-flush: one greylisted (deferred), one refused (dropped)")
        run("mq-flush", "--json", now=NOW)
        run("mq-list", "--state", "all", now=NOW)
        print("\n== 3. five minutes later the greylisted recipient is retried")
        sink.behaviour.rules.pop("greylisted@example.net")
        run("mq-flush", "--json", now=NOW + 301)
        print(f"\nThe sink received {len(sink.messages)} messages, each with its own bounce address:")
        for received in sink.messages:
            print(f"  MAIL FROM:<{received.mail_from}>  RCPT TO:<{received.rcpt_tos[0]}>")

        print("\n== 4. bounces come back through the alias pipe (bounce-ingest, as Postfix runs it)")
        bounce_back(sink, "alice@example.net", "userunknown", NOW + 3600)
        bounce_back(sink, "bob@example.net", "mailboxfull", NOW + 3600)
        alice = [m.mail_from for m in sink.messages if m.rcpt_tos == ["alice@example.net"]][-1]
        bob = [m.mail_from for m in sink.messages if m.rcpt_tos == ["bob@example.net"]][-1]
        forged = alice.replace(verp.parse(alice).hash, "aaaaaaaaaaaaaaaa")
        run("bounce-ingest", stdin=samples.postfix_dsn(forged, "alice@example.net", "<x@y>"), now=NOW + 3600,
            env={"RECIPIENT": forged})
        print("  (a forged bounce: exit 0, kept as unrecognized, nothing recorded)")
        run("bounce-ingest", stdin=samples.vacation_reply(bob, "bob@example.net"), now=NOW + 3600,
            env={"RECIPIENT": bob})
        print("  (a vacation reply: not a bounce)")
        run("bounce-status", "--json", "alice@example.net", "bob@example.net", now=NOW + 3600)

        print("\n== 5. the next day the application mails Alice again; it bounces again (hard bounce 2)")
        run("mq-send", "-f", "app@example.org", "--user-id", "42", "--package-id", "7", "alice@example.net",
            stdin=b"Subject: Your weekly digest\n\nThree new posts.\n", now=NOW + DAY)
        run("mq-flush", "--json", now=NOW + DAY)
        bounce_back(sink, "alice@example.net", "userunknown", NOW + DAY + 600)

        print("\n== 6. the daily sweep: 2 hard bounces > max_bounce_count 1: Alice is disabled and notified")
        run("bounce-sweep", "--json", now=NOW + 2 * DAY)
        run("bounce-status", "--disabled", now=NOW + 2 * DAY)
        print("\nThe notice is queued through the spool past the suppression; the next mq-flush sends it:")
        before = len(sink.messages)
        run("mq-flush", "--json", now=NOW + 2 * DAY)
        notice_path = keep_received(sink)[before]
        notice = notice_path.read_text()
        print(f"\n--- {shown(notice_path)} (what Alice reads)")
        print(notice.split("\n\n", 1)[1].rstrip())
        print("---")
        link = re.search(r"https://\S+", notice).group(0)

        print("\n== 7. while she is disabled, mail to Alice is accepted and dropped, never sent")
        run("mq-send", "-f", "app@example.org", "--user-id", "42", "alice@example.net",
            stdin=b"Subject: Another digest\n\nMore posts.\n", now=NOW + 2 * DAY + 60)
        run("mq-flush", "--json", now=NOW + 2 * DAY + 60)
        run("mq-list", "--state", "dropped", "app@example.org", now=NOW + 2 * DAY + 60)

        print("\n== 8. Alice opens the link; the site's re-enable page runs bounce-enable with its token")
        token = parse_qs(urlsplit(link).query)["token"][0]
        print(f"  (the link: {link})")
        run("bounce-enable", "--token", token, now=NOW + 3 * DAY)
        run("bounce-status", "--json", "alice@example.net", now=NOW + 3 * DAY)
        print("\nThe same link a second time changes nothing (a token works once):")
        again = run("bounce-enable", "--token", token, now=NOW + 3 * DAY, show=False, check=False)
        print(f"$ bounce-enable --token ...\n{again.stderr.decode().rstrip()}\n  (exit {again.returncode})")

        received = keep_received(sink)
        print("\n== where to look (plain files: ls, cat, grep)")
        for sub in ("queued", "deferred", "sent", "dropped", "bounces/processed", "bounces/unrecognized"):
            path = DEMO / "spool" / sub
            count = len(os.listdir(path)) if path.exists() else 0
            print(f"  {shown(path)}/: {count} file(s)")
        print(f"  {shown(RECEIVED)}/: the {len(received)} messages the sink received, 001.eml to "
              f"{received[-1].name}; the notice to Alice is {notice_path.name}")
        print(f"  {shown(DEMO / 'mailtools.toml')}: the config every command above read")
        summary = {"delivered": len(sink.messages), "seconds": round(time.monotonic() - started, 1)}
        print("\ndemo done:", json.dumps(summary))
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
