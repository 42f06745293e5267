"""The WSGI entry for any WSGI server: ``mailtools.web.wsgi:application``.

The configuration is read on the first request, as every command reads it
(``MAILTOOLS_CONFIG``, ``MAILTOOLS_SPOOL``, /etc/mailtools/mailtools.toml),
so importing this module never fails; a broken config answers 503 and says
why in the server's log. For example::

    MAILTOOLS_CONFIG=/etc/mailtools/mailtools.toml \\
        gunicorn --bind 127.0.0.1:8025 --workers 2 mailtools.web.wsgi:application
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from ..config import Config, load_config
from ..errors import MailtoolsError
from .actions import StateActions
from .app import StartResponse, WebApp, unavailable

_lock = threading.Lock()
_app: WebApp | None = None


def make_app(config: Config) -> WebApp:
    """The pages over ``config``'s installation, in its ``[web] language``."""
    return WebApp(StateActions(config), config.web.language)


def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
    global _app
    with _lock:
        if _app is None:
            try:
                _app = make_app(load_config())
            except MailtoolsError as exc:
                return unavailable(f"cannot read the configuration: {exc}", start_response)
    return _app(environ, start_response)
