"""Write audit events: in the caller's transaction, appended to the hash chain.

``record`` is called by every service that changes something, before it
commits, so the change and its event land together or not at all. It locks the
single ``audit_head`` row first (an UPDATE, which takes a row lock on
PostgreSQL and the write lock on SQLite), so concurrent writers append one
after another instead of forking the chain.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update

from tender.domain import audit_actions
from tender.domain.audit_chain import GENESIS_HASH, compact_json, event_hash
from tender.extensions import db
from tender.models import AuditEvent, AuditHead
from tender.services import clock


@dataclass(frozen=True)
class Actor:
    """Who did it and from where: a user, or the system (a CLI or a scheduled job)."""

    label: str
    role: str | None = None
    ip: str | None = None
    user_id: int | None = None

    @classmethod
    def system(cls, what: str = "system") -> "Actor":
        """An actor for work no person did (reminder runs, migrations, demo loading)."""
        return cls(label=what, role="system")

    @classmethod
    def of(cls, user, ip: str | None = None) -> "Actor":
        """The actor for a logged-in user."""
        return cls(label=user.email, role=user.role, ip=ip, user_id=user.id)


def jsonable(value: Any) -> Any:
    """Dates, times and money as strings, so the audit JSON is exact and portable."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value.tzinfo else value.isoformat()
    if isinstance(value, (date, Decimal)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def _dump(value: Any) -> str | None:
    """The stored JSON text: exactly the canonical form's, so verify and export can use it as it is."""
    if value is None:
        return None
    return compact_json(jsonable(value))


def utc_now_iso() -> str:
    """Now, as the audit trail writes times: ISO 8601 UTC with microseconds and 'Z'."""
    return clock.wall_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # the record keeps real time


#: The action of the note Tender writes when it finds a sequence number taken.
SKIPPED_ACTION = "audit.sequence_number_skipped"


def record(actor: Actor, action: str, object_type: str, object_id: Any = None, *,
           procurement_ref: str | None = None, lot: int | None = None,
           before: Any = None, after: Any = None, reason: str | None = None) -> AuditEvent:
    """Append one event to the chain inside the current transaction (no commit).

    The number comes from the locked head row, never from the table, so a row
    inserted behind the application's back cannot make Tender fork or stop the
    chain: if the number is already taken, Tender skips past it, writes its
    event, and then writes a note saying which numbers it found taken (which
    ``tender audit verify`` reads, so it can name those rows).
    """
    audit_actions.check(action)
    session = db.session
    session.flush()  # the change being recorded goes first, so a conflict shows before the chain is locked
    fields = dict(
        occurred_at=utc_now_iso(), actor=actor.label, actor_role=actor.role, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        procurement_ref=procurement_ref, lot=lot, before=_dump(before), after=_dump(after),
        reason=reason, ip=actor.ip,
    )
    row, taken = _append(session, fields)
    while taken:  # rare: someone wrote into the table directly
        note = dict(
            occurred_at=utc_now_iso(), actor="system", actor_role="system", action=SKIPPED_ACTION,
            object_type="audit_event", object_id=str(taken[0]["seq"]), procurement_ref=None, lot=None,
            before=None, after=_dump({"taken": taken}), ip=None,
            reason="These sequence numbers were already taken by rows Tender did not write; Tender skipped them.",
        )
        _, taken = _append(session, note)
    return AuditEvent(**row)


def _append(session, fields: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Insert ``fields`` as the next event; return the row and any numbers found taken on the way."""
    taken: list[dict[str, Any]] = []
    statements = _statements(session.get_bind().dialect.name)
    connection = session.connection()  # Core on the session's transaction: no ORM work for three fixed statements
    while True:
        head = connection.execute(statements.bump).one_or_none()
        if head is None:
            raise RuntimeError("The audit chain has no head row: run 'tender db upgrade'.")
        seq, prev_hash = head
        row = {"seq": seq, **fields, "prev_hash": prev_hash or GENESIS_HASH}
        row["hash"] = event_hash({**row, "before": _load(row["before"]), "after": _load(row["after"])})
        inserted = connection.execute(statements.insert, row).first()  # no row back: taken
        if inserted is not None:
            connection.execute(statements.set_hash, {"hash": row["hash"]})
            return row, taken
        found = session.execute(select(AuditEvent.hash).where(AuditEvent.seq == seq)).scalar_one_or_none()
        taken.append({"seq": seq, "hash": found})


@dataclass(frozen=True)
class _Statements:
    bump: Any
    insert: Any
    set_hash: Any


@lru_cache(maxsize=4)
def _statements(dialect: str) -> _Statements:
    """The append's three statements, built once per dialect: building them per event cost more than running them."""
    head, table = AuditHead.__table__, AuditEvent.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return _Statements(
        bump=update(head).where(head.c.id == 1).values(seq=head.c.seq + 1).returning(head.c.seq, head.c.hash),
        # INSERT ... ON CONFLICT (seq) DO NOTHING RETURNING seq: no row back means the number was taken.
        insert=insert(table).on_conflict_do_nothing(index_elements=["seq"]).returning(table.c.seq),
        set_hash=update(head).where(head.c.id == 1).values(hash=bindparam("hash")),
    )


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def head() -> tuple[int, str]:
    """The chain's current length and tip hash."""
    row = db.session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    return row[0], row[1]
