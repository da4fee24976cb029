"""Abnormally low tenders: ask for the explanation, record the reply, decide with reasons.

The ranking flags a price that looks abnormally low (the evaluation model's
rule, ``tender.domain.scoring``); a flag never excludes on its own. PCR 2015
reg. 69 and Procurement Act 2023 s.19: the authority asks the supplier to
explain the price, considers the reply and decides. Tender records each step
(audited) on one row per flagged bid, and:

* a lot with a flagged tender not yet decided cannot have its recommendation
  recorded (``tender.services.award.recommendation``);
* a tender rejected here is excluded from the lot's ranking (the others are
  ranked and their prices scored without it), with the recorded reasons;
* the recorded decision, and the procurement report, quote what was recorded.

Rejecting one tender can change the others' reference price, so the flags
are worked out again without the rejected ones until nothing new is flagged.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from tender.domain.roles import Permission
from tender.domain.scoring.ranking import LotRanking
from tender.extensions import db
from tender.models import AbnormallyLowReview, AwardApproval, AwardRecommendation, Bid, Lot, Procurement
from tender.models.supplier import ROUNDS
from tender.models.abnormally_low import ACCEPTED, REJECTED
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.evaluation.data import RoundData, load_rounds
from tender.services.award import access
from tender.services.evaluation.panel import get_lot, model_for, refuse_if_conflicted
from tender.services.evaluation.ranking import LotEvaluation, evaluate_round
from tender.services.use_case import check_version, use_case

CHANGED = ("Someone else recorded a step for this tender while you were looking at it. "
           "The page now shows it: check it before you try again.")
MAX_TEXT = 20_000
#: The citation the domain's flag carries, and what each regime's pages say instead.
_DOMAIN_CITATION = " (PCR 2015 reg. 69)"


def law(procurement: Procurement) -> str:
    """The rule on abnormally low tenders for the procurement's regime."""
    return "Procurement Act 2023 s.19" if procurement.regime.startswith("pa2023") else "PCR 2015 reg. 69"


@dataclass(frozen=True)
class Flagged:
    """A flagged tender of a lot, and what is recorded about it."""

    bid_id: int
    supplier: str
    price: object
    notes: tuple[str, ...]
    review: AbnormallyLowReview | None

    @property
    def step(self) -> str:
        """What happens next: request, reply, decide, or decided."""
        if self.review is None:
            return "request"
        if self.review.received_on is None:
            return "reply"
        if self.review.decision is None:
            return "decide"
        return "decided"


@dataclass
class LotReviews:
    """The abnormally low tenders page of one lot."""

    procurement: Procurement
    lot: Lot
    round: str | None
    flagged: list[Flagged]
    note: str
    may_record: bool
    law: str

    @property
    def undecided(self) -> list[Flagged]:
        return [f for f in self.flagged if f.step != "decided"]


def reviews_of(lot_id: int) -> dict[int, AbnormallyLowReview]:
    """Bid id -> its review, for one lot."""
    return {r.bid_id: r for r in db.session.scalars(select(AbnormallyLowReview)
                                                    .where(AbnormallyLowReview.lot_id == lot_id))}


def _without(data: RoundData, bid_ids: set[int]) -> RoundData:
    return replace(data, bids=[b for b in data.bids if b.id not in bid_ids],
                   scores=[s for s in data.scores if s.bid_id not in bid_ids],
                   moderated=[m for m in data.moderated if m.bid_id not in bid_ids])


def note_for(procurement: Procurement, note: str) -> str:
    """A ranking's note as the procurement's regime cites it (the domain's flag cites PCR 2015 reg. 69)."""
    return _note(procurement, note)


def _note(procurement: Procurement, note: str) -> str:
    if note.endswith(_DOMAIN_CITATION):
        return note[: -len(_DOMAIN_CITATION)] + f" ({law(procurement)})"
    return note


