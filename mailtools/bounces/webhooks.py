"""Platform webhooks: one signed HTTP POST of one event, within a hard deadline.

The body is the event as JSON (DESIGN "The daily policy", Callbacks): ``id``
(made when the event was queued and kept by every retry, so the receiver can
tell a redelivery from a new event), ``type``, ``address``, ``reason``,
``hard``, ``message_id``, ``package_id``, ``time``, and ``user_id`` and
``status`` when the event has them. With the platform's ``secret_file`` it
is signed the way Stripe signs its webhooks::

    Mailtools-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

so the receiver checks origin (the HMAC) and freshness (``t``). The secret is
the file's content without surrounding white space.

What an answer means: any 2xx is done; a 4xx other than 408 and 429 is
``Refused`` (the receiver says "never send this again": a dead letter); the
rest (no answer, 3xx, 408, 429, 5xx) is ``Failed`` and retried later.
Redirects are not followed: urllib would turn a redirected POST into a GET
without body and report success.

The request runs in a thread that the caller waits for at most ``timeout``
seconds in all (socket timeouts alone bound each read, not the whole: a
server that trickles a byte a second, or a resolver that hangs, would hold
the bounce-ingest pipe). A request still running then is reported as failed
and abandoned; the receiver may still get it, and the ``id`` makes that
harmless. This module, and with it HTTP, TLS and threading, is imported
only when a webhook is due (the bounce-ingest pipe's start-up).
"""

from __future__ import annotations

import json

from ..config import Config
from ..fsutil import read_private
from .callbacks import GiveUp

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need it
if TYPE_CHECKING:
    from typing import Any

    from ..state.base import Callback

SIGNATURE_HEADER = "Mailtools-Signature"
RETRIED_4XX = (408, 429)  # Request Timeout, Too Many Requests: "later", not "never"
MAX_ANSWER = 1024  # bytes of a refusal's body kept in last_error, for the admin


class Failed(Exception):
    """The POST did not succeed; try again later (after ``retry_after`` s when the server said so)."""

    def __init__(self, message: str, retry_after: float = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Refused(GiveUp):
    """The receiver refused the event for good (a 4xx other than 408/429): keep it as a dead letter."""


def body(callback: Callback) -> bytes:
    """The JSON body of a callback's event, byte for byte what is signed."""
    event = json.loads(callback.payload)
    fields: dict[str, Any] = {
        # Rows queued before events had ids get one from the row: stable across retries too.
        "id": event.get("id") or f"outbox-{callback.id}-{int(callback.created or 0)}",
        "type": callback.kind,
        "address": callback.address,
        "reason": event.get("reason"),
        "hard": event.get("hard"),
        "message_id": event.get("message_id"),
        "package_id": event.get("package_id"),
        "time": event.get("time"),
    }
    fields.update({key: event[key] for key in ("user_id", "status") if event.get(key) is not None})
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: bytes, timestamp: int, payload: bytes) -> str:
    """The ``Mailtools-Signature`` header's value for ``payload`` sent at ``timestamp``."""
    import hashlib
    import hmac

    mac = hmac.new(secret, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def platform_secret(config: Config, domain: str) -> bytes | None:
    """The platform's signing secret, or None when it has no ``secret_file`` (ConfigError if unreadable)."""
    platform = config.platforms.get(domain)
    path = getattr(platform, "secret_file", "") if platform else ""
    if not path:
        return None
    secret = read_private(path, f"platforms.{domain}.secret_file").strip()
    if not secret:
        from ..errors import ConfigError

        raise ConfigError(f"config key 'platforms.{domain}.secret_file': {path} is empty")
    return secret


def deliver(config: Config, url_template: str, callback: Callback, now: float, timeout: float) -> None:
    """POST ``callback``'s event to the platform's URL; raise Failed or Refused unless a 2xx came back."""
    from urllib.parse import quote

    payload = body(callback)
    headers = {"Content-Type": "application/json", "User-Agent": "mailtools-webhook"}
    secret = platform_secret(config, callback.sending_domain or "")
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(secret, int(now), payload)
    url = url_template.replace("{address}", quote(callback.address, safe=""))
    status, answer, retry_after = _within(timeout, url, payload, headers)
    if 200 <= status < 300:
        return
    said = f"HTTP {status} from {url}" + (f": {answer}" if answer else "")
    if 400 <= status < 500 and status not in RETRIED_4XX:
        raise Refused(said)
    if 300 <= status < 400:
        said += " (redirects are not followed: fix the webhook URL)"
    raise Failed(said, retry_after)


def _within(timeout: float, url: str, payload: bytes, headers: dict[str, str]) -> tuple[int, str, float]:
    """Run the POST in a thread; give up waiting after ``timeout`` seconds, whatever it is doing."""
    import threading

    outcome: list[Any] = []

    def attempt() -> None:
        try:
            outcome.append(_post(url, payload, headers, timeout))
        except BaseException as exc:  # noqa: B036 - handed to the waiting thread, which raises it
            outcome.append(exc)

    worker = threading.Thread(target=attempt, name="webhook", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise Failed(f"POST {url}: no answer within {timeout:.3g}s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _post(url: str, payload: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str, float]:
    """(status, the start of the answer's body, Retry-After seconds or 0)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failed(f"webhook URL {url!r} is not http:// or https://")
    if parts.scheme == "https":
        import ssl

        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                           body=payload, headers=headers)
        response = connection.getresponse()
        answer = response.read(MAX_ANSWER).decode("utf-8", "replace")
        return response.status, " ".join(answer.split())[:200], _seconds(response.getheader("Retry-After"))
    except TimeoutError:  # a socket's own timeout, whichever of the two deadlines came first
        raise Failed(f"POST {url}: no answer within {timeout:.3g}s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise Failed(f"POST {url}: {exc or type(exc).__name__}") from None
    finally:
        connection.close()


def _seconds(value: str | None) -> float:
    """Retry-After in seconds; an HTTP date (rare from webhook receivers) is ignored."""
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0
