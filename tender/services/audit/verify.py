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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tender.domain.audit_chain import GENESIS_HASH, ChainVerification
from tender.audit_export.bundle_reader import read_bundle
from tender.domain.audit_consistency import BundleConsistency
from tender.domain.audit_rows import STORED_COLUMNS, RowVerifier
from tender.extensions import db
from tender.services.audit import SKIPPED_ACTION

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


def _rows(raw, dialect: str, full: bool) -> Iterator[list[Sequence[Any]]]:
    """Every row of audit_event in sequence order with its SQL-built canonical halves, in batches.

    ``full=False`` (checking only) reads just what the check needs, with
    NULL in the other columns' places; :func:`_full_row` reads a row in full
    when its halves do not match its hash.
    """
    head, tail, plain = canonical_sql(dialect)
    columns = [name if full or name in ("seq", "prev_hash", "hash") else "NULL" for name in STORED_COLUMNS]
    sql = (f"SELECT {', '.join(columns)}, {head}, {tail}, {plain if full else 'NULL'} "
           "FROM audit_event ORDER BY seq")
    cursor = raw.cursor(name="tender_audit_walk") if dialect == "postgresql" else raw.cursor()
    try:
        if dialect == "postgresql":
            cursor.itersize = BATCH
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


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
    and JSON Lines exports write in the same pass). ``checks``: names from
    :data:`CHECKS` to run (default: all).
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
        full = sink is not None
        refetch = None if full else (lambda seq: _full_row(raw, seq))
        for batch in _rows(raw, db.engine.dialect.name, full):
            verifier.feed_rows(batch, sink, refetch)
            if comparison is not None:
                for row in batch:
                    comparison.feed(row[0], row[14])
    chain = verifier.result()
    problems[:0] = [Problem("chain", seq, text) for seq, text in chain.problems]
    if comparison is not None:
        problems += [Problem("against", seq, text) for seq, text in comparison.result()]
    report = TrailReport(chain, head[0], head[1], problems, str(against) if against else None)
    for name in (CHECKS if checks is None else checks):
        report.problems += list(CHECKS[name](report))
    return report
