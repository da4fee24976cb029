"""Ranking one lot: known answers worked out by hand."""
from __future__ import annotations

import copy
from decimal import Decimal as D
from pathlib import Path

import pytest

from tender.domain.scoring.loader import load_model
from tender.domain.scoring.model import EvaluationInputError
from tender.domain.scoring.ranking import rank_lot

# Marks out of 100: Q1 = 60 x 75% = 45, Q2 = 60 x 25% = 15, SV1 = 10, price 30.
MODEL = """\
title: Ranking test model
scales:
  s04:
    points: {0: none, 1: poor, 2: acceptable, 3: good, 4: excellent}
criteria:
  - id: pf
    title: Pass/fail
    children:
      - {id: PF1, title: Insured, pass_fail: true}
  - id: quality
    title: Quality
    weight: 60
    scale: s04
    children:
      - {id: Q1, title: Method, weight: 75, minimum: 2}
      - {id: Q2, title: Staff, weight: 25}
  - id: sv
    title: Social value
    group: social_value
    weight: 10
    scale: s04
    children:
      - {id: SV1, title: Local jobs, weight: 100}
price:
  weight: 30
  formula: lowest_relative
  affordability_ceiling_percent: 100
  abnormally_low: {rule: below_mean_of_others, percent: 20}
tie_break: [highest_quality, lowest_price]
"""


def model_from(tmp_path: Path, text: str = MODEL):
    path = tmp_path / "ranking_model.yaml"
    path.write_text(text, encoding="utf-8")
    return load_model(path)


@pytest.fixture
def model(tmp_path):
    return model_from(tmp_path)


def bid(q1, q2, sv1, passed=True):
    return {"PF1": passed, "Q1": D(q1), "Q2": D(q2), "SV1": D(sv1)}


def three_bids():
    return {"A": bid(2, 2, 2), "B": bid(3, 3, 3), "C": bid(4, 4, 4)}


PRICES = {"A": D(100), "B": D(125), "C": D(200)}


def by_bidder(ranking):
    return {r.bidder: r for r in ranking.results}


def test_three_bids_known_answer(model):
    ranking = rank_lot(model, three_bids(), PRICES, budget=D(250))
    r = by_bidder(ranking)
    # price: lowest 100; A 100/100 x 30 = 30, B 100/125 x 30 = 24, C 100/200 x 30 = 15
    assert [r[b].price_score for b in "ABC"] == [D(30), D(24), D(15)]
    # quality: A 45 x 2/4 + 15 x 2/4 = 30; B 45 x 3/4 + 15 x 3/4 = 45; C 60
    assert [r[b].quality for b in "ABC"] == [D(30), D(45), D(60)]
    # social value: A 10 x 2/4 = 5, B 7.5, C 10
    assert [r[b].social_value for b in "ABC"] == [D(5), D("7.5"), D(10)]
    # totals: A 30 + 5 + 30 = 65; B 45 + 7.5 + 24 = 76.5; C 60 + 10 + 15 = 85
    assert [r[b].total for b in "ABC"] == [D(65), D("76.5"), D(85)]
    assert [(x.bidder, x.rank) for x in ranking.results] == [("C", 1), ("B", 2), ("A", 3)]
    assert ranking.winners == ("C",)
    assert r["C"].parts == {"quality": D(60), "sv": D(10), "price": D(15)}
    assert r["B"].question_marks["Q1"] == D("33.75")  # 45 x 3/4


def test_abnormally_low_price_is_flagged_but_not_excluded(model):
    r = by_bidder(rank_lot(model, three_bids(), PRICES, budget=D(250)))
    # A: mean of others (125 + 200) / 2 = 162.5; 20% below is 130; 100 < 130: flagged.
    # B: mean of others (100 + 200) / 2 = 150; 20% below is 120; 125 is not below.
    assert r["A"].abnormally_low and not r["A"].excluded and r["A"].rank == 3
    assert "reg. 69" in r["A"].notes[0]
    assert not r["B"].abnormally_low and not r["C"].abnormally_low


def test_a_score_below_the_minimum_excludes_the_bid(model):
    bids = {**three_bids(), "C": bid(1, 4, 4)}
    r = by_bidder(rank_lot(model, bids, PRICES, budget=D(250)))
    assert r["C"].excluded and r["C"].rank is None and r["C"].total is None
    assert r["C"].reasons == ("scored 1 on Q1, below the minimum of 2",)
    assert r["C"].quality == D("26.25")  # 45 x 1/4 + 15: shown, but not ranked
    assert (r["B"].rank, r["A"].rank) == (1, 2)


def test_price_is_scored_only_among_bids_still_in(model):
    bids = {**three_bids(), "A": bid(2, 2, 2, passed=False)}
    ranking = rank_lot(model, bids, PRICES, budget=D(250))
    r = by_bidder(ranking)
    assert r["A"].reasons == ("failed pass/fail question PF1",)
    # lowest remaining price is B's 125: B 30, C 125/200 x 30 = 18.75
    assert (r["B"].price_score, r["C"].price_score) == (D(30), D("18.75"))
    assert ranking.results[-1].bidder == "A"  # excluded bids come last


