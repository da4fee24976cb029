"""Synthetic evaluation data for the ranking benchmark and the query-count test.

A model with ``questions`` scored questions (quality 70, price 30) written to
a folder, and one procurement with one lot of ``bidders`` bids, each scored by
``evaluators`` evaluators on every question, moderated, with prices opened.
Rows go in with bulk INSERTs; no audit events (this is test data, not a use
case). Call ``populate`` inside an application context.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

MODEL_NAME = "bench_quality_price"


def write_model(directory: Path, questions: int = 40) -> Path:
    """Write the benchmark model (equal question weights) into ``directory``; returns the file."""
    weight = Decimal(100) / questions
    lines = ["title: Benchmark - quality 70, price 30", 'version: "1"', "scales:", "  uk_0_4:", "    spread: 1",
             "    points:"]
    lines += [f"      {p}: Point {p}" for p in range(5)]
    lines += ["criteria:", "  - id: quality", "    title: Quality", "    weight: 70", "    scale: uk_0_4",
              "    children:"]
    lines += [f"      - {{id: B{i:02d}, title: Question {i}, weight: {weight}}}" for i in range(1, questions + 1)]
    lines += ["price:", "  weight: 30", "  formula: lowest_relative", "final_scores:", "  method: moderation"]
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / f"{MODEL_NAME}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def populate(bidders: int, questions: int = 40, evaluators: int = 8, seed: int = 1) -> dict:
    """Create the procurement and its scores; returns {"procurement_id", "officer"}."""
    from tender.extensions import db
    from tender.models import (Bid, ConflictDeclaration, EvaluatorAssignment, Lot, ModeratedScore, PriceOpening,
                               Procurement, Score, Supplier, User)

    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    tag = uuid.uuid4().hex[:8]

    def person(role: str, n: int) -> User:
        return User(email=f"{role}-{n}-{tag}@bench.example", name=f"{role.title()} {n}", role=role,
                    password_hash="not-a-login", created_at=now)

    officer = person("procurement_officer", 0)
    panel = [person("evaluator", n) for n in range(evaluators)]
    moderator = person("moderator", 0)
    procurement = Procurement(reference=f"BENCH-{tag}", title="Benchmark", procedure="open_procedure",
                              procedure_version=1, regime="pcr2015", state="tender_evaluation",
                              estimated_value=Decimal("1000000"), initial_term_years=3, created_at=now)
    db.session.add_all([officer, moderator, *panel, procurement])
    db.session.flush()
    lot = Lot(procurement_id=procurement.id, number=1, title="Benchmark lot", evaluation_model=MODEL_NAME)
    suppliers = [Supplier(name=f"Bidder {n:03d} {tag}") for n in range(bidders)]
    db.session.add_all([lot, *suppliers])
    db.session.flush()
    bids = [Bid(lot_id=lot.id, supplier_id=s.id, round="initial", received_at=now,
                price=Decimal(rng.randrange(800_000, 1_200_000))) for s in suppliers]
    db.session.add_all(bids)
    for member, role in [(m, "evaluator") for m in panel] + [(moderator, "moderator")]:
        db.session.add(EvaluatorAssignment(lot_id=lot.id, user_id=member.id, role=role, assigned_by_id=officer.id,
                                           assigned_at=now))
        db.session.add(ConflictDeclaration(lot_id=lot.id, user_id=member.id, has_conflict=False, declared_at=now))
    db.session.add(PriceOpening(lot_id=lot.id, round="initial", opened_by_id=officer.id, at=now))
    db.session.flush()
    ids = [f"B{i:02d}" for i in range(1, questions + 1)]
    scores, moderated = [], []
    for bid in bids:
        for qid in ids:
            base = rng.randrange(1, 4)
            for member in panel:
                value = min(4, max(0, base + rng.choice((-1, 0, 0, 1))))
                scores.append({"bid_id": bid.id, "evaluator_id": member.id, "criterion_id": qid,
                               "value": Decimal(value), "rationale": "Benchmark rationale", "status": "submitted",
                               "saved_at": now, "submitted_at": now})
            moderated.append({"bid_id": bid.id, "criterion_id": qid, "value": Decimal(base),
                              "rationale": "Benchmark consensus", "moderator_id": moderator.id, "at": now})
    db.session.execute(insert(Score), scores)
    db.session.execute(insert(ModeratedScore), moderated)
    db.session.commit()
    return {"procurement_id": procurement.id, "officer_id": officer.id, "lot_id": lot.id}
