"""Disable notices: "mail to you has stopped; here is how to turn it back on".

Queued through the normal spool (``mailtools.outbound.submit.submit`` with
``bypass_suppression=True``: the address is disabled, and this one message
must still go). A notice is counted only after it is durably queued, so one
that fails (a full spool) is tried again by the next sweep; its queue id is
written down first, so a sweep killed between queueing and counting neither
loses the count nor sends the notice twice.
"""

from __future__ import annotations

import textwrap
import time
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.policy import SMTPUTF8, compat32
from email.utils import format_datetime

from ..config import Config
from ..errors import DataError, MailtoolsError, TempFailure
from ..log import get_logger
from ..outbound.message import make_message_id
from ..outbound.spool import Spool
from ..outbound.submit import submit
from ..secret import load_secret
from ..state.base import NoticeIntent, StateStore
from .tokens import make_token

log = get_logger(__name__)
DAY = 86400.0

# \n line ends as the spool keeps messages; UTF-8 headers for an address that is not ASCII.
NOTICE_POLICY = SMTPUTF8.clone(linesep="\n")
NOTICE_COMPAT = compat32.clone(linesep="\n")

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
    # EmailMessage parses every header it is given: ~1 ms a notice, 1.5 s of a million-address
    # sweep's 1,500 notices. The classic Message of the same module costs a seventh of that and
    # is enough for ASCII; only an address that is not ASCII (SMTPUTF8) needs the new API.
    plain = (sender + address).isascii()
    notice: Message = Message(policy=NOTICE_COMPAT) if plain else EmailMessage(policy=NOTICE_POLICY)
    notice["From"] = sender
    notice["To"] = address
    notice["Subject"] = f"Mail to {address} has been stopped"
    notice["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    notice["Message-ID"] = make_message_id(sender.rpartition("@")[2] or "localhost", now)
    notice["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    if plain:  # the body is ASCII too (it names only the address, dates and the link)
        notice["MIME-Version"] = "1.0"
        notice["Content-Type"] = 'text/plain; charset="utf-8"'
        notice["Content-Transfer-Encoding"] = "7bit"
        notice.set_payload(body)
    else:
        assert isinstance(notice, EmailMessage)
        notice.set_content(body, cte="8bit")  # 8bit, not base64: readable with cat
    return notice.as_bytes()


def _settle_intents(state: StateStore, spool: Spool) -> int:
    """Finish what a killed sweep left: count the notices that reached the spool, forget the rest.

    A notice's queue id is written down before it is queued, so the rerun
    can tell "queued, not yet counted" (count it, do not send it again) from
    "never queued" (send it now).
    """
    counted = 0
    for intent in state.notice_intents():
        try:
            spool.find(intent.queue_id)
            queued = True
        except MailtoolsError:
            queued = False
        if queued:
            counted += state.count_notice(intent.address, intent.notices_sent, intent.planned_at)
        else:
            state.drop_notice_intent(intent.address)
    return counted


def notify(state: StateStore, config: Config, spool: Spool, now: float, dry_run: bool = False,
           budget_seconds: float = 3600) -> int:
    """Queue the notices that are due; return how many were queued (or would be)."""
    policy = config.bounce
    due_args = (now, policy.max_notification_count, policy.notification_interval_days * DAY)
    if dry_run:
        return state.count_notices_due(*due_args)
    counted = _settle_intents(state, spool)
    if counted:
        log.info("notices: %d queued by an interrupted sweep counted now", counted)
    due = state.notices_due(*due_args)
    if not due:
        return counted
    secret = load_secret(spool.root, secret_file=config.secret_file)
    expires = now + policy.token_days * DAY
    started = time.monotonic()
    sent = 0
    for owed in due:
        address = owed.address
        raw = build_notice(config, address, make_token(secret, address, expires, owed.disabled_at), expires,
                           owed.notices_sent + 1, state.last_bounce(address), owed.hard_bounces, now)
        queue_id = spool.new_id(now)
        state.plan_notice(NoticeIntent(address, queue_id, owed.notices_sent, now))
        try:
            submit(config, spool, raw, notice_sender(config, address), [address], user_id=owed.user_id,
                   bypass_suppression=True, source="bounce-sweep", queue_id=queue_id, now=now)
        except TempFailure as exc:
            state.drop_notice_intent(address)
            log.warning("notices: cannot queue (%s); the rest are tried on the next sweep", exc)
            break
        except MailtoolsError as exc:
            state.drop_notice_intent(address)
            log.warning("notices: cannot queue a notice to %s: %s", address, exc)
            continue
        state.count_notice(address, owed.notices_sent, now)
        sent += 1
        if time.monotonic() - started > budget_seconds:
            log.warning("notices: time budget spent after %d; the rest go out on the next sweep", sent)
            break
    return sent + counted
