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
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from tender.domain.audit_chain import GENESIS_HASH, event_hash
from tender.extensions import db
from tender.models import AuditEvent, AuditHead


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
    if value is None:
        return None
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def utc_now_iso() -> str:
    """Now, as the audit trail writes times: ISO 8601 UTC with microseconds and 'Z'."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(actor: Actor, action: str, object_type: str, object_id: Any = None, *,
           procurement_ref: str | None = None, lot: int | None = None,
           before: Any = None, after: Any = None, reason: str | None = None) -> AuditEvent:
    """Append one event to the chain inside the current transaction (no commit)."""
    session = db.session
    session.flush()  # the change being recorded goes first, so a conflict shows before the chain is locked
    head = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).one_or_none()
    if head is None:
        raise RuntimeError("The audit chain has no head row: run 'tender db upgrade'.")
    seq, prev_hash = head
    event = AuditEvent(
        seq=seq, occurred_at=utc_now_iso(), actor=actor.label, actor_role=actor.role, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        procurement_ref=procurement_ref, lot=lot, before=_dump(before), after=_dump(after),
        reason=reason, ip=actor.ip, prev_hash=prev_hash or GENESIS_HASH, hash="",
    )
    event.hash = event_hash({k: v for k, v in event.to_record().items() if k != "hash"})
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=event.hash))
    return event


def head() -> tuple[int, str]:
    """The chain's current length and tip hash."""
    row = db.session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    return row[0], row[1]
