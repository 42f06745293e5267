#!/usr/bin/env python3
"""make demo: the whole pipeline on an embedded default, with the real commands.

A spool under ./demo/, a local SMTP sink on loopback (started and stopped
here), a few messages queued, flushed, listed, one deferred and retried, one
refused, then sample bounces piped to bounce-ingest as Postfix would, and the
daily sweep. Every step is a command you can copy.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from smtpserver import SmtpServer  # noqa: E402

from mailtools import state  # noqa: E402
from mailtools.demo import samples  # noqa: E402
from mailtools.outbound import verp  # noqa: E402

DEMO = ROOT / "demo"
NOW = int(time.time())


def run(*args: str, stdin: bytes = b"", now: int | None = None, env: dict | None = None,
        show: bool = True) -> subprocess.CompletedProcess:
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
    if done.returncode != 0:
        raise SystemExit(f"demo: {args[0]} failed with exit {done.returncode}")
    return done


def main() -> None:
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
        conn = state.connect(str(DEMO / "spool"))
        alice = next(m.mail_from for m in sink.messages if m.rcpt_tos == ["alice@example.net"])
        bob = next(m.mail_from for m in sink.messages if m.rcpt_tos == ["bob@example.net"])
        for address, rcpt, kind in ((alice, "alice@example.net", "userunknown"),
                                    (bob, "bob@example.net", "mailboxfull")):
            row = state.lookup_send(conn, verp.parse(address).hash)
            dsn = samples.postfix_dsn(address, rcpt, row["message_id"], kind)
            run("bounce-ingest", stdin=dsn, now=NOW + 3600,
                env={"RECIPIENT": address, "ORIGINAL_RECIPIENT": address, "SENDER": ""})
            print(f"  (a Postfix DSN: {kind} for {rcpt})")
        forged = alice.replace(verp.parse(alice).hash, "aaaaaaaaaaaaaaaa")
        run("bounce-ingest", stdin=samples.postfix_dsn(forged, "alice@example.net", "<x@y>"), now=NOW + 3600,
            env={"RECIPIENT": forged})
        print("  (a forged bounce: exit 0, kept as unrecognized, nothing recorded)")
        run("bounce-ingest", stdin=samples.vacation_reply(bob, "bob@example.net"), now=NOW + 3600,
            env={"RECIPIENT": bob})
        print("  (a vacation reply: not a bounce)")
        run("bounce-status", "--json", "alice@example.net", "bob@example.net", now=NOW + 3600)

        print("\n== 5. the daily sweep")
        run("bounce-sweep", "--json", now=NOW + 86400)
        print("\n== what the spool looks like (plain files: ls, cat, grep)")
        for sub in ("queued", "deferred", "sent", "dropped", "bounces/processed", "bounces/unrecognized"):
            path = DEMO / "spool" / sub
            count = len(os.listdir(path)) if path.exists() else 0
            print(f"  spool/{sub}: {count} file(s)")
        summary = {"delivered": len(sink.messages)}
        print("\ndemo done:", json.dumps(summary))
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
