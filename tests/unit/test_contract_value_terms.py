"""Contract values at the edges: the shortest terms, zero and one-penny amounts.

Written from what the contract-value rules promise (a funder's yearly amount,
uplift compounding from the second contract year, each year rounded to the
penny half up, shares of the first year), not from the code: each test names
a value a budget spreadsheet would give.
"""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tender.domain.contract_value import FunderShare, contract_values, yearly_amounts


def test_a_one_year_initial_term_with_no_extension_is_one_year_of_money():
    (values,) = contract_values([FunderShare("Council", D("250000.00"))], 1, [])
    assert [(t.term, t.amount) for t in values.terms] == [("Initial 1-year term", D("250000.00"))]
    assert values.total == D("250000.00")
    assert values.share_percent == D("100.0")


def test_one_year_extensions_are_singular_and_longer_ones_plural():
    (values,) = contract_values([FunderShare("Council", D("10"))], 1, [1, 2])
    assert [t.term for t in values.terms] == ["Initial 1-year term", "Extension 1 (1 year)", "Extension 2 (2 years)"]
    assert [t.amount for t in values.terms] == [D("10.00"), D("10.00"), D("20.00")]


@pytest.mark.parametrize("initial, extensions, wording", [
    (0, [], "initial contract term must be at least one year"),
    (-1, [], "initial contract term must be at least one year"),
    (1, [0], "Each extension option must be at least one year"),
    (2, [1, -1], "Each extension option must be at least one year"),
])
def test_a_term_shorter_than_a_year_is_refused_naming_which(initial, extensions, wording):
    with pytest.raises(ValueError, match=wording):
        contract_values([FunderShare("Council", D("1"))], initial, extensions)


def test_the_first_year_carries_no_uplift_and_one_year_is_one_amount():
    assert yearly_amounts(FunderShare("Council", D("1000.00"), D("50")), 1) == [D("1000.00")]


def test_a_penny_with_uplift_rounds_half_up_each_year_from_the_unrounded_amount():
    # 50% a year on 1p: 0.01, 0.015 -> 0.02 (half up), 0.0225 -> 0.02, 0.03375 -> 0.03
    assert yearly_amounts(FunderShare("Council", D("0.01"), D("50")), 4) == [
        D("0.01"), D("0.02"), D("0.02"), D("0.03")]


def test_a_penny_a_year_without_uplift_stays_a_penny():
    (values,) = contract_values([FunderShare("Council", D("0.01"))], 2, [1])
    assert [t.amount for t in values.terms] == [D("0.02"), D("0.01")]
    assert values.total == D("0.03")


def test_a_funder_paying_nothing_has_no_share_and_no_money():
    council, nobody = contract_values([FunderShare("Council", D("300")), FunderShare("Nobody", D("0"))], 2, [])
    assert council.share_percent == D("100.0") and nobody.share_percent == D("0.0")
    assert nobody.total == D("0.00") and [t.amount for t in nobody.terms] == [D("0.00")]


def test_when_no_funder_pays_anything_every_share_is_zero_not_a_division_error():
    values = contract_values([FunderShare("A", D("0")), FunderShare("B", D("0.00"))], 1, [1])
    assert [v.share_percent for v in values] == [D("0"), D("0")]
    assert [v.total for v in values] == [D("0.00"), D("0.00")]


def test_shares_are_rounded_to_a_tenth_of_a_percent():
    values = contract_values([FunderShare("A", D("1")), FunderShare("B", D("2"))], 1, [])
    assert [v.share_percent for v in values] == [D("33.3"), D("66.7")]


def test_extensions_follow_the_initial_term_in_contract_years():
    # 100 rising 10% a year: 100, 110, 121, 133.10, 146.41
    (values,) = contract_values([FunderShare("Council", D("100"), D("10"))], 2, [1, 2])
    assert [t.amount for t in values.terms] == [D("210.00"), D("121.00"), D("279.51")]
    assert values.total == D("610.51")


amounts = st.decimals(min_value=0, max_value=10**7, places=2)
uplifts = st.decimals(min_value=0, max_value=20, places=1)


@given(amounts, uplifts, st.integers(1, 5), st.lists(st.integers(1, 3), max_size=3))
def test_the_terms_add_up_to_the_total_and_to_the_yearly_amounts(amount, uplift, initial, extensions):
    (values,) = contract_values([FunderShare("Council", amount, uplift)], initial, extensions)
    years = yearly_amounts(FunderShare("Council", amount, uplift), initial + sum(extensions))
    assert len(values.terms) == 1 + len(extensions)
    assert sum(t.amount for t in values.terms) == values.total == sum(years)
    assert values.terms[0].amount == sum(years[:initial])
    assert years == sorted(years)  # an uplift never lowers a year's amount


@given(amounts, st.integers(1, 6))
def test_without_uplift_every_year_is_the_annual_amount(amount, years):
    assert yearly_amounts(FunderShare("Council", amount), years) == [amount.quantize(D("0.01"))] * years
