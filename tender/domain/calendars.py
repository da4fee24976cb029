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

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
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


# --- working-day arithmetic ------------------------------------------------------
#
# Counting working days by walking the calendar one day at a time costs a
# holiday lookup per day: a reminder scan over thousands of milestones made
# hundreds of thousands of calls. Instead, weekdays between two dates are
# counted with a closed formula over whole weeks, and the bank holidays that
# fall on weekdays are counted with two binary searches in a sorted table of
# ordinals, built once per calendar and extended year by year as needed.


def _weekdays_to(ordinal: int) -> int:
    """Mondays to Fridays among the ordinals 1..``ordinal`` (ordinal 1, 1 January 1 AD, is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


@lru_cache(maxsize=1)
def _first_year() -> int:
    """The first year the ``holidays`` package has UK bank holidays for (1872 today)."""
    return int(getattr(holidays.country_holidays("GB"), "start_year", 1))


class _HolidayTable:
    """Sorted ordinals of one calendar's bank holidays that fall on a weekday, for a span of years."""

    def __init__(self, calendar: str):
        self.calendar = calendar
        # (first year, last year, sorted ordinals): replaced whole, so readers never see a half-built table.
        self.span: tuple[int, int, tuple[int, ...]] | None = None

    def _year(self, year: int) -> list[int]:
        if year < _first_year():  # before the package's first year: no holidays, and no cost
            return []
        return sorted(day.toordinal() for day in _calendar_year(self.calendar, year) if day.weekday() < 5)

    def covering(self, first_year: int, last_year: int) -> tuple[int, ...]:
        span = self.span
        if span is not None and span[0] <= first_year and last_year <= span[1]:
            return span[2]
        lo = first_year if span is None else min(first_year, span[0])
        hi = last_year if span is None else max(last_year, span[1])
        ordinals: list[int] = []
        for year in range(lo, hi + 1):
            if span is not None and span[0] <= year <= span[1]:
                continue
            ordinals.extend(self._year(year))
        if span is not None:
            ordinals.extend(span[2])
        table = tuple(sorted(ordinals))
        self.span = (lo, hi, table)
        return table


_TABLES: dict[str, _HolidayTable] = {name: _HolidayTable(name) for name in _PARTS}


def _working_in(first: date, last: date, calendar: str, extra_holidays: frozenset[date]) -> int:
    """Working days ``d`` with ``first <= d <= last`` (0 if ``last < first``)."""
    if last < first:
        return 0
    lo, hi = first.toordinal(), last.toordinal()
    table = _TABLES[calendar].covering(first.year, last.year)
    holidays_in = bisect_right(table, hi) - bisect_left(table, lo)
    extras_in = sum(1 for day in extra_holidays
                    if first <= day <= last and day.weekday() < 5 and not is_bank_holiday(day, calendar))
    return _weekdays_to(hi) - _weekdays_to(lo - 1) - holidays_in - extras_in


def working_days_in(first: date, last: date, calendar: CalendarName,
                    extra_holidays: frozenset[date] = frozenset()) -> int:
    """The number of working days ``d`` with ``first <= d <= last`` (0 if ``last < first``)."""
    _check_calendar(calendar)
    return _working_in(first, last, calendar, extra_holidays)


def is_working_day(day: date, calendar: CalendarName, extra_holidays: frozenset[date] = frozenset()) -> bool:
    """Not a Saturday, Sunday, bank holiday in ``calendar`` or one of ``extra_holidays``."""
    return day.weekday() < 5 and day not in extra_holidays and not is_bank_holiday(day, calendar)


def count_working_days(start: date, end: date, calendar: CalendarName,
                       extra_holidays: frozenset[date] = frozenset()) -> int:
    """The number of working days ``d`` with ``start < d <= end`` (0 if ``end <= start``).

    Arithmetic over whole weeks plus a binary search in the holiday table, so
    a span of years costs no more than a span of days.
    """
    _check_calendar(calendar)
    if end <= start:
        return 0
    return _working_in(start + timedelta(days=1), end, calendar, extra_holidays)


def add_working_days(start: date, days: int, calendar: CalendarName,
                     extra_holidays: frozenset[date] = frozenset()) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted).

    ``days == 0`` returns ``start``; a negative ``days`` counts backwards, so
    -1 is the last working day before ``start``.
    """
    _check_calendar(calendar)
    step = 1 if days >= 0 else -1
    wanted, found, day = abs(days), 0, start
    # Each jump is as many days as working days are still wanted, so it never
    # overshoots; it lands on the answer exactly when every day jumped over counted.
    while found < wanted:
        jump = wanted - found
        nxt = day + timedelta(days=step * jump)
        if step > 0:
            found += _working_in(day + timedelta(days=1), nxt, calendar, extra_holidays)
        else:
            found += _working_in(nxt, day - timedelta(days=1), calendar, extra_holidays)
        day = nxt
    return day


@lru_cache(maxsize=65536)
def _count_cached(start: date, end: date, calendar: CalendarName, extra_holidays: frozenset[date]) -> int:
    return count_working_days(start, end, calendar, extra_holidays)


@dataclass(frozen=True)
class WorkingDays:
    """One calendar's working days as a callable ``is_working_day(day)``, with fast counting.

    Pure code that takes an ``is_working_day`` callable (the reminder rules)
    uses ``count`` and ``add`` when they are there instead of walking day by day.
    """

    calendar: CalendarName
    extra_holidays: frozenset[date] = frozenset()

    def __call__(self, day: date) -> bool:
        return is_working_day(day, self.calendar, self.extra_holidays)

    def count(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end`` (remembered: a scan asks about the same dates many times)."""
        return _count_cached(start, end, self.calendar, self.extra_holidays)

    def add(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start``."""
        return add_working_days(start, days, self.calendar, self.extra_holidays)
