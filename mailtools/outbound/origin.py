"""myorigin: the domain a bare name (``root``, ``www-data``) gets, as Postfix's append_at_myorigin."""

from __future__ import annotations

import os

_found: dict[str, str] = {}


def myorigin(configured: str) -> str:
    """Config ``myorigin``, else the host's fully-qualified name.

    Asked only when a bare name turns up: finding the FQDN of a host whose
    name has no dot means a resolver call (``socket.getfqdn``), which the
    usual ``user@domain`` message must not pay for.
    """
    if configured:
        return configured
    if "" not in _found:
        name = os.uname().nodename
        if "." not in name:
            import socket

            name = socket.getfqdn(name)
        _found[""] = name.lower()
    return _found[""]