def decided_ranking(lot: Lot, round_: str, model, data: RoundData,
                    reviews: dict[int, AbnormallyLowReview]) -> tuple[LotEvaluation, set[int]]:
    """The lot's evaluation with rejected abnormally low tenders excluded; and every bid ever flagged on the way.

    Each rejected tender stays in the ranking as excluded, its reasons quoted;
    an accepted one keeps its place, its flag noting the decision.
    """
    procurement = lot.procurement
    flagged: set[int] = set()
    rejected: set[int] = set()
    original = evaluate_round(lot, round_, model, data)
    evaluation = original
    while evaluation.ranking is not None:
        ids = {b.bidder: b.id for b in data.bids}
        flagged |= {ids[r.bidder] for r in evaluation.ranking.results if r.abnormally_low}
        newly = {bid for bid in flagged - rejected if reviews.get(bid) and reviews[bid].decision == REJECTED}
        if not newly:
            break
        rejected |= newly
        evaluation = evaluate_round(lot, round_, model, _without(data, rejected))
    if original.ranking is None or (evaluation.ranking is None and not rejected):
        return evaluation, flagged
    bidder_of = {b.id: b.bidder for b in data.bids}
    id_of = {name: bid_id for bid_id, name in bidder_of.items()}
    first = {r.bidder: r for r in original.ranking.results}
    kept = evaluation.ranking.results if evaluation.ranking is not None else ()  # every tender may be rejected
    results = [_annotated(procurement, r, reviews.get(id_of.get(r.bidder))) for r in kept]
    for bid_id in sorted(rejected, key=lambda i: bidder_of[i]):
        review = reviews[bid_id]
        result = first[bidder_of[bid_id]]
        reason = (f"abnormally low tender rejected after considering the supplier's explanation "
                  f"({law(procurement)}): {review.reasons}")
        results.append(replace(result, excluded=True, rank=None, total=None, price_score=None,
                               reasons=result.reasons + (reason,), notes=tuple(_note(procurement, n)
                                                                               for n in result.notes)))
    evaluation.ranking = LotRanking(results=tuple(results), budget=original.ranking.budget)
    evaluation.ranking_note = ""
    return evaluation, flagged


def _annotated(procurement: Procurement, result, review: AbnormallyLowReview | None):
    notes = tuple(_note(procurement, n) for n in result.notes)
    if result.abnormally_low and review is not None and review.decision == ACCEPTED:
        notes += (f"explanation received on {review.received_on.isoformat()} and accepted: {review.reasons}",)
    return replace(result, notes=notes)


def _lot_and_round(procurement_id: int, lot_number: int):
    """The lot and the round its award is decided on: the latest with tenders (as the recommendation takes it)."""
    lot = get_lot(procurement_id, lot_number)
    rounds = set(db.session.scalars(select(Bid.round).where(Bid.lot_id == lot.id).distinct()))
    return lot, next((r for r in reversed(ROUNDS) if r in rounds), None)


def lot_reviews(procurement_id: int, lot_number: int, user) -> LotReviews:
    """The flagged tenders of a lot's decision round and what is recorded about each."""
    authorise(user, Permission.VIEW_RANKING)
    lot, round_ = _lot_and_round(procurement_id, lot_number)
    refuse_if_conflicted(lot, user)  # the prices are the lot's: closed to whoever declared a conflict on it
    access.require_lot_visible(user, lot.procurement_id, lot.id)  # an approver declares before seeing any price
    procurement = lot.procurement
    flagged, note = _flagged(lot, round_)
    return LotReviews(procurement, lot, round_, flagged, note, _may_record(procurement, lot), law(procurement))


