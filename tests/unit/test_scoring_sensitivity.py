"""How far each top-level weight must move to change a lot's winner."""
from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from tender.domain.scoring.loader import load_model
from tender.domain.scoring.ranking import rank_lot
from tender.domain.scoring.sensitivity import weight_sensitivity

# quality 60 (Q1 45 + Q2 15), social value 10, price 30, lowest price relative.
MODEL = """\
title: Sensitivity test model
scales:
  s04:
    points: {0: none, 1: poor, 2: acceptable, 3: good, 4: excellent}
criteria:
  - id: quality
    title: Quality
    weight: 60
    scale: s04
    children:
      - {id: Q1, title: Method, weight: 75}
      - {id: Q2, title: Staff, weight: 25}
  - id: social_value
    title: Social value
    group: social_value
    weight: 10
    scale: s04
    children:
      - {id: SV1, title: Local jobs, weight: 100}
price:
  weight: 30
  formula: lowest_relative
tie_break: [highest_quality]
"""


def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("sensitivity") / "model.yaml"
    path.write_text(MODEL, encoding="utf-8")
    return load_model(path)


def bid(q1, q2, sv1):
    return {"Q1": D(q1), "Q2": D(q2), "SV1": D(sv1)}


def test_known_answer_for_a_quality_winner_against_a_cheap_bid(tmp_path_factory):
    # A: quality 60, social value 10, price 100/200 x 30 = 15: total 85.
    # B: quality 30, social value 5, price 30: total 65.
    m = model(tmp_path_factory)
    ranking = rank_lot(m, {"A": bid(4, 4, 4), "B": bid(2, 2, 2)}, {"A": D(200), "B": D(100)})
    result = {s.part: s for s in weight_sensitivity(m, ranking)}
    # Price at x, the other 70 scaled by (100 - x) / 70:
    #   A = (100 - x) + 0.5x, B = 0.5(100 - x) + x; level at x = 50 (+20).
    assert (result["price"].increase.weight, result["price"].increase.new_winner) == (D(50), "B")
    assert result["price"].increase.change == D(20)
    assert result["price"].decrease is None
    # Quality at y, the other 40 scaled by (100 - y) / 40:
    #   A - B = 0.5y - (100 - y) x (35 - 25) / 40 = 0.75y - 25; level at y = 33.33 (-26.67).
    quality = result["quality"]
    assert quality.increase is None
    assert abs(quality.decrease.weight - D(100) / D(3)) < D("1e-20")
    assert abs(quality.decrease.change + D(80) / D(3)) < D("1e-20")
    assert quality.decrease.new_winner == "B"
    # Social value at z: A - B = 0.5z + (100 - z) x 15 / 90 > 0 everywhere: never changes.
    assert (result["social_value"].increase, result["social_value"].decrease) == (None, None)
    assert [s.part for s in weight_sensitivity(m, ranking)] == ["quality", "social_value", "price"]


def test_a_lot_with_one_ranked_bid_has_nothing_to_change(tmp_path_factory):
    m = model(tmp_path_factory)
    ranking = rank_lot(m, {"A": bid(4, 4, 4)}, {"A": D(200)})
    assert all(s.increase is None and s.decrease is None for s in weight_sensitivity(m, ranking))


def totals_at(ranking, part, weight, x):
    """Totals with ``part`` moved to weight x and the other parts rescaled to keep 100."""
    scale = (100 - x) / (100 - weight)
    return {
        r.bidder: r.parts[part] / weight * x + sum(v for k, v in r.parts.items() if k != part) * scale
        for r in ranking.ranked
    }


points = st.sampled_from([0, 1, 2, 3, 4])
bids = st.dictionaries(st.sampled_from("ABCDE"), st.tuples(points, points, points, st.integers(50, 400)),
                       min_size=2)


@settings(max_examples=60, deadline=None)
@given(bids=bids)
def test_the_winner_holds_until_the_reported_weight_where_a_challenger_draws_level(tmp_path_factory, bids):
    m = model(tmp_path_factory)
    ranking = rank_lot(m, {b: bid(*v[:3]) for b, v in bids.items()}, {b: D(v[3]) for b, v in bids.items()})
    winner = ranking.ranked[0].bidder
    for s in weight_sensitivity(m, ranking):
        for change, end in ((s.increase, D(100)), (s.decrease, D(0))):
            limit = change.weight if change else end
            for fraction in (D(0), D("0.5"), D("0.99")):
                x = s.weight + (limit - s.weight) * fraction
                totals = totals_at(ranking, s.part, s.weight, x)
                assert totals[winner] >= max(totals.values()) - D("1e-25")
            if change:
                totals = totals_at(ranking, s.part, s.weight, change.weight)
                assert abs(totals[winner] - totals[change.new_winner]) < D("1e-25")
