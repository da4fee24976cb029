"""Read models for pages: what the dashboard and the procurement page show.

Kept apart from the write services so pages load with a fixed number of
queries and no page can change anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tender.domain.contract_value import FunderShare, contract_values
from tender.domain.periods import Standstill
from tender.extensions import db
from tender.models import Milestone, Procurement
from tender.models.milestone import CLOSED
from tender.services.procurement.procedures import registry


@dataclass(frozen=True)
class DashboardRow:
    """One procurement on the dashboard."""

    procurement: Procurement
    stage_title: str
    next_milestone: Milestone | None  # the next one due; the earliest overdue one if none is ahead
    overdue: list[Milestone]
    standstill: Standstill | None = None  # shown while the procurement is at its standstill stage


def dashboard_rows(today: date) -> list[DashboardRow]:
    """Every procurement with its stage, next milestone and overdue milestones (two queries)."""
    procurements = db.session.scalars(select(Procurement).order_by(Procurement.reference)).all()
    milestones: dict[int, list[Milestone]] = {}
    for m in db.session.scalars(select(Milestone).order_by(Milestone.procurement_id, Milestone.position)):
        milestones.setdefault(m.procurement_id, []).append(m)
    rows = []
    for p in procurements:
        # Met and not applicable milestones are done with; what is left is due, or overdue.
        open_ones = sorted((m for m in milestones.get(p.id, []) if m.status not in CLOSED and m.planned_date),
                           key=lambda m: (m.planned_date, m.position))
        overdue = [m for m in open_ones if m.planned_date < today]
        upcoming = [m for m in open_ones if m.planned_date >= today]
        # With nothing ahead, the next thing to do is the earliest overdue milestone, not "None planned".
        following = upcoming[0] if upcoming else (overdue[0] if overdue else None)
        rows.append(DashboardRow(p, stage_title(p), following, overdue,
                                 standstill_of(p) if p.state == "standstill" else None))
    return rows


def standstill_of(procurement: Procurement) -> Standstill | None:
    """The procurement's recorded standstill (no query: it reads the procurement's own columns)."""
    from tender.services.award.standstill import standstill_of as recorded

    return recorded(procurement)


def stage_title(procurement: Procurement) -> str:
    """The current stage as the procedure names it."""
    definition = registry().definitions.get(procurement.procedure)
    return definition.stage(procurement.state).title if definition else procurement.state


def funder_values(procurement: Procurement):
    """Contract value per funder and per term, computed from annual amounts and uplifts."""
    shares = [FunderShare(f.name, Decimal(f.annual_amount), Decimal(f.annual_uplift_percent or 0))
              for f in procurement.funders]
    if not shares:
        return []
    return contract_values(shares, procurement.initial_term_years, procurement.extension_periods)