def _flagged(lot: Lot, round_: str | None) -> tuple[list[Flagged], str]:
    if round_ is None:
        return [], "This lot received no tenders."
    model = model_for(lot)
    if model.price is None or model.price.abnormally_low is None:
        return [], "This lot's evaluation model flags no price as abnormally low."
    data = load_rounds([lot.id], (round_,))[(lot.id, round_)]
    reviews = reviews_of(lot.id)
    evaluation, flagged = decided_ranking(lot, round_, model, data, reviews)
    if not data.prices_opened:
        return [], "The prices are still sealed: flags show once they are opened."
    if evaluation.ranking is None and not flagged:
        return [], evaluation.ranking_note
    rows = {b.id: b for b in data.bids}
    results = {r.bidder: r for r in evaluation.ranking.results} if evaluation.ranking else {}
    out = []
    for bid_id in sorted(flagged, key=lambda i: rows[i].bidder):
        bid = rows[bid_id]
        result = results.get(bid.bidder)
        out.append(Flagged(bid_id, bid.bidder, bid.price, result.notes if result else (), reviews.get(bid_id)))
    return out, "" if out else "No tender in this lot is flagged as abnormally low."


def undecided(lot: Lot, round_: str, model, data: RoundData) -> list[str]:
    """Suppliers whose flagged tender has no decision yet (the recommendation waits for them)."""
    reviews = reviews_of(lot.id)
    _evaluation, flagged = decided_ranking(lot, round_, model, data, reviews)
    names = {b.id: b.bidder for b in data.bids}
    return sorted(names[b] for b in flagged if not (reviews.get(b) and reviews[b].decision))


def _may_record(procurement: Procurement, lot: Lot) -> bool:
    """Until the lot's recommendation is recorded (reopening its scores voids it) and the award approved."""
    approved = db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == procurement.id))
    recorded = db.session.scalar(select(AwardRecommendation.id).where(AwardRecommendation.lot_id == lot.id,
                                                                      AwardRecommendation.voided_at.is_(None)))
    return approved is None and recorded is None


def _review_for(procurement_id: int, lot_number: int, bid_id: int, user, *, create: bool = False):
    authorise(user, Permission.RECORD_RECOMMENDATION)
    lot, round_ = _lot_and_round(procurement_id, lot_number)
    bid = db.session.get(Bid, bid_id) if isinstance(bid_id, int) else None
    if bid is None or bid.lot_id != lot.id:
        raise NotFound(f"There is no such tender in lot {lot.number} of this procurement.")
    refuse_if_conflicted(lot, user)
    procurement = lot.procurement
    if not _may_record(procurement, lot):
        raise InvalidRequest(f"Lot {lot.number}'s recommendation is recorded (or the award approved), so its "
                             "abnormally low tenders are decided. Reopen the lot's scores to change anything.")
    flagged, note = _flagged(lot, round_)
    target = next((f for f in flagged if f.bid_id == bid_id), None)
    if target is None:
        raise NotFound(f"That tender is not flagged as abnormally low in lot {lot.number}. {note}".strip())
    if target.review is None and not create:
        raise InvalidRequest("Record the request for an explanation first.")
    return procurement, lot, target


def _text(value: str | None, what: str) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise InvalidRequest(f"Enter {what}.")
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"Enter {what} in {MAX_TEXT:,} characters or fewer.")
    return value


def _day(value: date | None, what: str, not_before: date | None = None, before_what: str = "") -> date:
    if value is None:
        raise InvalidRequest(f"Enter the date {what}.")
    if value > clock.today():
        raise InvalidRequest(f"The date {what} cannot be in the future.")
    if not_before is not None and value < not_before:
        raise InvalidRequest(f"The date {what} cannot be before {before_what}.")
    return value


