"""SIGINT and SIGTERM as a request to stop cleanly (mq-flush, and mq-send --now).

Click-free and apart from exits.py: mq-send's enqueue imports exits.py on
every message, and needs neither threading nor signal unless it delivers.
"""

from __future__ import annotations

import signal
import threading


class StopEvent(threading.Event):
    signal_name = ""


def stop_on_signals() -> StopEvent:
    """SIGINT and SIGTERM ask the run to stop cleanly (see the help) instead of killing it mid-batch.

    The handler only sets a flag: the main thread goes on waiting for the
    transactions in flight, and a second signal changes nothing.
    """
    stop = StopEvent()

    def handler(signum: int, frame: object) -> None:
        if not stop.is_set():
            stop.signal_name = signal.Signals(signum).name
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    return stop
