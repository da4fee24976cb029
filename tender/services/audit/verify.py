"""Check the whole audit trail: chain, recorded head, intruders, an earlier bundle, plug-in checks.

One pass over the table, in one consistent snapshot, reading plain rows
(no ORM objects) in large batches, so memory stays flat and the check keeps
up with a million events. What is checked, and what cannot be, is set out in
``docs/audit-trail.md`` ("What verify detects").

Other parts of Tender add their own checks with :func:`register_check`: each
is called after the chain walk with the :class:`TrailReport` and returns
:class:`Problem` objects, which ``tender audit verify`` prints with the rest.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tender.domain.audit_chain import GENESIS_HASH, ChainVerification
from tender.audit_export.bundle_reader import read_bundle
from tender.domain.audit_consistency import BundleConsistency
from tender.domain.audit_rows import STORED_COLUMNS, RowVerifier, feed_chunk
from tender.extensions import db
from tender.services.audit import SKIPPED_ACTION

#: Rows checked per query on the fast path (:func:`_chunks`): each chunk comes back as one row of
#: joined texts, so Python handles a few objects per thousand rows instead of 18 per row.
CHUNK = 2_000

#: Rows fetched per round trip: enough that fetching costs little per row, few enough that
#: a batch stays small in memory (about 20 MiB of Python objects on PostgreSQL).
BATCH = 5_000

RowSink = Callable[[Sequence[Any], "tuple[str, str] | None"], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the trail, in words a lawyer can quote; ``seq`` where it is one event."""

    check: str
    seq: int | None
    text: str


@dataclass
class TrailReport:
    """Everything ``tender audit verify`` found. ``ok`` only if there is no problem at all."""

    chain: ChainVerification
    head_seq: int
    head_hash: str
    problems: list[Problem] = field(default_factory=list)
    against: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


#: Extra checks, by name: ``check(report) -> iterable of Problem``, run after the chain walk.
CHECKS: dict[str, Callable[[TrailReport], Iterable[Problem]]] = {}


def register_check(name: str, check: Callable[[TrailReport], Iterable[Problem]]) -> None:
    """Add a check that ``tender audit verify`` runs after walking the chain (e.g. sealed prices)."""
    CHECKS[name] = check


def _opened_prices(report: TrailReport) -> Iterable[Problem]:
    from tender.services.audit import sealed_prices

    return sealed_prices.as_problems(report)


register_check("opened prices", _opened_prices)


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


def _quote(dialect: str, column: str) -> str:
    """SQL for ``column`` as a JSON string (or null), escaped as the canonical form escapes."""
    if dialect == "postgresql":
        return f"coalesce(to_json({column})::text, 'null')"
    return f"json_quote({column})"


def _as_is(dialect: str, column: str) -> str:
    cast = "::text" if dialect == "postgresql" else ""
    return f"coalesce({column}{cast}, 'null')"


def canonical_sql(dialect: str) -> tuple[str, str, str]:
    """SQL for the canonical form's two halves (around ``hash``) and a "plain CSV row" flag.

    The database assembles the text in C, which is much faster than Python.
    Nothing is trusted: a row whose halves do not hash to its stored hash (a
    different escaping, a tampered row) is checked again by the general path
    in Python. The flag says the row's CSV cells need no formula protection
    and its before/after are JSON objects or arrays, so the CSV writer can
    write the stored values as they are.
    """
    if dialect != "postgresql":
        head, tail = _sqlite_halves()
    else:
        head, tail = _concatenated_halves(dialect)
    return head, tail, _plain_csv_sql(dialect)


def _sqlite_halves() -> tuple[str, str]:
    """SQLite: one printf per half (cheaper than chained ||), guarded against BLOBs.

    json_quote refuses BLOBs with an error, and a BLOB pasted into text may
    not be UTF-8; such values become null here, so the row does not hash and
    takes the general path, which reports it.
    """
    q = lambda c: f"json_quote(iif(typeof({c}) = 'blob', NULL, {c}))"  # noqa: E731
    head = ("""printf('{"action":%s,"actor":%s,"actor_role":%s,"after":%s,"before":%s', """
            f"{q('action')}, {q('actor')}, {q('actor_role')}, "
            "iif(typeof(after) = 'text', after, 'null'), iif(typeof(before) = 'text', before, 'null'))")
    tail = ("""printf(',"ip":%s,"lot":%s,"object_id":%s,"object_type":%s,"occurred_at":%s,"prev_hash":%s,"""
            """"procurement_ref":%s,"reason":%s,"seq":%s}', """
            f"{q('ip')}, iif(typeof(lot) = 'integer', lot, 'null'), {q('object_id')}, {q('object_type')}, "
            f"{q('occurred_at')}, {q('prev_hash')}, {q('procurement_ref')}, {q('reason')}, seq)")
    return head, tail


