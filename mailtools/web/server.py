"""Serve the WSGI app with the standard library (production may use any WSGI server).

One thread per request, so a slow client does not hold up a receiver's
one-click POST. The access log leaves out the query string: it carries the
token, and a token in a log file is a working unsubscribe link.
"""

from __future__ import annotations

import socketserver
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..errors import Unavailable
from ..log import get_logger

log = get_logger(__name__)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        log.info("web: client=%s, method=%s, path=%s, status=%s, size=%s",
                 self.client_address[0], self.command, path, code, size)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        # Errors of the server itself; the request line (with its token) is not repeated.
        log.warning("web: client=%s, %s", self.client_address[0], (format % args).split("?", 1)[0])


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[v6]:PORT``; ValueError names what is wrong."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"not HOST:PORT: {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def make_web_server(app: Callable, listen: str) -> WSGIServer:
    """Bind (Unavailable naming the address when that fails); serve with ``serve_forever()``."""
    host, port = parse_listen(listen)
    try:
        return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    except OSError as exc:
        raise Unavailable(f"cannot listen on {listen}: {exc.strerror or exc}") from None
