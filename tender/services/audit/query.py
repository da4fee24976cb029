"""Reading the audit trail: filtered, paged, and streamed for exports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator

from sqlalchemy import Select, func, select

from tender.extensions import db
from tender.models import AuditEvent, Procurement
from tender.models.audit import RECORD_COLUMNS, record_from_columns

PAGE_SIZE = 25  # events a page: a day's work reads on a screen or two, not 12,000 pixels


@dataclass(frozen=True)
class AuditFilter:
    """What the legal reviewer narrowed the trail to."""

    procurement: str | None = None
    lot: int | None = None
    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    max_seq: int | None = None  # fixes an export's extent while others keep writing
    # (procurement reference, lot number) pairs the reader declared a conflict on: never shown to them.
    hidden_lots: frozenset = frozenset()

    def apply(self, query: Select) -> Select:
        """Add this filter's conditions to a query over AuditEvent."""
        if self.procurement:
            query = query.where(AuditEvent.procurement_ref == self.procurement)
        if self.lot is not None:
            query = query.where(AuditEvent.lot == self.lot)
        for ref, lot in sorted(self.hidden_lots):
            query = query.where(~((AuditEvent.procurement_ref == ref) & (AuditEvent.lot == lot)))
        if self.actor:
            query = query.where(AuditEvent.actor == self.actor.strip().lower())
        if self.action:  # one declared action, chosen from the list (exactly: "account.password_reset" is not
            query = query.where(AuditEvent.action == self.action)  # "account.password_reset_requested")
        if self.since:
            query = query.where(AuditEvent.occurred_at >= self.since.isoformat())
        if self.max_seq is not None:
            query = query.where(AuditEvent.seq <= self.max_seq)
        if self.until:  # inclusive of the whole 'until' day
            query = query.where(AuditEvent.occurred_at < (self.until + timedelta(days=1)).isoformat())
        return query


def page(flt: AuditFilter, number: int) -> tuple[list[AuditEvent], int, int]:
    """One page of events, the total count and the page's number (held to the pages there are).

    Ordered by procurement reference (events about none last), then oldest first, so a page reads as one
    procurement's days at a time.
    """
    total = db.session.scalar(flt.apply(select(func.count()).select_from(AuditEvent))) or 0
    number = min(max(number, 1), max(1, -(-total // PAGE_SIZE)))
    events = db.session.scalars(
        flt.apply(select(AuditEvent))
        .order_by(AuditEvent.procurement_ref.is_(None), AuditEvent.procurement_ref, AuditEvent.seq)
        .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(events), total, number


def titles(references) -> dict[str, str]:
    """The title of each procurement named (a reference no longer held is simply absent)."""
    wanted = sorted({ref for ref in references if ref})
    if not wanted:
        return {}
    return dict(db.session.execute(select(Procurement.reference, Procurement.title)
                                   .where(Procurement.reference.in_(wanted))).all())


def stream(flt: AuditFilter | None = None, batch: int = 5000) -> Iterator[dict]:
    """Every matching event as a record, oldest first, fetched in keyset batches.

    Plain rows, not ORM objects, so nothing accumulates in the session and
    memory stays flat however long the trail is.
    """
    flt = flt or AuditFilter()
    columns = [getattr(AuditEvent, name) for name in RECORD_COLUMNS]
    last = 0
    while True:
        rows = db.session.connection().execute(flt.apply(select(*columns)).where(AuditEvent.seq > last)
                                               .order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield record_from_columns(row)
        last = rows[-1][0]