def _concatenated_halves(dialect: str) -> tuple[str, str]:
    q, raw = (lambda c: _quote(dialect, c)), (lambda c: _as_is(dialect, c))
    head = (f"""'{{"action":' || {q('action')} || ',"actor":' || {q('actor')} || ',"actor_role":' || """
            f"""{q('actor_role')} || ',"after":' || {raw('after')} || ',"before":' || {raw('before')}""")
    tail = (f"""',"ip":' || {q('ip')} || ',"lot":' || {raw('lot')} || ',"object_id":' || {q('object_id')} || """
            f"""',"object_type":' || {q('object_type')} || ',"occurred_at":' || {q('occurred_at')} || """
            f"""',"prev_hash":' || {q('prev_hash')} || ',"procurement_ref":' || {q('procurement_ref')} || """
            f"""',"reason":' || {q('reason')} || ',"seq":' || seq{'::text' if dialect == 'postgresql' else ''} || '}}'""")
    return head, tail


def _plain_csv_sql(dialect: str) -> str:
    chr_ = "chr" if dialect == "postgresql" else "char"
    triggers = f"('=', '+', '-', '@', {chr_}(9), {chr_}(13))"
    texts = ("occurred_at", "actor", "actor_role", "action", "object_type", "object_id", "procurement_ref",
             "reason", "ip", "prev_hash", "hash")
    risky = [f"substr({c}, 1, 1) IN {triggers}" for c in texts]
    risky += ["seq < 0", "lot < 0", "substr(before, 1, 1) NOT IN ('{', '[')", "substr(after, 1, 1) NOT IN ('{', '[')"]
    if dialect != "postgresql":  # SQLite stores whatever type it is given
        risky += [f"typeof({c}) NOT IN ('text', 'null')" for c in texts + ("before", "after")]
        risky += ["typeof(seq) <> 'integer'", "typeof(lot) NOT IN ('integer', 'null')"]
    return f"CASE WHEN {' OR '.join(f'coalesce({r}, false)' for r in risky)} THEN 0 ELSE 1 END"


def _rows(raw, dialect: str, full: bool, start: int | None = None,
          end: int | None = None) -> Iterator[list[Sequence[Any]]]:
    """Every row of audit_event in sequence order with its SQL-built canonical halves, in batches.

    ``full=False`` (checking only) reads just what the check needs, with
    NULL in the other columns' places; :func:`_full_row` reads a row in full
    when its halves do not match its hash.
    """
    head, tail, plain = canonical_sql(dialect)
    columns = [name if full or name in ("seq", "prev_hash", "hash") else "NULL" for name in STORED_COLUMNS]
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


#: Text columns, in CSV order; seq, lot, before and after are the others.
_TEXT_COLUMNS = ("occurred_at", "actor", "actor_role", "action", "object_type", "object_id", "procurement_ref",
                 "reason", "ip", "prev_hash", "hash")


def _csv_cell_sql(dialect: str, column: str) -> str:
    """SQL for one CSV cell exactly as ``csv_jsonl.write_csv`` writes it (formula protection, RFC 4180 quoting).

    NULL is an empty cell; a number is its decimal text (protected when
    negative); before/after are the stored JSON text, used only when it is an
    object or an array (otherwise the cell, and so the line, is NULL, and the
    chunk goes the general way, which decodes it).
    """
    pg = dialect == "postgresql"
    chr_ = "chr" if pg else "char"
    if column in ("seq", "lot"):
        text = f"{column}::text" if pg else f"CAST({column} AS TEXT)"
        cell = f"CASE WHEN {column} < 0 THEN '''' || {text} ELSE {text} END"
    elif column in ("before", "after"):
        cell = f"CASE WHEN substr({column}, 1, 1) IN ('{{', '[') THEN {column} END"
    else:
        cell = (f"CASE WHEN substr({column}, 1, 1) IN ('=', '+', '-', '@', {chr_}(9), {chr_}(13)) "
                f"THEN '''' || {column} ELSE {column} END")
    find = (lambda x, c: f"strpos({x}, {c}) > 0") if pg else (lambda x, c: f"instr({x}, {c}) > 0")  # noqa: E731
    needs_quotes = " OR ".join(find(f"({cell})", c) for c in ("','", "'\"'", f"{chr_}(10)", f"{chr_}(13)"))
    quoted = f"""CASE WHEN {needs_quotes} THEN '"' || replace({cell}, '"', '""') || '"' ELSE {cell} END"""
    if column in ("before", "after"):
        return f"CASE WHEN {column} IS NULL THEN '' ELSE {quoted} END"
    return f"coalesce({quoted}, '')"


