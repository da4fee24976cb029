"""The evaluation status from counts says what ``completeness`` over every score row says."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import delete, func, insert, select

from tender.extensions import db
from tender.models import Bid, Lot, ModeratedScore
from tender.models.supplier import ROUNDS
from tender.services.evaluation import status as evaluation_status
from tender.services.evaluation.data import completeness, load_rounds
from tender.services.evaluation.panel import evaluation_models
from tests.helpers import make_procurement, make_user

COMMUNITY = "community_services_quality_price_social_value"


def from_rows(procurement_id: int) -> dict:
    """The status as ``completeness`` works it out from every score row (the reference)."""
    lots = db.session.execute(select(Lot.id, Lot.evaluation_model).where(Lot.procurement_id == procurement_id)).all()
    data = load_rounds([lot.id for lot in lots], ROUNDS)
    models = evaluation_models()
    expected = {}
    for lot in lots:
        for round_ in ROUNDS:
            model = models.get(lot.evaluation_model or "")
            if model is None:
                expected[(lot.id, round_)] = (False, evaluation_status.NO_MODEL)
            else:
                result = completeness(model, data[(lot.id, round_)])
                expected[(lot.id, round_)] = (result.final, result.note)
    return expected


def bid_counts(procurement_id: int) -> dict:
    return {(lot_id, r): n for lot_id, r, n in db.session.execute(
        select(Bid.lot_id, Bid.round, func.count()).join(Lot).where(Lot.procurement_id == procurement_id)
        .group_by(Bid.lot_id, Bid.round))}


def moderate(moderator_id: int, bid_id: int, question_ids, fail: set[str] = frozenset()) -> None:
    now = datetime.now(timezone.utc)
    db.session.execute(insert(ModeratedScore), [
        {"bid_id": bid_id, "criterion_id": q, "moderator_id": moderator_id, "at": now, "rationale": "Agreed",
         "value": None if q.startswith("C") else Decimal(3),
         "pass_fail": ("fail" if q in fail else "pass") if q.startswith("C") else None}
        for q in question_ids])


def test_counts_agree_with_the_rows_as_moderation_goes_on(ctx):
    """Lots on two moderated models, one on the mean method, one with none."""
    moderator = make_user("moderator")
    procurement = make_procurement(lots=4, bids_per_lot=4)
    lots = db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id).order_by(Lot.number)).all()
    lots[0].evaluation_model = COMMUNITY
    lots[1].evaluation_model = "selection_questionnaire"  # the mean method: read row by row
    lots[3].evaluation_model = "large_procurement_40_questions"  # a second moderated model: counted per question
    db.session.commit()
    questions = [q.id for q in evaluation_models()[COMMUNITY].questions()]
    bids = db.session.scalars(select(Bid.id).where(Bid.lot_id == lots[0].id).order_by(Bid.id)).all()

    def check() -> dict:
        db.session.commit()
        status = evaluation_status.for_procurement(procurement.id)
        assert status == from_rows(procurement.id)
        db.session.info.clear()  # forget it: the guard context's way in, with the lots and bids it read
        given = evaluation_status.for_procurement(procurement.id, lots=[(lot.id, lot.evaluation_model) for lot in lots],
                                                  bids=bid_counts(procurement.id))
        assert given == status
        return status

    assert check()[(lots[0].id, "initial")] == (False, f"40 of 40 answers still need a moderated score")
    moderate(moderator.id, bids[0], questions)
    moderate(moderator.id, bids[1], ["C1", "Q1"], fail={"C1"})  # fails a pass/fail question: out
    moderate(moderator.id, bids[2], questions[:5])
    assert check()[(lots[0].id, "initial")] == (False, "15 of 30 answers still need a moderated score")
    moderate(moderator.id, bids[2], questions[5:])
    moderate(moderator.id, bids[3], questions, fail={"C2"})
    status = check()
    assert status[(lots[0].id, "initial")] == (True, "")
    assert status[(lots[2].id, "initial")] == (False, evaluation_status.NO_MODEL)
    assert status[(lots[3].id, "initial")] == (False, "160 of 160 answers still need a moderated score")
    assert status[(lots[0].id, "final")] == (False, "no final tenders are recorded")
    db.session.execute(delete(ModeratedScore).where(ModeratedScore.bid_id == bids[3], ModeratedScore.criterion_id == "C2"))
    assert check()[(lots[0].id, "initial")] == (False, "1 of 30 answers still need a moderated score")
    # Scores on another model's questions count for nothing, and failing one puts no bid out.
    other = db.session.scalars(select(Bid.id).where(Bid.lot_id == lots[3].id).order_by(Bid.id)).all()
    moderate(moderator.id, other[0], ["C1", "Q1"], fail={"C1"})
    moderate(moderator.id, other[1], ["B01", "B02"])
    moderate(moderator.id, bids[0], ["B01"])
    status = check()
    assert status[(lots[0].id, "initial")] == (False, "1 of 30 answers still need a moderated score")
    assert status[(lots[3].id, "initial")] == (False, "158 of 160 answers still need a moderated score")


def test_one_model_is_counted_per_lot_and_round(ctx):
    moderator = make_user("moderator")
    procurement = make_procurement(lots=2, bids_per_lot=3)
    lots = db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id).order_by(Lot.number)).all()
    for lot in lots:
        lot.evaluation_model = COMMUNITY
    db.session.commit()
    questions = [q.id for q in evaluation_models()[COMMUNITY].questions()]
    bids = db.session.scalars(select(Bid.id).where(Bid.lot_id == lots[1].id).order_by(Bid.id)).all()
    moderate(moderator.id, bids[0], questions)
    moderate(moderator.id, bids[1], questions[:3], fail={"C2"})
    db.session.commit()
    status = evaluation_status.for_procurement(procurement.id)
    assert status == from_rows(procurement.id)
    assert status[(lots[1].id, "initial")] == (False, "10 of 20 answers still need a moderated score")
