"""Plain HTML pages: no JavaScript, no outside resources, everything shown escaped.

A page shows nothing but the address it is about (no package name, no token
in the text), so a forwarded screenshot or a shoulder-surfer learns no more.
"""

from __future__ import annotations

from html import escape

_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>body{{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}}
button{{font:inherit;padding:.6rem 1.2rem}}</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p id="message">{message}</p>
{form}</main>
</body>
</html>
"""

_FORM = """<form method="post" action="{action}">
{inputs}<button type="submit">{button}</button>
</form>
"""
_INPUT = """<input type="hidden" name="{name}" value="{value}">
"""


def page(lang: str, title: str, message: str, address: str = "", form: str = "") -> bytes:
    """A page with a title and one paragraph; ``{address}`` in the message is filled in escaped."""
    return _PAGE.format(lang=escape(lang), title=escape(title),
                        message=escape(message).replace("{address}", f"<strong>{escape(address)}</strong>"),
                        form=form).encode("utf-8")


def ask(lang: str, title: str, question: str, address: str, button: str, action: str,
        fields: list[tuple[str, str]]) -> bytes:
    """A question about ``address`` with one button that POSTs ``fields`` to ``action``."""
    inputs = "".join(_INPUT.format(name=escape(name), value=escape(value)) for name, value in fields)
    form = _FORM.format(action=escape(action), inputs=inputs, button=escape(button))
    return page(lang, title, question, address, form)