def _csv_line_sql(dialect: str) -> str:
    """SQL for a row's whole CSV line, CRLF included; NULL when the general writer must write it."""
    general = " || ',' || ".join(_csv_cell_sql(dialect, c) for c in STORED_COLUMNS)
    if dialect == "postgresql":
        return f"{general} || chr(13) || chr(10)"
    return f"{general} || char(13, 10)"


def _chunk_sql(dialect: str, with_csv: bool, general_csv: bool = False) -> str:
    """One chunk of rows as one row: count, first and last seq, canonical forms, hashes, links, CSV lines.

    Forms, hashes and links are joined by newlines, in sequence order; a NULL
    anywhere drops out of its aggregate, so the counts no longer agree and
    the chunk is checked row by row.
    """
    if dialect == "postgresql":
        return _postgresql_chunk_sql(with_csv)
    return _sqlite_chunk_sql(with_csv, general_csv)


def _postgresql_chunk_sql(with_csv: bool) -> str:
    """PostgreSQL: one chunk as one row, the common row taking plain concatenations.

    Each row is classified once (the inner query; ``OFFSET 0`` keeps the
    planner from copying the expression into every use): ``risky`` when a
    text cell holds a comma, quote, backslash or control character or starts
    with ``= + - @`` (one regular expression over the cells joined by DEL), a
    number is negative, or before/after is JSON other than an object or
    array. Other rows need no JSON escape, CSV quoting or formula
    protection, so their canonical form and CSV line are plain
    concatenations, byte for byte what ``to_json`` and the cell-by-cell
    expressions give (and the canonical form must still hash to the stored
    hash). Risky rows take the general expressions.
    """
    head, tail = _concatenated_halves("postgresql")
    text = lambda c: f"""coalesce('"' || {c} || '"', 'null')"""  # noqa: E731
    plain_canonical = (
        f"""'{{"action":' || {text('action')} || ',"actor":' || {text('actor')} || ',"actor_role":' || """
        f"""{text('actor_role')} || ',"after":' || coalesce(after, 'null') || ',"before":' || """
        f"""coalesce(before, 'null') || ',"ip":' || {text('ip')} || ',"lot":' || coalesce(lot::text, 'null') || """
        f"""',"object_id":' || {text('object_id')} || ',"object_type":' || {text('object_type')} || """
        f"""',"occurred_at":' || {text('occurred_at')} || ',"prev_hash":' || {text('prev_hash')} || """
        f"""',"procurement_ref":' || {text('procurement_ref')} || ',"reason":' || {text('reason')} || """
        """',"seq":' || seq::text || '}'""")
    joined = f"concat_ws(chr(127), '', {', '.join(_TEXT_COLUMNS)})"
    not_object = lambda c: f"coalesce(left({c}, 1) NOT IN ('{{', '['), false)"  # noqa: E731
    risky = (f"""{joined} ~ '[,"\\\\\\x01-\\x1f]|\\x7f[-=+@]' OR seq < 0 OR coalesce(lot < 0, false) """
             f"OR {not_object('before')} OR {not_object('after')}")
    if with_csv:
        json_cell = lambda c: (f"""CASE WHEN {c} ~ '[,"\\r\\n]' THEN '"' || replace({c}, '"', '""') || '"' """  # noqa: E731
                               f"ELSE {c} END")
        cell = lambda c: f"coalesce({c}, '')"  # noqa: E731
        plain_line = (f"seq::text || ',' || occurred_at || ',' || actor || ',' || {cell('actor_role')} || ',' || "
                      f"action || ',' || object_type || ',' || {cell('object_id')} || ',' || "
                      f"{cell('procurement_ref')} || ',' || {cell('lot::text')} || ',' || "
                      f"{cell(json_cell('before'))} || ',' || {cell(json_cell('after'))} || ',' || {cell('reason')} || "
                      f"',' || {cell('ip')} || ',' || prev_hash || ',' || hash || chr(13) || chr(10)")
        line = f"CASE WHEN risky THEN {_csv_line_sql('postgresql')} ELSE {plain_line} END"
    else:
        line = "NULL::text"
    # The aggregates take the rows in the order the sorted subquery gives them (one sort, not one
    # per aggregate); were it ever otherwise, the links would not match and the chunk would go row by row.
    return ("SELECT count(*), min(seq), max(seq), string_agg(c, chr(10)), string_agg(hash, chr(10)), "
            "string_agg(prev_hash, chr(10)), string_agg(l, ''), count(l), NULL "
            f"FROM (SELECT seq, hash, prev_hash, CASE WHEN risky THEN {head} || {tail} ELSE {plain_canonical} END AS c, "
            f"{line} AS l FROM (SELECT *, {risky} AS risky FROM audit_event WHERE seq >= %s AND seq < %s OFFSET 0) "
            "AS classified ORDER BY seq) AS chunk")


