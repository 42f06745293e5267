"""The message file: a readable JSON envelope, a blank line, the message.

An admin can ``cat`` a queue file and see who it is from, to whom, what
happened to each recipient, and the message itself, unchanged.
"""

from __future__ import annotations

import json

from ..errors import DataError

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need Any
if TYPE_CHECKING:
    from typing import Any

# Recipient states inside one message; the file's directory is the message state.
PENDING, DEFERRED, SENT, DROPPED = "pending", "deferred", "sent", "dropped"
FINAL = (SENT, DROPPED)


# Envelope.unsubscribe: each copy gets its own List-Unsubscribe headers and is signed at delivery
UNSUBSCRIBE_PER_RECIPIENT = "per-recipient"

class _Plain:
    """Equality and repr from FIELDS: what the file holds, in the order it holds it.

    Plain classes rather than dataclasses: mq-send imports this module on its
    30 ms path, and ``dataclasses`` costs ~5 ms (it imports ``inspect``).
    """

    FIELDS: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.to_json().items())})"


class Recipient(_Plain):
    FIELDS = ("address", "state", "error", "time", "attempts")

    def __init__(self, address: str, state: str = PENDING, error: str | None = None, time: float | None = None,
                 attempts: int = 0) -> None:
        self.address, self.state, self.error = address, state, error
        self.time = time  # when it reached its state
        self.attempts = attempts  # transactions tried for this recipient (mq-list gives each its own)

    @property
    def waiting(self) -> bool:
        return self.state not in FINAL


class Envelope(_Plain):
    FIELDS = ("id", "sender", "recipients", "message_id", "user_id", "package_id", "created", "attempts",
              "next_attempt", "crashes", "held_reason", "error", "done_at", "requeued", "dkim",
              "bypass_suppression", "unsubscribe", "source", "uid")

    def __init__(self, id: str, sender: str, recipients: list[Recipient], message_id: str | None = None,  # noqa: A002
                 user_id: str | None = None, package_id: str | None = None, created: float = 0.0,
                 attempts: int = 0, next_attempt: float | None = None, crashes: int = 0,
                 held_reason: str | None = None, error: str | None = None, done_at: float | None = None,
                 requeued: float | None = None, dkim: bool = False, bypass_suppression: bool = False,
                 unsubscribe: str = "", source: str | None = None, uid: int | None = None) -> None:
        self.id, self.sender, self.recipients = id, sender, recipients
        self.message_id, self.user_id, self.package_id = message_id, user_id, package_id
        self.created, self.attempts, self.next_attempt, self.crashes = created, attempts, next_attempt, crashes
        self.held_reason = held_reason
        self.error = error  # why the whole message failed (an unparseable maildrop file)
        self.done_at = done_at  # when the message reached sent/ or dropped/
        self.requeued = requeued  # mq-ctl requeue: max_age_days counts from here
        self.dkim = dkim
        self.bypass_suppression = bypass_suppression  # disable notices must reach disabled addresses
        # one-click List-Unsubscribe: "", "added" or "per-recipient" (list_unsubscribe.py)
        self.unsubscribe = unsubscribe
        self.source = source  # "mq-send", "maildrop:<name>", ...
        self.uid = uid  # who queued it: mq-send's caller, or the owner of the maildrop file

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data["recipients"] = [r.to_json() for r in self.recipients]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        """From a queue file; keys this version does not know are ignored (a newer writer's)."""
        fields = {k: v for k, v in data.items() if k in cls.FIELDS}
        fields["recipients"] = [Recipient(**{k: v for k, v in r.items() if k in Recipient.FIELDS})
                                for r in data.get("recipients", [])]
        return cls(**fields)

    @property
    def waiting(self) -> list[Recipient]:
        return [r for r in self.recipients if r.waiting]


class QueueFile:
    def __init__(self, envelope: Envelope, message: bytes = b"") -> None:
        self.envelope, self.message = envelope, message


_END = b"\n}\n"


def dump(envelope: Envelope, message: bytes) -> bytes:
    """The envelope, one key per line (each value by the C encoder), then the message.

    Every inner line is indented, so the first "\n}\n" ends the envelope
    whatever the strings contain (json escapes their newlines).
    """
    lines = []
    for key, value in envelope.to_json().items():
        if key == "recipients":
            inner = ",\n  ".join(json.dumps(r, ensure_ascii=False) for r in value)
            lines.append(f' "recipients": [\n  {inner}\n ]' if value else ' "recipients": []')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return ("{\n" + ",\n".join(lines) + "\n}").encode("utf-8") + b"\n\n" + message


def split(raw: bytes) -> tuple[bytes, bytes]:
    end = raw.find(_END)
    if not raw.startswith(b"{") or end < 0:
        raise DataError("not a mailtools queue file (no envelope)")
    return raw[: end + 2], raw[end + 4:]


def parse_envelope(head: bytes) -> Envelope:
    try:
        return Envelope.from_json(json.loads(head))
    except (ValueError, TypeError, AttributeError) as exc:  # not an object, a list where one belongs
        raise DataError(f"damaged envelope: {exc}") from None


def load(raw: bytes) -> QueueFile:
    head, message = split(raw)
    return QueueFile(parse_envelope(head), message)
