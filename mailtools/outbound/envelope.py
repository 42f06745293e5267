"""The message file: a readable JSON envelope, a blank line, the message.

An admin can ``cat`` a queue file and see who it is from, to whom, what
happened to each recipient, and the message itself, unchanged.
"""

from __future__ import annotations

import json

from ..errors import DataError
from ..record import Record

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need Any
if TYPE_CHECKING:
    from typing import Any

# Recipient states inside one message; the file's directory is the message state.
PENDING, DEFERRED, SENT, DROPPED = "pending", "deferred", "sent", "dropped"
FINAL = (SENT, DROPPED)


class Recipient(Record):
    address: str
    state: str = PENDING
    error: str | None = None
    time: float | None = None  # when it reached its state

    @property
    def waiting(self) -> bool:
        return self.state not in FINAL


class Envelope(Record):
    id: str
    sender: str
    recipients: list[Recipient]
    message_id: str | None = None
    user_id: str | None = None
    package_id: str | None = None
    created: float = 0.0
    attempts: int = 0
    next_attempt: float | None = None
    crashes: int = 0
    held_reason: str | None = None
    error: str | None = None  # why the whole message failed (an unparseable maildrop file)
    done_at: float | None = None  # when the message reached sent/ or dropped/
    requeued: float | None = None  # mq-ctl requeue: max_age_days counts from here
    dkim: bool = False
    bypass_suppression: bool = False  # disable notices must reach disabled addresses
    unsubscribe: str = ""  # one-click List-Unsubscribe: "", "added" or "per-recipient" (list_unsubscribe.py)
    source: str | None = None  # "mq-send", "maildrop:<name>", ...

    def to_json(self) -> dict[str, Any]:
        return self.to_dict()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        data = dict(data)
        data["recipients"] = [Recipient(**r) for r in data.get("recipients", [])]
        known = cls._fields
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def waiting(self) -> list[Recipient]:
        return [r for r in self.recipients if r.waiting]


class QueueFile(Record):
    envelope: Envelope
    message: bytes = b""


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
    except (ValueError, TypeError) as exc:
        raise DataError(f"damaged envelope: {exc}") from None


def load(raw: bytes) -> QueueFile:
    head, message = split(raw)
    return QueueFile(parse_envelope(head), message)
