"""A webhook receiver on loopback, as a platform would run one (no tests here).

A real HTTP server in a thread. It checks each POST's Mailtools-Signature
with the ``verify`` function of README.md's webhook section (the code a
platform is told to copy: run as written, so the README cannot drift from
what mailtools sends), refuses a bad one with 401, and otherwise answers
what the test scripted: a status, ``"hang"`` (no answer until the test
ends), or 204 when the script is empty.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_verify() -> Any:
    """README's ``verify(secret, header, body)``, executed from the block after its test marker."""
    text = README.read_text("utf-8")
    block = re.search(r"<!-- tested by tests/test_webhooks\.py -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README.md lost its tested webhook example"
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), str(README), "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify"]


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a "hang" (the point of that test) is no error of the receiver


class Received(NamedTuple):
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None  # None: the receiver has no secret to check with

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret
        self.answers: list[int | str | tuple[int, dict[str, str]]] = []
        self.received: list[Received] = []
        self.release = threading.Event()  # ends every "hang"
        verify = readme_verify()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers.get("Mailtools-Signature")
                verified = None if outer.secret is None else bool(header) and verify(outer.secret, header, body)
                outer.received.append(Received(self.path, dict(self.headers), body, verified))
                answer = outer.answers.pop(0) if outer.answers else 204
                if verified is False:
                    answer = 401
                if answer == "hang":
                    outer.release.wait(60)
                    answer = 204
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"ok\n" if status < 300 else b"no\n")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/emails/{{address}}/suspend"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
