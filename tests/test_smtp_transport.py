"""mailtools.outbound.transport.smtp: what a refusal before any transaction means for the recipients."""

from __future__ import annotations

import socket
import threading

import pytest

from mailtools.outbound.transport.smtp import SmtpTransport


def _one_session_server(script: dict[bytes, bytes], greeting: bytes) -> tuple[int, threading.Thread]:
    """A loopback server for one session: ``greeting``, then each command's reply by its first word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, listener, conn.makefile("rwb") as stream:
            stream.write(greeting)
            stream.flush()
            for line in stream:
                verb = line.split(b" ", 1)[0].strip().upper()
                stream.write(script.get(verb, b"502 5.5.2 not here\r\n"))
                stream.flush()
                if verb == b"QUIT":
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize("greeting, script", [
    (b"554 5.7.1 no service for your IP\r\n", {}),
    (b"220 relay\r\n", {b"EHLO": b"250-relay\r\n250 AUTH PLAIN\r\n",
                        b"AUTH": b"535 5.7.8 authentication credentials invalid\r\n"}),
])
def test_a_5xx_before_any_transaction_defers_instead_of_dropping(tmp_path, greeting, script) -> None:
    password = tmp_path / "pass"
    password.write_text("wrong\n")
    password.chmod(0o600)
    port, thread = _one_session_server(script, greeting)
    transport = SmtpTransport("127.0.0.1", port, "never", 5, "user", str(password))
    first = transport.send("bounce-0-abcdefgh-0@example.org", "a@example.net", b"Subject: x\r\n\r\nx\r\n")
    second = transport.send("bounce-0-ijklmnop-0@example.org", "b@example.net", b"Subject: x\r\n\r\nx\r\n")
    transport.close()
    thread.join(2)
    assert not thread.is_alive(), "the refused session was left open"
    assert first.kind == second.kind == "deferred"
    assert first.code == 451 and "5." in first.text  # the server's own reply stays readable in last_error
