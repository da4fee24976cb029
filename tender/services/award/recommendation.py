"""Recording each lot's award recommendation from its frozen evaluation.

The officer records, per lot, the recommended supplier (the first-ranked bid)
or no award with the reason. The record holds the whole ranking and its
SHA-256 (``tender.domain.award``), goes into the audit trail whole, and is
what the approver approves and what letters, notices and the contract stage
read afterwards. A recommendation is only recorded from scores that can no
longer move (prices opened and scores frozen, or a model with no price part
whose evaluation is final), and while the award is not yet approved; never
while a tender flagged as abnormally low awaits its decision (a rejected one
is excluded, ``tender.services.award.abnormally_low``), and under the
Procurement Act only once the conflicts assessment is revisited at award
(s.83), which puts that revisit before the approval.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from tender.domain import award as award_rules
from tender.domain.roles import Permission
from tender.domain.scoring.ranking import LotRanking
from tender.extensions import db
from tender.models import AwardApproval, AwardRecommendation, Bid, Lot, Procurement
from tender.models.supplier import ROUNDS
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import ConcurrentChange, InvalidRequest
from tender.services.evaluation.data import load_rounds
from tender.services.evaluation.panel import get_lot, model_for, now
from tender.services.award import abnormally_low
from tender.services.procurement import conflicts_assessment
from tender.services.procurement.definitions import definition_of
from tender.services.procurement.workflow import get_procurement
from tender.services.use_case import use_case


def approval_stages(procurement: Procurement) -> frozenset[str]:
    """The stages at which the award is decided: the sources of transitions that need the approval."""
    definition = definition_of(procurement)
    return frozenset(source for t in definition.transitions if any(g.name == "award_approved" for g in t.guards)
                     for source in t.sources)


def decision_round(lot: Lot) -> str | None:
    """The round an award is decided on: the latest with bids (None when the lot had no bids)."""
    rounds = set(db.session.scalars(select(Bid.round).where(Bid.lot_id == lot.id).distinct()))
    return next((r for r in reversed(ROUNDS) if r in rounds), None)


def current(procurement_id: int) -> dict[int, AwardRecommendation]:
    """Lot number -> the lot's current (not voided) recommendation."""
    rows = db.session.execute(
        select(Lot.number, AwardRecommendation).join(Lot, Lot.id == AwardRecommendation.lot_id)
        .where(AwardRecommendation.procurement_id == procurement_id, AwardRecommendation.voided_at.is_(None)))
    return {number: rec for number, rec in rows}


def decision_of(recommendation: AwardRecommendation) -> dict:
    """The recorded decision as data (the JSON shape documented in ``tender.domain.award``)."""
    return json.loads(recommendation.decision)


def _frozen_ranking(lot: Lot, round_: str):
    """The lot's ranking from scores that can no longer move, and what the record needs of each bid."""
    model = model_for(lot)
    data = load_rounds([lot.id], (round_,))[(lot.id, round_)]
    if model.price is not None and not data.scores_frozen:
        raise InvalidRequest(f"Lot {lot.number}'s scores are not frozen: open its prices (or confirm the reopened "
                             "scores final) before recording the recommendation.")
    reviews = abnormally_low.reviews_of(lot.id)
    evaluation, flagged = abnormally_low.decided_ranking(lot, round_, model, data, reviews)
    if evaluation.ranking is None:
        raise InvalidRequest(f"Lot {lot.number} has no final ranking yet. {evaluation.ranking_note}")
    names = {b.id: b.bidder for b in data.bids}
    open_flags = sorted(names[b] for b in flagged if not (reviews.get(b) and reviews[b].decision))
    if open_flags:
        raise InvalidRequest(
            f"Lot {lot.number}: the price of {', '.join(open_flags)} is flagged as abnormally low. Ask for an "
            f"explanation, record the reply and decide on it ({abnormally_low.law(lot.procurement)}) on the lot's "
            "abnormally low tenders page before recording the recommendation.")
    supplier_ids = dict(db.session.execute(select(Bid.id, Bid.supplier_id).where(Bid.lot_id == lot.id,
                                                                                 Bid.round == round_)).all())
    moderated = {}
    for m in data.moderated:
        moderated.setdefault(m.bid_id, {})[m.criterion_id] = m
    facts = {b.bidder: award_rules.BidFacts(
        supplier_id=supplier_ids[b.id], bid_id=b.id, price=b.price,
        scores={q: m.value for q, m in moderated.get(b.id, {}).items()},
        rationales={q: m.rationale for q, m in moderated.get(b.id, {}).items()}) for b in data.bids}
    return evaluation.ranking, facts, model


