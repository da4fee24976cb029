"""The demo procurement taken to a recorded, approved award decision (call inside an app context).

Every lot of the Live Well Kent demo is scored by one evaluator, moderated,
its prices opened, and its recommendation recorded from the frozen ranking;
the award is approved. Until the lead's ``tender.services.award.recommendation``
lands, the recommendation row is written here from ``tender.domain.award.decision_record``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from tender.demo import BIDDERS, REFERENCE, load_demo
from tender.domain.award import BidFacts, decision_record, digest
from tender.extensions import db
from tender.models import AwardApproval, AwardRecommendation, Bid, Procurement, Supplier
from tests.evaluation_support import QUESTIONS, user
from tests.helpers import PASSWORD

ROUND = "initial"
OFFICER = "luke.edwards@kent.example"
EVALUATOR = "sam.evans@kent.example"
MODERATOR = "chris.taylor@kent.example"
APPROVER = "richard.smith@kent.example"

# Moderated scores per lot, per bidder (in BIDDERS order): each bidder strong on different questions,
# so each lot's winner and relative advantages differ.
SCORES = {
    1: (4, 3, 2), 2: (3, 4, 3), 3: (2, 3, 4), 4: (3, 3, 2), 5: (2, 4, 3),
}
RATIONALES = {
    "Q1.1": "sets out a stepped model of care with same-week access",
    "Q1.2": "names the GP federations and NHS trust leads it will work with",
    "Q2.1": "has a costed plan for clinical supervision and retention",
    "Q2.2": "describes a monthly clinical governance cycle with incident learning",
    "Q3": "gives a safeguarding policy with named leads and escalation routes",
    "Q4": "plans a 12-week mobilisation with the current provider",
    "SV1": "commits to lived-experience peer roles recruited locally",
    "SV2": "offers community wellbeing sessions in each district",
}


def supplier_email(name: str) -> str:
    return f"bids@{''.join(c for c in name.lower() if c.isalnum())}.example"


def moderated_sheet(bidder: str, score: int) -> dict[str, tuple[str, str]]:
    """A moderated score for every question, with a rationale naming what the tender offers."""
    sheet = {}
    for q in QUESTIONS:
        if q.startswith("C"):
            sheet[q] = ("pass", "Evidence provided.")
        else:
            value = score if q not in ("SV1", "Q4") else max(score - 1, 2)
            sheet[q] = (str(value), f"{bidder} {RATIONALES[q]}.")
    return sheet


def award_demo(lots=(1, 2, 3, 4, 5), approve: bool = True, scores=None) -> int:
    """Load the demo and record an approved award decision for ``lots``; returns the procurement id."""
    from tender.services.evaluation import panel, ranking, scoring

    load_demo(PASSWORD)
    procurement = db.session.scalar(select(Procurement).where(Procurement.reference == REFERENCE))
    pid = procurement.id
    for supplier in db.session.scalars(select(Supplier)):
        supplier.contact_email = supplier_email(supplier.name)
    db.session.commit()
    officer, evaluator, moderator = user(OFFICER), user(EVALUATOR), user(MODERATOR)
    for number in lots:
        for person in (evaluator, moderator):
            panel.assign(pid, number, person.id, None, officer)
            panel.declare(pid, number, person, False, "")
        lot = panel.get_lot(pid, number)
        bids = {b.supplier.name: b for b in _bids(lot)}
        for bidder, score in zip(BIDDERS, (scores or SCORES)[number]):
            sheet = moderated_sheet(bidder, score)
            scoring.save_scores(pid, number, ROUND, bids[bidder].id, evaluator, sheet, True)
            scoring.moderate(pid, number, ROUND, bids[bidder].id, moderator, sheet)
        ranking.open_prices(pid, number, ROUND, officer)
        record_recommendation(pid, number, officer)
    if approve:
        approve_award(pid)
    return pid


def _bids(lot):
    from tender.models import Bid

    return db.session.scalars(select(Bid).where(Bid.lot_id == lot.id, Bid.round == ROUND).order_by(Bid.id)).all()


def record_recommendation(pid: int, number: int, officer) -> AwardRecommendation:
    """The recommendation of one lot from its frozen ranking (stands in for the lead's service)."""
    from tender.services.evaluation import ranking

    result = ranking.lot_evaluation(pid, number, ROUND, officer)
    moderated: dict[int, dict] = {}
    for m in result.data.moderated:
        moderated.setdefault(m.bid_id, {})[m.criterion_id] = m
    facts = {}
    for bid in result.data.bids:
        rows = moderated.get(bid.id, {})
        supplier_id = db.session.get(Bid, bid.id).supplier_id
        facts[bid.bidder] = BidFacts(supplier_id=supplier_id, bid_id=bid.id, price=bid.price,
                                     scores={q: m.value for q, m in rows.items()},
                                     rationales={q: m.rationale for q, m in rows.items()})
    procurement = db.session.get(Procurement, pid)
    record = decision_record(procurement=procurement.reference, lot_number=number, lot_title=result.lot.title,
                             round_=ROUND, model=result.model, ranking=result.ranking, bids=facts,
                             total_years=procurement.initial_term_years)
    from tender.domain.award import canonical_json

    winner = record["recommended"]
    rec = AwardRecommendation(procurement_id=pid, lot_id=result.lot.id, round=ROUND,
                              supplier_id=winner and winner["supplier_id"], bid_id=winner and winner["bid_id"],
                              annual_price=record["annual_price"], contract_value=record["contract_value"],
                              decision=canonical_json(record), digest=digest(record), recorded_by_id=officer.id,
                              recorded_at=datetime.now(timezone.utc))
    db.session.add(rec)
    db.session.commit()
    return rec


def approve_award(pid: int) -> AwardApproval:
    """The Corporate Director's approval (written directly: the procurement is not at the award stage)."""
    from tender.domain.award import approval_digest

    recs = db.session.scalars(select(AwardRecommendation).where(AwardRecommendation.procurement_id == pid,
                                                                AwardRecommendation.voided_at.is_(None))).all()
    approval = AwardApproval(procurement_id=pid, approved_by_id=user(APPROVER).id,
                             approved_at=datetime.now(timezone.utc), authority="Delegated by decision 22/00033",
                             digest=approval_digest({r.lot.number: r.digest for r in recs}))
    db.session.add(approval)
    db.session.commit()
    return approval
