"""Contract value per funder over the initial term and each extension.

Values are computed from each funder's annual contribution and its optional
annual uplift, never typed in, so that a change to one input cannot leave a
stale total behind. Uplift compounds yearly from the second contract year and
each year's amount is rounded to the penny, as a budget spreadsheet would.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")


@dataclass(frozen=True)
class FunderShare:
    """What one funder pays in the first contract year, and its yearly uplift (percent)."""

    name: str
    annual_amount: Decimal
    uplift_percent: Decimal = Decimal("0")


@dataclass(frozen=True)
class TermValue:
    """One funder's total for one term (the initial term or an extension)."""

    term: str
    amount: Decimal


@dataclass(frozen=True)
class FunderValues:
    """A funder's values per term and in total, and its share of the first year."""

    name: str
    terms: tuple[TermValue, ...]
    total: Decimal
    share_percent: Decimal


def yearly_amounts(share: FunderShare, years: int) -> list[Decimal]:
    """Amount paid in each contract year 1..years, uplift compounding from year 2."""
    factor = Decimal(1) + share.uplift_percent / Decimal(100)
    amounts = []
    amount = share.annual_amount
    for year in range(years):
        if year:
            amount = amount * factor
        amounts.append(amount.quantize(PENNY, rounding=ROUND_HALF_UP))
    return amounts


def contract_values(funders: list[FunderShare], initial_years: int, extensions: list[int]) -> list[FunderValues]:
    """Each funder's value over the initial term, each extension option, and in total."""
    if initial_years < 1:
        raise ValueError("The initial contract term must be at least one year.")
    if any(years < 1 for years in extensions):
        raise ValueError("Each extension option must be at least one year.")
    total_years = initial_years + sum(extensions)
    first_year_total = sum((f.annual_amount for f in funders), Decimal(0))
    result = []
    for funder in funders:
        amounts = yearly_amounts(funder, total_years)
        terms = [TermValue(f"Initial {initial_years}-year term", sum(amounts[:initial_years], Decimal(0)))]
        start = initial_years
        for number, years in enumerate(extensions, start=1):
            label = f"Extension {number} ({years} year{'s' if years != 1 else ''})"
            terms.append(TermValue(label, sum(amounts[start:start + years], Decimal(0))))
            start += years
        share = (funder.annual_amount / first_year_total * 100).quantize(Decimal("0.1")) if first_year_total else Decimal(0)
        result.append(FunderValues(funder.name, tuple(terms), sum(amounts, Decimal(0)), share))
    return result
