"""A parser for the plain subset of TOML that configuration files use: mq-send and the pipe only.

Only the two entry points with a start-up budget use it (mq-send's enqueue,
30 ms, and bounce-ingest's alias pipe, 50 ms; ``load_config(lean=True)``):
importing ``tomllib`` costs them ~6 ms of CPU a call (typing, string,
contextlib and its regexes; measured A/B against this parser). Every other
command reads the config with ``tomllib``. Tables, and keys set to strings
without escapes, integers, floats and booleans cover real mailtools.toml
files; anything else (arrays, inline tables, escapes, dates, dotted keys, a
repeated key) returns None and the caller uses tomllib, which also reports
the errors. tests/test_tomlsubset.py checks it agrees with tomllib.
"""

from __future__ import annotations

import re

_KEY = r'(?:[A-Za-z0-9_-]+|"[^"\\\n]*")'
_TABLE = re.compile(rf"\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\s*(?:#.*)?")
_PAIR = re.compile(rf"({_KEY})\s*=\s*(\"[^\"\\\n]*\"|'[^'\n]*'|true|false|[+-]?[0-9]+(?:\.[0-9]+)?)\s*(?:#.*)?")
_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
# TOML allows no control character but tab, in strings and comments alike; nor a lone CR.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")


def _key(token: str) -> str:
    return token[1:-1] if token.startswith('"') else token


def _value(token: str) -> object:
    if token[0] in "\"'":
        return token[1:-1]
    if token in ("true", "false"):
        return token == "true"
    if not _INT.fullmatch(token.split(".", 1)[0]):
        raise ValueError(token)  # leading zeros are not TOML, in a float's integer part neither
    return float(token) if "." in token else int(token)


def loads(text: str) -> dict | None:
    """The parsed document, or None when it uses anything beyond the subset."""
    if _CONTROL.search(text):
        return None
    root: dict = {}
    table = root
    defined: set[tuple[str, ...]] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            match = _TABLE.fullmatch(line)
            if match is None or line.startswith("[["):
                return None
            path = tuple(_key(p.strip()) for p in re.findall(_KEY, match.group(1)))
            if path in defined:
                return None
            defined.add(path)
            table = root
            for name in path:
                table = table.setdefault(name, {})
                if not isinstance(table, dict):
                    return None
            continue
        match = _PAIR.fullmatch(line)
        if match is None:
            return None
        key = _key(match.group(1))
        if key in table:
            return None
        try:
            table[key] = _value(match.group(2))
        except ValueError:
            return None
    return root
