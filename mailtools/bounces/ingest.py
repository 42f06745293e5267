"""Process one stored bounce: classify, find our VERP address, verify, record, move.

Nothing in a bounce's body is trusted. Whose bounce it is comes from our own
envelope address (``<prefix>-<user_id>-<hash>-<package_id>@domain``), looked
up in the send log and checked by HMAC; the address recorded is the send
log's recipient. The classifier only says what happened (kind, reason, hard).
Anything we cannot attribute is kept in ``unrecognized/`` with why, and no
record changes.
"""

from __future__ import annotations

import os

from ..config import Config
from ..log import WARNING, event
from ..outbound import verp as verpmod
from .classify import RecipientVerdict, Verdict, classify
from .store import BounceStore, split_envelope

TYPE_CHECKING = False  # typing costs ~3 ms of start-up (one process per bounce); only checkers need it
if TYPE_CHECKING:
    from typing import Any

    from ..state.base import SendRecord, StateStore

LOGGER = "mailtools.bounces.ingest"  # a name: the alias pipe imports logging only when a line is wanted
NOT_FAILED = ("delayed", "delivered", "relayed", "expanded")
DRY_RUN_FIELDS = ("address", "action", "status", "reply_code", "reason", "hard")  # DESIGN.md's schema


# Plain classes, not dataclasses: this module is on the alias pipe's path (one
# process per bounce, a 50 ms budget), where ``dataclasses`` costs ~8 ms.
class Analysis:
    """What one message is and whose it is (nothing written yet)."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.verp: verpmod.VerpAddress | None = None
        self.valid = False
        self.send: SendRecord | None = None  # the send-log row, when valid
        self.why: str | None = None  # why it is unrecognized (None: it is ours)

    @property
    def kind(self) -> str:
        return self.verdict.kind


class Outcome:
    def __init__(self, name: str, state: str, kind: str, recorded: bool = False, why: str | None = None,
                 path: str = "") -> None:
        self.name, self.kind, self.recorded, self.why, self.path = name, kind, recorded, why, path
        self.state = state  # processed | unrecognized

    def __repr__(self) -> str:
        return f"Outcome({vars(self)!r})"


def _bounce_id(path: str) -> str:
    """The stored bounce's id (its file name without the kind), the log line's id."""
    return os.path.basename(path).partition(".")[0]


def _norm_id(value: str | None) -> str:
    return (value or "").strip().strip("<>").strip().lower()


class Ingester:
    """Holds what every message needs: config, the state database, secret, store."""

    def __init__(self, config: Config, state: StateStore | None, secret: bytes | None,
                 store: BounceStore | None = None) -> None:
        self.config = config
        self.state = state
        self.secret = secret
        self.store = store
        self.prefix = config.bounce.prefix

    # -- reading ---------------------------------------------------------
    def candidates(self, envelope: dict[str, list[str]], verdict: Verdict) -> list[str]:
        """Addresses that may be our VERP address, most trusted first: the envelope
        Postfix or SMTP gave us, the DSN's own Delivered-To/X-Original-To/To (as the
        classifier read them), the quoted Return-Path."""
        found: list[str] = list(envelope.get("rcpt", []))
        found += verdict.delivered_to
        if verdict.original_return_path:
            found.append(verdict.original_return_path)
        return list(dict.fromkeys(a.strip().strip("<>") for a in found if a))

    def analyse(self, stored: bytes) -> Analysis:
        envelope, message = split_envelope(stored)
        verdict = classify(message)
        result = Analysis(verdict)
        candidates = self.candidates(envelope, verdict)
        for address in candidates:
            parsed = verpmod.parse(address, self.prefix)
            if parsed is not None:
                result.verp = parsed
                break
        if result.verp is None:
            from .complaints import attribute  # a mailto unsubscribe, a complaint by Message-ID (issue 14)

            if attribute(self, result, candidates):
                return result
            result.why = f"no {self.prefix}-<user>-<hash>-<package> address of ours in the envelope or headers"
            return result
        result.why = self._verify(result)
        result.valid = result.why is None
        return result

    def _verify(self, result: Analysis) -> str | None:
        """None when the VERP address is ours and agrees with the send log; else why not."""
        address = result.verp
        assert address is not None
        if self.state is None or self.secret is None:
            return "no send log or secret in this spool"
        row = self.state.lookup_send(address.hash)
        if row is None:
            return f"{address.address}: no send-log entry for hash {address.hash}"
        send = row
        # The HMAC covers the ids as they were at send time; a relay that
        # changed their case must not make a real bounce look forged.
        uid, pid = address.user_id, address.package_id
        if send.user_id and send.user_id.lower() == uid.lower():
            uid = send.user_id
        if send.package_id and send.package_id.lower() == pid.lower():
            pid = send.package_id
        checked = verpmod.VerpAddress(address.prefix, uid, address.hash, pid, address.domain)
        if not verpmod.verify(self.secret, checked, send.message_id or "", send.recipient):
            return f"{address.address}: hash does not verify (forged or from another spool)"
        quoted = result.verdict.message_id
        if quoted and send.message_id and _norm_id(quoted) != _norm_id(send.message_id):
            return (f"{address.address}: the bounce quotes Message-ID {quoted}, "
                    f"the send log has {send.message_id}")
        result.send = send
        return None

    # -- deciding --------------------------------------------------------
    def recipient_verdict(self, analysis: Analysis) -> RecipientVerdict | None:
        """The verdict for the send log's recipient, or for the single failing one."""
        assert analysis.send is not None
        wanted = analysis.send.recipient.lower()
        rcpts = analysis.verdict.recipients
        for r in rcpts:
            if r.address.lower() == wanted:
                return r
        failing = [r for r in rcpts if r.action in ("failed", None)]
        if len(failing) == 1:
            return failing[0]
        if len(rcpts) == 1:
            return rcpts[0]
        return None

    def record(self, analysis: Analysis, bounce_file: str, now: float) -> bool:
        """Record a bounce of ours; False when it was already counted (a redelivery)."""
        from .records import BounceEvent, record_bounce

        send = analysis.send
        assert send is not None and self.state is not None
        rv = self.recipient_verdict(analysis)
        if rv is not None and rv.action in NOT_FAILED:
            # A DSN that failed someone else but only delays (or delivered to) ours.
            event(LOGGER, _bounce_id(bounce_file), to=send.recipient, action=rv.action, status="not recorded")
            return False
        if rv is None:
            event(LOGGER, _bounce_id(bounce_file), WARNING, to=send.recipient,
                  recipients=len(analysis.verdict.recipients), detail="none of them ours: recorded as undefined, soft")
        sender = send.sender or ""
        bounce = BounceEvent(
            address=send.recipient, user_id=send.user_id, package_id=send.package_id,
            sending_domain=sender.rpartition("@")[2].lower() if "@" in sender else "",
            reason=rv.reason if rv else "undefined", status=rv.status if rv else None,
            hard=bool(rv.hard) if rv else False, time=now, message_id=send.message_id,
            # One sent message can bounce once for one recipient: keyed by its VERP
            # hash, a DSN Postfix redelivers after a 75 and a replay of forged
            # DSNs with fresh Message-IDs about the same message count once.
            dsn_key=f"verp:{send.hash}", bounce_file=bounce_file,
            diagnostic=(rv.diagnostic or "")[:1000] or None if rv else None)
        recorded = record_bounce(self.state, bounce, self.config)
        event(LOGGER, _bounce_id(bounce_file), to=bounce.address, reason=bounce.reason, hard=bounce.hard,
              dsn=bounce.status, verp="verified", user=bounce.user_id, package=bounce.package_id,
              status="recorded" if recorded else "already counted")
        return recorded

    def act(self, analysis: Analysis, bounce_file: str, now: float) -> bool:
        """Record what a processed message says: a bounce, a complaint, an unsubscribe."""
        if analysis.kind == "bounce":
            return self.record(analysis, bounce_file, now)
        if analysis.kind in ("feedback", "unsubscribe"):
            from . import complaints  # issue 14

            return complaints.record(self, analysis, now)
        return False

    def _decide(self, analysis: Analysis) -> tuple[str, str | None]:
        """(state, why) for an analysed message."""
        if analysis.why is not None:
            return "unrecognized", f"{analysis.why}; kind={analysis.kind}" + (
                f"; {analysis.verdict.problem}" if analysis.verdict.problem else "")
        if analysis.kind == "other":
            # Ours, but not a bounce, delay, auto-reply or report we can read:
            # a person should look at it (processed/ would purge it unseen).
            return "unrecognized", "not recognised as a bounce, delay, auto-reply or feedback report" + (
                f": {analysis.verdict.problem}" if analysis.verdict.problem else "")
        return "processed", None

    # -- doing -----------------------------------------------------------
    def handle_incoming(self, name: str, arrived: float, sync: bool = False) -> Outcome:
        """Process ``incoming/<name>``, stored at ``arrived`` (pipe, SMTP, a retry), and move it on.

        It is recorded with ``arrived``, not the time of this run: a bounce
        kept here through an outage bounced then. The move need not be
        fsynced: if a crash undoes it, the bounce is back in incoming/ and its
        dsn_key keeps a second pass from counting.
        """
        assert self.store is not None
        analysis = self.analyse(self.store.read("incoming", name))
        state, why = self._decide(analysis)
        kind = analysis.kind if state == "processed" else None
        final = self.store.path(state, f"{name}.{kind}" if kind else name)
        # Record before moving: a crash in between leaves it in incoming/
        # to be processed again, and the dsn_key makes that count once.
        recorded = self.act(analysis, final, arrived) if state == "processed" else False
        self.store.move(name, state, arrived, kind=kind, why=why, sync=sync)
        return self._outcome(name, state, analysis, recorded, why, final)

    def handle_bytes(self, raw: bytes, name: str, now: float, envelope: bytes = b"", sync: bool = False) -> Outcome:
        """Process a message whose source keeps it (a file, a Maildir): store a copy where it ends."""
        assert self.store is not None
        from .store import with_envelope

        stored = with_envelope(raw, envelope)
        analysis = self.analyse(stored)
        state, why = self._decide(analysis)
        kind = analysis.kind if state == "processed" else None
        final_name = f"{name}.{kind}" if kind else name
        final = self.store.path(state, final_name)
        recorded = self.act(analysis, final, now) if state == "processed" else False
        if why:
            self.store.note(state, name, why, now)
        self.store.put(state, stored, now, name=final_name, sync=sync)
        return self._outcome(name, state, analysis, recorded, why, final)

    def _outcome(self, name: str, state: str, analysis: Analysis, recorded: bool, why: str | None,
                 path: str) -> Outcome:
        if state == "unrecognized":
            event(LOGGER, name, level=WARNING, kind=analysis.kind,
                  verp="none" if analysis.verp is None else "not verified", status="unrecognized", detail=why)
        elif analysis.kind != "bounce" and not recorded and analysis.send is not None:
            event(LOGGER, name, kind=analysis.kind, to=analysis.send.recipient, status="not recorded")
        return Outcome(name, state, analysis.kind, recorded, why, path)


def dry_run_json(analysis: Analysis, source: str) -> dict[str, Any]:
    """One line of ``--dry-run --json``, exactly DESIGN.md's schema."""
    verdict = analysis.verdict
    return {
        "source": source,
        "kind": verdict.kind,
        "verp": None if analysis.verp is None else {
            "user_id": analysis.verp.user_id, "package_id": analysis.verp.package_id, "valid": analysis.valid},
        "message_id": verdict.message_id,
        "recipients": [{k: v for k, v in r.to_json().items() if k in DRY_RUN_FIELDS} for r in verdict.recipients]
        + _unsubscribed(analysis),
    }


def _unsubscribed(analysis: Analysis) -> list[dict[str, Any]]:
    """A verified mailto unsubscribe: the address it would unsubscribe (the send log's recipient of that
    message), as a bounce's dry run shows its recipients; nothing for one that does not verify."""
    if analysis.kind != "unsubscribe" or not analysis.valid or analysis.send is None:
        return []
    return [{"address": analysis.send.recipient, "action": None, "status": None, "reply_code": None,
             "reason": "unsubscribe", "hard": False}]