@use_case(CHANGED)
def request_explanation(procurement_id: int, lot_number: int, bid_id: int, user, requested_on: date | None,
                        request: str, ip: str | None = None) -> AbnormallyLowReview:
    """Record that the supplier was asked to explain its price: when, and what was asked."""
    procurement, lot, target = _review_for(procurement_id, lot_number, bid_id, user, create=True)
    if target.review is not None:
        raise InvalidRequest(f"The request to {target.supplier} is already recorded.")
    request = _text(request, "what you asked the supplier to explain, like the costs behind the staffing model")
    requested_on = _day(requested_on, "the request was sent")
    review = AbnormallyLowReview(procurement_id=procurement.id, lot_id=lot.id, bid_id=bid_id,
                                 requested_on=requested_on, request=request, requested_by_id=user.id,
                                 requested_at=clock.now())
    db.session.add(review)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "abnormally_low.explanation_requested", "abnormally_low_review", review.id,
                 procurement_ref=procurement.reference, lot=lot.number,
                 after={"supplier": target.supplier, "price": target.price, "requested_on": requested_on,
                        "request": request, "flag": list(target.notes)})
    return review


@use_case(CHANGED)
def record_explanation(procurement_id: int, lot_number: int, bid_id: int, user, received_on: date | None,
                       explanation: str, ip: str | None = None, *,
                       expected_version: int | None = None) -> AbnormallyLowReview:
    """Record the supplier's reply (or that none came by the deadline, in the officer's words)."""
    procurement, lot, target = _review_for(procurement_id, lot_number, bid_id, user)
    review = target.review
    check_version(review, expected_version, CHANGED)
    if review.received_on is not None:
        raise InvalidRequest(f"{target.supplier}'s reply is already recorded.")
    explanation = _text(explanation, "the supplier's explanation, or that none was received by the deadline")
    received_on = _day(received_on, "the reply was received", review.requested_on, "the request")
    review.received_on, review.explanation, review.received_recorded_by_id = received_on, explanation, user.id
    audit.record(audit.Actor.of(user, ip), "abnormally_low.explanation_received", "abnormally_low_review", review.id,
                 procurement_ref=procurement.reference, lot=lot.number,
                 after={"supplier": target.supplier, "received_on": received_on, "explanation": explanation})
    return review


@use_case(CHANGED)
def decide(procurement_id: int, lot_number: int, bid_id: int, user, decision: str, reasons: str,
           ip: str | None = None, *, expected_version: int | None = None) -> AbnormallyLowReview:
    """Accept the explanation (the tender stays in) or reject the tender (it is excluded), with the reasons."""
    procurement, lot, target = _review_for(procurement_id, lot_number, bid_id, user)
    review = target.review
    check_version(review, expected_version, CHANGED)
    if review.decision is not None:
        raise InvalidRequest(f"The decision on {target.supplier}'s tender is already recorded.")
    if review.received_on is None:
        raise InvalidRequest("Record the supplier's reply first (or that none came): the decision considers it.")
    if decision not in (ACCEPTED, REJECTED):
        raise InvalidRequest("Choose whether to accept the explanation or reject the tender.")
    reasons = _text(reasons, "the reasons for the decision")
    review.decision, review.reasons, review.decided_by_id, review.decided_at = decision, reasons, user.id, clock.now()
    audit.record(audit.Actor.of(user, ip), "abnormally_low.decided", "abnormally_low_review", review.id,
                 procurement_ref=procurement.reference, lot=lot.number,
                 after={"supplier": target.supplier, "decision": decision, "reasons": reasons,
                        "law": law(procurement)})
    return review


def report_rows(procurement: Procurement) -> dict[tuple[int, str], AbnormallyLowReview]:
    """(lot number, supplier name) -> the review recorded, for the procurement report."""
    from tender.models import Bid, Lot as LotRow, Supplier

    rows = db.session.execute(
        select(LotRow.number, Supplier.name, AbnormallyLowReview)
        .join(LotRow, LotRow.id == AbnormallyLowReview.lot_id).join(Bid, Bid.id == AbnormallyLowReview.bid_id)
        .join(Supplier, Supplier.id == Bid.supplier_id).where(AbnormallyLowReview.procurement_id == procurement.id))
    return {(number, name): review for number, name, review in rows}
