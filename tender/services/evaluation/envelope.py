"""The price envelope and the freeze it brings: open prices, reopen scores, confirm them final.

Two envelopes (PCR 2015 reg. 67 practice): quality is scored and moderated
without sight of prices; then an officer opens the lot's prices. From that
moment the round's scores are frozen: anyone who has seen the prices could
otherwise bend a quality score towards the bidder they prefer. Reopening is
possible, but only as an explicit, audited act of a procurement officer with
a reason, before the award is approved, and it voids the lot's recorded
recommendation; once the scores are settled again the officer confirms them
final, which freezes them again.

The opening event reveals each bid's price *and the salt of its commitment*,
so the trail alone proves the opened price is the price received
(``tender.domain.sealed_price``).
"""
from __future__ import annotations

from sqlalchemy import and_, select

from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import AwardApproval, AwardRecommendation, Bid, Lot, PriceOpening
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import ConcurrentChange, InvalidRequest
from tender.services.evaluation.data import completeness, load_rounds
from tender.services.evaluation.panel import check_round, get_lot, model_for, now
from tender.services.evaluation.ranking import frozen_agreement
from tender.services.use_case import use_case

FROZEN = ("The prices of lot {lot} ({round} tenders) have been opened, so its scores are frozen and cannot be "
          "changed. A procurement officer can reopen them, giving the reason, until the award is approved.")


#: What a lost race over the freeze (two officers reopening or confirming at once) says.
CHANGED_MEANWHILE = ("Someone else changed the state of these scores at the same moment. "
                     "Reload the page and check.")


class ScoresFrozen(ConcurrentChange):
    """A score change asked for after the prices were opened (409: the record moved on)."""


def opening_of(lot_id: int, round_: str) -> PriceOpening | None:
    """The lot's price opening for the round, if any."""
    return db.session.scalar(select(PriceOpening).where(PriceOpening.lot_id == lot_id, PriceOpening.round == round_))


def is_frozen(lot_id: int, round_: str) -> bool:
    """Whether the round's scores are frozen (prices opened and not reopened)."""
    opening = opening_of(lot_id, round_)
    return opening is not None and opening.frozen


def _lock_lot(lot: Lot, exclusive: bool) -> None:
    """Serialise score changes against the opening on PostgreSQL (row lock on the lot; SQLite has one writer).

    Score changes take a shared lock and the opening an exclusive one, so a
    score saved while the prices are being opened either lands before the
    opening or is refused after it, never in between.
    """
    db.session.execute(select(Lot.id).where(Lot.id == lot.id).with_for_update(read=not exclusive))


def refuse_if_frozen(lot: Lot, round_: str) -> None:
    """Called by every score change, inside its transaction: a frozen round refuses with 409."""
    _lock_lot(lot, exclusive=False)
    if is_frozen(lot.id, round_):
        raise ScoresFrozen(FROZEN.format(lot=lot.number, round=round_))
    if db.session.scalar(select(AwardRecommendation.id).where(AwardRecommendation.lot_id == lot.id,
                                                              AwardRecommendation.voided_at.is_(None))):
        raise ScoresFrozen(f"Lot {lot.number}'s award recommendation is recorded, so its scores cannot be changed. "
                           "A procurement officer can reopen them, giving the reason, until the award is approved.")


@use_case("Someone else opened these prices at the same moment.")
def open_prices(procurement_id: int, lot_number: int, round_: str, user, ip: str | None = None) -> PriceOpening:
    """Open the price envelope of a lot's round, once quality is final; freezes the scores; audited.

    The event reveals, per bid, the price and the salt of the commitment made
    at receipt, so ``tender audit verify`` can check each price opened is the
    price received.
    """
    authorise(user, Permission.OPEN_PRICES)
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    model = model_for(lot)
    if model.price is None:
        raise InvalidRequest("This lot's evaluation model has no price part, so there are no prices to open.")
    _lock_lot(lot, exclusive=True)
    data = load_rounds([lot.id], (round_,))[(lot.id, round_)]
    if data.prices_opened:
        raise InvalidRequest("The prices of this lot have already been opened.")
    status = completeness(model, data)
    if not status.final and model.price.opening != "any_time":
        raise InvalidRequest(f"Prices can be opened only once the quality evaluation is final: {status.note}.")
    opening = PriceOpening(lot_id=lot.id, round=round_, opened_by_id=user.id, at=now(), frozen=status.final,
                           agreement=frozen_agreement(model, data) if status.final else None)
    db.session.add(opening)
    bids = db.session.execute(select(Bid.id, Bid.price, Bid.price_salt, Bid.price_commitment)
                              .where(Bid.lot_id == lot.id, Bid.round == round_)).all()
    names = {b.id: b.bidder for b in data.bids}
    revealed = {names[b.id]: {"bid_id": b.id, "price": b.price, "salt": b.price_salt,
                              "commitment": b.price_commitment} for b in bids}
    audit.record(audit.Actor.of(user, ip), "evaluation.prices_opened", "lot", lot.id,
                 procurement_ref=lot.procurement.reference, lot=lot.number,
                 after={"round": round_, "prices": revealed, "scores_frozen": status.final})
    return opening


