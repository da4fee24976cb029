"""Ranking a lot takes a constant number of SQL queries, whatever the number of bidders."""
from __future__ import annotations


import pytest

from benchmarks.ranking_data import populate, write_model
from tender.extensions import db
from tender.models import User
from tests.helpers import TEST_CONFIG, counted

QUESTIONS, EVALUATORS = 40, 8


@pytest.fixture
def bench_app(database_url, tmp_path):
    """The app with the 40-question benchmark model in its scoring rules folder."""
    from tender import create_app

    write_model(tmp_path, QUESTIONS)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "TENDER_SCORING_RULES_DIR": str(tmp_path)})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def rank_and_count(bidders: int) -> tuple[int, int, int]:
    """(queries to rank with the scores frozen, to rank while moderating, for the evaluation status)."""
    from sqlalchemy import update

    from tender.models import PriceOpening
    from tender.services.evaluation import ranking as evaluation_ranking
    from tender.services.evaluation import status as evaluation_status

    ids = populate(bidders, QUESTIONS, EVALUATORS)
    officer = db.session.get(User, ids["officer_id"])
    counts = []
    for _ in ("frozen, the agreement recorded", "live, the database sums the scores"):
        db.session.expire_all()
        with counted() as ranking_queries:
            result = evaluation_ranking.lot_evaluation(ids["procurement_id"], 1, "initial", officer)
        assert result.ranking is not None and len(result.ranking.results) == bidders
        assert result.status.total == bidders * QUESTIONS and result.agreement is not None
        counts.append(len(ranking_queries))
        db.session.execute(update(PriceOpening).values(agreement=None))
        db.session.commit()
    db.session.expire_all()
    with counted() as status_queries:
        assert evaluation_status.for_procurement(ids["procurement_id"])[(ids["lot_id"], "initial")] == (True, "")
    return counts[0], counts[1], len(status_queries)


def test_ranking_50_bidders_takes_as_many_queries_as_ranking_1(bench_app):
    one = rank_and_count(1)
    fifty = rank_and_count(50)
    assert one == fifty
    assert one[0] <= 10 and one[1] == one[0] + 1  # live: one more, the agreement sums
