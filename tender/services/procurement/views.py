"""Read models for pages: what the dashboard and the procurement page show.

Kept apart from the write services so pages load with a fixed number of
queries and no page can change anything.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tender.domain.bounds import MAX_ID
from tender.domain.contract_value import FunderShare, contract_values
from tender.domain.guards import GuardContext, LotFacts
from tender.domain.periods import Standstill
from tender.domain.workflow_engine import TransitionOption
from tender.extensions import db
from tender.models import AwardApproval, LegalChallenge, Milestone, Procurement
from tender.models.milestone import CLOSED
from tender.models.supplier import ROUNDS
from tender.services.errors import NotFound
from tender.services.procurement.guard_context import ALL, APPROVAL, CHALLENGES, build_context
from tender.services.procurement.definitions import definition_of, engine_of


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
    definition = definition_of(procurement)
    return definition.stage(procurement.state).title if definition else procurement.state


def funder_values(procurement: Procurement):
    """Contract value per funder and per term, computed from annual amounts and uplifts."""
    shares = [FunderShare(f.name, Decimal(f.annual_amount), Decimal(f.annual_uplift_percent or 0))
              for f in procurement.funders]
    if not shares:
        return []
    return contract_values(shares, procurement.initial_term_years, procurement.extension_periods)


@dataclass(frozen=True)
class EvaluationRow:
    """One lot on the procurement page: the round under evaluation (the latest with bids) and whether it is final."""

    lot: LotFacts
    round: str
    final: bool
    note: str


@dataclass(frozen=True)
class OverviewFacts:
    """What the procurement page derives from the guard context, built once for the page."""

    options: list[TransitionOption]
    context: GuardContext

    def evaluation_rows(self) -> list[EvaluationRow]:
        """Per lot, the round now being evaluated and its status, from the facts the guards read.

        The same answer as ``evaluation.ranking.overview_rows`` (the latest
        round with a bid, else the first; its final/why-not from
        ``evaluation.status``) without reading the lots, bids or status again.
        """
        rows = []
        for lot in self.context.lots:
            round_ = next((r for r in reversed(ROUNDS) if lot.bids.get(r)), ROUNDS[0])
            rows.append(EvaluationRow(lot, round_, lot.evaluation_final[round_], lot.evaluation_note[round_]))
        return rows


def overview_facts(procurement: Procurement, today: date, approval: AwardApproval | None,
                   challenges: Sequence[LegalChallenge]) -> OverviewFacts:
    """The transitions out of the current stage with their guard outcomes, and the evaluation rows.

    One guard context serves both (before, the page read the lots, the bids
    and the evaluation status again for its evaluation table); the approval
    and the challenges the page reads anyway (every challenge, oldest first)
    stand in for the guard context's own queries of them. A test checks the
    result equals ``build_context``'s.
    """
    context = replace(
        build_context(procurement, today, ALL - {APPROVAL, CHALLENGES}),
        award_approved_by=approval.approved_by.name if approval is not None else None,
        challenges_suspending=tuple(c.reference for c in challenges if c.lifted_on is None))
    options = engine_of(procurement).options(procurement.state, context)
    return OverviewFacts(options, context)


def page_procurement(procurement_id: int) -> Procurement:
    """The procurement with its milestones and their owners (the page shows them all): two queries, not one per owner.

    NotFound as ``workflow.get_procurement`` raises it.
    """
    in_range = isinstance(procurement_id, int) and 0 < procurement_id <= MAX_ID
    procurement = db.session.get(Procurement, procurement_id, options=[
        selectinload(Procurement.milestones).joinedload(Milestone.owner)]) if in_range else None
    if procurement is None:
        raise NotFound("There is no procurement with that number.")
    return procurement


def approval_of(procurement: Procurement) -> AwardApproval | None:
    """The recorded award approval with its approver, in one query."""
    return db.session.scalar(select(AwardApproval).options(joinedload(AwardApproval.approved_by))
                             .where(AwardApproval.procurement_id == procurement.id))


_DIAGRAMS: dict[tuple[int, str], tuple[object, str]] = {}


def diagram_svg(definition, state: str) -> str:
    """The procedure diagram with ``state`` marked: it depends on nothing else, so it is drawn once per process.

    Keyed by the definition object (held in the value, so its id is not
    reused), as the registry keeps each definition for the life of the process.
    """
    from tender.domain import workflow_diagram

    key = (id(definition), state)
    cached = _DIAGRAMS.get(key)
    if cached is None or cached[0] is not definition:
        if len(_DIAGRAMS) > 256:  # definitions reloaded from many folders (tests): start again
            _DIAGRAMS.clear()
        cached = _DIAGRAMS[key] = (definition, workflow_diagram.to_svg(definition, state))
    return cached[1]
