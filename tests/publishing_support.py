"""Test helpers for notices: preview and publish, score lots, record the award decision (call in an app context)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from sqlalchemy import select

from tender.domain import award as award_domain
from tender.extensions import db
from tender.models import AwardApproval, AwardRecommendation, Bid, Lot, Procurement, Supplier, User
from tender.services.publishing import notices
from tests.ocds_support import UK_DIR


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def publish(procurement_id: int, kind: str, officer, now: datetime):
    """Preview the notice at ``now``, check it has no problem, and confirm it."""
    preview = notices.preview(procurement_id, kind, officer, now=now)
    problems = [str(p) for p in preview.problems]
    assert not problems, problems
    return notices.publish(procurement_id, kind, officer, generated_at=preview.generated_at,
                           expected_sha256=preview.sha256, now=now)


def score_lot(procurement_id: int, lot_number: int, round_: str, officer, panel: list, values=(3, 2, 4)) -> None:
    """Panel members score and moderate every bid of the round (one value per bid); the officer opens prices."""
    from tender.services.evaluation import panel as evaluation
    from tender.services.evaluation import ranking as evaluation_ranking
    from tender.services.evaluation import scoring as evaluation_scoring
    from tests.evaluation_support import sheet

    for person in panel:
        evaluation.assign(procurement_id, lot_number, person.id, None, officer)
        evaluation.declare(procurement_id, lot_number, person, False, "")
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == procurement_id, Lot.number == lot_number))
    bids = db.session.scalars(select(Bid).where(Bid.lot_id == lot.id, Bid.round == round_).order_by(Bid.id)).all()
    for bid, value in zip(bids, values):
        for evaluator in panel[:2]:
            evaluation_scoring.save_scores(procurement_id, lot_number, round_, bid.id, evaluator, sheet(value), True)
        evaluation_scoring.moderate(procurement_id, lot_number, round_, bid.id, panel[2],
                                    sheet(value, "The panel agreed."))
    evaluation_ranking.open_prices(procurement_id, lot_number, round_, officer)


def record_decision(procurement_id: int, lot_number: int, round_: str, officer, recorded_at: datetime,
                    no_award_reason: str | None = None) -> AwardRecommendation:
    """The lot's recommendation from its frozen ranking, as the lead's award service records it.

    Until ``tender.services.award.recommendation`` lands on main this builds the
    same row with ``tender.domain.award.decision_record`` from the ranking the
    ranking page shows.
    """
    from tender.services.evaluation.data import load_rounds
    from tender.services.evaluation.panel import model_for
    from tender.services.evaluation.ranking import evaluate_round

    procurement = db.session.get(Procurement, procurement_id)
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == procurement_id, Lot.number == lot_number))
    model = model_for(lot)
    data = load_rounds([lot.id], (round_,))[(lot.id, round_)]
    ranking = evaluate_round(lot, round_, model, data).ranking
    bids = {b.supplier.name: b for b in db.session.scalars(select(Bid).where(Bid.lot_id == lot.id,
                                                                                Bid.round == round_))}
    facts = {name: award_domain.BidFacts(b.supplier_id, b.id, b.price, {}, {}) for name, b in bids.items()}
    total_years = procurement.initial_term_years + sum(procurement.extension_periods)
    record = award_domain.decision_record(procurement=procurement.reference, lot_number=lot.number,
                                          lot_title=lot.title, round_=round_, model=model, ranking=ranking,
                                          bids=facts, total_years=total_years, no_award_reason=no_award_reason)
    winner = record["recommended"]
    rec = AwardRecommendation(
        procurement_id=procurement_id, lot_id=lot.id, round=round_,
        supplier_id=winner["supplier_id"] if winner else None, bid_id=winner["bid_id"] if winner else None,
        no_award_reason=record["no_award_reason"], annual_price=record["annual_price"],
        contract_value=record["contract_value"], decision=award_domain.canonical_json(record),
        digest=award_domain.digest(record), recorded_by_id=officer.id, recorded_at=recorded_at)
    db.session.add(rec)
    db.session.commit()
    return rec


def approve(procurement_id: int, approver, approved_at: datetime) -> None:
    """The approver's approval of every lot's current recommendation."""
    recs = db.session.execute(select(Lot.number, AwardRecommendation.digest).join(
        AwardRecommendation, AwardRecommendation.lot_id == Lot.id).where(
        AwardRecommendation.procurement_id == procurement_id, AwardRecommendation.voided_at.is_(None))).all()
    db.session.add(AwardApproval(procurement_id=procurement_id, approved_by_id=approver.id, approved_at=approved_at,
                                 authority="Delegated by the decision", note="",
                                 digest=award_domain.approval_digest(dict(recs))))
    db.session.commit()


def supplier_id(name: str) -> int:
    return db.session.scalar(select(Supplier.id).where(Supplier.name == name))


def releases(procurement_id: int) -> list[dict]:
    return [json.loads(n.release_json) for n in notices.stored(procurement_id)]


def compile_releases(package: dict) -> dict:
    """``ocdskit compile`` over the package, with the UK schema (nothing fetched): the compiled release."""
    done = subprocess.run([sys.executable, "-m", "ocdskit.__main__", "compile", "--schema",
                           str(UK_DIR / "release-schema.json")], input=json.dumps(package), capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)