def _sqlite_chunk_sql(with_csv: bool, general_csv: bool = False) -> str:
    """SQLite: one chunk as one row.

    SQLite pays for every function call, so the common row takes one
    ``printf`` for its canonical form (``json_quote``d cells; a BLOB makes
    ``json_quote`` fail, and the chunk is checked row by row) and one for
    its CSV line, with every cell as it is stored. That line is only right
    when no cell needs quoting or formula protection, which Python checks
    for the whole chunk at once on the cells, each after a comma
    (:func:`_plain_cells`); otherwise the chunk is read again with
    ``general_csv``, the cell-by-cell expressions. The LIMIT keeps SQLite
    from flattening the subquery, which would compute each text twice.
    """
    head, tail = _sqlite_halves()
    if not with_csv:
        line, cells = "NULL", "NULL"
    elif general_csv:
        line, cells = _csv_line_sql("sqlite"), "NULL"
    else:
        json_cell = lambda c: (f"""iif(instr({c}, '"') OR instr({c}, ','), """  # noqa: E731
                               f"""'"' || replace({c}, '"', '""') || '"', {c})""")
        objects = " AND ".join(f"coalesce(substr({c}, 1, 1) IN ('{{', '['), 1)" for c in ("before", "after"))
        line = (f"CASE WHEN {objects} THEN "  # else NULL: the general path decodes other JSON
                "printf('%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\r\n', seq, occurred_at, actor, "
                "actor_role, action, object_type, object_id, procurement_ref, lot, "
                f"{json_cell('before')}, {json_cell('after')}, reason, ip, prev_hash, hash) END")
        cells = "printf('" + ",%s" * (len(_TEXT_COLUMNS) + 2) + "', seq, lot, " + ", ".join(_TEXT_COLUMNS) + ")"
    return ("SELECT count(*), min(seq), max(seq), group_concat(c, char(10)), group_concat(hash, char(10)), "
            "group_concat(prev_hash, char(10)), group_concat(l, ''), count(l), group_concat(j, '') "
            f"FROM (SELECT seq, hash, prev_hash, {head} || {tail} AS c, {line} AS l, {cells} AS j "
            f"FROM audit_event WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT {_NO_LIMIT})")


_CONTROL = re.compile("[\x00-\x1f]")
_FORMULA_START = re.compile(",[-=+@]")


def _plain_cells(cells: Any, count: int) -> bool:
    """True if none of ``count`` rows' cells (seq, lot and the text cells, each after a comma) needs CSV quoting or
    formula protection.

    Then Python's csv module writes every cell as it is, as the SQL line
    does: no comma but the separators, no quote, CR, LF or other
    control character, and no cell starting with ``= + - @`` (a negative
    number starts with ``-``; a tab is a control character).
    """
    if type(cells) is not str or cells.count(",") != count * (len(_TEXT_COLUMNS) + 2):
        return False
    if '"' in cells or _FORMULA_START.search(cells):
        return False
    return cells.isprintable() or not _CONTROL.search(cells)


