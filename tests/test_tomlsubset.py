"""The quick TOML subset parser must agree with tomllib wherever it answers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtools.tomlsubset import loads

README_CONFIG = Path(__file__).resolve().parent.parent / "README.md"


def readme_toml() -> str:
    text = README_CONFIG.read_text()
    start = text.index("```toml\nspool")
    return text[start + len("```toml\n"):text.index("```", start + 8)]


@pytest.mark.parametrize("doc", [
    readme_toml(),
    'spool = "/var/spool/x"  # comment\n[transport]\nport = 2525\nstarttls = "never"\ntimeout = 2.5\n',
    '[senders."news@example.org"]\nhost = "smtp.example.org"\n[packages.7]\non_bounce = \'/bin/x # y\'\n',
    '[platforms."shop.example"]\nwebhook = "https://p.example/emails/{address}/suspend"\n',
    'send_immediately = true\n[bounce]\nmax_bounce_count = -3\n',
])
def test_agrees_with_tomllib(doc):
    assert loads(doc) == tomllib.loads(doc)


@pytest.mark.parametrize("doc", [
    'a = [1, 2]\n', 'a = {b = 1}\n', 'a = "x\\ty"\n', 'a.b = 1\n', 'a = 1\na = 2\n', '[t]\n[t]\n',
    'a = 1979-05-27\n', 'a = """x"""\n', '[[t]]\n', 'a = 0x10\n', 'a = 1_000\n', 'a = 01\n', 'a = 1e3\n',
    'a = inf\n', '[transport\n', 'a = "unterminated\n',
    # tomllib refuses these: so must the lean parser, or mq-send would run on a config other commands reject
    'a = 01.5\n', 'a = -01.0\n', 'a = +01.5\n', 'a = "a\x01b"\n', "a = 'a\x7fb'\n", 'a = 1 # \x00\n',
    'a = 1\rb = 2\n',
])
def test_anything_else_goes_to_tomllib(doc):
    assert loads(doc) is None


@pytest.mark.parametrize("doc", ['a = 01.5\n', 'a = "a\x01b"\n', 'a = 1\rb = 2\n'])
def test_what_it_leaves_to_tomllib_tomllib_refuses(doc):
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(doc)


keys = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
values = st.one_of(st.integers(-10**6, 10**6), st.booleans(),
                   st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)),
                   st.text(st.characters(blacklist_characters='"\\\n\r', blacklist_categories=("Cs", "Cc")),
                           max_size=20))


def render(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return repr(value) if "e" not in repr(value) else "0.5"
    return str(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, st.dictionaries(keys, values, max_size=5), max_size=4),
       st.dictionaries(keys, values, max_size=4))
def test_generated_documents_agree(tables, top):
    lines = [f"{k} = {render(v)}" for k, v in top.items() if k not in tables]
    for name, body in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {render(v)}  # note" for k, v in body.items()]
    doc = "\n".join(lines) + "\n"
    quick = loads(doc)
    assert quick == tomllib.loads(doc)  # all of these are in the subset: no fallback
