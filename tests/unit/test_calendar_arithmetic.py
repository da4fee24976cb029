"""Working days counted by arithmetic agree with walking the calendar day by day."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tender.domain import calendars
from tender.domain.reminders import working_days_between

ONE_DAY = timedelta(days=1)
LOCAL = frozenset({date(2022, 6, 6), date(2022, 6, 4), date(2023, 5, 8), date(2024, 12, 27)})


def walked_count(start, end, calendar, extras=frozenset()):
    count, day = 0, start + ONE_DAY
    while day <= end:
        count += calendars.is_working_day(day, calendar, extras)
        day += ONE_DAY
    return count


def walked_add(start, days, calendar, extras=frozenset()):
    step, remaining, day = (ONE_DAY if days >= 0 else -ONE_DAY), abs(days), start
    while remaining:
        day += step
        remaining -= calendars.is_working_day(day, calendar, extras)
    return day


days_around_now = st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31))
calendar_names = st.sampled_from(calendars.CALENDARS)
local_holidays = st.sampled_from([frozenset(), LOCAL])


@settings(max_examples=300, deadline=None)
@given(days_around_now, st.integers(-40, 800), calendar_names, local_holidays)
def test_counting_working_days_matches_walking_them(start, span, calendar, extras):
    end = start + timedelta(days=span)
    assert calendars.count_working_days(start, end, calendar, extras) == walked_count(start, end, calendar, extras)


@settings(max_examples=300, deadline=None)
@given(days_around_now, st.integers(-90, 90), calendar_names, local_holidays)
def test_adding_working_days_matches_walking_them(start, days, calendar, extras):
    assert calendars.add_working_days(start, days, calendar, extras) == walked_add(start, days, calendar, extras)


def test_easter_and_christmas_2022_by_hand():
    # Thu 14 April 2022 -> Tue 19 April: Good Friday and Easter Monday are bank holidays, so 1 working day.
    assert calendars.count_working_days(date(2022, 4, 14), date(2022, 4, 19), "england-and-wales") == 1
    # Fri 23 Dec 2022 + 1 working day: Mon 26 and Tue 27 are holidays, so Wed 28 December.
    assert calendars.add_working_days(date(2022, 12, 23), 1, "england-and-wales") == date(2022, 12, 28)
    # St Andrew's Day (Wed 30 Nov 2022) counts under the UK-wide calendar only.
    assert calendars.count_working_days(date(2022, 11, 29), date(2022, 12, 1), "england-and-wales") == 2
    assert calendars.count_working_days(date(2022, 11, 29), date(2022, 12, 1), "united-kingdom") == 1


def test_a_span_of_centuries_is_counted_without_walking_it():
    # 1 January 1 AD was a Monday; there are no bank holidays in the table before the 1870s.
    assert calendars.count_working_days(date(1, 1, 1), date(1, 1, 8), "england-and-wales") == 5
    assert calendars.count_working_days(date(1860, 1, 1), date(1890, 1, 1), "england-and-wales") == walked_count(
        date(1860, 1, 1), date(1890, 1, 1), "england-and-wales")
    whole = calendars.count_working_days(date(1, 1, 1), date(2026, 12, 1), "england-and-wales")
    assert whole == (calendars.count_working_days(date(1, 1, 1), date(1860, 1, 1), "england-and-wales")
                     + calendars.count_working_days(date(1860, 1, 1), date(2026, 12, 1), "england-and-wales"))


def test_reminder_rules_use_the_arithmetic_and_keep_stop_after():
    working = calendars.WorkingDays("england-and-wales")
    start, end = date(2022, 3, 1), date(2022, 9, 1)
    assert working_days_between(start, end, working) == walked_count(start, end, "england-and-wales")
    assert working_days_between(start, end, working, stop_after=5) == 6
    assert working_days_between(start, end, lambda d: d.weekday() < 5, stop_after=5) == 6
    assert working(date(2022, 4, 15)) is False and working(date(2022, 4, 14)) is True
