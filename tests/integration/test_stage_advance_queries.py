"""A stage advance costs the same queries however many scores the procurement has."""
from __future__ import annotations

from datetime import date

from benchmarks.ranking_data import populate
from tender.demo_large import MODEL_NAME
from tender.extensions import db
from tender.models import Procurement, User
from tender.services.procurement import workflow
from tests.helpers import counted

TODAY = date(2022, 9, 1)


def reads_scores(statement: str) -> bool:
    text = " ".join(statement.lower().split())
    return any(f"{word} {table}" in text for word in ("from", "join") for table in ("score", "moderated_score"))


def complete_evaluation(bidders: int) -> list[str]:
    """The statements of "Complete tender evaluation" on a fresh, fully moderated procurement."""
    ids = populate(bidders, questions=40, evaluators=2, round_="final", model_name=MODEL_NAME)
    officer = db.session.get(User, ids["officer_id"])
    version = db.session.get(Procurement, ids["procurement_id"]).version
    db.session.expire_all()
    with counted() as statements:
        change = workflow.advance(ids["procurement_id"], "complete_evaluation", officer, expected_version=version,
                                  today=TODAY)
    assert change.to_stage == "award_decision" and change.version == version + 1
    return statements


def test_completing_the_evaluation_takes_as_many_queries_at_5_and_50_bidders(ctx):
    small, large = complete_evaluation(5), complete_evaluation(50)
    assert len(small) == len(large)
    # The evaluation guard reads counts, never the submitted scores themselves.
    assert not any(" score." in s.lower() or "from score" in s.lower() for s in large)


def test_a_transition_without_the_evaluation_guard_reads_no_scores(ctx):
    ids = populate(5, questions=40, evaluators=2, round_="final", model_name=MODEL_NAME)
    procurement = db.session.get(Procurement, ids["procurement_id"])
    procurement.state = "tender_published"
    db.session.commit()
    db.session.expire_all()
    procurement = db.session.get(Procurement, ids["procurement_id"])
    with counted() as statements:
        options = workflow.available_transitions(procurement, TODAY)
    assert {o.trigger for o in options} >= {"close_tenders"}
    assert statements and not any(reads_scores(s) for s in statements)
