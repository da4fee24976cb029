"""Build the GuardContext snapshot of a procurement from the database.

Guards are pure functions; this is the one place that gathers what they read,
with a fixed number of queries whatever the size of the procurement. A stage
advance runs only its transition's guards, so it asks only for the facts those
guards read (``reads_of``): "Close tenders" reads the milestones and the bid
counts, not the selection questionnaire, the approval or the challenges. A
fact not asked for is left as ``NOT_READ``, which raises if a guard touches
it, so a guard reading something this table forgot fails loudly instead of
seeing an empty default. The evaluation status (the one fact whose cost grows
with the scores) is read only when a guard looks at it.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from tender.domain.guards import PA_LIGHT_TOUCH, GuardContext, LotFacts, MilestoneFacts
from tender.extensions import db
from tender.models import (AwardApproval, Bid, LegalChallenge, Lot, Notice, Procurement, SQResponse, Supplier, User,
                           VoluntaryStandstill)
from tender.services.evaluation import status as evaluation_status

#: The facts read from other tables, one query each (the conflicts assessment: a few, for the people it covers;
#: the voluntary standstill: none unless the procurement is a light touch contract under the Act).
MILESTONES, RESPONSES, LOTS, APPROVAL, CHALLENGES = "milestones", "responses", "lots", "approval", "challenges"
NOTICES, STANDSTILL_CHOICE, CONFLICTS = "notices", "standstill_choice", "conflicts"
ALL = frozenset({MILESTONES, RESPONSES, LOTS, APPROVAL, CHALLENGES, NOTICES, STANDSTILL_CHOICE, CONFLICTS})
#: The GuardContext fields each fact fills (the others come from the procurement's own row).
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    MILESTONES: ("milestones",),
    RESPONSES: ("candidates", "candidates_undecided", "candidates_without_reason", "shortlisted"),
    LOTS: ("lots",),
    APPROVAL: ("award_approved_by",),
    CHALLENGES: ("challenges_suspending",),
    NOTICES: ("notices",),
    STANDSTILL_CHOICE: ("voluntary_standstill",),
    CONFLICTS: ("conflicts",),
}

#: What each guard reads beyond the procurement's own row (``today``, regime,
#: conditions, the award columns are always there). A test checks every known
#: guard is listed and that advancing with these reads gives the outcomes of
#: the full context for every transition of every shipped procedure.
GUARD_READS: dict[str, frozenset[str]] = {
    "timetable_complete": frozenset({MILESTONES}),
    "period_meets_minimum": frozenset({MILESTONES, STANDSTILL_CHOICE}),
    "deadline_passed": frozenset({MILESTONES}),
    "shortlist_decided": frozenset({RESPONSES}),
    "shortlist_minimum": frozenset({RESPONSES}),
    "bids_received": frozenset({LOTS}),
    "evaluation_complete": frozenset({LOTS}),
    "award_on_initial_reserved": frozenset(),
    "award_approved": frozenset({APPROVAL}),
    "standstill_over": frozenset({STANDSTILL_CHOICE}),
    "assessment_summaries_sent": frozenset(),
    "award_notices_sent": frozenset(),
    "no_challenge_suspension": frozenset({CHALLENGES}),
    "tender_notice_published": frozenset({NOTICES}),
    "contract_award_notice_published": frozenset({NOTICES}),
    "contract_details_notice_published": frozenset({NOTICES}),
    "conflicts_assessed": frozenset({CONFLICTS}),
    "conflicts_revisited_at_award": frozenset({CONFLICTS}),
}


def reads_of(guard_names: Iterable[str]) -> frozenset[str]:
    """The facts the named guards read (all of them for a guard this table does not know)."""
    reads: set[str] = set()
    for name in guard_names:
        reads |= GUARD_READS.get(name, ALL)
    return frozenset(reads)


class _NotRead:
    """Stands for a fact the context was built without: any use of it is a bug, so it raises."""

    def _refuse(self, *_args, **_kwargs):
        raise RuntimeError("A guard read a fact its transition's guard context did not load: "
                           "add it to guard_context.GUARD_READS.")

    __bool__ = __len__ = __iter__ = __contains__ = __getitem__ = __eq__ = __ne__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __add__ = __radd__ = __sub__ = __rsub__ = __int__ = __index__ = _refuse
    get = keys = values = items = strip = _refuse
    __hash__ = None

    def __repr__(self) -> str:
        return "NOT_READ"


NOT_READ = _NotRead()


def build_context(procurement: Procurement, today: date, reads: frozenset[str] = ALL) -> GuardContext:
    """The facts ``reads`` names about ``procurement`` (by default everything the guards may look at), as of ``today``."""
    milestones = NOT_READ
    if MILESTONES in reads:
        milestones = {
            m.key: MilestoneFacts(m.key, m.title, m.planned_date, m.actual_date)
            for m in procurement.milestones  # the relationship: the page and the advance use the rows too
        }
    candidates = undecided = no_reason = shortlisted = NOT_READ
    if RESPONSES in reads:
        responses = db.session.execute(
            select(Supplier.name, SQResponse.decision, SQResponse.decision_reason)
            .join(Supplier, Supplier.id == SQResponse.supplier_id)
            .where(SQResponse.procurement_id == procurement.id).order_by(SQResponse.id)
        ).all()
        candidates = len(responses)
        undecided = tuple(r.name for r in responses if not r.decision)
        no_reason = tuple(r.name for r in responses if r.decision and not (r.decision_reason or "").strip())
        shortlisted = sum(1 for r in responses if r.decision == "shortlisted")
    lot_facts = _lot_facts(procurement) if LOTS in reads else NOT_READ
    approval = NOT_READ
    if APPROVAL in reads:
        approval = db.session.execute(
            select(User.name).join(AwardApproval, AwardApproval.approved_by_id == User.id)
            .where(AwardApproval.procurement_id == procurement.id)
        ).scalar_one_or_none()
    suspending = NOT_READ
    if CHALLENGES in reads:
        suspending = tuple(db.session.scalars(
            select(LegalChallenge.reference).where(LegalChallenge.procurement_id == procurement.id,
                                                   LegalChallenge.lifted_on.is_(None)).order_by(LegalChallenge.id)))
    notices = NOT_READ
    if NOTICES in reads:
        notices = frozenset(db.session.scalars(select(Notice.kind).where(Notice.procurement_id == procurement.id)))
    voluntary = NOT_READ
    if STANDSTILL_CHOICE in reads:
        voluntary = procurement.regime == PA_LIGHT_TOUCH and db.session.scalar(
            select(VoluntaryStandstill.id).where(VoluntaryStandstill.procurement_id == procurement.id)) is not None
    conflicts = NOT_READ
    if CONFLICTS in reads:
        from tender.services.procurement import conflicts_assessment

        conflicts = conflicts_assessment.facts(procurement)
    return GuardContext(
        today=today,
        regime=procurement.regime,
        conditions=procurement.conditions,
        milestones=milestones,
        candidates=candidates,
        candidates_undecided=undecided,
        candidates_without_reason=no_reason,
        shortlisted=shortlisted,
        shortlist_justification=procurement.shortlist_justification,
        lots=lot_facts,
        award_on_initial_reserved=procurement.award_on_initial_reserved,
        award_approved_by=approval,
        award_notices_sent_at=aware_utc(procurement.award_notices_sent_at),
        award_notices_electronic=procurement.award_notices_electronic is not False,
        award_notices_last_received_on=procurement.award_notices_last_received_on,
        award_notice_published_at=aware_utc(procurement.award_notice_published_at),
        challenges_suspending=suspending,
        notices=notices,
        voluntary_standstill=voluntary,
        conflicts=conflicts,
    )


def _lot_facts(procurement: Procurement) -> tuple[LotFacts, ...]:
    """Each lot with its bids per round: one query (lots left-joined to their bid counts)."""
    rows = db.session.execute(
        select(Lot.id, Lot.number, Lot.title, Lot.evaluation_model, Lot.annual_budget, Bid.round, func.count(Bid.id))
        .outerjoin(Bid, Bid.lot_id == Lot.id).where(Lot.procurement_id == procurement.id)
        .group_by(Lot.id, Lot.number, Lot.title, Lot.evaluation_model, Lot.annual_budget, Bid.round)
        .order_by(Lot.number)
    ).all()
    lots: dict[int, tuple[int, str, str | None, dict[str, int], Decimal | None]] = {}
    for lot_id, number, title, model, budget, rnd, n in rows:
        bids = lots.setdefault(lot_id, (number, title, model, {}, budget))[3]
        if rnd is not None:
            bids[rnd] = n
    status = _EvaluationStatus(procurement.id, [(lot_id, lot[2]) for lot_id, lot in lots.items()],
                               {(lot_id, rnd): n for lot_id, lot in lots.items() for rnd, n in lot[3].items()})
    return tuple(
        LotFacts(number, title, bids=bids, annual_budget=budget,
                 evaluation_final=_LotRounds(status, lot_id, 0), evaluation_note=_LotRounds(status, lot_id, 1))
        for lot_id, (number, title, _model, bids, budget) in lots.items()
    )


def aware_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timezone columns back naive; they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


class _EvaluationStatus:
    """``evaluation_status.for_procurement``, read on first use and then kept."""

    def __init__(self, procurement_id: int, lots: list[tuple[int, str | None]], bids: dict[tuple[int, str], int]):
        self.procurement_id, self.lots, self.bids = procurement_id, lots, bids
        self._status: dict[tuple[int, str], tuple[bool, str]] | None = None

    def get(self) -> dict[tuple[int, str], tuple[bool, str]]:
        if self._status is None:
            self._status = evaluation_status.for_procurement(self.procurement_id, lots=self.lots, bids=self.bids)
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
