"""Ranking at its boundaries, written from scoring_rules/README.md (not from the code).

The rules pinned here each change who wins: a bid priced *above* the
affordability ceiling is excluded (so one priced at it is not); the
budget-relative price score runs from 0 at the budget to full marks, never
beyond; an abnormally low price is one *more than* the percent below its
reference; a score *below* a minimum excludes; each published tie-break
prefers the higher value it names (the lower price for ``lowest_price``); a
lot's budget must be above 0.
"""
from __future__ import annotations

import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tender.domain.scoring.loader import load_model
from tender.domain.scoring.model import EvaluationInputError
from tender.domain.scoring.ranking import BidResult, rank_lot

# Marks out of 100: T1 20, M1 20 (quality 40), SV1 20 (social value), price 40.
# T1 and SV1 earn the same marks per point, so swapping them keeps a total.
MODEL = """\
title: Ranking rules model
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
    weight: 40
    scale: s04
    children:
      - {id: T, title: Technical, weight: 50, children: [{id: T1, title: Method, weight: 100, minimum: 2}]}
      - {id: M, title: Management, weight: 50, children: [{id: M1, title: Staff, weight: 100}]}
  - id: sv
    title: Social value
    group: social_value
    weight: 20
    scale: s04
    children:
      - {id: SV1, title: Local jobs, weight: 100}
price:
  weight: 40
  formula: lowest_relative
  affordability_ceiling_percent: 100
  abnormally_low: {rule: below_mean_of_others, percent: 20}
tie_break: [highest_quality, lowest_price]
"""

BUDGET_RELATIVE = """\
  formula: budget_relative
  full_marks_below_budget_percent: 50
"""


