"""The literal pre-test may skip a rule only when the rule cannot match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtools.bounces import classify, textrules
from mailtools.bounces.lazyrx import LazyRx, alternatives, literal_hints

SAMPLES = sorted(p for p in (Path(__file__).parent / "data" / "bounces").rglob("*")
                 if p.is_file() and p.suffix in (".txt", ".eml"))


@pytest.mark.parametrize("pattern, hints", [
    (r"relay(?:ing)? (?:access )?denied", ("denied",)),
    (r"mailbox (?:is )?full|over ?quota", ("mailbox ", "quota")),
    (r"5\.7\.10\b", ("5.7.10",)),
    (r"isn\'?t in my list", ("t in my list",)),
    (r"no such user|[a-z]+ unknown", ("no such user", " unknown")),
    (r"a+b", None),  # no plain run of 3 characters: the rule is always compiled
])
def test_hints(pattern, hints):
    assert literal_hints(pattern) == hints


def _rule_alternatives() -> list[tuple[str, str]]:
    pairs = []
    for _, rx in [*textrules.RULES, ("", textrules.AUTOREPLY_SUBJECT), ("", textrules.BOUNCE_SUBJECT)]:
        if rx.hints is not None:
            pairs += zip(alternatives(rx.pattern), rx.hints, strict=True)
    return pairs


def test_alternatives_split_at_the_top_level_only():
    assert alternatives(r"a(?:b|c)d|e|f[|]g") == ["a(?:b|c)d", "e", "f[|]g"]


@pytest.mark.parametrize("alternative, hint", _rule_alternatives())
@settings(max_examples=10, deadline=None, database=None)
@given(data=st.data())
def test_every_rule_hint_occurs_in_what_its_alternative_matches(alternative, hint, data):
    # Texts the alternative matches, drawn from the regex itself: if a hint were
    # not in every one of them, the pre-test would skip a rule that matches.
    text = data.draw(st.from_regex(re.compile(alternative, re.IGNORECASE), fullmatch=True))
    if text.isascii():   # the pre-test is skipped for the rest
        assert hint in text.lower(), (alternative, hint, text)


def _without_hints():
    saved = [(rx, rx.hints) for _, rx in textrules.RULES]
    for rx, _ in saved:
        rx.hints = None
    return saved


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_verdicts_are_the_same_with_and_without_the_pre_test(sample):
    raw = sample.read_bytes()
    fast = classify.classify(raw)
    saved = _without_hints()
    try:
        slow = classify.classify(raw)
    finally:
        for rx, hints in saved:
            rx.hints = hints
    assert fast.to_json() == slow.to_json()


words = st.sampled_from(["relay", "denied", "access", "mailbox", "full", "quota", "over", "user", "unknown",
                         "550", "5.7.1", "blocked", "spamhaus", "dmarc", "too", "big", "is", "not", "allowed",
                         "Mailbox", "FULL", "Relaying", "DENIED", "x", "-", "  "])


@settings(max_examples=300, deadline=None)
@given(st.lists(words, min_size=1, max_size=12).map(" ".join))
def test_pre_test_never_hides_a_match(text):
    for _, rx in textrules.RULES:
        compiled = re.compile(rx.pattern, rx.flags)
        assert _span(rx.search(text)) == _span(compiled.search(text)), (rx.pattern, text)


def _span(match: re.Match[str] | None) -> tuple[int, int, str] | None:
    return (match.start(), match.end(), match.group()) if match else None


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_subset_of_alternatives_finds_the_match_the_whole_rule_finds(sample):
    # Only the alternatives whose literal is in the text are compiled: the match
    # (where, how long, what) must be the one the whole rule finds.
    text = sample.read_text(errors="replace")
    for _, rx in textrules.RULES:
        fresh = LazyRx(rx.pattern, rx.flags)
        assert _span(fresh.search(text)) == _span(re.compile(rx.pattern, rx.flags).search(text)), rx.pattern


def test_only_the_alternatives_present_are_compiled():
    rx = LazyRx(r"user unknown|mailbox (?:is )?full|no such (?:user|mailbox)")
    assert rx.search("550 5.1.1 <a@b>: User unknown").group() == "User unknown"
    assert rx._rx is None  # the whole rule was never compiled
    assert rx.search("mailbox full; no such user").group() == "mailbox full"  # leftmost, as the whole rule


def test_a_rule_with_capturing_groups_is_compiled_whole():
    rx = LazyRx(r"(user) unknown|mailbox (full)")
    match = rx.search("mailbox full")
    assert match.group(2) == "full"  # the group keeps its number: the whole rule ran
    assert rx._rx is not None


def test_non_ascii_text_skips_the_pre_test():
    rx = LazyRx(r"kelvin")
    assert rx.search("\u212aelvin")  # KELVIN SIGN matches k under IGNORECASE
