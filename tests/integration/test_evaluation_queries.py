"""Ranking a lot takes a constant number of SQL queries, whatever the number of bidders."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from benchmarks.ranking_data import populate, write_model
from tender.extensions import db
from tender.models import User
from tests.helpers import TEST_CONFIG

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


@contextmanager
def counted():
    """Count the SQL statements sent while the block runs."""
    statements = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def rank_and_count(bidders: int) -> tuple[int, int]:
    """(queries to rank, queries for the evaluation status) of a fresh lot with ``bidders`` bids."""
    from tender.services.evaluation import ranking as evaluation_ranking
    from tender.services.evaluation import status as evaluation_status

    ids = populate(bidders, QUESTIONS, EVALUATORS)
    officer = db.session.get(User, ids["officer_id"])
    db.session.expire_all()
    with counted() as ranking_queries:
        result = evaluation_ranking.lot_evaluation(ids["procurement_id"], 1, "initial", officer)
    assert result.ranking is not None and len(result.ranking.results) == bidders
    assert result.status.total == bidders * QUESTIONS
    db.session.expire_all()
    with counted() as status_queries:
        assert evaluation_status.for_procurement(ids["procurement_id"])[(ids["lot_id"], "initial")] == (True, "")
    return len(ranking_queries), len(status_queries)


def test_ranking_50_bidders_takes_as_many_queries_as_ranking_5(bench_app):
    small = rank_and_count(5)
    large = rank_and_count(50)
    assert small == large
    assert small[0] <= 10
