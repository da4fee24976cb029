"""Build the GuardContext snapshot of a procurement from the database.

Guards are pure functions; this is the one place that gathers what they read,
with a fixed number of queries whatever the size of the procurement.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select

from tender.domain.guards import GuardContext, LotFacts, MilestoneFacts
from tender.extensions import db
from tender.models import AwardApproval, Bid, LegalChallenge, Lot, Milestone, Procurement, SQResponse, User
from tender.services.evaluation import status as evaluation_status


def build_context(procurement: Procurement, today: date) -> GuardContext:
    """Everything the guards of ``procurement``'s procedure may look at, as of ``today``."""
    milestones = {
        m.key: MilestoneFacts(m.key, m.title, m.planned_date, m.actual_date)
        for m in db.session.scalars(select(Milestone).where(Milestone.procurement_id == procurement.id))
    }
    responses = db.session.execute(
        select(SQResponse).where(SQResponse.procurement_id == procurement.id)
    ).scalars().all()
    undecided = tuple(r.supplier.name for r in responses if not r.decision)
    no_reason = tuple(r.supplier.name for r in responses if r.decision and not (r.decision_reason or "").strip())
    lots = db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id).order_by(Lot.number)).all()
    bid_counts: dict[tuple[int, str], int] = {
        (lot_id, rnd): n for lot_id, rnd, n in db.session.execute(
            select(Bid.lot_id, Bid.round, func.count()).join(Lot).where(Lot.procurement_id == procurement.id)
            .group_by(Bid.lot_id, Bid.round))
    }
    status = evaluation_status.for_procurement(procurement.id)
    lot_facts = tuple(
        LotFacts(
            lot.number, lot.title,
            bids={rnd: n for (lot_id, rnd), n in bid_counts.items() if lot_id == lot.id},
            evaluation_final={rnd: final for (lot_id, rnd), (final, _) in status.items() if lot_id == lot.id},
            evaluation_note={rnd: note for (lot_id, rnd), (_, note) in status.items() if lot_id == lot.id},
        )
        for lot in lots
    )
    approval = db.session.execute(
        select(User.name).join(AwardApproval, AwardApproval.approved_by_id == User.id)
        .where(AwardApproval.procurement_id == procurement.id)
    ).scalar_one_or_none()
    suspending = tuple(db.session.scalars(
        select(LegalChallenge.reference).where(LegalChallenge.procurement_id == procurement.id,
                                               LegalChallenge.lifted_on.is_(None)).order_by(LegalChallenge.id)))
    return GuardContext(
        today=today,
        regime=procurement.regime,
        conditions=procurement.conditions,
        milestones=milestones,
        candidates=len(responses),
        candidates_undecided=undecided,
        candidates_without_reason=no_reason,
        shortlisted=sum(1 for r in responses if r.decision == "shortlisted"),
        shortlist_justification=procurement.shortlist_justification,
        lots=lot_facts,
        award_on_initial_reserved=procurement.award_on_initial_reserved,
        award_approved_by=approval,
        award_notices_sent_at=aware_utc(procurement.award_notices_sent_at),
        award_notices_electronic=procurement.award_notices_electronic is not False,
        award_notices_last_received_on=procurement.award_notices_last_received_on,
        award_notice_published_at=aware_utc(procurement.award_notice_published_at),
        challenges_suspending=suspending,
    )


def aware_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timezone columns back naive; they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment
