"""The WSGI app: ``/unsubscribe`` (RFC 8058 one-click) and ``/reenable`` (a notice's link).

GET never changes anything: it shows a page with one button that POSTs, so a
link scanner or a mail client's prefetch unsubscribes nobody. A receiver's
one-click POST (body ``List-Unsubscribe=One-Click``) acts at once and gets 200.
A forged token is 400; an expired or used re-enable token 410; each with a page
that says nothing was changed. Tokens never reach a log line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Protocol
from urllib.parse import parse_qs, quote

from ..errors import MailtoolsError
from ..log import get_logger
from ..signing import ForgedToken, GoneToken
from . import i18n, pages

log = get_logger(__name__)

MAX_BODY = 64 * 1024
ONE_CLICK = ("List-Unsubscribe", "One-Click")
BY_PAGE = ("origin", "web")  # the page's own button, told apart from a receiver's one-click POST

StartResponse = Callable[[str, list[tuple[str, str]]], object]


class Actions(Protocol):
    """What the pages do; each returns the address the token names.

    The ``*_address`` ones only read (and check the token); the others act.
    They raise ForgedToken, GoneToken (expired or used), or another
    MailtoolsError when the database or the secret cannot be had (503).
    ``origin`` is "one-click" (a receiver's POST) or "web" (the page's button).
    """

    def unsubscribe_address(self, token: str) -> str: ...
    def unsubscribe(self, token: str, origin: str) -> str: ...
    def reenable_address(self, token: str) -> str: ...
    def reenable(self, token: str) -> str: ...


@dataclass
class Response:
    status: str
    body: bytes


_STATUS = {200: "200 OK", 400: "400 Bad Request", 404: "404 Not Found", 405: "405 Method Not Allowed",
           410: "410 Gone", 503: "503 Service Unavailable"}


class WebApp:
    def __init__(self, actions: Actions, language: str = "en") -> None:
        self.actions = actions
        self.lang = language
        self.words = i18n.words(language)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        response = self.respond(environ)
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(response.body))),
                   ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                   ("Referrer-Policy", "no-referrer"),
                   ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")]
        if response.status.startswith("405"):
            headers.append(("Allow", "GET, POST"))
        start_response(response.status, headers)
        # HEAD: the same status and headers, no body (the standard library's server would send it).
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [response.body]

    def respond(self, environ: dict) -> Response:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.rstrip("/") not in ("/unsubscribe", "/reenable"):
            return self._say(404, "notfound")
        if method not in ("GET", "HEAD", "POST"):
            return self._say(405, "method")
        kind = path.strip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        form = _read_form(environ) if method == "POST" else {}
        token = (form.get("token") or query.get("token") or [""])[0]
        try:
            if kind == "unsubscribe":
                return self._unsubscribe(environ, method, token, form)
            return self._reenable(environ, method, token)
        except ForgedToken:
            return self._say(400, "forged")
        except GoneToken as exc:
            return self._say(410, "used" if exc.used else "expired")
        except MailtoolsError as exc:  # the database or the secret cannot be had: try again later
            log.warning("web: %s failed, nothing changed: %s", kind, exc)
            return self._say(503, "unavailable")

    def _unsubscribe(self, environ: dict, method: str, token: str, form: dict[str, list[str]]) -> Response:
        if method != "POST":
            address = self.actions.unsubscribe_address(token)
            return self._ask("unsubscribe", address, environ, token, [ONE_CLICK, BY_PAGE])
        if form.get(ONE_CLICK[0]) != [ONE_CLICK[1]]:
            self.actions.unsubscribe_address(token)  # a forged token is still told so
            return self._say(400, "notoneclick")
        address = self.actions.unsubscribe(token, "web" if form.get(BY_PAGE[0]) == [BY_PAGE[1]] else "one-click")
        return self._say(200, "unsubscribe.done", address)

    def _reenable(self, environ: dict, method: str, token: str) -> Response:
        if method != "POST":
            address = self.actions.reenable_address(token)
            return self._ask("reenable", address, environ, token, [("confirm", "yes")])
        address = self.actions.reenable(token)
        return self._say(200, "reenable.done", address)

    def _ask(self, kind: str, address: str, environ: dict, token: str, fields: list[tuple[str, str]]) -> Response:
        # Relative: the same path with the token, however a proxy mounts the app (location /mail/ ...).
        action = f"?token={quote(token, safe='')}"
        body = pages.ask(self.lang, self.words[f"{kind}.title"], self.words[f"{kind}.ask"], address,
                         self.words[f"{kind}.button"], action, fields)
        return Response(_STATUS[200], body)

    def _say(self, code: int, key: str, address: str = "") -> Response:
        title = self.words.get(f"{key}.title", self.words[key])
        return Response(_STATUS[code], pages.page(self.lang, title, self.words[key], address))


def unavailable(why: str, start_response: StartResponse) -> Iterable[bytes]:
    """A 503 page in English, for when there is no app (its config could not be read); ``why`` is logged."""
    log.error("web: %s", why)
    words = i18n.words("en")
    body = pages.page("en", words["unavailable.title"], words["unavailable"])
    start_response(_STATUS[503], [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-store"), ("Retry-After", "300")])
    return [body]


def _read_form(environ: dict) -> dict[str, list[str]]:
    """The form in the body, capped: a receiver's POST is one short field.

    RFC 8058 lets the receiver send it as multipart/form-data (SHOULD) or
    urlencoded (MAY); both are read.
    """
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.lower().startswith("multipart/form-data"):
        return _multipart_fields(content_type, body)
    return parse_qs(body.decode("utf-8", "replace"))


def _multipart_fields(content_type: str, body: bytes) -> dict[str, list[str]]:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    fields: dict[str, list[str]] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)  # bytes; None for a nested multipart
            text = payload.decode("utf-8", "replace").strip() if isinstance(payload, bytes) else ""
            fields.setdefault(name, []).append(text)
    return fields
