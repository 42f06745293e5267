"""The state database: send log, address records and events, suppressions, used tokens, the outbox.

``open_state(config)`` returns the ``StateStore`` (state/base.py) that
``[database] url`` names: ``sqlite:///<path>`` (by default
``<spool>/db/state.sqlite``) or ``postgresql://...`` (several hosts sharing one). Nothing outside
this package knows which backend it talks to, nor imports its driver.
"""

from __future__ import annotations

import os

from ..errors import ConfigError

TYPE_CHECKING = False  # typing costs the pipe ~3 ms of start-up; only checkers need it
if TYPE_CHECKING:
    from ..config import Config
    from .base import StateStore


def db_path(spool_root: str) -> str:
    """Where the default (SQLite) database of a spool lives."""
    return os.path.join(spool_root, "db", "state.sqlite")


def database_url(config: Config) -> str:
    """``[database] url``, or the spool's own SQLite file when it is empty."""
    url = config.database.url
    return url or "sqlite:///" + os.path.abspath(db_path(config.spool))


def exists(config: Config) -> bool:
    """Whether the configured database was created (a SQLite file exists; a server always counts)."""
    url = database_url(config)
    return not url.startswith("sqlite:") or os.path.exists(_sqlite_path(url))


def _sqlite_path(url: str) -> str:
    # sqlite:///relative is not offered: the absolute form is sqlite:////abs/path, and
    # sqlite:///abs/path (three slashes) is taken as absolute too, as the default writes it.
    path = url[len("sqlite://"):]
    if not path.startswith("/"):
        raise ConfigError(f"database.url: {url!r}: give an absolute path, sqlite:////var/lib/.../state.sqlite")
    return "/" + path.lstrip("/")


def open_state(config: Config | str, readonly: bool = False, create: bool = True) -> StateStore:
    """Open the state database (created on first use when ``create`` and not ``readonly``).

    ``readonly`` opens it read-only. A missing database that is not to be
    created is TempFailure (75) naming it, never an empty answer. A database
    newer than this program is ConfigError (78); one of an older version is
    upgraded (not when readonly).
    """
    url = config if isinstance(config, str) else database_url(config)
    if url.startswith("sqlite:"):
        from .sqlite import SQLiteState

        return SQLiteState(_sqlite_path(url), readonly=readonly, create=create)
    if url.startswith(("postgresql:", "postgres:")):
        from .postgres import PostgresState  # psycopg only here: mq-send and a SQLite pipe never load it

        return PostgresState(url, readonly=readonly, create=create)
    raise ConfigError(f"database.url: {url!r} is neither sqlite:///PATH nor postgresql://...")
