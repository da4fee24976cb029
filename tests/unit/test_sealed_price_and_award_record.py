"""Sealed price commitments and the recorded award decision: pure rules, worked by hand."""
from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tender.domain import award, sealed_price
from tender.domain.scoring.ranking import BidResult, LotRanking


def test_a_commitment_is_sha256_of_salt_colon_price_in_pounds_and_pence():
    expected = hashlib.sha256(b"abc:1395000.00").hexdigest()
    assert sealed_price.commitment(Decimal("1395000"), "abc") == expected
    assert sealed_price.matches("1395000.00", "abc", expected)
    assert not sealed_price.matches("1395000.01", "abc", expected)
    assert not sealed_price.matches("1395000.00", "abd", expected)
    assert not sealed_price.matches("not a price", "abc", expected)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2), st.text(max_size=40))
def test_any_price_opens_its_own_commitment_and_no_other(price, salt):
    committed = sealed_price.commitment(price, salt)
    assert sealed_price.matches(price, salt, committed)
    assert not sealed_price.matches(price + Decimal("0.01"), salt, committed)


def test_the_trail_check_names_the_opening_whose_price_does_not_open_the_receipt():
    good, bad = sealed_price.commitment(Decimal(100), "s1"), sealed_price.commitment(Decimal(200), "s2")
    events = [
        (1, "bid.received", "10", {"price_commitment": good}),
        (2, "bid.received", "11", {"price_commitment": bad}),
        (3, "bid.received", "12", {"price": "50.00"}),  # before sealing: nothing committed, nothing checked
        (4, "evaluation.prices_opened", "1", {"prices": {
            "A": {"bid_id": 10, "price": "100.00", "salt": "s1", "commitment": good},
            "B": {"bid_id": 11, "price": "150.00", "salt": "s2", "commitment": bad},
            "C": {"bid_id": 12, "price": "50.00", "salt": None, "commitment": None}}}),
        (5, "evaluation.prices_opened", "2", {"prices": {
            "A": {"bid_id": 10, "price": "100.00", "salt": "s1", "commitment": bad}}}),
    ]
    problems = sealed_price.check_trail(events)
    assert [seq for seq, _ in problems] == [4, 5]
    assert "B: the opened price does not match" in problems[0][1]
    assert "differs from the receipt" in problems[1][1]


def _result(bidder, total, rank, excluded=False):
    return BidResult(bidder=bidder, quality=Decimal(total or 0), social_value=Decimal(0), price_score=None,
                     total=None if total is None else Decimal(total), rank=rank, excluded=excluded,
                     reasons=("failed C1",) if excluded else (), parts={}, question_marks={})


def _facts(i, price="1000"):
    return award.BidFacts(supplier_id=i, bid_id=100 + i, price=Decimal(price), scores={"Q1": Decimal(3)},
                          rationales={"Q1": "Strong."})


def _record(ranking, reason=None):
    return award.decision_record(procurement="P-1", lot_number=1, lot_title="Lot", round_="final", model=None,
                                 ranking=ranking, bids={"A": _facts(1, "1000.50"), "B": _facts(2), "C": _facts(3)},
                                 total_years=5, no_award_reason=reason)


def test_the_record_names_the_first_ranked_bid_and_values_it_over_the_whole_term():
    record = _record(LotRanking((_result("A", "80", 1), _result("B", "70", 2), _result("C", None, None, True))))
    assert record["recommended"] == {"supplier": "A", "supplier_id": 1, "bid_id": 101}
    assert record["annual_price"] == "1000.50" and record["contract_value"] == "5002.50"
    assert [r["rank"] for r in record["ranking"]] == [1, 2, None] and record["ranking"][2]["reasons"] == ["failed C1"]
    assert record["tie_break_applied"] is False


def test_a_tie_the_tie_break_could_not_split_is_refused_unless_no_award_is_recorded():
    tied = LotRanking((_result("A", "80", 1), _result("B", "80", 1)))
    with pytest.raises(award.AwardDecisionError, match="A and B are tied"):
        _record(tied)
    assert _record(tied, "Tie to be resolved by re-tender.")["recommended"] is None


def test_first_place_decided_by_the_tie_break_is_recorded_as_such():
    assert _record(LotRanking((_result("A", "80", 1), _result("B", "80", 2))))["tie_break_applied"] is True


def test_no_ranked_bid_needs_a_reason():
    with pytest.raises(award.AwardDecisionError, match="give the reason"):
        _record(LotRanking((_result("C", None, None, True),)))


def test_the_digest_is_stable_and_moves_with_any_figure():
    ranking = LotRanking((_result("A", "80", 1), _result("B", "70", 2)))
    first, again = _record(ranking), _record(ranking)
    assert award.digest(first) == award.digest(again)
    changed = _record(LotRanking((_result("A", "80", 1), _result("B", "70.01", 2))))
    assert award.digest(changed) != award.digest(first)
    assert award.approval_digest({2: "b", 1: "a"}) == hashlib.sha256(b"lot 1: a\nlot 2: b").hexdigest()


def test_the_typed_award_decision_round_trips_the_stored_json_byte_for_byte():
    from hypothesis import given, strategies as st

    from tender.domain.award import AwardDecision, canonical_json

    names = st.text(min_size=1, max_size=20)
    money = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**9, places=2).map(str))

    @given(st.lists(st.tuples(names, money), min_size=1, max_size=5), names, st.integers(1, 10), money)
    def check(bidders, title, years, value):
        record = {"procurement": "REF-1", "lot": {"number": 2, "title": title}, "round": "final", "model": None,
                  "ranking": [{"rank": i + 1, "supplier": n, "supplier_id": 10 + i, "bid_id": 100 + i, "price": p,
                               "total": "50.00", "excluded": False, "abnormally_low": i == 1}
                              for i, (n, p) in enumerate(bidders)],
                  "tie_break_applied": False,
                  "recommended": {"supplier": bidders[0][0], "supplier_id": 10, "bid_id": 100},
                  "no_award_reason": None, "annual_price": value, "total_years": years, "contract_value": value}
        text = canonical_json(record)
        decision = AwardDecision.from_json(text)
        assert decision.to_json() == text
        assert decision.recipients == tuple((10 + i, n) for i, (n, _) in enumerate(bidders))
        assert decision.recommended_supplier_id == 10 and decision.lot_title == title
        assert [b.abnormally_low for b in decision.ranking][:2] == [False, True][:len(bidders)]

    check()
