"""Numbers as people read them: the one place that turns a score, weight, mark or amount into text.

Every page, letter and export formats numbers through :func:`fixed` (a set
number of decimal places) or :func:`plain` (as few as needed), so none of
them can print a negative zero: a sensitivity change of -0.04 rounded to one
place is "0.0", never "-0.0", and a sign is only shown when it means
something. Rounding is to the nearest, ties to even (``Decimal``'s default,
as the recorded award decision rounds). Pure: no Flask, no database.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["fixed", "plain", "money", "to_decimal"]


def to_decimal(value) -> Decimal:
    """A Decimal of ``value`` (int, float, str or Decimal); a float by its shortest text, so 0.1 is 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _no_negative_zero(number: Decimal) -> Decimal:
    return number.copy_abs() if number == 0 else number


def fixed(value, places: int = 2, *, sign: bool = False, grouped: bool = False) -> str:
    """``value`` to ``places`` decimal places ("95.02"); "" for None; never "-0.0".

    ``sign`` writes "+" before a positive number (a change: "+1.5"; zero is
    "0.0", neither rising nor falling); ``grouped`` separates thousands
    ("1,395,000.00"). A value that is not a number is returned as text.
    """
    if value is None:
        return ""
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not number.is_finite():
        return str(value)
    rounded = _no_negative_zero(number.quantize(Decimal(1).scaleb(-places)))
    text = f"{rounded:{',' if grouped else ''}f}"
    return f"+{text}" if sign and rounded > 0 else text


def plain(value) -> str:
    """A number with as few places as it needs: "4" for "4.00", "2.5" for "2.50"; "" for None; never "-0".

    A value that is not a number ("pass", "fail") is returned as it is.
    """
    if value is None:
        return ""
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not number.is_finite():
        return str(value)
    return f"{_no_negative_zero(number.normalize()):f}"


def money(value) -> str:
    """"£1,395,000.00" (or "" for None)."""
    return "" if value is None else f"£{fixed(value, 2, grouped=True)}"
