"""WTForms validators for ``tender.domain.bounds``: the same limits the services and the database hold.

Messages are instructions, as everywhere in Tender's forms.
"""
from __future__ import annotations

from datetime import date, datetime

from wtforms.validators import StopValidation, ValidationError

from tender.domain import bounds


class DateWithinBounds:
    """A date (or date and time) from 1 January 1990 to 31 December 2100."""

    def __init__(self, what: str = ""):
        self.what = what

    def __call__(self, form, field):
        value = field.data
        if isinstance(value, (date, datetime)) and not bounds.date_in_bounds(value):
            suffix = f" for the {self.what}" if self.what else ""
            raise StopValidation(f"{bounds.DATE_MESSAGE}{suffix}")


class AmountWithinBounds:
    """An amount in pounds from £0.01 to the maximum (text such as "£1,250,000.00")."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, form, field):
        if not field.data or not str(field.data).strip():
            return
        amount = bounds.parse_amount(field.data)
        if amount is None:
            return  # the Regexp validator on the field says how to write an amount
        try:
            bounds.check_amount(amount, self.what)
        except bounds.OutOfBounds as exc:
            raise ValidationError(str(exc).rstrip(".")) from None


class WholeWithin:
    """A whole number typed as text, from ``low`` to ``high``."""

    def __init__(self, low: int, high: int, message: str):
        self.low, self.high, self.message = low, high, message

    def __call__(self, form, field):
        raw = str(field.data or "").strip()
        if raw.isascii() and raw.isdigit() and not self.low <= int(raw.lstrip("0")[:20] or "0") <= self.high:
            raise ValidationError(self.message)


class IdWithin:
    """An integer field holding an id or a version: it must fit the database's INTEGER."""

    def __call__(self, form, field):
        if isinstance(field.data, int) and not 0 <= field.data <= bounds.MAX_ID:
            raise StopValidation("The request was not valid. Reload the page and try again.")


def id_field_validators() -> list:
    """Validators for a hidden id or version field."""
    return [IdWithin()]
