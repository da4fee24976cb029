"""Properties of the ranking that must hold for any scores and prices (hypothesis)."""
from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tender.domain.scoring.loader import load_model
from tender.domain.scoring.ranking import rank_lot

DEMO = load_model(Path(__file__).resolve().parents[2] / "scoring_rules"
                  / "community_services_quality_price_social_value.yaml")
QUESTIONS = DEMO.questions()
BUDGET = D(10_000_000)


def answer(question):
    if question.pass_fail:
        return st.sampled_from([True, True, True, False])
    return st.sampled_from(question.scale.values)


one_bid = st.fixed_dictionaries({q.id: answer(q) for q in QUESTIONS})
prices = st.integers(min_value=1_000_000, max_value=11_000_000).map(D)  # some above the budget
lots = st.dictionaries(st.text("ABCDEFGH", min_size=1, max_size=3), st.tuples(one_bid, prices),
                       min_size=1, max_size=6)


def rank(lot):
    return rank_lot(DEMO, {b: s for b, (s, _) in lot.items()}, {b: p for b, (_, p) in lot.items()}, BUDGET)


@given(lots)
def test_totals_stay_within_the_weights(lot):
    for r in rank(lot).results:
        assert 0 <= r.quality <= 60 and 0 <= r.social_value <= 10
        if not r.excluded:
            assert 0 <= r.price_score <= 30
            assert 0 <= r.total <= 100
            assert abs(r.total - (r.quality + r.social_value + r.price_score)) < D("1e-25")


@given(lots)
def test_ranks_follow_totals_and_every_bid_is_ranked_or_excluded(lot):
    ranking = rank(lot)
    assert {r.bidder for r in ranking.results} == set(lot)
    ranked = ranking.ranked
    assert all(a.total >= b.total and a.rank <= b.rank for a, b in zip(ranked, ranked[1:]))
    assert all(r.rank is None for r in ranking.results if r.excluded)
    if ranked:
        assert ranked[0].rank == 1


@given(lots, st.data())
def test_raising_one_score_never_lowers_the_bids_total(lot, data):
    bidder = data.draw(st.sampled_from(sorted(lot)))
    question = data.draw(st.sampled_from([q for q in QUESTIONS if not q.pass_fail]))
    scores, price = lot[bidder]
    higher = [v for v in question.scale.values if v > scores[question.id]]
    if not higher:
        return
    raised = {**lot, bidder: ({**scores, question.id: data.draw(st.sampled_from(higher))}, price)}
    before = {r.bidder: r for r in rank(lot).results}[bidder]
    after = {r.bidder: r for r in rank(raised).results}[bidder]
    assert after.quality + after.social_value >= before.quality + before.social_value
    if not before.excluded:
        assert not after.excluded and after.total >= before.total


@given(lots, st.randoms(use_true_random=False))
def test_the_ranking_does_not_depend_on_the_order_of_input_rows(lot, random):
    items = list(lot.items())
    random.shuffle(items)
    shuffled = dict(items)
    for bidder, (scores, price) in items:
        order = list(scores.items())
        random.shuffle(order)
        shuffled[bidder] = (dict(order), price)
    assert rank(shuffled) == rank(lot)


@given(lots)
def test_the_lowest_price_among_bids_still_in_gets_full_price_marks(lot):
    ranked = rank(lot).ranked
    if ranked:
        cheapest = min(r.price for r in ranked)
        assert all(r.price_score == 30 for r in ranked if r.price == cheapest)
