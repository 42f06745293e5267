"""A real SMTP server on loopback (aiosmtpd) that records and misbehaves on request.

Each test tells it how to answer per recipient (``rules``: address -> reply,
e.g. "550 5.1.1 no such user" or "451 4.3.0 try later"), whether to drop the
connection in the middle of DATA, or to stall past the client's timeout.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool = False  # the session had done STARTTLS
    peer: str = ""  # the client's address


@dataclass
class Behaviour:
    rules: dict[str, str] = field(default_factory=dict)  # recipient -> "550 ..." reply at RCPT
    data_reply: str | None = None      # e.g. "451 4.3.0 later": answer at the end of DATA
    drop_in_data: bool = False         # close the connection when DATA ends, without a reply
    stall_seconds: float = 0.0         # sleep before answering DATA (past the client's timeout)
    stall_for: set[str] = field(default_factory=set)  # only for these recipients (empty: all)


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.behaviour = Behaviour()
        self.connections = 0
        self.stalls = 0  # DATA commands that began to stall: a client is now waiting in one
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.behaviour.rules.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        behaviour = self.behaviour
        if behaviour.stall_seconds and (not behaviour.stall_for or set(envelope.rcpt_tos) & behaviour.stall_for):
            import asyncio

            self.stalls += 1
            await asyncio.sleep(behaviour.stall_seconds)
        if behaviour.drop_in_data:
            server.transport.close()
            return "421 dropped"  # never reaches the client: the transport is closed
        if behaviour.data_reply:
            return behaviour.data_reply
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                          tls=session.ssl is not None, peer=session.peer[0]))
        return "250 2.0.0 Ok: queued"


class CountingSMTP(SMTP):
    def connection_made(self, transport):
        self.event_handler.connections += 1
        super().connection_made(transport)


class SmtpServer:
    def __init__(self, tls_context=None, host: str = "127.0.0.1") -> None:  # noqa: ANN001 - an ssl.SSLContext
        self.tls_context = tls_context  # offers STARTTLS
        self.host = host  # where it listens: loopback, or an address the test hosts' namespaces reach
        self.recorder = Recorder()
        self.port = free_port(host)
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        # A stopped aiosmtpd controller cannot start again: make a new one on the same port.
        self.controller = Controller(self.recorder, hostname=self.host, port=self.port)
        self.controller.factory = lambda: CountingSMTP(self.recorder, enable_SMTPUTF8=True,
                                                       tls_context=self.tls_context)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    @property
    def behaviour(self) -> Behaviour:
        return self.recorder.behaviour

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