#: A LIMIT no chunk reaches (it only stops SQLite flattening a subquery).
_NO_LIMIT = 1_000_000_000


def _full_row(raw, seq: int) -> Sequence[Any]:
    """One row with every stored column (the general path needs them)."""
    cursor = raw.cursor()
    try:
        marker = "%s" if type(raw).__module__.startswith("psycopg") else "?"
        cursor.execute(f"SELECT {', '.join(STORED_COLUMNS)} FROM audit_event WHERE seq = {marker}", (seq,))
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
    bundle = None
    if against is not None:
        bundle, bundle_problems = read_bundle(Path(against))
        problems += [Problem("against", seq, text) for seq, text in bundle_problems]
    with consistent_read() as raw:
        head, skipped = _head_and_skipped(raw)
        verifier = RowVerifier(skipped=skipped, head=head)
        comparison = BundleConsistency(bundle.events(), bundle.head) if bundle is not None else None
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
        problems += [Problem("against", seq, text) for seq, text in comparison.result()]
    report = TrailReport(chain, head[0], head[1], problems, str(against) if against else None)
    for name in (CHECKS if checks is None else checks):
        report.problems += list(CHECKS[name](report))
    return report


def _feed_rows(verifier: RowVerifier, batch, sink, refetch, comparison) -> None:
    """The general path for a batch of rows, and the ``--against`` comparison of their hashes."""
    verifier.feed_rows(batch, sink, refetch)
    if comparison is not None:
        for row in batch:
            comparison.feed(row[0], row[14])


def _walk_in_chunks(raw, dialect: str, verifier: RowVerifier, sink, csv_text, comparison) -> None:
    """The fast path: each chunk of rows checked at once, and falling back to row by row when it does not pass.

    A chunk that :func:`~tender.domain.audit_rows.feed_chunk` does not accept
    (a tampered row, an intruder, a value the database escapes differently, a
    BLOB that makes SQLite's ``json_quote`` fail) is read again row by row and
    fed to the general path, which gives the verdict and writes its CSV rows;
    so the fast path never changes a verdict or a byte of the export.

    The database's work (assembling the texts) is most of the cost, so the
    chunks are read ahead by :data:`READERS` connections in threads, which
    see the same snapshot as ``raw`` (:func:`_snapshot_readers`); this thread
    checks and writes them in order.
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
                        for seq, value in enumerate(stored, start=first):
                            comparison.feed(seq, value)
                    continue
                full = sink is not None
                refetch = None if full else (lambda seq: _full_row(raw, seq))
                for batch in _rows(raw, dialect, full, start, end):
                    _feed_rows(verifier, batch, sink, refetch, comparison)
    finally:
        cursor.close()


#: Connections reading chunks ahead in threads (the machine's cores: the database works while Python hashes).
READERS = max(1, min(2, os.cpu_count() or 1))


def _read_chunk(reader, dialect: str, with_csv: bool, start: int, end: int | None) -> tuple | None:
    """One chunk's joined texts, or None when only the row-by-row path can tell (see :func:`_walk_in_chunks`)."""
    bounds = (start, end if end is not None else _NO_END)
    cursor = reader.cursor()
    try:
        try:
            cursor.execute(_chunk_sql(dialect, with_csv), bounds)
            count, first, last, canonical, hashes, links, lines, line_count, cells = cursor.fetchone()
            if with_csv and cells is not None and not _plain_cells(cells, count):
                cursor.execute(_chunk_sql(dialect, True, general_csv=True), bounds)
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


def _read_ahead(raw, readers: list, ranges: list, read: Callable) -> Iterator[tuple]:
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
def _snapshot_readers(raw, dialect: str, count: int) -> Iterator[list]:
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
    """Pooled connections set up to read ``raw``'s snapshot (see :func:`_snapshot_readers`)."""
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


#: Upper bound for the last chunk (seq is a 64-bit integer on PostgreSQL).
_NO_END = 2**63 - 1


def _chunk_starts(cursor, dialect: str) -> list[int]:
    """The first sequence number of every chunk of :data:`CHUNK` rows (an index-only scan)."""
    cursor.execute("SELECT seq FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM audit_event) AS numbered "
                   f"WHERE (n - 1) % {CHUNK} = 0 ORDER BY seq")
    return [seq for (seq,) in cursor.fetchall()]
