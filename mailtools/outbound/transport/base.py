"""What a transport answers for one recipient: an SMTP-like reply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Reply:
    code: int  # 2xx sent, 4xx try later, 5xx give up
    text: str

    @property
    def kind(self) -> str:
        return "sent" if 200 <= self.code < 300 else "dropped" if 500 <= self.code < 600 else "deferred"

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()