def test_a_price_above_the_affordability_ceiling_excludes_the_bid(model):
    r = by_bidder(rank_lot(model, three_bids(), PRICES, budget=D(150)))
    assert r["C"].excluded
    assert r["C"].reasons == ("price 200 is above the affordability ceiling of 150",)
    assert r["B"].rank == 1  # 45 + 7.5 + 100/125 x 30 = 76.5 against A's 65


def test_equal_totals_are_split_by_the_published_tie_break(model):
    # X: 45 + 5 + 100/200 x 30 = 65; Y: 30 + 5 + 30 = 65. Highest quality wins: X.
    bids = {"Y": bid(2, 2, 2), "X": bid(3, 3, 2)}
    ranking = rank_lot(model, bids, {"X": D(200), "Y": D(100)}, budget=D(300))
    assert [(r.bidder, r.total, r.rank) for r in ranking.results] == [("X", D(65), 1), ("Y", D(65), 2)]


def test_bids_the_tie_break_cannot_split_share_the_rank(model):
    bids = {"Z": bid(3, 3, 3), "Y": bid(3, 3, 3), "X": bid(2, 2, 2)}
    ranking = rank_lot(model, bids, {"X": D(50), "Y": D(100), "Z": D(100)}, budget=D(300))
    assert [(r.bidder, r.rank) for r in ranking.results] == [("Y", 1), ("Z", 1), ("X", 3)]
    assert ranking.winners == ("Y", "Z")


def test_budget_relative_price_formula(tmp_path):
    text = MODEL.replace("formula: lowest_relative", "formula: budget_relative\n  full_marks_below_budget_percent: 50")
    text = text.replace("  affordability_ceiling_percent: 100\n", "")
    model = model_from(tmp_path, text)
    bids = {b: bid(2, 2, 2) for b in "ABCD"}
    prices = {"A": D(100), "B": D(150), "C": D(200), "D": D(250)}
    r = by_bidder(rank_lot(model, bids, prices, budget=D(200)))
    # budget 200, full marks at 50% below it (100): A (200-100)/100 x 30 = 30; B 50/100 x 30 = 15;
    # C at the budget 0; D above it 0 (no ceiling in this model, so not excluded)
    assert [r[b].price_score for b in "ABCD"] == [D(30), D(15), D(0), D(0)]


def test_rank_lot_does_not_change_its_inputs(model):
    bids, prices = three_bids(), dict(PRICES)
    before = copy.deepcopy((bids, prices))
    rank_lot(model, bids, prices, budget=D(250))
    assert (bids, prices) == before


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b, p: b["A"].pop("Q2"), "has no score for Q2"),
        (lambda b, p: b["A"].update(Q9=D(1)), "Q9 is not a question"),
        (lambda b, p: b["A"].update(Q1=D(5)), "outside the scale 0-4"),
        (lambda b, p: b["A"].update(PF1=D(1)), "must be pass or fail"),
        (lambda b, p: p.pop("B"), "bidder B has no price"),
        (lambda b, p: p.update(B=D(0)), "above 0"),
        (lambda b, p: p.update(E=D(10)), "has a price but no scores"),
    ],
)
def test_data_that_does_not_fit_the_model_is_refused(model, change, words):
    bids, prices = three_bids(), dict(PRICES)
    change(bids, prices)
    with pytest.raises(EvaluationInputError, match=words):
        rank_lot(model, bids, prices, budget=D(250))


def test_a_model_with_a_ceiling_needs_the_budget(model):
    with pytest.raises(EvaluationInputError, match="budget"):
        rank_lot(model, three_bids(), PRICES)


def test_a_model_without_price_ranks_on_quality_alone():
    model = load_model(Path(__file__).resolve().parents[2] / "scoring_rules" / "selection_questionnaire.yaml")
    passes = {q: True for q in ("EX1", "EX2", "EF1", "EF2")}
    bids = {
        "North": {**passes, "TP1": D(75), "TP2": D(50), "TP3": D(100)},  # 45 + 10 + 20 = 75
        "South": {**passes, "TP1": D(100), "TP2": D(25), "TP3": D(0)},  # 60 + 5 + 0 = 65
        "East": {**passes, "TP1": D(25), "TP2": D(100), "TP3": D(100)},  # below TP1's minimum of 50
        "West": {**passes, "EF1": False, "TP1": D(100), "TP2": D(100), "TP3": D(100)},
    }
    r = by_bidder(rank_lot(model, bids))
    assert (r["North"].total, r["North"].rank, r["South"].total, r["South"].rank) == (D(75), 1, D(65), 2)
    assert r["East"].excluded and r["West"].reasons == ("failed pass/fail question EF1",)
    assert r["North"].price_score is None
    with pytest.raises(EvaluationInputError, match="no price part"):
        rank_lot(model, bids, {"North": D(1)})
