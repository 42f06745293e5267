"""Readers for bounces that are not RFC 3464 DSNs.

Many MTAs still write their failure as prose: qmail, Exim, old Sendmail, dma,
OpenSMTPD, Exchange, Notes, carriers' gateways; Amazon SES, Postmark, Mailgun
and SendGrid post JSON events, which some set-ups mail on. Each
reader here knows how one kind of MTA (or one family of them) lays out the
failing recipients and their diagnostic, and returns them as Failures for
reasons.decide() to judge. Readers are tried most specific first; the first
that names a recipient wins.

Loaded only for messages without a usable delivery-status part, so nothing
here weighs on the start-up of a standard DSN.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """One recipient a prose bounce says failed (or was delayed, or delivered)."""

    address: str
    diagnostic: str
    action: str = "failed"
    status: str | None = None
    # The diagnostic is a server's refusal the MTA passes on without saying at
    # which SMTP command it came (as a DSN's "Diagnostic-Code: smtp;" is).
    relayed: bool = False


@dataclass(frozen=True)
class Bounce:
    """What a reader may look at: the bounce's own text, and whose addresses to skip."""

    prose: str                 # the bounce's text, up to the copy of the original
    full: str                  # all of the bounce's own text parts
    ours: frozenset[str]       # sender, receiver and original sender: never a failing recipient
    # Whether the subject, sender or header fields say this is a failure notice: wording
    # many messages share ("the following address has changed") counts only then.
    notice: bool = True
    sender: str = ""           # the notice's From address: a list manager's names the list
    subject: str = ""          # the notice's Subject: FML localises its text, not its subject


def read(bounce: Bounce) -> list[Failure]:
    """Failing recipients by the first reader that finds any, else [].

    original.read, the last resort, is not among them: the caller tries
    flufl.bounce's detectors before guessing from the quoted original.
    """
    from . import espjson, fields, lists, sections, ses, transcript

    for reader in (ses.read, espjson.read, fields.read, sections.read, transcript.read, lists.read):
        found = reader(bounce)
        if found:
            return found
    return []
