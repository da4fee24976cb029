"""The audit trail: append-only events in a hash chain.

The database itself refuses UPDATE and DELETE on ``audit_event`` (triggers
created in the migrations), and each event's hash covers the previous event's
hash, so an altered or removed row is found by ``tender audit verify``.
``audit_head`` is a single row holding the chain's tip; writers lock it so
concurrent transactions append in turn instead of forking the chain.
"""
from __future__ import annotations

import json

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tender.extensions import db


class AuditEvent(db.Model):
    """One thing that happened, as evidence."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    occurred_at: Mapped[str] = mapped_column(String(32), index=True)  # ISO 8601 UTC with 'Z'
    actor: Mapped[str] = mapped_column(String(254), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    procurement_ref: Mapped[str | None] = mapped_column(String(40), index=True)
    lot: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)  # canonical JSON text
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def to_record(self) -> dict:
        """The event as the plain mapping that the hash and the exports use."""
        return record_from_columns(self)


RECORD_COLUMNS = ("seq", "occurred_at", "actor", "actor_role", "action", "object_type", "object_id",
                  "procurement_ref", "lot", "before", "after", "reason", "ip", "prev_hash", "hash")


def record_from_columns(row) -> dict:
    """An event record from a model, or from a row of the RECORD_COLUMNS in that order (faster)."""
    if isinstance(row, AuditEvent):
        record = {name: getattr(row, name) for name in RECORD_COLUMNS}
    else:
        record = dict(zip(RECORD_COLUMNS, row))
    for name in ("before", "after"):
        if record[name] is not None:
            record[name] = json.loads(record[name])
    return record


class AuditHead(db.Model):
    """The tip of the chain: one row, locked by every writer."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
