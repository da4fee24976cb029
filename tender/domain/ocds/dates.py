"""Dates and money as OCDS writes them: days in UK time, instants in UTC, amounts as JSON numbers.

Money in the record is net of VAT; a Value carries it as ``amount`` and, where
the procurement's VAT rate is known, the UK extension's ``amountGross``.

A day is a day in UK time: a start (or a day something was met or signed) is
00:00 and a deadline or period end is 23:59:59, Europe/London, with its offset.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
CURRENCY = "GBP"
ONE_DAY = timedelta(days=1)


def day_start(day: date) -> str:
    """A day's first moment in UK time, ISO 8601 with offset."""
    return datetime.combine(day, time(0), tzinfo=UK).isoformat()


def day_end(day: date) -> str:
    """A day's last second in UK time: when a deadline on that day passes."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UK).isoformat()


def timestamp(moment: datetime) -> str:
    """An instant in UTC with 'Z', to the second (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse(text: str) -> datetime:
    """An OCDS date-time back to an aware datetime (ValueError if it is not one)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment


def amount(value: Decimal) -> int | float:
    """Money as a JSON number: whole pounds stay integers."""
    return int(value) if value == value.to_integral_value() else float(value)


def gross(net: Decimal, vat_percent: Decimal) -> Decimal:
    """The amount with VAT at ``vat_percent`` added, to the penny (half up)."""
    return (net * (100 + vat_percent) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money(value: Decimal, vat_percent: Decimal | None = None) -> dict:
    """An OCDS Value: ``amount`` net of VAT and, with the rate known, the UK ``amountGross`` including it."""
    out = {"amount": amount(value)}
    if vat_percent is not None:
        out["amountGross"] = amount(gross(value, vat_percent))
    out["currency"] = CURRENCY
    return out


def add_years(day: date, years: int) -> date:
    """The anniversary ``years`` later; 29 February's falls on 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def term_period(start: date, years: int, extension_years: int) -> dict:
    """A contract period of ``years`` from ``start``; ``maxExtentDate`` with every extension taken."""
    period = {"startDate": day_start(start), "endDate": day_end(add_years(start, years) - ONE_DAY),
              "durationInMonths": years * 12}
    if extension_years:
        period["maxExtentDate"] = day_end(add_years(start, years + extension_years) - ONE_DAY)
    return period
