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

#: Rows fetched per round trip: large enough that fetching costs little per row.
BATCH = 20_000

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


def _rows(raw, dialect: str) -> Iterator[list[Sequence[Any]]]:
    """Every row of audit_event in sequence order, in batches (server-side cursor on PostgreSQL)."""
    sql = f"SELECT {', '.join(STORED_COLUMNS)} FROM audit_event ORDER BY seq"
    cursor = raw.cursor(name="tender_audit_walk") if dialect == "postgresql" else raw.cursor()
    try:
        if dialect == "postgresql":
            cursor.itersize = BATCH
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield batch
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
        feed = verifier.feed_row
        for batch in _rows(raw, db.engine.dialect.name):
            for row in batch:
                parts = feed(row)
                if comparison is not None:
                    comparison.feed(row[0], row[14])
                if sink is not None:
                    sink(row, parts)
    chain = verifier.result()
    problems[:0] = [Problem("chain", seq, text) for seq, text in chain.problems]
    if comparison is not None:
        problems += [Problem("against", seq, text) for seq, text in comparison.result()]
    report = TrailReport(chain, head[0], head[1], problems, str(against) if against else None)
    for name in (CHECKS if checks is None else checks):
        report.problems += list(CHECKS[name](report))
    return report