def freeze_state(lot: Lot, round_: str) -> dict:
    """What the ranking page shows of the freeze: the opening (with its version), the recommendation, the approval.

    One query (the lot outer-joined to its opening and current recommendation,
    and whether the award is approved): the ranking page shows it every time.
    """
    approved = select(AwardApproval.id).where(AwardApproval.procurement_id == lot.procurement_id).exists()
    opening, recommendation, is_approved = db.session.execute(
        select(PriceOpening, AwardRecommendation, approved).select_from(Lot)
        .outerjoin(PriceOpening, and_(PriceOpening.lot_id == Lot.id, PriceOpening.round == round_))
        .outerjoin(AwardRecommendation, and_(AwardRecommendation.lot_id == Lot.id,
                                             AwardRecommendation.voided_at.is_(None)))
        .where(Lot.id == lot.id)).first()
    return {"opening": opening, "approved": bool(is_approved), "recommendation": recommendation}


def _approved(lot: Lot) -> bool:
    return db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == lot.procurement_id)) \
        is not None


@use_case(CHANGED_MEANWHILE)
def reopen_scores(procurement_id: int, lot_number: int, round_: str, user, reason: str,
                  expected_version: int | None = None, ip: str | None = None) -> PriceOpening | None:
    """Unfreeze a lot's scores after its prices were opened; voids its recommendation. Audited with the reason."""
    authorise(user, Permission.REOPEN_SCORES)
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter the reason for reopening the scores. It is kept in the audit trail and the "
                             "procurement report.")
    opening = opening_of(lot.id, round_)
    frozen_by_opening = opening is not None and opening.frozen
    recommended = db.session.scalar(select(AwardRecommendation.id).where(
        AwardRecommendation.lot_id == lot.id, AwardRecommendation.voided_at.is_(None)))
    if not frozen_by_opening and recommended is None:
        raise InvalidRequest(f"The scores of lot {lot.number} are not frozen, so there is nothing to reopen.")
    if _approved(lot):
        raise InvalidRequest("The award decision has been approved, so the scores can no longer be reopened.")
    if expected_version is not None and opening is not None and opening.version != expected_version:
        raise ConcurrentChange("Someone else changed the state of these scores. Reload the page and check.")
    moment = now()
    if opening is not None:
        opening.frozen, opening.reopened_at, opening.reopened_by_id = False, moment, user.id
        opening.reopen_reason, opening.agreement = reason, None
    voided = void_recommendation(lot, user, f"Scores reopened: {reason}", moment)
    audit.record(audit.Actor.of(user, ip), "evaluation.scores_reopened", "lot", lot.id,
                 procurement_ref=lot.procurement.reference, lot=lot.number,
                 before={"round": round_, "scores_frozen": True},
                 after={"round": round_, "scores_frozen": False, "recommendation_voided": voided},
                 reason=reason)
    return opening


@use_case(CHANGED_MEANWHILE)
def confirm_scores_final(procurement_id: int, lot_number: int, round_: str, user,
                         expected_version: int | None = None, ip: str | None = None) -> PriceOpening:
    """Freeze a lot's scores again (after a reopening, or after an early opening) once they are final; audited."""
    authorise(user, Permission.REOPEN_SCORES)
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    opening = opening_of(lot.id, round_)
    if opening is None:
        raise InvalidRequest("Open the prices first: opening them freezes the scores.")
    if opening.frozen:
        raise InvalidRequest(f"The scores of lot {lot.number} are already frozen.")
    if expected_version is not None and opening.version != expected_version:
        raise ConcurrentChange("Someone else changed the state of these scores. Reload the page and check.")
    model = model_for(lot)
    data = load_rounds([lot.id], (round_,))[(lot.id, round_)]
    status = completeness(model, data)
    if not status.final:
        raise InvalidRequest(f"The scores cannot be confirmed final yet: {status.note}.")
    opening.frozen, opening.agreement = True, frozen_agreement(model, data)
    audit.record(audit.Actor.of(user, ip), "evaluation.scores_confirmed_final", "lot", lot.id,
                 procurement_ref=lot.procurement.reference, lot=lot.number,
                 before={"round": round_, "scores_frozen": False}, after={"round": round_, "scores_frozen": True})
    return opening


def void_recommendation(lot: Lot, user, reason: str, moment) -> int | None:
    """Void the lot's current recommendation (inside the caller's transaction); returns its id, if any."""
    current = db.session.scalar(select(AwardRecommendation).where(AwardRecommendation.lot_id == lot.id,
                                                                  AwardRecommendation.voided_at.is_(None)))
    if current is None:
        return None
    current.voided_at, current.voided_by_id, current.void_reason = moment, user.id, reason
    return current.id
