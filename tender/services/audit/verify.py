"""Check the whole audit trail: chain, recorded head, intruders, an earlier bundle, plug-in checks.

One pass over the table, in one consistent snapshot (:mod:`~tender.services.audit.snapshot`),
reading plain rows (no ORM objects) in large batches, so memory stays flat and the check keeps
up with a million events. What is checked, and what cannot be, is set out in
``docs/audit-trail.md`` ("What verify detects").

This module is the walk and its report. The SQL it runs is generated from the
column specification (:mod:`~tender.services.audit.chain_sql` for the
canonical form, :mod:`~tender.services.audit.csv_sql` for the CSV lines of
the one-pass export); ``--against`` is :mod:`~tender.services.audit.bundle_check`.

Other parts of Tender add their own checks with :func:`register_check`: each
is called after the chain walk with the :class:`TrailReport` and returns
:class:`Problem` objects, which ``tender audit verify`` prints with the rest.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tender.domain import audit_columns
from tender.domain.audit_chain import GENESIS_HASH
from tender.domain.audit_rows import HASH, SEQ, RowVerifier, feed_chunk
from tender.extensions import db
from tender.services.audit import SKIPPED_ACTION, sealed_prices
from tender.services.audit.bundle_check import BundleCheck
from tender.services.audit.chain_sql import canonical_sql, chunk_sql
# Looked up here when called, so a test can put something in their place (tests/integration/test_audit_chunks.py).
from tender.services.audit.csv_sql import plain_cells as _plain_cells
from tender.services.audit.report import CHECKS, Problem, TrailReport, register_check
from tender.services.audit.snapshot import READERS, consistent_read
from tender.services.audit.snapshot import read_ahead as _read_ahead
from tender.services.audit.snapshot import snapshot_readers as _snapshot_readers

#: Rows checked per query on the fast path (:func:`_walk_in_chunks`): each chunk comes back as one row of
#: joined texts, so Python handles a few objects per thousand rows instead of 18 per row.
CHUNK = 2_000

#: Rows fetched per round trip: enough that fetching costs little per row, few enough that
#: a batch stays small in memory (about 20 MiB of Python objects on PostgreSQL).
BATCH = 5_000

#: The stored columns in row order, and the ones a thin read (checking only) needs.
COLUMNS = audit_columns.column_names()
_THIN = (audit_columns.SEQ, audit_columns.PREV_HASH, audit_columns.HASH)

RowSink = Callable[[Sequence[Any], "tuple[str, str] | None"], None]

register_check("opened prices", sealed_prices.as_problems)


def _rows(raw, dialect: str, full: bool, start: int | None = None,
          end: int | None = None) -> Iterator[list[Sequence[Any]]]:
    """Every row of audit_event in sequence order with its SQL-built canonical halves, in batches.

    ``full=False`` (checking only) reads just what the check needs, with
    NULL in the other columns' places; :func:`_full_row` reads a row in full
    when its halves do not match its hash.
    """
    head, tail, plain = canonical_sql(dialect)
    columns = [name if full or name in _THIN else "NULL" for name in COLUMNS]
    mark = "%s" if dialect == "postgresql" else "?"
    where, params = [], []
    if start is not None:
        where.append(f"seq >= {mark}")
        params.append(start)
    if end is not None:
        where.append(f"seq < {mark}")
        params.append(end)
    sql = (f"SELECT {', '.join(columns)}, {head}, {tail}, {plain if full else 'NULL'} "
           f"FROM audit_event {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY seq")
    cursor = raw.cursor(name="tender_audit_walk") if dialect == "postgresql" else raw.cursor()
    try:
        if dialect == "postgresql":
            cursor.itersize = BATCH
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


def _full_row(raw, seq: int) -> Sequence[Any]:
    """One row with every stored column (the general path needs them)."""
    cursor = raw.cursor()
    try:
        marker = "%s" if type(raw).__module__.startswith("psycopg") else "?"
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_event WHERE seq = {marker}", (seq,))
        return cursor.fetchone()
    finally:
        cursor.close()


def _head_and_skipped(raw) -> tuple[tuple[int, str], set[int]]:
    cursor = raw.cursor()
    try:
        cursor.execute("SELECT seq, hash FROM audit_head WHERE id = 1")
        head = cursor.fetchone()
        cursor.execute(f"SELECT after FROM audit_event WHERE action = '{SKIPPED_ACTION}'")
        notes = cursor.fetchall()
    finally:
        cursor.close()
    skipped: set[int] = set()
    for (after,) in notes:
        try:
            skipped.update(int(item["seq"]) for item in json.loads(after)["taken"])
        except (TypeError, ValueError, KeyError):
            continue  # a malformed note excuses nothing; the rows it names are checked as usual
    if head is None:
        return (0, GENESIS_HASH), skipped
    return (int(head[0]), head[1]), skipped


def verify_trail(*, against: Path | None = None, sink: RowSink | None = None,
                 checks: Iterable[str] | None = None) -> TrailReport:
    """Walk the whole trail once and report every problem found.

    ``against``: an evidence bundle exported earlier; today's trail must
    extend it. ``sink(row, parts)`` sees every row as it is checked (the CSV
    and JSON Lines exports write in the same pass); a sink with a
    true ``accepts_csv_text`` (the CSV writer) is handed whole
    chunks of CSV lines built by the database instead, for the rows that pass
    the chunk check. ``checks``: names from :data:`CHECKS` to run (default: all).
    """
    problems: list[Problem] = []
    comparison = BundleCheck(Path(against)) if against is not None else None
    if comparison is not None:
        problems += [Problem("against", seq, text) for seq, text in comparison.file_problems]
    with consistent_read() as raw:
        head, skipped = _head_and_skipped(raw)
        verifier = RowVerifier(skipped=skipped, head=head)
        dialect = db.engine.dialect.name
        csv_text = sink.write_csv_text if getattr(sink, "accepts_csv_text", False) else None
        if sink is not None and csv_text is None:
            batches = _rows(raw, dialect, True)
            for batch in batches:
                _feed_rows(verifier, batch, sink, None, comparison)
        else:
            _walk_in_chunks(raw, dialect, verifier, sink, csv_text, comparison)
    chain = verifier.result()
    problems[:0] = [Problem("chain", seq, text) for seq, text in chain.problems]
    if comparison is not None:
        problems += [Problem("against", seq, text) for seq, text in comparison.problems()]
    report = TrailReport(chain, head[0], head[1], problems, str(against) if against else None)
    for name in (CHECKS if checks is None else checks):
        report.problems += list(CHECKS[name](report))
    return report


def _feed_rows(verifier: RowVerifier, batch, sink, refetch, comparison) -> None:
    """The general path for a batch of rows, and the ``--against`` comparison of their hashes."""
    verifier.feed_rows(batch, sink, refetch)
    if comparison is not None:
        for row in batch:
            comparison.feed(row[SEQ], row[HASH])


def _walk_in_chunks(raw, dialect: str, verifier: RowVerifier, sink, csv_text, comparison) -> None:
    """The fast path: each chunk of rows checked at once, and falling back to row by row when it does not pass.

    A chunk that :func:`~tender.domain.audit_rows.feed_chunk` does not accept
    (a tampered row, an intruder, a value the database escapes differently, a
    BLOB that makes SQLite's ``json_quote`` fail) is read again row by row and
    fed to the general path, which gives the verdict and writes its CSV rows;
    so the fast path never changes a verdict or a byte of the export.

    The database's work (assembling the texts) is most of the cost, so the
    chunks are read ahead by :data:`READERS` connections in threads, which
    see the same snapshot as ``raw`` (``snapshot.snapshot_readers``); this
    thread checks and writes them in order.
    """
    with_csv = csv_text is not None
    cursor = raw.cursor()
    try:
        starts = _chunk_starts(cursor, dialect)
        ranges = [(start, starts[i + 1] if i + 1 < len(starts) else None) for i, start in enumerate(starts)]
        with _snapshot_readers(raw, dialect, READERS if len(ranges) > 1 else 0) as readers:
            chunks = _read_ahead(raw, readers, ranges, lambda reader, start, end: _read_chunk(
                reader, dialect, with_csv, start, end))
            for (start, end), chunk in chunks:
                stored = None
                if chunk is not None:
                    count, first, last, canonical, hashes, links, lines = chunk
                    stored = feed_chunk(verifier, count, first, last, canonical, hashes, links)
                if stored is not None:
                    if with_csv:
                        csv_text(lines, count)
                    if comparison is not None:
                        comparison.feed_run(first, stored)
                    continue
                full = sink is not None
                refetch = None if full else (lambda seq: _full_row(raw, seq))
                for batch in _rows(raw, dialect, full, start, end):
                    _feed_rows(verifier, batch, sink, refetch, comparison)
    finally:
        cursor.close()


def _read_chunk(reader, dialect: str, with_csv: bool, start: int, end: int | None) -> tuple | None:
    """One chunk's joined texts, or None when only the row-by-row path can tell (see :func:`_walk_in_chunks`)."""
    bounds = (start, end if end is not None else _NO_END)
    cursor = reader.cursor()
    try:
        try:
            cursor.execute(chunk_sql(dialect, with_csv), bounds)
            count, first, last, canonical, hashes, links, lines, line_count, cells = cursor.fetchone()
            if with_csv and cells is not None and not _plain_cells(cells, count):
                cursor.execute(chunk_sql(dialect, True, general_csv=True), bounds)
                lines, line_count = cursor.fetchone()[6:8]
        except sqlite3.OperationalError:  # e.g. json_quote refuses a BLOB: check those rows one by one
            if dialect == "postgresql":
                raise
            return None
    finally:
        cursor.close()
    if with_csv and line_count != count:
        return None
    return count, first, last, canonical, hashes, links, lines


#: Upper bound for the last chunk (seq is a 64-bit integer on PostgreSQL).
_NO_END = 2**63 - 1


def _chunk_starts(cursor, dialect: str) -> list[int]:
    """The first sequence number of every chunk of :data:`CHUNK` rows (an index-only scan)."""
    cursor.execute("SELECT seq FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM audit_event) AS numbered "
                   f"WHERE (n - 1) % {CHUNK} = 0 ORDER BY seq")
    return [seq for (seq,) in cursor.fetchall()]
