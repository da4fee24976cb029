"""Test helpers for notices: preview and publish, score lots, record the award decision (call in an app context)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from sqlalchemy import select

from tender.domain import award as award_domain
from tender.extensions import db
from tender.models import AwardApproval, AwardRecommendation, Bid, Lot, Supplier, User
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
    from tender.services.evaluation import envelope
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
    envelope.open_prices(procurement_id, lot_number, round_, officer)


def record_decision(procurement_id: int, lot_number: int, officer,
                    no_award_reason: str | None = None) -> AwardRecommendation:
    """The lot's recommendation from its frozen ranking, through the lead's award service."""
    from tender.services.award import recommendation

    return recommendation.record(procurement_id, lot_number, officer, no_award_reason=no_award_reason)


def approve(procurement_id: int, approver, approved_at: datetime) -> None:
    """The approver's approval of every lot's current recommendation, dated ``approved_at``.

    Written as ``tender.services.award.approval.approve_award`` writes it, but with the date the test's
    timeline needs (the service stamps the real time).
    """
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
