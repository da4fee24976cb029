"""The agreement the ranking shows, without reading the score rows, equals the one worked out from them.

Under moderation the ranking page no longer reads a lot's submitted scores:
the database sums them (``agreement_sums``), and once the scores freeze the
agreement recorded then is read. Both must give exactly what the general
path (every score row into ``agreement``) gives, on SQLite and PostgreSQL,
with missing scores, drafts, pass/fail questions, two scales with different
maxima, and someone off the panel.
"""
from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from benchmarks.ranking_data import MODEL_NAME, populate
from tender.domain.scoring.agreement import agreement
from tender.extensions import db
from tender.models import ModeratedScore, PriceOpening, Score, User
from tender.services.evaluation import agreement_sums, envelope
from tender.services.evaluation import ranking as evaluation_ranking
from tender.services.evaluation.data import load_rounds
from tender.services.evaluation.panel import model_for
from tests.evaluation_support import build_panel, user
from tests.helpers import TEST_CONFIG, counted
from tests.integration.test_evaluation_service import moderate_all, score_all

QUESTIONS = 6  # B01-B03 on 0-4, B04-B05 on 0-10 in quarters, B06 pass/fail
ROUND = "initial"
TEN = ("0", "2.5", "5", "7.5", "10")
NOW = datetime(2022, 6, 1, tzinfo=timezone.utc)


def write_mixed_model(directory) -> None:
    """The benchmark model's name with two scales (maxima 4 and 10) and a pass/fail question."""
    questions = [f"      - {{id: B0{i}, title: Question {i}, weight: 20, scale: uk_0_4}}" for i in (1, 2, 3)]
    questions += [f"      - {{id: B0{i}, title: Question {i}, weight: 20, scale: tenths}}" for i in (4, 5)]
    questions += ["      - {id: B06, title: Insured, pass_fail: true}"]
    lines = ["title: Two scales", 'version: "1"', "scales:", "  uk_0_4:", "    points:"]
    lines += [f"      {p}: Point {p}" for p in range(5)]
    lines += ["  tenths:", "    points:"] + [f"      {p}: Point {p}" for p in TEN]
    lines += ["criteria:", "  - id: quality", "    title: Quality", "    weight: 70", "    children:"] + questions
    lines += ["price:", "  weight: 30", "  formula: lowest_relative", "final_scores:", "  method: moderation"]
    (directory / f"{MODEL_NAME}.yaml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def mixed_app(database_url, tmp_path):
    from tender import create_app

    write_mixed_model(tmp_path)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "TENDER_SCORING_RULES_DIR": str(tmp_path)})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def scramble(seed: int) -> None:
    """Random points on each question's own scale, pass/fail answers, some scores missing, some drafts."""
    rng = random.Random(seed)
    rows = db.session.execute(select(Score.id, Score.criterion_id).order_by(Score.id)).all()
    for score_id, criterion in rows:
        roll = rng.random()
        if roll < 0.15:
            db.session.execute(delete(Score).where(Score.id == score_id))
            continue
        values = {"status": "draft" if roll < 0.2 else "submitted"}
        if criterion == "B06":
            values |= {"value": None, "pass_fail": rng.choice(("pass", "fail"))}
        elif criterion in ("B04", "B05"):
            values["value"] = Decimal(rng.choice(TEN))
        else:
            values["value"] = Decimal(rng.randrange(5))
        db.session.execute(update(Score).where(Score.id == score_id).values(**values))
    # The record made when the scores froze no longer matches the rows: read them live.
    db.session.execute(update(PriceOpening).values(agreement=None))
    db.session.commit()


def general_path(lot, model):
    """The agreement from every submitted score row, as before the database summed them."""
    data = load_rounds([lot.id], (ROUND,))[(lot.id, ROUND)]
    return agreement(model, evaluation_ranking.individual_scores(data))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_database_sums_give_the_agreement_of_the_score_rows(mixed_app, seed):
    ids = populate(5, QUESTIONS, 4, seed=seed)
    scramble(seed)
    officer = db.session.get(User, ids["officer_id"])
    lot = evaluation_ranking.get_lot(ids["procurement_id"], 1)
    model = model_for(lot)
    expected = general_path(lot, model)
    assert expected.by_criterion.keys() == {"B01", "B02", "B03", "B04", "B05"}  # pass/fail left out

    panel_ids = [p.user_id for p in load_rounds([lot.id], (ROUND,))[(lot.id, ROUND)].panel]
    sums = agreement_sums.lot_sums(lot.id, ROUND, model, panel_ids)
    assert sums is not None and len({g.m for g in sums.units}) > 1  # units of different sizes
    result = evaluation_ranking.lot_evaluation(ids["procurement_id"], 1, ROUND, officer)
    assert result.agreement == expected
    assert set(result.evaluator_names) >= set(expected.by_evaluator)