def _recordable(procurement: Procurement, lot_number: int):
    """The checks before a lot's recommendation is recorded (InvalidRequest says why not), and what it is made of.

    ``(lot, round, ranking, bid facts, model)``; ``round`` is None for a lot
    that received no tenders (only "no award", with its reason, is recorded).
    The service and the pages (:func:`refusal`) ask this same function.
    """
    if procurement.state not in approval_stages(procurement):
        raise InvalidRequest("A recommendation can be recorded only at the award decision stage.")
    if db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == procurement.id)):
        raise InvalidRequest("The award decision has already been approved, so its recommendations are final.")
    conflicts_assessment.require_award_revisit(procurement)
    lot = get_lot(procurement.id, lot_number)
    if current(procurement.id).get(lot_number) is not None:
        raise InvalidRequest(f"Lot {lot_number} already has a recorded recommendation. To change it, reopen the "
                             "lot's scores (which voids it), settle them, and record a new one.")
    round_ = decision_round(lot)
    if round_ is None:
        return lot, None, LotRanking(results=()), {}, model_for(lot) if lot.evaluation_model else None
    ranking, facts, model = _frozen_ranking(lot, round_)
    return lot, round_, ranking, facts, model


def refusal(procurement: Procurement, lot_number: int) -> str | None:
    """Why recording lot ``lot_number``'s recommendation now would be refused, or None if it would be accepted.

    What a page asks before it offers "Record the recommendation": the
    service's own checks (:func:`_recordable`), so no page offers a button
    that answers 400.
    """
    try:
        _recordable(procurement, lot_number)
    except InvalidRequest as exc:
        return str(exc)
    return None


def record(procurement_id: int, lot_number: int, user, no_award_reason: str | None = None,
           ip: str | None = None) -> AwardRecommendation:
    """Record a lot's recommendation (or no award, with the reason); see :func:`_record`."""
    try:
        return _record(procurement_id, lot_number, user, no_award_reason, ip)
    except ConcurrentChange:
        raise ConcurrentChange(f"Someone else recorded lot {lot_number}'s recommendation at the same moment. "
                               "Reload the page to see it.") from None


@use_case
def _record(procurement_id: int, lot_number: int, user, no_award_reason: str | None = None,
            ip: str | None = None) -> AwardRecommendation:
    """Record a lot's recommendation (or no award, with the reason); audited with the whole record and its digest."""
    authorise(user, Permission.RECORD_RECOMMENDATION)
    procurement = get_procurement(procurement_id)
    lot, round_, ranking, facts, model = _recordable(procurement, lot_number)
    if round_ is None:
        if not (no_award_reason or "").strip():
            raise InvalidRequest(f"Lot {lot_number} received no tenders. Record no award, and give the reason.")
        round_ = ROUNDS[0]
    total_years = procurement.initial_term_years + sum(procurement.extension_periods)
    try:
        decision = award_rules.decision_record(
            procurement=procurement.reference, lot_number=lot.number, lot_title=lot.title, round_=round_,
            model=model, ranking=ranking, bids=facts, total_years=total_years, no_award_reason=no_award_reason)
    except award_rules.AwardDecisionError as exc:
        raise InvalidRequest(str(exc)) from None
    digest = award_rules.digest(decision)
    recommended = decision["recommended"]
    rec = AwardRecommendation(
        procurement_id=procurement.id, lot_id=lot.id, round=round_,
        supplier_id=recommended and recommended["supplier_id"], bid_id=recommended and recommended["bid_id"],
        no_award_reason=decision["no_award_reason"], annual_price=decision["annual_price"],
        contract_value=decision["contract_value"], decision=award_rules.canonical_json(decision), digest=digest,
        recorded_by_id=user.id, recorded_at=now())
    db.session.add(rec)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "award.recommended", "award_recommendation", rec.id,
                 procurement_ref=procurement.reference, lot=lot.number,
                 after={"digest": digest, "decision": decision}, reason=decision["no_award_reason"])
    return rec
