"""Disable notices: "mail to you has stopped; here is how to turn it back on".

Queued through the normal spool (``mailtools.outbound.submit.submit`` with
``bypass_suppression=True``: the address is disabled, and this one message
must still go). A notice is counted only after it is durably queued, so one
that fails (a full spool) is tried again by the next sweep; its queue id is
written down first, so a sweep killed between queueing and counting neither
loses the count nor sends the notice twice.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import textwrap
import time
from datetime import UTC, datetime
from email.utils import format_datetime

from ..config import Config
from ..errors import DataError, MailtoolsError, TempFailure
from ..outbound.spool import Spool
from ..outbound.submit import submit
from ..secret import load_secret
from .records import immediate
from .tokens import make_token

log = logging.getLogger("mailtools.notices")
DAY = 86400.0


def notice_sender(config: Config, address: str) -> str:
    """``notification_sender``, else reminder@<bounce.domain>, else reminder@<the address's domain>."""
    if config.bounce.notification_sender:
        return config.bounce.notification_sender
    domain = config.bounce.domain or address.rpartition("@")[2]
    return f"reminder@{domain}"


def _day(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")


def build_notice(config: Config, address: str, token: str, expires: float, number: int,
                 last: tuple | None, hard_bounces: int, now: float) -> bytes:
    """The notice as RFC 5322 bytes: why mail stopped, and the link that restarts it."""
    if any(c in address for c in "\r\n\0"):  # it goes into headers: no injection from a bad record
        raise DataError(f"refusing an address with a line break: {address!r}")
    url = config.bounce.reenable_url.replace("{token}", token) if config.bounce.reenable_url else ""
    sender = notice_sender(config, address)
    why = f"{hard_bounces} messages to it could not be delivered"
    if last is not None:
        reason, status, when = last
        why += f"; the last on {_day(when)} ({reason}{', status ' + status if status else ''})"
    if url:
        how = (f"To receive mail again, open this link (it works once,\nuntil {_day(expires)}):\n\n"
               f"    {url}\n")
    else:
        how = ("To receive mail again, ask the site's administrator to run\n\n"
               f"    bounce-enable --token {token}\n\n"
               f"(the token works once, until {_day(expires)}).\n")
    total = config.bounce.max_notification_count
    # Wrapped to 72 columns so the body stays plain 7bit text, readable with cat.
    text = (f"We have stopped sending mail to {address} because {why}. This usually means "
            "the mailbox was closed, or was full for a long time.")
    body = (f"Hello,\n\n{textwrap.fill(text, 72)}\n\n{how}\n"
            f"This is reminder {number} of at most {total}. Please do not reply to it.\n")
    # Written by hand, not with email.message: that costs a millisecond a notice, a second a sweep at scale.
    domain = sender.rpartition("@")[2] or "localhost"
    headers = [f"From: {sender}", f"To: {address}", f"Subject: Mail to {address} has been stopped",
               f"Date: {format_datetime(datetime.fromtimestamp(now, UTC))}",
               f"Message-ID: <notice.{int(now)}.{os.urandom(6).hex()}@{domain}>",
               "Auto-Submitted: auto-generated",  # RFC 3834: no vacation replies to us
               "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
               f"Content-Transfer-Encoding: {'7bit' if body.isascii() else '8bit'}"]
    return ("\n".join(headers) + "\n\n" + body).encode("utf-8")


INTENTS = ("CREATE TABLE IF NOT EXISTS notice_intents (address TEXT PRIMARY KEY, queue_id TEXT NOT NULL,"
           " notices_sent INTEGER NOT NULL, planned_at REAL NOT NULL)")


def _settle_intents(conn: sqlite3.Connection, spool: Spool) -> int:
    """Finish what a killed sweep left: count the notices that reached the spool, forget the rest.

    A notice's queue id is written down before it is queued, so the rerun
    can tell "queued, not yet counted" (count it, do not send it again) from
    "never queued" (send it now).
    """
    counted = 0
    for address, queue_id, notices_sent, planned_at in conn.execute(
            "SELECT address, queue_id, notices_sent, planned_at FROM notice_intents").fetchall():
        try:
            spool.find(queue_id)
            queued = True
        except MailtoolsError:
            queued = False
        with immediate(conn):
            if queued:
                counted += conn.execute(
                    "UPDATE addresses SET notices_sent = notices_sent + 1, last_notice = ?"
                    " WHERE address = ? AND notices_sent = ?", (planned_at, address, notices_sent)).rowcount
            conn.execute("DELETE FROM notice_intents WHERE address = ?", (address,))
    return counted


def due_query(config: Config, now: float) -> tuple[str, tuple]:
    """Disabled addresses owed a notice: none yet, or the last one ``notification_interval_days`` ago."""
    interval = config.bounce.notification_interval_days * DAY
    return ("FROM addresses WHERE disabled = 1 AND notices_sent < ? AND (last_notice IS NULL OR last_notice <= ?)",
            (config.bounce.max_notification_count, now - interval))


def notify(conn: sqlite3.Connection, config: Config, spool: Spool, now: float, dry_run: bool = False,
           budget_seconds: float = 3600) -> int:
    """Queue the notices that are due; return how many were queued (or would be)."""
    where, args = due_query(config, now)
    if dry_run:
        return conn.execute(f"SELECT count(*) {where}", args).fetchone()[0]
    conn.execute(INTENTS)
    counted = _settle_intents(conn, spool)
    if counted:
        log.info("notices: %d queued by an interrupted sweep counted now", counted)
    due = conn.execute(f"SELECT address, user_id, hard_bounces, notices_sent, disabled_at {where}"
                       " ORDER BY address", args).fetchall()
    if not due:
        return counted
    secret = load_secret(spool.root)
    expires = now + config.bounce.token_days * DAY
    started = time.monotonic()
    sent = 0
    for address, user_id, hard_bounces, notices_sent, disabled_at in due:
        # The latest hard bounce says best why mail stopped; an escalated address may only have soft ones.
        last = conn.execute("SELECT reason, status, time FROM events WHERE address = ?"
                            " ORDER BY hard DESC, time DESC LIMIT 1", (address,)).fetchone()
        raw = build_notice(config, address, make_token(secret, address, expires, disabled_at), expires,
                           notices_sent + 1, last, hard_bounces, now)
        queue_id = spool.new_id()  # real time, like mq-send: arrival order even under MAILTOOLS_NOW
        conn.execute("INSERT OR REPLACE INTO notice_intents VALUES (?, ?, ?, ?)",
                     (address, queue_id, notices_sent, now))
        try:
            submit(config, spool, raw, notice_sender(config, address), [address], user_id=user_id,
                   bypass_suppression=True, source="bounce-sweep", queue_id=queue_id)
        except TempFailure as exc:
            conn.execute("DELETE FROM notice_intents WHERE address = ?", (address,))
            log.warning("notices: cannot queue (%s); the rest are tried on the next sweep", exc)
            break
        except MailtoolsError as exc:
            conn.execute("DELETE FROM notice_intents WHERE address = ?", (address,))
            log.warning("notices: cannot queue a notice to %s: %s", address, exc)
            continue
        # Guarded on notices_sent: an enable in between, or a second sweep, does not count twice.
        with immediate(conn):
            conn.execute("UPDATE addresses SET notices_sent = notices_sent + 1, last_notice = ?"
                         " WHERE address = ? AND notices_sent = ?", (now, address, notices_sent))
            conn.execute("DELETE FROM notice_intents WHERE address = ?", (address,))
        sent += 1
        if time.monotonic() - started > budget_seconds:
            log.warning("notices: time budget spent after %d; the rest go out on the next sweep", sent)
            break
    return sent + counted
