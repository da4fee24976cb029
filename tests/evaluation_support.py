"""Test data helpers for evaluation: a lot with a panel, and sheets of scores (call inside an app context)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from tender.extensions import db
from tender.models import Bid, Lot
from tests.helpers import make_procurement, make_user, seal

DEMO_MODEL = "community_services_quality_price_social_value"
QUESTIONS = ("C1", "C2", "Q1.1", "Q1.2", "Q2.1", "Q2.2", "Q3", "Q4", "SV1", "SV2")


@dataclass
class Panel:
    """Ids and e-mails of one evaluation set-up (plain values, safe outside the app context)."""

    procurement_id: int
    lot_number: int
    lot_id: int
    bid_ids: list[int]
    bidders: list[str]
    officer: str
    evaluators: list[str]
    moderator: str
    other_evaluator: str


def build_panel(bids: int = 2, evaluators: int = 2, prices=("100000", "80000"), budget="150000",
                declare: bool = True, model: str = DEMO_MODEL) -> Panel:
    """A CPN procurement with one lot of ``bids`` initial bids, two evaluators and a moderator on its panel."""
    from tender.services.evaluation import panel as evaluation

    procurement = make_procurement(lots=1, bids_per_lot=bids)
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == procurement.id))
    lot.evaluation_model, lot.annual_budget = model, Decimal(budget) if budget else None
    bid_rows = db.session.scalars(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.id)).all()
    for bid, price in zip(bid_rows, prices):
        seal(bid, Decimal(price))
    db.session.commit()
    officer = make_user("procurement_officer")
    people = [make_user("evaluator") for _ in range(evaluators)]
    moderator = make_user("moderator")
    other = make_user("evaluator")
    for person in people + [moderator]:
        evaluation.assign(procurement.id, 1, person.id, None, officer)
        if declare:
            evaluation.declare(procurement.id, 1, person, False, "")
    return Panel(procurement.id, 1, lot.id, [b.id for b in bid_rows], [b.supplier.name for b in bid_rows],
                 officer.email, [p.email for p in people], moderator.email, other.email)


def user(email: str):
    """The user with this e-mail."""
    from tender.models import User

    return db.session.scalar(select(User).where(User.email == email))


def sheet(score: str | int, rationale: str = "Evidence as set out in the response.", pass_fail: str = "pass",
          questions=QUESTIONS) -> dict[str, tuple[str, str]]:
    """The same score (and "pass" for pass/fail questions) for every question."""
    return {q: ((pass_fail if q.startswith("C") else str(score)), rationale) for q in questions}
