"""Contract values per funder are computed and match decision 22/00033's tables to the penny."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tender.domain.contract_value import FunderShare, contract_values, yearly_amounts

KCC = [
    FunderShare("KCC Public Health", Decimal("2252648.50")),
    FunderShare("KCC Adult Social Care", Decimal("3077536.50")),
    FunderShare("Kent and Medway CCG", Decimal("1488837.00")),
]


def test_the_demo_funders_reproduce_tables_1_and_2_of_the_decision():
    values = {v.name: v for v in contract_values(KCC, 3, [2])}
    ph, asc, ccg = values["KCC Public Health"], values["KCC Adult Social Care"], values["Kent and Medway CCG"]
    assert [t.amount for t in ph.terms] == [Decimal("6757945.50"), Decimal("4505297.00")]
    assert ph.total == Decimal("11263242.50")
    assert [t.amount for t in asc.terms] == [Decimal("9232609.50"), Decimal("6155073.00")]
    assert asc.total == Decimal("15387682.50")
    assert [t.amount for t in ccg.terms] == [Decimal("4466511.00"), Decimal("2977674.00")]
    assert ccg.total == Decimal("7444185.00")
    # £6,819,022 a year in all: "£6.8m a year".
    assert sum(f.annual_amount for f in KCC) == Decimal("6819022.00")


def test_an_annual_uplift_compounds_from_the_second_year_and_rounds_each_year_to_the_penny():
    # 1,000,000 at 2%: 1,000,000.00; 1,020,000.00; 1,040,400.00; 1,061,208.00; 1,082,432.16
    assert yearly_amounts(FunderShare("CCG", Decimal("1000000"), Decimal("2")), 5) == [
        Decimal("1000000.00"), Decimal("1020000.00"), Decimal("1040400.00"), Decimal("1061208.00"), Decimal("1082432.16")]
    (values,) = contract_values([FunderShare("CCG", Decimal("1000000"), Decimal("2"))], 3, [1, 1])
    assert [t.amount for t in values.terms] == [Decimal("3060400.00"), Decimal("1061208.00"), Decimal("1082432.16")]
    assert [t.term for t in values.terms] == ["Initial 3-year term", "Extension 1 (1 year)", "Extension 2 (1 year)"]


def test_shares_are_of_the_first_year():
    values = contract_values(KCC, 3, [2])
    assert [v.share_percent for v in values] == [Decimal("33.0"), Decimal("45.1"), Decimal("21.8")]


@pytest.mark.parametrize("initial, extensions", [(0, []), (3, [0])])
def test_a_term_of_no_years_is_refused(initial, extensions):
    with pytest.raises(ValueError, match="at least one year"):
        contract_values(KCC, initial, extensions)
