"""UK bank-holiday calendars for counting procurement time limits.

Why a maintained package: bank holidays are set each year by proclamation
under the Banking and Financial Dealings Act 1971, and one-off days are added
at short notice (the state funeral of Queen Elizabeth II on 19 September 2022,
the coronation of King Charles III on 8 May 2023). The ``holidays`` package
tracks these, including substitute ("observed") days when a holiday falls at a
weekend. A council may still need a date the package lacks, so every counting
function in :mod:`tender.domain.periods` also accepts ``extra_holidays``.

Which list applies depends on the regime:

* PCR 2015 reg 2 (working day = not Saturday, Sunday, Christmas Day, Good
  Friday or a bank holiday): for an English or Welsh authority, the England
  and Wales list (``"england-and-wales"``).
* Procurement Act 2023 s.123: a bank holiday in *any* part of the United
  Kingdom, so the union of the England and Wales, Scotland and Northern
  Ireland lists (``"united-kingdom"``). St Andrew's Day, 2 January and
  12 July are therefore non-working days under the Act.

The package returns the nominal date of a holiday as well as its substitute,
so a list may contain Saturdays and Sundays (for example Sunday 25 December
2022 alongside Tuesday 27 December 2022). That is harmless: weekends are not
working days anyway.

Calendars are built lazily, one (calendar, year) at a time, and cached for the
life of the process; building one year costs about a millisecond, looking a
day up afterwards is a dictionary access.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

import holidays

CalendarName = Literal["england-and-wales", "scotland", "northern-ireland", "united-kingdom"]

#: The ``holidays`` subdivision codes behind each calendar, with a label used
#: when a holiday applies in only some parts of the UK. England and Wales share
#: one list; the package's ENG and WLS lists are identical (a test checks it),
#: so ENG stands for both.
_PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "england-and-wales": (("ENG", "England and Wales"),),
    "scotland": (("SCT", "Scotland"),),
    "northern-ireland": (("NIR", "Northern Ireland"),),
    "united-kingdom": (
        ("ENG", "England and Wales"),
        ("SCT", "Scotland"),
        ("NIR", "Northern Ireland"),
    ),
}

CALENDARS: tuple[str, ...] = tuple(_PARTS)


def _check_calendar(calendar: str) -> None:
    if calendar not in _PARTS:
        raise ValueError(
            f"Unknown bank-holiday calendar {calendar!r}; use one of {', '.join(CALENDARS)}."
        )


@lru_cache(maxsize=256)
def _subdivision_year(subdiv: str, year: int) -> Mapping[date, tuple[str, ...]]:
    """One part of the UK, one year: date -> holiday names (read-only)."""
    table = holidays.country_holidays("GB", subdiv=subdiv, years=year)
    # The package joins two holidays on one date with "; " (for example
    # 2 January 2023 in Scotland), so split them back into separate names.
    return MappingProxyType(
        {day: tuple(name.split("; ")) for day, name in table.items() if day.year == year}
    )


@lru_cache(maxsize=256)
def _calendar_year(calendar: str, year: int) -> Mapping[date, str]:
    """One calendar, one year: date -> a plain-English name for the holiday.

    In the UK-wide calendar a holiday kept in only some parts of the UK is
    labelled with where it applies, e.g. "Saint Andrew's Day (Scotland)".
    """
    parts = _PARTS[calendar]
    where: dict[date, dict[str, list[str]]] = {}
    for subdiv, label in parts:
        for day, names in _subdivision_year(subdiv, year).items():
            for name in names:
                where.setdefault(day, {}).setdefault(name, []).append(label)
    result = {}
    for day in sorted(where):
        rendered = []
        for name, labels in where[day].items():
            if len(labels) == len(parts):
                rendered.append(name)
            else:
                rendered.append(f"{name} ({' and '.join(labels)})")
        result[day] = "; ".join(rendered)
    return MappingProxyType(result)


@lru_cache(maxsize=256)
def bank_holidays(calendar: CalendarName, first_year: int, last_year: int | None = None) -> frozenset[date]:
    """All bank holidays in ``calendar`` from ``first_year`` to ``last_year`` inclusive.

    Cached per (calendar, year range). Dates may include the nominal day of a
    holiday that fell at a weekend as well as its substitute weekday.
    """
    _check_calendar(calendar)
    if last_year is None:
        last_year = first_year
    if last_year < first_year:
        raise ValueError(f"The year range {first_year} to {last_year} runs backwards.")
    days: set[date] = set()
    for year in range(first_year, last_year + 1):
        days.update(_calendar_year(calendar, year))
    return frozenset(days)


def is_bank_holiday(day: date, calendar: CalendarName) -> bool:
    """True if ``day`` is a bank holiday (including a substitute day) in ``calendar``."""
    _check_calendar(calendar)
    return day in _calendar_year(calendar, day.year)


def holiday_name(day: date, calendar: CalendarName) -> str | None:
    """The name of the bank holiday on ``day`` in ``calendar``, or None.

    Used in messages, e.g. "15 April 2022 is not a working day (Good Friday)".
    """
    _check_calendar(calendar)
    return _calendar_year(calendar, day.year).get(day)
