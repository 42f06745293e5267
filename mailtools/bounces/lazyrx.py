"""Regexes that are compiled only when a cheap literal test says they might match.

The classifier's rules are long alternations; compiling the ones a typical
DSN walks through cost ~7 ms of bounce-ingest's start-up (Postfix starts one
process per bounce). Each alternative has a stretch of plain text that any
match must contain ("relay(?:ing)? (?:access )?denied" must contain "relay");
when the lower-cased text contains none of a rule's stretches, the rule
cannot match and is not compiled. When it contains some, only the
alternatives whose stretch is there are compiled (the others cannot match
anywhere in the text, so the leftmost match is the same): a message that
says "user unknown" compiles that alternative, not the rule's fifty others.
Non-ASCII text skips the test: case-folding rules there are the regex
engine's business.
"""

from __future__ import annotations

import re

MIN_HINT = 3  # shorter stretches ("5.", "ok") would filter nothing


_NOT_YET = ()  # hints not worked out yet (a real hint tuple is never empty)


class LazyRx:
    __slots__ = ("pattern", "flags", "_hints", "_rx", "_parts")

    def __init__(self, pattern: str, flags: int = re.IGNORECASE) -> None:
        self.pattern, self.flags = pattern, flags
        # Worked out on first use too: a classification stops at the first rule
        # that matches, so the rules after it cost nothing at start-up.
        self._hints: tuple[str, ...] | None = _NOT_YET if flags & re.IGNORECASE else None
        self._rx: re.Pattern[str] | None = None
        self._parts: list[str] | None = None  # the top-level alternatives, when a subset of them may stand in

    @property
    def hints(self) -> tuple[str, ...] | None:
        """One literal per top-level alternative, or None when the pre-test cannot be used."""
        if self._hints is _NOT_YET:
            self._hints = literal_hints(self.pattern)
        return self._hints

    @hints.setter
    def hints(self, value: tuple[str, ...] | None) -> None:
        self._hints = value

    def search(self, text: str, pos: int = 0, lowered: str | None = None) -> re.Match[str] | None:
        """``lowered`` is ``text.lower()`` when the caller has it (one lower() for many rules)."""
        hints = self.hints
        if hints is not None and pos == 0 and text.isascii():
            low = text.lower() if lowered is None else lowered
            present = [i for i, hint in enumerate(hints) if hint in low]
            if not present:
                return None
            if len(present) < len(hints) and self._rx is None:
                parts = self._alternatives()
                if parts is not None:
                    # re's own cache keeps the subset for the next message of a --maildir run.
                    return re.compile("|".join(parts[i] for i in present), self.flags).search(text)
        return self.compiled().search(text, pos)

    def _alternatives(self) -> list[str] | None:
        """The top-level alternatives, or None when a subset would not match alike (capturing groups)."""
        if self._parts is None:
            tokens = _TOKEN.findall(self.pattern)
            self._parts = alternatives(self.pattern) if _only_plain_groups(tokens) else []
        return self._parts or None

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern, compiled on first use (for finditer, sub, ...: no pre-test)."""
        if self._rx is None:
            self._rx = re.compile(self.pattern, self.flags)
        return self._rx


# Regex source as tokens: an escape, a character class, one metacharacter, or a
# run of plain characters. Tokenising with one small regex keeps the hint
# extraction itself cheap (it runs for every rule a message is tried against).
_TOKEN = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\{[^}]*\}|[()?*+.^$|]|[^\\\[()?*+{.^$|]+")


def _only_plain_groups(tokens: list[str]) -> bool:
    """No numbered or named group, backreference or inline flag: every group is (?:...) or a lookaround."""
    for i, token in enumerate(tokens):
        if token == "(" and not "".join(tokens[i + 1:i + 3]).startswith(("?:", "?=", "?!", "?<=", "?<!")):
            return False
    return True


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of *pattern*, in order (what literal_hints gives one hint each)."""
    out, current, depth = [], "", 0
    for token in _TOKEN.findall(pattern):
        if token == "|" and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += (token == "(") - (token == ")")
        current += token
    return out + [current]


def literal_hints(pattern: str) -> tuple[str, ...] | None:
    """One mandatory lower-case literal per top-level alternative, or None if one has none."""
    hints: list[str] = []
    best, run, depth = "", "", 0
    for token in _TOKEN.findall(pattern) + ["|"]:
        if token in "?*" or token.startswith("{"):
            run = run[:-1]  # the character before is optional
        elif token == "|" and depth == 0:
            hint = best if len(best) >= len(run) else run   # not max(key=len): ~40% of this function's time
            if len(hint) < MIN_HINT:
                return None
            hints.append(hint.lower())
            best, run = "", ""
            continue
        elif depth == 0 and token not in "()+.^$|" and not token.startswith("["):
            if token.startswith("\\"):
                if not token[1:].isalnum():
                    run += token[1]
                    continue
            else:
                run += token
                continue
        depth += (token == "(") - (token == ")")
        if len(run) > len(best):
            best = run
        run = ""
    return tuple(hints)
