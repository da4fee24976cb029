"""Numbers as people read them: one formatter, and never a negative zero."""
from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tender.domain import numbers

NEGATIVE_ZERO = re.compile(r"^[+-]0(\.0*)?$")


def test_small_negative_changes_round_to_zero_without_a_sign():
    assert numbers.fixed(-0.04, 1) == "0.0" and numbers.fixed(Decimal("-0.00"), 2) == "0.00"
    assert numbers.fixed(-0.04, 1, sign=True) == "0.0" and numbers.fixed(1.25, 1, sign=True) == "+1.2"
    assert numbers.fixed(-3.06, 1, sign=True) == "-3.1"
    assert numbers.plain("-0.00") == "0" and numbers.plain("4.00") == "4" and numbers.plain("pass") == "pass"
    assert numbers.money("1395000") == "£1,395,000.00" and numbers.fixed(None) == "" and numbers.fixed("x") == "x"


@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
                 st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**9, max_value=10**9)),
       st.integers(0, 4), st.booleans())
def test_no_number_is_ever_written_as_a_signed_zero(value, places, sign):
    text = numbers.fixed(value, places, sign=sign)
    assert not NEGATIVE_ZERO.match(text), (value, text)
    assert Decimal(text.replace(",", "")) == numbers.to_decimal(value).quantize(Decimal(1).scaleb(-places))
    assert not NEGATIVE_ZERO.match(numbers.plain(value))

