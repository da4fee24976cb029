"""Synthetic evaluation data for the ranking benchmark and the query-count test.

A model with ``questions`` scored questions (quality 70, price 30) written to
a folder, and one procurement with ``lots`` lots of ``bidders`` bids, each
scored by ``evaluators`` evaluators on every question, moderated, with prices
opened (``tender.demo_large.populate``, which ``tender demo --large`` uses too).
Rows go in with bulk INSERTs; no audit events (this is test data, not a use
case). Call ``populate`` inside an application context.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

MODEL_NAME = "bench_quality_price"


def write_model(directory: Path, questions: int = 40, name: str = MODEL_NAME) -> Path:
    """Write the benchmark model (equal question weights) into ``directory``; returns the file.

    ``scoring_rules/large_procurement_40_questions.yaml`` is this model with 40 questions.
    """
    weight = Decimal(100) / questions
    lines = ["title: Benchmark - quality 70, price 30", 'version: "1"', "scales:", "  uk_0_4:", "    spread: 1",
             "    points:"]
    lines += [f"      {p}: Point {p}" for p in range(5)]
    lines += ["criteria:", "  - id: quality", "    title: Quality", "    weight: 70", "    scale: uk_0_4",
              "    children:"]
    lines += [f"      - {{id: B{i:02d}, title: Question {i}, weight: {weight}}}" for i in range(1, questions + 1)]
    lines += ["price:", "  weight: 30", "  formula: lowest_relative", "final_scores:", "  method: moderation"]
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def populate(bidders: int, questions: int = 40, evaluators: int = 8, seed: int = 1, *, lots: int = 1,
             round_: str = "initial", model_name: str = MODEL_NAME) -> dict:
    """Create the procurement and its scores; returns {"procurement_id", "officer_id", "lot_id", "lot_ids"}.

    The same generator as ``tender demo --large`` (``tender.demo_large.populate``), with throwaway people.
    """
    from tender.demo_large import populate as populate_lots
    from tender.extensions import db
    from tender.models import User

    now = datetime.now(timezone.utc)
    tag = uuid.uuid4().hex[:8]

    def person(role: str, n: int) -> User:
        return User(email=f"{role}-{n}-{tag}@bench.example", name=f"{role.title()} {n}", role=role,
                    password_hash="not-a-login", created_at=now)

    officer = person("procurement_officer", 0)
    panel = [person("evaluator", n) for n in range(evaluators)]
    moderator = person("moderator", 0)
    db.session.add_all([officer, moderator, *panel])
    db.session.flush()
    return populate_lots(officer, moderator, panel, lots=lots, bidders=bidders, questions=questions, round_=round_,
                         model_name=model_name, seed=seed)
