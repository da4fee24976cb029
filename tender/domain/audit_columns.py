"""The audit event's columns, declared once.

Why this exists: the event's shape is written out in several places that
must agree byte for byte: the canonical form that is hashed
(:mod:`tender.domain.audit_chain`, the reference), the SQL that assembles
the same text inside SQLite and PostgreSQL for the fast check, and the CSV
export with its SQL twin. Each of those now reads or is generated from
:data:`AUDIT_COLUMNS`, so a column is added in one place and every form
follows (``docs/audit-trail.md`` section 1 lists the fields for people).

Adding a column changes every hash recorded from then on only if it is
``hashed``; either way it is a new canonical form version
(:data:`~tender.domain.audit_chain.CANONICAL_FORM_VERSION`), never an edit
in place. Pure module: no Flask, no SQLAlchemy, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: JSON types of a column's value: a JSON string, a whole number, or stored JSON text (an object, usually).
TEXT, INTEGER, JSON = "text", "integer", "json"

#: The columns that hold the chain together; every form has them, whatever else is added.
SEQ, PREV_HASH, HASH = "seq", "prev_hash", "hash"

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class AuditColumn:
    """One field of an audit event, and so one column of ``audit_event`` and of ``audit.csv``.

    ``nullable``: the value may be null (the database column allows NULL).
    ``hashed``: part of the canonical form (only ``hash`` itself is not).
    ``csv_header``: its heading in ``audit.csv`` (the name unless said otherwise).
    """

    name: str
    kind: str
    nullable: bool = False
    hashed: bool = True
    csv_header: str = ""

    def __post_init__(self) -> None:
        # The name is pasted into JSON keys and SQL as it is: a plain identifier needs no escaping in either.
        if not _NAME.match(self.name):
            raise ValueError(f"audit column name {self.name!r} must be lowercase letters, digits and _")
        if self.kind not in (TEXT, INTEGER, JSON):
            raise ValueError(f"audit column {self.name}: kind must be text, integer or json, not {self.kind!r}")
        if not self.csv_header:
            object.__setattr__(self, "csv_header", self.name)


#: Every event field in stored-row and CSV order (``audit_event``'s columns, ``audit.csv``'s columns).
AUDIT_COLUMNS: tuple[AuditColumn, ...] = (
    AuditColumn(SEQ, INTEGER),
    AuditColumn("occurred_at", TEXT),
    AuditColumn("actor", TEXT),
    AuditColumn("actor_role", TEXT, nullable=True),
    AuditColumn("action", TEXT),
    AuditColumn("object_type", TEXT),
    AuditColumn("object_id", TEXT, nullable=True),
    AuditColumn("procurement_ref", TEXT, nullable=True),
    AuditColumn("lot", INTEGER, nullable=True),
    AuditColumn("before", JSON, nullable=True),
    AuditColumn("after", JSON, nullable=True),
    AuditColumn("reason", TEXT, nullable=True),
    AuditColumn("ip", TEXT, nullable=True),
    AuditColumn(PREV_HASH, TEXT),
    AuditColumn(HASH, TEXT, hashed=False),
)


def column_names(columns: tuple[AuditColumn, ...] = AUDIT_COLUMNS) -> tuple[str, ...]:
    """The names in stored-row order."""
    return tuple(column.name for column in columns)


def unhashed_names(columns: tuple[AuditColumn, ...] = AUDIT_COLUMNS) -> frozenset[str]:
    """Fields left out of the canonical form (``hash``: it is the digest of the rest)."""
    return frozenset(column.name for column in columns if not column.hashed)


def key_order(columns: tuple[AuditColumn, ...] = AUDIT_COLUMNS) -> tuple[AuditColumn, ...]:
    """The columns as the canonical form writes them: keys in Unicode code-point order."""
    return tuple(sorted(columns, key=lambda column: column.name))


def canonical_halves(columns: tuple[AuditColumn, ...] = AUDIT_COLUMNS
                     ) -> tuple[tuple[AuditColumn, ...], tuple[AuditColumn, ...]]:
    """The hashed columns in key order, split where ``hash`` falls between them.

    The fast paths build the canonical form as two halves, so that the JSON
    Lines export can write ``head + ',"hash":"…"' + tail``, the canonical
    form with its hash. Each half must hold at least one column.
    """
    ordered = key_order(check_columns(columns))
    at = [column.name for column in ordered].index(HASH)
    head = tuple(column for column in ordered[:at] if column.hashed)
    tail = tuple(column for column in ordered[at + 1:] if column.hashed)
    if not head or not tail:
        raise ValueError("the canonical form needs a hashed column on each side of 'hash' in key order")
    return head, tail


def check_columns(columns: tuple[AuditColumn, ...]) -> tuple[AuditColumn, ...]:
    """``columns`` if they can describe a chain (unique names, the chain columns as the chain needs them)."""
    names = column_names(columns)
    if len(set(names)) != len(names):
        raise ValueError("audit column names must be unique")
    by_name = {column.name: column for column in columns}
    needs = {SEQ: (INTEGER, False, True), PREV_HASH: (TEXT, False, True), HASH: (TEXT, False, False)}
    for name, (kind, nullable, hashed) in needs.items():
        column = by_name.get(name)
        if column is None or (column.kind, column.nullable, column.hashed) != (kind, nullable, hashed):
            raise ValueError(f"audit column {name!r} must be {kind}, not null, {'' if hashed else 'not '}hashed")
    if [name for name in names if not by_name[name].hashed] != [HASH]:
        raise ValueError("only 'hash' is left out of the canonical form")
    return columns


check_columns(AUDIT_COLUMNS)
