"""Build the GuardContext snapshot of a procurement from the database.

Guards are pure functions; this is the one place that gathers what they read,
with a fixed number of queries whatever the size of the procurement, and the
evaluation status only if a guard reads it.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from tender.domain.guards import GuardContext, LotFacts, MilestoneFacts
from tender.extensions import db
from tender.models import AwardApproval, Bid, LegalChallenge, Lot, Milestone, Procurement, SQResponse, Supplier, User
from tender.services.evaluation import status as evaluation_status


def build_context(procurement: Procurement, today: date) -> GuardContext:
    """Everything the guards of ``procurement``'s procedure may look at, as of ``today``.

    The evaluation status (the one fact whose cost grows with the scores) is
    read only when a guard looks at it: a transition without an
    ``evaluation_complete`` guard never reads a score.
    """
    milestones = {
        m.key: MilestoneFacts(m.key, m.title, m.planned_date, m.actual_date)
        for m in procurement.milestones  # the relationship: the procurement page shows them too, from one query
    }
    responses = db.session.execute(
        select(Supplier.name, SQResponse.decision, SQResponse.decision_reason)
        .join(Supplier, Supplier.id == SQResponse.supplier_id)
        .where(SQResponse.procurement_id == procurement.id).order_by(SQResponse.id)
    ).all()
    undecided = tuple(r.name for r in responses if not r.decision)
    no_reason = tuple(r.name for r in responses if r.decision and not (r.decision_reason or "").strip())
    lots = procurement.lots  # ordered by number; loaded once for the guards and the page
    bid_counts: dict[tuple[int, str], int] = {
        (lot_id, rnd): n for lot_id, rnd, n in db.session.execute(
            select(Bid.lot_id, Bid.round, func.count()).join(Lot).where(Lot.procurement_id == procurement.id)
            .group_by(Bid.lot_id, Bid.round))
    }
    status = _EvaluationStatus(procurement.id)
    lot_facts = tuple(
        LotFacts(
            lot.number, lot.title,
            bids={rnd: n for (lot_id, rnd), n in bid_counts.items() if lot_id == lot.id},
            evaluation_final=_LotRounds(status, lot.id, 0),
            evaluation_note=_LotRounds(status, lot.id, 1),
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


class _EvaluationStatus:
    """``evaluation_status.for_procurement``, read on first use and then kept."""

    def __init__(self, procurement_id: int):
        self.procurement_id = procurement_id
        self._status: dict[tuple[int, str], tuple[bool, str]] | None = None

    def get(self) -> dict[tuple[int, str], tuple[bool, str]]:
        if self._status is None:
            self._status = evaluation_status.for_procurement(self.procurement_id)
        return self._status


class _LotRounds(Mapping):
    """round -> final? (``part`` 0) or why not (``part`` 1) for one lot, read lazily."""

    def __init__(self, status: _EvaluationStatus, lot_id: int, part: int):
        self._status, self._lot_id, self._part = status, lot_id, part

    def _rounds(self) -> dict[str, bool | str]:
        return {rnd: value[self._part] for (lot_id, rnd), value in self._status.get().items()
                if lot_id == self._lot_id}

    def __getitem__(self, round_: str):
        return self._rounds()[round_]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rounds())

    def __len__(self) -> int:
        return len(self._rounds())
