"""``bounce-ingest --smtp HOST:PORT``: an SMTP listener for bounces (aiosmtpd).

For a bounce domain whose MX (or a relay's transport map) points at us
instead of an alias pipe. Each DATA is stored exactly as the pipe stores
stdin (durably in ``bounces/incoming/``, one copy per RCPT TO, so each carries
its own VERP address) before we answer 250; a spool that cannot take it gets
451, so the sending MTA keeps the bounce and retries. Processing follows the
250's decision and never changes it. SIGTERM or SIGINT stops the listener
after the transaction in progress.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from ..config import Config
from ..errors import Unavailable, UsageError
from ..log import get_logger
from .pipe import ingest_secret, open_ingester, process_incoming
from .store import MAX_SIZE, BounceStore, envelope_lines, with_envelope

log = get_logger("mailtools.bounces.listener")


def parse_hostport(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:2525`` for IPv6) -> (host, port); UsageError when malformed."""
    host, colon, port = value.rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--smtp wants HOST:PORT, got {value!r}")
    return host.strip("[]") or "localhost", int(port)


class BounceHandler:
    """aiosmtpd handler: store, answer, then process."""

    def __init__(self, config: Config, store: BounceStore, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.ingester: Any = None  # made in the server's thread: SQLite connections stay in theirs

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        raw = raw.replace(b"\r\n", b"\n")  # stored as Postfix's local(8) would write it
        note = None
        if len(raw) > MAX_SIZE:
            note = f"truncated: kept the first {MAX_SIZE} of {len(raw)} bytes"
            raw = raw[:MAX_SIZE]
        names = []
        now = self.clock()  # one reading per message: the listener runs for days
        try:
            for rcpt in envelope.rcpt_tos or [""]:
                lines = envelope_lines([rcpt], envelope.mail_from or "", "smtp", note)
                names.append(self.store.put("incoming", with_envelope(raw, lines), now))
        except Exception as exc:  # noqa: BLE001 - any failure to store is "try again later"
            log.error("cannot store a bounce from %s: %s (answered 451)", session.peer, exc)
            return "451 4.3.0 cannot store the message now, try again later"
        try:
            if self.ingester is None:
                self.ingester = open_ingester(self.config, self.store)
            process_incoming(self.config, self.store, names, now, self.ingester)
        except Exception as exc:  # noqa: BLE001 - stored is stored; --retry-incoming finishes it
            log.error("stored %s but not processed: %s", ", ".join(names), exc)
        return "250 2.0.0 stored " + " ".join(names)


def serve(config: Config, store: BounceStore, hostport: str, clock: Callable[[], float],
          stop: threading.Event | None = None) -> None:
    """Listen until SIGTERM/SIGINT (or ``stop`` is set).

    Unavailable (exit 69) when the address cannot be listened on (a port in
    use, an address not on this host), naming it.
    """
    from aiosmtpd.controller import Controller

    host, port = parse_hostport(hostport)
    store.ensure()
    ingest_secret(config)  # a configuration error (78) before the port opens, not a 250 for each bounce
    stop = stop or threading.Event()
    handler = BounceHandler(config, store, clock)
    # The default data_size_limit (32 MiB) stays: above MAX_SIZE we keep the
    # start, like the pipe, rather than refuse a bounce for good with a 552.
    controller = Controller(handler, hostname=host, port=port, ident="mailtools bounce-ingest")
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:
        for signum, old in previous.items():
            signal.signal(signum, old)
        errno = exc.errno if isinstance(exc, OSError) else None
        why = os.strerror(errno) if errno else str(exc)
        raise Unavailable(f"cannot listen on {host}:{port}: {why}") from None
    log.info("listening for bounces on %s:%d", host, port)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()
        for signum, old in previous.items():
            signal.signal(signum, old)
        log.info("stopped listening on %s:%d", host, port)
