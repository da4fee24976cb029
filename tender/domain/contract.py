"""The contract as signed: what is recorded for each lot awarded, and the rules it must meet.

The contract stage records the contract itself rather than stamping a date:
the day it was signed, the authority's contract reference, its value, its
start and end, and the extensions it allows. Notices (the contract details
notice UK7, OCDS ``contracts``) and the procurement report read it.

Pure Python: callers pass the facts (the standstill's first lawful day, today).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tender.domain import bounds, periods

MAX_REFERENCE = 100
#: The bounds of the database's CHECK constraints (migration 0018), in the one place.
MAX_EXTENSION_YEARS = bounds.MAX_EXTENSION_YEARS
MAX_TERM_YEARS = bounds.MAX_TERM_YEARS


class ContractError(ValueError):
    """A contract that cannot be recorded; ``field`` names the field, ``str()`` says what to enter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ContractTerms:
    """One lot's contract as signed."""

    reference: str
    signed_on: date
    value: Decimal
    starts_on: date
    ends_on: date
    extension_years: int = 0

    @property
    def max_extent(self) -> date | None:
        """The last day if every extension is taken (None with no extension)."""
        if not self.extension_years:
            return None
        return _add_years(self.ends_on, self.extension_years)

    def as_audit(self) -> dict:
        """The terms as the audit trail records them."""
        return {"reference": self.reference, "signed_on": self.signed_on, "value": str(self.value),
                "starts_on": self.starts_on, "ends_on": self.ends_on, "extension_years": self.extension_years}


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check(reference: str | None, signed_on: date | None, value, starts_on: date | None, ends_on: date | None,
          extension_years, *, today: date, contract_from: date | None = None) -> ContractTerms:
    """The terms if they can be recorded; otherwise ContractError naming the field and what to enter.

    ``contract_from`` is the first day the contract may lawfully be entered
    into (the day after standstill ends), when a standstill applies.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ContractError("reference", "Enter the contract reference, like KCC-LWK-2022-01")
    if len(reference) > MAX_REFERENCE:
        raise ContractError("reference", f"Enter a contract reference of {MAX_REFERENCE} characters or fewer")
    if bounds.CONTROL_CHARACTERS.search(reference):
        raise ContractError("reference", bounds.CONTROL_MESSAGE)
    for field, day, what in (("signed_on", signed_on, "date the contract was signed"),
                             ("starts_on", starts_on, "contract start date"),
                             ("ends_on", ends_on, "contract end date")):
        if day is None:
            raise ContractError(field, f"Enter the {what}")
        if not bounds.date_in_bounds(day):
            raise ContractError(field, f"{bounds.DATE_MESSAGE} for the {what}")
    if signed_on > today:
        raise ContractError("signed_on", "The date the contract was signed must be today or in the past")
    if contract_from is not None and signed_on < contract_from:
        raise ContractError("signed_on", "The contract cannot have been signed before standstill ended: enter a "
                                         f"date on or after {periods.format_uk_date(contract_from)}")
    amount = bounds.parse_amount(value) if value is not None else None
    if amount is None:
        raise ContractError("value", "Enter the contract value in pounds, like 1250000.00")
    try:
        amount = bounds.check_amount(amount, "the contract value")
    except bounds.OutOfBounds as exc:
        raise ContractError("value", str(exc).rstrip(".")) from None
    if ends_on <= starts_on:
        raise ContractError("ends_on", "The contract end date must be after its start date")
    if ends_on > _add_years(starts_on, MAX_TERM_YEARS):
        raise ContractError("ends_on", f"Enter a contract term of {MAX_TERM_YEARS} years or less")
    if isinstance(extension_years, bool) or not isinstance(extension_years, int) \
            or not 0 <= extension_years <= MAX_EXTENSION_YEARS:
        raise ContractError("extension_years", "Enter the extension options as a whole number of years from 0 to "
                                               f"{MAX_EXTENSION_YEARS}")
    if _add_years(ends_on, extension_years) > bounds.LATEST_DATE:
        raise ContractError("extension_years", "With every extension taken the contract would run past "
                                               "31 December 2100: enter fewer years")
    return ContractTerms(reference, signed_on, amount, starts_on, ends_on, extension_years)
