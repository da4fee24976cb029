"""A large procurement to see (and measure) the pages at a realistic size.

5 lots x 50 bidders x 40 questions x 8 evaluators: 80,000 submitted scores
and 10,000 moderated ones, prices opened, at the tender evaluation stage of an
open procedure, so the procurement page, the ranking pages and "Complete
tender evaluation" all work on it. The benchmarks in ``benchmarks/`` use the
same data. Scores go in with bulk INSERTs and without audit events: this is
demonstration data, not a record of decisions.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from tender.domain.roles import Role
from tender.extensions import db
from tender.models import (Bid, ConflictDeclaration, EvaluatorAssignment, Lot, Milestone, ModeratedScore, PriceOpening,
                           Procurement, Score, Supplier, User)
from tender.services import accounts, audit
from tender.services.evaluation.data import load_rounds
from tender.services.evaluation.panel import model_for
from tender.services.evaluation.ranking import frozen_agreement
from tender.services import clock

REFERENCE = "LARGE-2022/001"
#: The shipped model the large procurement's lots use (``scoring_rules/large_procurement_40_questions.yaml``).
MODEL_NAME = "large_procurement_40_questions"
PROCEDURE = "open_procedure"
ROUND = "final"  # an open procedure's tenders are its final tenders


def load_large(password: str, *, lots: int = 5, bidders: int = 50, questions: int = 40,
               evaluators: int = 8) -> tuple[bool, list[str]]:
    """Create the large procurement and its people once; (created?, lines to print)."""
    if db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE)):
        return False, [f"The large procurement {REFERENCE} is already loaded.", *_logins()]
    actor = audit.Actor.system("tender demo --large")
    officer = _user("large.officer@tender.example", "Lee Large", Role.OFFICER, password, actor)
    moderator = _user("large.moderator@tender.example", "Mo Large", Role.MODERATOR, password, actor)
    panel = [_user(f"large.evaluator{n}@tender.example", f"Evaluator {n} Large", Role.EVALUATOR, password, actor)
             for n in range(1, evaluators + 1)]
    ids = populate(officer, moderator, panel, lots=lots, bidders=bidders, questions=questions, round_=ROUND,
                   model_name=MODEL_NAME, reference=REFERENCE, milestones=True)
    lines = [f"Loaded {REFERENCE}: {lots} lots x {bidders} bidders x {questions} questions x {evaluators} evaluators "
             f"({lots * bidders * questions * evaluators:,} scores), at procurement {ids['procurement_id']}.",
             *_logins()]
    return True, lines


def _user(email: str, name: str, role: Role, password: str, actor: audit.Actor) -> User:
    existing = db.session.scalar(select(User).where(User.email == email))
    return existing or accounts.create_user(email, name, role, password, actor)


def _logins() -> list[str]:
    return ["Log in as large.officer@tender.example (procurement officer) with the demo password to see it."]


def populate(officer: User, moderator: User, panel: list[User], *, lots: int = 1, bidders: int = 50,
             questions: int = 40, round_: str = "initial", model_name: str = MODEL_NAME,
             reference: str | None = None, milestones: bool = False, seed: int = 1) -> dict:
    """One procurement with ``lots`` lots of ``bidders`` bids, every question scored by every evaluator.

    Each lot's scores are moderated and its prices opened. The model named
    ``model_name`` must have questions ``B01``.. ``B<questions>`` on a 0-4
    scale (as ``scoring_rules/large_procurement_40_questions.yaml`` and
    ``benchmarks/ranking_data.write_model`` do). Commits; returns ids.
    """
    from tender.services.procurement import definitions
    from tender.services.procurement.procedures import registry

    rng = random.Random(seed)
    now = clock.now()
    tag = uuid.uuid4().hex[:8]
    definition = registry().definitions[PROCEDURE]
    procurement = Procurement(reference=reference or f"BENCH-{tag}", title="Community services framework (large)",
                              procedure=PROCEDURE, procedure_version=definition.version, regime="pcr2015",
                              state="tender_evaluation", estimated_value=Decimal("25000000"), initial_term_years=3,
                              lead_officer_id=officer.id, created_at=now)
    definitions.pin(procurement)
    db.session.add(procurement)
    db.session.flush()
    if milestones:
        start = date(2022, 4, 4)
        for position, m in enumerate(definition.milestones):
            db.session.add(Milestone(procurement_id=procurement.id, key=m.key, title=m.title, position=position,
                                     planned_date=start + timedelta(weeks=4 * position), owner_id=officer.id))
    lot_rows = [Lot(procurement_id=procurement.id, number=n, title=f"Lot {n}", evaluation_model=model_name,
                    annual_budget=Decimal("1000000")) for n in range(1, lots + 1)]
    suppliers = [Supplier(name=f"Bidder {n:03d} {tag}") for n in range(bidders)]
    db.session.add_all([*lot_rows, *suppliers])
    db.session.flush()
    ids = [f"B{i:02d}" for i in range(1, questions + 1)]
    openings = {}
    for lot in lot_rows:
        bids = [Bid(lot_id=lot.id, supplier_id=s.id, round=round_, received_at=now,
                    price=Decimal(rng.randrange(800_000, 1_200_000))) for s in suppliers]
        db.session.add_all(bids)
        for member, role in [(m, "evaluator") for m in panel] + [(moderator, "moderator")]:
            db.session.add(EvaluatorAssignment(lot_id=lot.id, user_id=member.id, role=role,
                                               assigned_by_id=officer.id, assigned_at=now))
            db.session.add(ConflictDeclaration(lot_id=lot.id, user_id=member.id, has_conflict=False,
                                               declared_at=now))
        openings[lot.id] = PriceOpening(lot_id=lot.id, round=round_, opened_by_id=officer.id, at=now)
        db.session.add(openings[lot.id])
        db.session.flush()
        scores, moderated = [], []
        for bid in bids:
            for qid in ids:
                base = rng.randrange(1, 4)
                for member in panel:
                    value = min(4, max(0, base + rng.choice((-1, 0, 0, 1))))
                    scores.append({"bid_id": bid.id, "evaluator_id": member.id, "criterion_id": qid,
                                   "value": Decimal(value), "rationale": "Benchmark rationale",
                                   "status": "submitted", "saved_at": now, "submitted_at": now})
                moderated.append({"bid_id": bid.id, "criterion_id": qid, "value": Decimal(base),
                                  "rationale": "Benchmark consensus", "moderator_id": moderator.id, "at": now})
        db.session.execute(insert(Score), scores)
        db.session.execute(insert(ModeratedScore), moderated)
    for lot in lot_rows:  # as opening the prices does: keep the panel's agreement as the scores froze
        openings[lot.id].agreement = frozen_agreement(model_for(lot), load_rounds([lot.id], (round_,))[(lot.id, round_)])
    db.session.commit()
    return {"procurement_id": procurement.id, "officer_id": officer.id, "lot_id": lot_rows[0].id,
            "lot_ids": [lot.id for lot in lot_rows]}
