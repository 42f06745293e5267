"""The SQLite backend of the state layer: one file in the spool, nothing to set up.

SQLite because a million tracked addresses must be swept in seconds and "is
this recipient suppressed?" answered by one index look-up, and because many
bounce-ingest processes write at once: every write is one ``BEGIN IMMEDIATE``
transaction (the lock taken before anything is read, so two processes never
both read "3" and both write "4"). WAL lets readers (mq-flush) go on while a
writer holds the lock.

The statements are state/sql.py's, shared with PostgreSQL; here are only the
connection, the transactions, the migration of files made by older versions
and the sweep lock. Errors of the disk or the lock become TempFailure naming
the file, so no caller needs to know sqlite3.
"""

from __future__ import annotations

import errno
import os
import sqlite3

from ..errors import ConfigError, MailtoolsError, TempFailure
from .base import SCHEMA_VERSION
from .sql import ADDED_COLUMNS, BACKFILL_SUPPRESSIONS, SCHEMA, SQLState

TYPE_CHECKING = False  # typing costs the pipe ~3 ms of start-up; only checkers need it
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

SERIAL = "INTEGER PRIMARY KEY"  # SQLite numbers a rowid alias itself


class SQLiteState(SQLState):
    """The state database in one SQLite file."""

    def __init__(self, path: str, readonly: bool = False, create: bool = True) -> None:
        self.path = path
        self.where = path
        self.url = "sqlite:///" + path
        self.readonly = readonly
        self._lock_fd: int | None = None
        if (readonly or not create) and not os.path.exists(path):
            raise TempFailure(f"no state database at {path} (wrong --spool or [database] url?)")
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError as exc:
            raise TempFailure(f"cannot open the state database {path}: {exc}") from None
        except OSError as exc:
            raise TempFailure(f"cannot create {os.path.dirname(path)}: {exc.strerror}") from None

    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            from urllib.parse import quote  # only readers need it: not on the pipe's path

            uri = f"file:{quote(self.path)}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
        else:
            os.makedirs(os.path.dirname(self.path), mode=0o750, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 60000")
        version = self.found_version = _version(conn)
        if version > SCHEMA_VERSION:
            conn.close()
            raise ConfigError(f"the state database {self.path} has schema version {version}, newer than this"
                              f" program's {SCHEMA_VERSION}: upgrade mailtools")
        if version < SCHEMA_VERSION:
            if self.readonly:
                conn.close()
                raise TempFailure(f"the state database {self.path} has schema version {version}; a command"
                                  " that writes (mq-flush, bounce-sweep) upgrades it to"
                                  f" {SCHEMA_VERSION}: try again after one ran")
            _migrate(conn)
        if not self.readonly:
            conn.execute("PRAGMA synchronous = NORMAL")  # per connection
        return conn

    def close(self) -> None:
        self.unlock_sweep()
        self.conn.close()

    # -- the dialect -------------------------------------------------------
    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Any]) -> None:
        self.conn.executemany(sql, rows)

    def _begin(self, durable: bool = True) -> None:
        self.conn.execute("BEGIN IMMEDIATE")  # synchronous=NORMAL already: every commit is the same

    def _in_transaction(self) -> bool:
        return self.conn.in_transaction

    def _end(self, commit: bool) -> None:
        self.conn.execute("COMMIT" if commit else "ROLLBACK")

    def _failure(self, exc: Exception) -> MailtoolsError | None:
        if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
            return None  # a bug of ours: retrying would not help, so not 75
        if isinstance(exc, sqlite3.DatabaseError):  # OperationalError (locked, full, I/O) and a damaged file
            return TempFailure(f"state database {self.path}: {exc}")
        return None

    # -- the sweep lock: flock(2) on a file beside the database --------------
    def _lock_sweep(self) -> bool:
        """flock, not lockf: a POSIX lock belongs to the process, so a second sweep
        in the same process (a test, a daemon) would take it again. The kernel
        drops it when the holder dies, even by SIGKILL."""
        path = os.path.join(os.path.dirname(self.path), "sweep.lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
        except OSError as exc:
            raise TempFailure(f"cannot open the sweep lock {path}: {exc.strerror}") from None
        try:
            import fcntl  # only bounce-sweep locks: not on the pipe's path

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK):
                raise TempFailure(f"cannot lock {path}: {exc.strerror}") from None
            return False
        self._lock_fd = fd
        return True

    def unlock_sweep(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the lock
            self._lock_fd = None


def _version(conn: sqlite3.Connection) -> int:
    """The schema version; 0 for a new file, 1 or 2 for one made before the version table."""
    try:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.OperationalError:  # no such table: new, or older than this package
        return min(conn.execute("PRAGMA user_version").fetchone()[0], SCHEMA_VERSION - 1)
    return int(row[0]) if row else 0


def _migrate(conn: sqlite3.Connection) -> None:
    """Create the tables, or bring a database of an older version up to SCHEMA_VERSION.

    One transaction, the version checked again under the write lock: many
    processes may open a new database at once, and a migration killed half way
    leaves the old version for the next one to do again.
    """
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")  # persists in the file; cannot change inside a transaction
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _version(conn) < SCHEMA_VERSION:
            for statement in SCHEMA:
                conn.execute(statement.format(serial=SERIAL))
            for table, column, declaration in ADDED_COLUMNS:
                if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            conn.execute(BACKFILL_SUPPRESSIONS)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
