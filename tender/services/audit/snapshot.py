"""One consistent snapshot of the audit trail, read by one connection or by several at once.

``tender audit verify`` must see the head record and every event as at one
moment, or events appended while a long check runs would look like rows
beyond the recorded head. The chunk walk (:mod:`tender.services.audit.verify`)
reads ahead with more connections sharing that snapshot, so the database
assembles the next chunks while Python hashes this one.
"""
from __future__ import annotations

import os
import re
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from tender.extensions import db

#: Connections reading chunks ahead in threads (the machine's cores: the database works while Python hashes).
READERS = max(1, min(2, os.cpu_count() or 1))


@contextmanager
def consistent_read() -> Iterator[Any]:
    """A DB-API cursor factory seeing the head row and every event as at one moment.

    PostgreSQL: a REPEATABLE READ, read-only transaction. SQLite: an explicit
    deferred transaction, whose first read fixes what the rest can see.
    Without this, events appended while a long check runs would look like
    rows beyond the recorded head.
    """
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            raw = conn.connection.dbapi_connection
            try:
                yield raw
            finally:
                conn.rollback()
        else:
            raw = conn.connection.dbapi_connection
            raw.execute("BEGIN")
            try:
                yield raw
            finally:
                raw.rollback()


def read_ahead(raw, readers: list, ranges: list, read: Callable) -> Iterator[tuple]:
    """``((start, end), read(reader, start, end))`` for each range, in order, read by the readers in threads.

    Each reader is used by one thread only (chunk i goes to reader i mod n);
    at most two chunks per reader are waiting, so memory stays flat. With no
    readers, ``raw`` reads every chunk in this thread.
    """
    if not readers:
        for start, end in ranges:
            yield (start, end), read(raw, start, end)
        return
    pools = [ThreadPoolExecutor(1, thread_name_prefix="tender-audit-reader") for _ in readers]
    try:
        pending: deque = deque()
        queued = iter(enumerate(ranges))

        def submit() -> None:
            for index, (start, end) in queued:
                reader = index % len(readers)
                pending.append(((start, end), pools[reader].submit(read, readers[reader], start, end)))
                return

        for _ in range(2 * len(readers)):
            submit()
        while pending:
            bounds, future = pending.popleft()
            submit()
            yield bounds, future.result()
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def snapshot_readers(raw, dialect: str, count: int) -> Iterator[list]:
    """Up to ``count`` more DB-API connections seeing exactly the snapshot ``raw`` sees; [] if that cannot be had.

    PostgreSQL: ``raw``'s snapshot is exported and imported by each reader
    (REPEATABLE READ, read only). SQLite, unless in WAL mode: ``raw``'s open
    read transaction holds the SHARED lock, so no write can commit until it
    ends, and a reader's transaction started now sees the same database;
    in WAL mode each connection would have its own snapshot, so none is used.
    """
    pooled: list = []
    try:
        if count:
            pooled = _open_readers(raw, dialect, count)
        yield [connection.dbapi_connection for connection in pooled]
    finally:
        _close(pooled)


def _close(pooled: list) -> None:
    """End the readers' transactions and return them to the pool."""
    for connection in pooled:
        try:
            connection.rollback()
        finally:
            connection.close()


_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+\Z")


def _open_readers(raw, dialect: str, count: int) -> list:
    """Pooled connections set up to read ``raw``'s snapshot (see :func:`snapshot_readers`)."""
    opened: list = []
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            if not _SNAPSHOT_ID.match(snapshot):
                return []
        else:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() == "wal":
                return []
            cursor.execute("SELECT seq, hash FROM audit_head")
            head = cursor.fetchall()
        for _ in range(count):
            pooled = db.engine.raw_connection()
            if pooled.dbapi_connection is raw:
                pooled.close()
                break
            opened.append(pooled)
            reader = pooled.dbapi_connection
            if dialect == "postgresql":
                with reader.cursor() as setup:
                    setup.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    setup.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            else:
                reader.execute("BEGIN")
                if reader.execute("SELECT seq, hash FROM audit_head").fetchall() != head:
                    raise sqlite3.OperationalError("a reader does not see the same database")
    except Exception:  # noqa: BLE001 - readers only speed the walk up: without them, raw reads alone
        _close(opened)
        return []
    finally:
        cursor.close()
    return opened