def test_a_score_by_someone_off_the_panel_falls_back_to_the_rows(mixed_app):
    ids = populate(3, QUESTIONS, 3, seed=5)
    scramble(5)
    lot = evaluation_ranking.get_lot(ids["procurement_id"], 1)
    model = model_for(lot)
    stranger = User(email="stranger@bench.example", name="Not on the panel", role="evaluator",
                    password_hash="not-a-login", created_at=NOW)
    db.session.add(stranger)
    db.session.flush()
    bid_id = db.session.scalar(select(Score.bid_id).limit(1))
    db.session.add(Score(bid_id=bid_id, evaluator_id=stranger.id, criterion_id="B01", value=Decimal(4), rationale="x",
                         status="submitted", saved_at=NOW))
    db.session.commit()
    panel_ids = [p.user_id for p in load_rounds([lot.id], (ROUND,))[(lot.id, ROUND)].panel]

    assert agreement_sums.lot_sums(lot.id, ROUND, model, panel_ids) is None
    officer = db.session.get(User, ids["officer_id"])
    result = evaluation_ranking.lot_evaluation(ids["procurement_id"], 1, ROUND, officer)
    assert result.agreement == general_path(lot, model)
    assert str(stranger.id) in result.agreement.by_evaluator


def reads_score_rows(statements: list[str]) -> bool:
    return any(re.search(r"(FROM|JOIN)\s+score\b", s) for s in statements)


def test_frozen_scores_keep_the_agreement_recorded_when_they_froze_until_reopened(ctx):
    panel = build_panel(bids=2, evaluators=3)
    officer = user(panel.officer)
    score_all(panel, values=(3, 1))
    moderate_all(panel, values=(3, 1))
    envelope.open_prices(panel.procurement_id, 1, ROUND, officer)
    lot = evaluation_ranking.get_lot(panel.procurement_id, 1)
    model = model_for(lot)
    recorded = db.session.scalar(select(PriceOpening.agreement).where(PriceOpening.lot_id == lot.id))
    assert recorded is not None
    at_freeze = general_path(lot, model)

    db.session.expire_all()
    with counted() as statements:
        frozen = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer)
    assert frozen.agreement == at_freeze and frozen.ranking is not None
    assert not reads_score_rows(statements)

    # A score changed behind the app's back does not move the agreement the frozen round shows...
    first = db.session.scalar(select(User.id).where(User.email == panel.evaluators[0]))
    db.session.execute(update(Score).where(Score.evaluator_id == first).values(value=Decimal(0)))
    db.session.commit()
    assert evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer).agreement == at_freeze

    # ...reopening clears the record, so the live figures show; confirming final records them again.
    envelope.reopen_scores(panel.procurement_id, 1, ROUND, officer, "Evaluator 1's scores were keyed wrongly")
    assert db.session.scalar(select(PriceOpening.agreement).where(PriceOpening.lot_id == lot.id)) is None
    live = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer).agreement
    assert live == general_path(lot, model) != at_freeze
    envelope.confirm_scores_final(panel.procurement_id, 1, ROUND, officer)
    assert db.session.scalar(select(PriceOpening.agreement).where(PriceOpening.lot_id == lot.id)) is not None
    assert evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer).agreement == live


def test_a_moderator_sees_the_database_summed_agreement_while_moderating(ctx):
    panel = build_panel(bids=2, evaluators=3)
    score_all(panel, values=(3, 1))
    lot = evaluation_ranking.get_lot(panel.procurement_id, 1)
    with counted() as statements:
        overview = evaluation_ranking.moderator_overview(panel.procurement_id, 1, ROUND, user(panel.moderator))
    assert overview.agreement == general_path(lot, model_for(lot))
    assert not any(re.search(r"(?<!\w)score\.rationale", s) for s in statements)  # no submitted score row read


def test_moderated_scores_read_without_rationales_have_the_same_values(mixed_app):
    ids = populate(3, QUESTIONS, 2, seed=7)
    rng = random.Random(7)
    for row_id in db.session.scalars(select(ModeratedScore.id)):
        db.session.execute(update(ModeratedScore).where(ModeratedScore.id == row_id)
                           .values(value=Decimal(rng.choice(TEN + ("0.25", "3.5", "1")))))
    db.session.commit()
    lot_id = ids["lot_id"]
    full = load_rounds([lot_id], (ROUND,))[(lot_id, ROUND)].moderated
    light = load_rounds([lot_id], (ROUND,), scores=False, rationales=False)[(lot_id, ROUND)].moderated
    assert sorted((m.bid_id, m.criterion_id, m.value, str(m.value), m.version) for m in full) == \
        sorted((m.bid_id, m.criterion_id, m.value, str(m.value), m.version) for m in light)
    assert all(isinstance(m.value, Decimal) for m in light) and not any(m.rationale for m in light)
