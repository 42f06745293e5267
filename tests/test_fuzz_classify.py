"""Property-based fuzzing (hypothesis) of the bounce parser and classifier.

Properties, for any input: classify() returns a Verdict and never raises;
every reason is in sisimai's vocabulary; nothing but a bounce is hard, and
hard is only userunknown/hostunknown/hasmoved/notaccept, never for a delay
or a 4xx; a message takes well under a second. The same for decide(), for
the envelope and header readers the pipe uses before storing, for the VERP
parser, and for Ingester.analyse() without a database (the dry-run path).

A few hundred examples per target in ``make test``; thousands in ``make soak``
(@slow). The number of inputs and the seconds spent are in the terminal
summary ("reliability figures").
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import prose_bounce, tally
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtools.bounces.classify import Verdict, classify
from mailtools.bounces.ingest import Ingester
from mailtools.bounces.reasons import HARD_REASONS, REASONS, decide
from mailtools.bounces.store import split_envelope
from mailtools.config import load_config
from mailtools.outbound import verp

DATA = Path(__file__).resolve().parent / "data" / "bounces"
SEEDS = sorted(p.read_bytes() for p in DATA.rglob("*") if p.is_file() and p.suffix in (".eml", ".txt", ""))[:80]
KINDS = {"bounce", "delay", "autoreply", "feedback", "delivered", "other"}
PER_MESSAGE = 1.0  # seconds

QUICK = settings(max_examples=250, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LONG = settings(QUICK, max_examples=4000)


def _timed(name: str, func, *args):  # noqa: ANN001, ANN202
    started = time.perf_counter()
    result = func(*args)
    elapsed = time.perf_counter() - started
    tally(f"fuzz: {name} inputs", 1, quiet=True)
    tally("fuzz: seconds spent in the code under test", elapsed, quiet=True)
    assert elapsed < PER_MESSAGE, f"{name} took {elapsed:.2f}s"
    return result


def check_verdict(verdict: Verdict) -> None:
    assert isinstance(verdict, Verdict)
    assert verdict.kind in KINDS
    for r in verdict.recipients:
        assert r.reason in REASONS, r.reason
        if r.hard:
            assert verdict.kind == "bounce", (verdict.kind, r)
            assert r.reason in HARD_REASONS, r
            assert r.action in ("failed", None), r
            assert not (r.status or "").startswith("4."), r
            assert not (r.reply_code or "").startswith("4"), r


# -- strategies ---------------------------------------------------------------------------------
def mutate(seed: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    data = bytearray(seed)
    for pos, chunk in edits:
        pos = pos % (len(data) + 1)
        data[pos:pos + len(chunk)] = chunk
    return bytes(data[:cut] if cut is not None else data)


mutated = st.builds(mutate, st.sampled_from(SEEDS),
                    st.lists(st.tuples(st.integers(0, 1 << 20), st.binary(max_size=40)), max_size=12),
                    st.one_of(st.none(), st.integers(0, 1 << 16)))

field_text = st.one_of(st.text(max_size=60), st.sampled_from(
    ["failed", "delayed", "delivered", "relayed", "expanded", "FAILED", "", " ", "\xff", "5.1.1", "4.2.2",
     "5.7.1", "2.0.0", "9.9.9", "5.1.10", "550", "452", "smtp; 550 5.1.1 user unknown",
     "smtp; 452 4.2.2 mailbox full", "x-postfix; host not found", "rfc822; a@b.example", "rfc822;", "<>"]))


@st.composite
def dsns(draw) -> bytes:  # noqa: ANN001
    """A multipart/report whose per-recipient fields are anything at all."""
    blocks = []
    for _ in range(draw(st.integers(0, 4))):
        fields = {"Final-Recipient": draw(field_text), "Action": draw(field_text), "Status": draw(field_text),
                  "Diagnostic-Code": draw(field_text), "Remote-MTA": draw(field_text)}
        keep = draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
        blocks.append("\n".join(f"{k}: {fields[k]}" for k in keep))
    charset = draw(st.sampled_from(["utf-8", "us-ascii", "x-bogus", ""]))
    text = (
        "From: MAILER-DAEMON@mx.example\nTo: bounce-42-abcdefgh-7@bounces.example.org\n"
        f"Subject: {draw(field_text)}\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain; charset={charset}\n\n{draw(st.text(max_size=200))}\n\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; {draw(field_text)}\n\n" + "\n\n".join(blocks) + "\n\n"
        "--B\nContent-Type: message/rfc822\n\n"
        f"Message-ID: {draw(field_text)}\nReturn-Path: <{draw(field_text)}>\n\nhi\n--B--\n"
    )
    return text.encode("utf-8", "surrogateescape")


# What the prose readers look for, mixed with what they should survive.
READER_LINES = st.one_of(st.text(max_size=80), st.sampled_from([
    "Hi. This is the qmail-send program at mx.example.net.", "The following address(es) failed:",
    "   ----- Transcript of session follows -----", "This is the DragonFly Mail Agent v0.13 at x.",
    "    An error has occurred while attempting to deliver a message for", "was not delivered to:",
    "The following recipient(s) could not be reached:", "Delivery has failed to these recipients or groups:",
    "Could not be delivered because of", "Unable to deliver message to: <a@b.example>",
    "<a@b.example>:", "  a@b.example", ">>> RCPT To:<a@b.example>", "<<< 550 5.1.1 User unknown",
    "550 5.1.1 <a@b.example>... User unknown", "(in reply to end of DATA command)", "after MAIL FROM:<s@us.example>:",
    "Final-Recipient: rfc822; a@b.example", "Action: failed", "Status: 5.1.1", "Original message follows",
    '{"notificationType": "Bounce", "bounce": {"bouncedRecipients": [{"emailAddress": "a@b.example"}]}}',
    "To: a@b.example", "From: news@example.org", "", "   ",
]))
reader_bounces = st.builds(lambda lines, subject: prose_bounce("\n".join(lines), subject=subject),
                           st.lists(READER_LINES, max_size=30),
                           st.sampled_from(["Undelivered Mail", "failure notice", "Delayed Mail", "hello"]))


# -- targets ------------------------------------------------------------------------------------
def classify_raw(raw: bytes) -> None:
    check_verdict(_timed("classify(random bytes)", classify, raw))


def classify_mutated(raw: bytes) -> None:
    check_verdict(_timed("classify(mutated real bounce)", classify, raw))


def classify_prose(raw: bytes) -> None:
    check_verdict(_timed("classify(generated prose bounce)", classify, raw))


def classify_dsn(raw: bytes) -> None:
    verdict = _timed("classify(generated DSN)", classify, raw)
    check_verdict(verdict)


def decide_any(action, status, reply, text) -> None:  # noqa: ANN001
    reason, hard = _timed("decide(fields)", decide, action, status, reply, text)
    assert reason in REASONS
    if hard:
        assert reason in HARD_REASONS
        assert action in ("failed", None) and not (status or "").startswith("4.")
        assert not (reply or "").startswith("4")


def readers_any(raw: bytes) -> None:
    def read() -> None:
        fields, message = split_envelope(raw)
        assert isinstance(fields, dict) and raw.endswith(message)
        for text in (raw.decode("latin-1"), raw.decode("utf-8", "replace")):
            verp.parse(text, "bounce")
            verp.parse(text)

    _timed("envelope/header/VERP readers", read)


_INGESTER: list[Ingester] = []


def analyse_any(raw: bytes) -> None:
    if not _INGESTER:
        _INGESTER.append(Ingester(load_config("/dev/null", "/nonexistent"), None, None))
    analysis = _timed("Ingester.analyse (dry-run path)", _INGESTER[0].analyse, raw)
    check_verdict(analysis.verdict)
    assert not analysis.valid  # without a send log and a secret nothing verifies


TARGETS = [
    (classify_raw, st.binary(max_size=4096)),
    (classify_mutated, mutated),
    (classify_dsn, dsns()),
    (classify_prose, reader_bounces),
    (readers_any, st.one_of(st.binary(max_size=2048), mutated)),
    (analyse_any, st.one_of(mutated, dsns())),
]


def _run(test, profile) -> None:  # noqa: ANN001
    started = time.monotonic()
    profile(test)()
    tally("fuzz: wall seconds (generation included)", time.monotonic() - started, quiet=True)


@pytest.mark.parametrize("func, strategy", TARGETS, ids=[t[0].__name__ for t in TARGETS])
def test_fuzz(func, strategy):
    _run(given(strategy)(func), QUICK)


OPTIONAL = st.one_of(st.none(), field_text)


def test_fuzz_decide():
    _run(given(OPTIONAL, OPTIONAL, OPTIONAL, OPTIONAL)(decide_any), QUICK)


@pytest.mark.slow
@pytest.mark.parametrize("func, strategy", TARGETS, ids=[t[0].__name__ for t in TARGETS])
def test_fuzz_long(func, strategy):
    _run(given(strategy)(func), LONG)


@pytest.mark.slow
def test_fuzz_decide_long():
    _run(given(OPTIONAL, OPTIONAL, OPTIONAL, OPTIONAL)(decide_any), LONG)
