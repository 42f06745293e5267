"""The state database: send log, address records and events, suppressions, used tokens, the outbox.

``open_state(config)`` returns the ``StateStore`` (state/base.py) that
``[database] url`` names: ``sqlite:///<path>`` (by default
``<spool>/db/state.sqlite``) or ``postgresql://...`` (several hosts sharing one). Nothing outside
this package knows which backend it talks to, nor imports its driver.
"""

from __future__ import annotations

import os

from ..errors import ConfigError, PermissionDenied

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


def check_access(url: str, write: bool = True, create: bool = True) -> None:
    """PermissionDenied (77) naming the path when this user may not use a SQLite database as asked.

    ``write``: read and write the file and what SQLite keeps beside it (its
    -wal and -shm files, made in its directory), or, when it does not exist
    and ``create``, make it. Checked before opening, because sqlite3 says only
    "unable to open database file" (which would pass for a temporary failure,
    75). A server's database is not checked here: the server says.
    """
    if not url.startswith("sqlite:"):
        return
    path = _sqlite_path(url)
    directory = os.path.dirname(path)
    try:
        os.stat(path)
    except FileNotFoundError:
        if write and create:
            _check_creatable(path, directory)
        return
    except PermissionError:
        raise PermissionDenied(f"cannot reach the state database {path}: permission denied on {directory}"
                               " (run as the database's owner, or root)") from None
    need = os.R_OK | (os.W_OK if write else 0)
    for file in (path, path + "-wal", path + "-shm"):
        if os.path.exists(file) and not os.access(file, need):
            raise PermissionDenied(f"cannot {'write' if write else 'read'} the state database file {file}:"
                                   " permission denied (run as the database's owner, or root)")
    if write and not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionDenied(f"cannot write in {directory}, the state database's directory (SQLite keeps its"
                               " journal there): permission denied (run as the database's owner, or root)")


def _check_creatable(path: str, directory: str) -> None:
    """The nearest existing directory above a database to be made must be writable."""
    parent = directory
    while not os.path.isdir(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionDenied(f"cannot create the state database {path}: {parent} is not writable by this user"
                               " (run as the owner of the spool or the directory, or root)")


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
