"""What ``mailtools-db`` does: create or upgrade a state database, copy one installation into another.

The copy moves an installation from SQLite to PostgreSQL (or between any
two urls) with nothing lost: every row of every table in ``sql.COPIED`` whose
key the target lacks is inserted, one transaction per batch, and nothing
already there is changed. The target notes the key of every row a batch took
from that source (table copied_keys, in the batch's transaction), and a later
copy from the same source skips those keys: what the target deleted since
(a lifted suppression, a delivered callback, a purged event) stays deleted.
So it is safe to run again: a rerun after a complete copy adds nothing and
says so; one after an interrupted copy finishes it; one after the source
gained rows (late bounces on the old host) takes those.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from ..errors import UsageError
from . import check_access, open_state
from .base import SCHEMA_VERSION
from .sql import COPIED


class SchemaChange(NamedTuple):
    database: str  # host:port/db or the file: never a password
    found: int  # the version before (0: there were no tables)
    version: int  # the version now


class TableCopy(NamedTuple):
    table: str
    source: int  # rows in the source
    added: int  # rows the target did not have
    target: int  # rows in the target afterwards
    copied_before: int  # rows an earlier copy from this source took (kept out if the target deleted them)


def init(url: str) -> SchemaChange:
    """Create the tables of ``url`` (the SQLite file too), or upgrade them; an existing current one is left alone."""
    return _bring_up(url, create=True)


def migrate(url: str) -> SchemaChange:
    """Upgrade the tables of an existing database; one that does not exist is TempFailure (75)."""
    return _bring_up(url, create=False)


def _bring_up(url: str, create: bool) -> SchemaChange:
    check_access(url, write=True, create=create)  # 77 naming the path, not sqlite3's "unable to open" (75)
    store = open_state(url, create=create)  # opening a writer creates or upgrades the tables
    try:
        return SchemaChange(store.where, store.found_version, SCHEMA_VERSION)
    finally:
        store.close()


def copy(from_url: str, to_url: str, batch: int = 5000) -> list[TableCopy]:
    """Copy every row the target lacks from ``from_url`` into ``to_url`` (made when missing).

    The source is opened read-only: it may stay in use while it is copied,
    and a rerun picks up what arrived since. Each table's rows are matched by
    their key (sql.COPIED): events by their dedupe key, so they are never
    counted twice, the outbox by its id. A key an earlier copy from the same
    source took is never taken again, whether or not the target still has it.
    """
    if from_url == to_url:
        raise UsageError(f"copy: FROM_URL and TO_URL are the same database ({from_url})")
    check_access(from_url, write=False)
    check_access(to_url, write=True)
    source = open_state(from_url, readonly=True)
    try:
        target = open_state(to_url, create=True)
        try:
            origin = source_identity(source.where)
            report = []
            for table, _keys in COPIED:
                added = before = 0
                for columns, rows in source.table_rows(table, batch):
                    new, taken = target.insert_missing(table, columns, rows, origin)
                    added, before = added + new, before + taken
                report.append(TableCopy(table, source.count_rows(table), added, target.count_rows(table), before))
            return report
        finally:
            target.close()
    finally:
        source.close()


def source_identity(where: str) -> str:
    """Which source a copy came from: the SQLite file's real path (however the url spelt it), or host:port/db.

    Kept as a short digest: copied_keys holds it once per row copied (millions for a send log).
    """
    import hashlib

    return hashlib.sha256((os.path.realpath(where) if os.path.isabs(where) else where).encode()).hexdigest()[:16]