def load(text: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.yaml"
        path.write_text(text, encoding="utf-8")
        return load_model(path)


def variant(tie_break: str = "[highest_quality, lowest_price]", *, formula: str | None = None,
            ceiling: str | None = "100", abnormally_low: str | None = "{rule: below_mean_of_others, percent: 20}"):
    text = MODEL.replace("tie_break: [highest_quality, lowest_price]", f"tie_break: {tie_break}")
    if formula:
        text = text.replace("  formula: lowest_relative\n", formula)
    text = text.replace("  affordability_ceiling_percent: 100\n",
                        f"  affordability_ceiling_percent: {ceiling}\n" if ceiling else "")
    text = text.replace("  abnormally_low: {rule: below_mean_of_others, percent: 20}\n",
                        f"  abnormally_low: {abnormally_low}\n" if abnormally_low else "")
    return load(text)


DEFAULT = variant()


def bid(t1=2, m1=2, sv1=2, passed=True):
    return {"PF1": passed, "T1": D(t1), "M1": D(m1), "SV1": D(sv1)}


def results(model, bids, prices, budget=D(1000)):
    return {r.bidder: r for r in rank_lot(model, bids, prices, budget).results}


# --- affordability ceiling -----------------------------------------------------------

def test_a_price_equal_to_the_ceiling_is_ranked_and_a_penny_more_is_excluded():
    r = results(DEFAULT, {"A": bid(), "B": bid()}, {"A": D("1000"), "B": D("1000.01")}, budget=D(1000))
    assert not r["A"].excluded and r["A"].rank == 1
    assert r["B"].excluded and r["B"].rank is None and r["B"].total is None
    assert r["B"].reasons == ("price 1000.01 is above the affordability ceiling of 1000",)


def test_the_ceiling_is_its_percent_of_the_budget():
    model = variant(ceiling="110")
    r = results(model, {"A": bid(), "B": bid()}, {"A": D("1100"), "B": D("1100.01")}, budget=D(1000))
    assert not r["A"].excluded
    assert r["B"].excluded and "ceiling of 1100" in r["B"].reasons[0]


# --- price formulas --------------------------------------------------------------------

def test_lowest_relative_gives_the_lowest_price_the_full_price_weight_even_at_one_penny():
    r = results(DEFAULT, {"A": bid(), "B": bid()}, {"A": D("0.01"), "B": D("0.02")})
    assert r["A"].price_score == D(40) and r["B"].price_score == D(20)


@pytest.mark.parametrize("price, score", [
    ("1000", "0"),     # at the budget: nothing
    ("1200", "0"),     # above it (no ceiling here): still nothing, never negative
    ("750", "20"),     # half way to the full-marks point
    ("500", "40"),     # full marks 50% below the budget
    ("100", "40"),     # far below: full marks, never more than the price weight
    ("0.01", "40"),
])
def test_budget_relative_runs_from_nothing_at_the_budget_to_the_price_weight(price, score):
    model = variant(formula=BUDGET_RELATIVE, ceiling=None)
    r = results(model, {"A": bid(), "Z": bid()}, {"A": D(price), "Z": D("999")}, budget=D(1000))
    assert r["A"].price_score == D(score)
    assert r["A"].total == r["A"].quality + r["A"].social_value + D(score)


@pytest.mark.parametrize("budget", [D(0), D(-1), None])
def test_a_model_that_needs_the_budget_refuses_none_or_one_not_above_zero(budget):
    with pytest.raises(EvaluationInputError, match=r"needs the lot's budget \(above 0\)"):
        rank_lot(DEFAULT, {"A": bid()}, {"A": D(100)}, budget)


def test_a_budget_of_one_penny_is_a_budget():
    r = results(DEFAULT, {"A": bid()}, {"A": D("0.01")}, budget=D("0.01"))
    assert r["A"].rank == 1


@pytest.mark.parametrize("price", [D(0), D("-0.01")])
def test_a_price_of_nothing_or_less_is_refused(price):
    with pytest.raises(EvaluationInputError, match="bidder A: a price must be above 0"):
        rank_lot(DEFAULT, {"A": bid()}, {"A": price}, D(1000))


# --- abnormally low prices: a flag, never an exclusion --------------------------------

def test_exactly_the_percent_below_the_mean_of_the_others_is_not_abnormally_low():
    bids = {b: bid() for b in "ABC"}
    r = results(DEFAULT, bids, {"A": D(80), "B": D(100), "C": D(100)})
    assert not r["A"].abnormally_low and r["A"].notes == ()
    r = results(DEFAULT, bids, {"A": D("79.99"), "B": D(100), "C": D(100)})
    assert r["A"].abnormally_low and not r["A"].excluded and r["A"].rank == 1
    assert r["A"].notes == ("price is more than 20% below 100: ask the bidder to explain it before deciding "
                            "(PCR 2015 reg. 69)",)
    assert not r["B"].abnormally_low


def test_below_budget_compares_with_the_budget_and_a_lone_bid_has_no_others():
    model = variant(abnormally_low="{rule: below_budget, percent: 20}")
    r = results(model, {"A": bid(), "B": bid()}, {"A": D(80), "B": D("79.99")}, budget=D(100))
    assert not r["A"].abnormally_low and r["B"].abnormally_low
    assert not results(DEFAULT, {"A": bid()}, {"A": D("0.01")})["A"].abnormally_low


# --- exclusions on quality -------------------------------------------------------------

def test_a_score_equal_to_the_minimum_is_ranked_and_one_below_is_excluded():
    r = results(DEFAULT, {"A": bid(t1=2), "B": bid(t1=1)}, {"A": D(100), "B": D(100)})
    assert not r["A"].excluded
    assert r["B"].reasons == ("scored 1 on T1, below the minimum of 2",)


def test_a_failed_pass_fail_question_excludes_and_a_pass_does_not():
    r = results(DEFAULT, {"A": bid(passed=True), "B": bid(passed=False)}, {"A": D(100), "B": D(100)})
    assert not r["A"].excluded and r["B"].reasons == ("failed pass/fail question PF1",)


@pytest.mark.parametrize("score", [D("NaN"), D("Infinity"), D("-Infinity"), D("4.01"), D("-0.01")])
def test_a_score_that_is_not_a_number_on_the_scale_is_refused_in_words(score):
    words = "the score must be a number" if not score.is_finite() else "is outside the scale 0-4"
    with pytest.raises(EvaluationInputError, match=f"bidder A, M1: .*{words}"):
        rank_lot(DEFAULT, {"A": {**bid(), "M1": score}}, {"A": D(100)}, D(1000))


@pytest.mark.parametrize("score", [D(0), D(4), D("0.00"), D("3.99")])
def test_scores_at_and_within_the_ends_of_the_scale_are_accepted(score):
    assert results(DEFAULT, {"A": bid(m1=score)}, {"A": D(100)})["A"].question_marks["M1"] == D(20) * score / 4


def test_a_bid_excluded_before_ranking_is_not_flagged_and_has_no_notes():
    """Bids excluded before the ranking (services.evaluation) are built with only what they have."""
    early = BidResult(bidder="A", quality=D(0), social_value=D(0), price_score=None, total=None, rank=None,
                      excluded=True, reasons=("late",), parts={}, question_marks={})
    assert (early.price, early.abnormally_low, early.notes) == (None, False, ())


# --- tie-breaks, each in both directions -----------------------------------------------

def ranks(model, bids, prices, budget=D(1000)):
    return {bidder: r.rank for bidder, r in results(model, bids, prices, budget).items()}


@pytest.mark.parametrize("first, second", [("A", "B"), ("B", "A")])
def test_highest_quality_and_highest_social_value_each_prefer_their_own_higher_value(first, second):
    # first: quality 30 (T1 4, M1 2), social value 0; second: quality 20, social value 10. Both 30 + 40.
    bids = {first: bid(t1=4, m1=2, sv1=0), second: bid(t1=2, m1=2, sv1=2)}
    prices = {first: D(100), second: D(100)}
    assert ranks(variant("[highest_quality]"), bids, prices) == {first: 1, second: 2}
    assert ranks(variant("[highest_social_value]"), bids, prices) == {second: 1, first: 2}


@pytest.mark.parametrize("first, second", [("A", "B"), ("B", "A")])
def test_highest_score_prefers_more_marks_on_the_criterion_it_names(first, second):
    bids = {first: bid(t1=4, m1=2), second: bid(t1=2, m1=4)}
    prices = {first: D(100), second: D(100)}
    assert ranks(variant("[{highest_score: T}]"), bids, prices) == {first: 1, second: 2}
    assert ranks(variant("[{highest_score: M}]"), bids, prices) == {second: 1, first: 2}
    assert ranks(variant("[{highest_score: M1}]"), bids, prices) == {second: 1, first: 2}


@pytest.mark.parametrize("first, second", [("A", "B"), ("B", "A")])
def test_lowest_price_prefers_the_lower_price(first, second):
    # budget_relative scores every price at or above the budget 0: equal totals, different prices.
    model = variant("[lowest_price]", formula=BUDGET_RELATIVE, ceiling=None)
    bids = {first: bid(), second: bid()}
    assert ranks(model, bids, {first: D(1000), second: D("1000.01")}) == {first: 1, second: 2}


def test_tie_break_steps_apply_in_order_and_only_to_equal_totals():
    # A and B tie on total and quality; lowest price (the second step) splits them.
    model = variant("[highest_quality, lowest_price]", formula=BUDGET_RELATIVE, ceiling=None)
    bids = {"A": bid(t1=4, m1=2), "B": bid(t1=2, m1=4), "C": bid(t1=4, m1=4)}
    r = ranks(model, bids, {"A": D(1100), "B": D(1000), "C": D(1200)})
    assert r == {"C": 1, "B": 2, "A": 3}


def test_bids_no_tie_break_can_split_share_the_rank_and_the_next_rank_is_skipped():
    bids = {"A": bid(t1=3), "B": bid(t1=3), "C": bid(t1=2)}
    ranking = rank_lot(DEFAULT, bids, {"A": D(100), "B": D(100), "C": D(100)}, D(1000))
    assert ranking.winners == ("A", "B")
    assert [(r.bidder, r.rank) for r in ranking.results] == [("A", 1), ("B", 1), ("C", 3)]


def test_a_model_without_tie_break_steps_leaves_equal_totals_tied():
    bids = {"A": bid(t1=4, m1=2, sv1=0), "B": bid(t1=2, m1=2, sv1=2)}
    assert ranks(variant("[]"), bids, {"A": D(100), "B": D(100)}) == {"A": 1, "B": 1}


# --- properties ---------------------------------------------------------------------------

points = st.sampled_from([D(p) for p in range(5)])
prices = st.decimals(min_value=D("0.01"), max_value=D(3000), places=2)
models = st.sampled_from([DEFAULT, variant(formula=BUDGET_RELATIVE, ceiling=None)])
lots = st.dictionaries(st.sampled_from("ABCDEF"),
                       st.tuples(points, points, points, st.booleans(), prices), min_size=1, max_size=6)


@given(models, lots, st.decimals(min_value=D("0.01"), max_value=D(3000), places=2))
def test_a_total_never_exceeds_the_sum_of_the_weights(model, lot, budget):
    bids = {b: bid(t1, m1, sv1, passed) for b, (t1, m1, sv1, passed, _) in lot.items()}
    for r in rank_lot(model, bids, {b: v[4] for b, v in lot.items()}, budget).results:
        assert D(0) <= r.quality <= D(40) and D(0) <= r.social_value <= D(20)
        if not r.excluded:
            assert D(0) <= r.price_score <= D(40)
            assert r.total <= D(100)
            assert abs(r.total - (r.quality + r.social_value + r.price_score)) < D("1e-25")  # 40 digits inside


TIE_BREAK_MODELS = {kind: variant(f"[{kind}]", ceiling=None) for kind in
                    ("highest_quality", "highest_social_value", "{highest_score: T}", "{highest_score: T1}")}
at_least_the_minimum = st.sampled_from([D(2), D(3), D(4)])  # T1's minimum is 2


@given(at_least_the_minimum, at_least_the_minimum, points, prices, st.sampled_from([("A", "B"), ("B", "A")]))
def test_a_tie_break_prefers_the_higher_value_it_names(a, b, c, price, names):
    """Swapping two equally weighted scores (T1 and SV1) keeps the total; the tie-break then decides."""
    x, y = names
    bids = {x: bid(t1=a, m1=c, sv1=b), y: bid(t1=b, m1=c, sv1=a)}
    for kind, x_value, y_value in (("highest_quality", a, b), ("highest_social_value", b, a),
                                   ("{highest_score: T}", a, b), ("{highest_score: T1}", a, b)):
        expected = {x: 1, y: 2} if x_value > y_value else {y: 1, x: 2} if y_value > x_value else {x: 1, y: 1}
        assert ranks(TIE_BREAK_MODELS[kind], bids, {x: price, y: price}) == expected, kind


LOWEST_PRICE = variant("[lowest_price]", formula=BUDGET_RELATIVE, ceiling=None)


@given(st.decimals(min_value=D(1000), max_value=D(5000), places=2),
       st.decimals(min_value=D(1000), max_value=D(5000), places=2), st.sampled_from([("A", "B"), ("B", "A")]))
def test_lowest_price_prefers_the_lower_of_any_two_prices(p, q, names):
    x, y = names
    got = ranks(LOWEST_PRICE, {x: bid(), y: bid()}, {x: p, y: q})
    assert got == ({x: 1, y: 2} if p < q else {y: 1, x: 2} if q < p else {x: 1, y: 1})
