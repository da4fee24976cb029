"""The demo's timetable shifted by whole weeks (tender.domain.timetable_shift)."""
from __future__ import annotations

from datetime import date

from tender.demo import TIMETABLE
from tender.domain.periods import is_working_day
from tender.domain.timetable_shift import shift_timetable, weeks_to_reach


def test_the_fewest_whole_weeks_that_reach_today():
    assert weeks_to_reach(date(2022, 4, 4), date(2022, 4, 4)) == 0
    assert weeks_to_reach(date(2022, 4, 4), date(2022, 4, 5)) == 1
    assert weeks_to_reach(date(2022, 4, 4), date(2022, 4, 11)) == 1
    assert weeks_to_reach(date(2022, 4, 4), date(2022, 4, 12)) == 2
    assert weeks_to_reach(date(2022, 4, 4), date(2022, 3, 1)) == 0


def test_the_demo_shifted_to_7_december_2026_starts_that_day_or_after_and_keeps_weekdays_and_order():
    today = date(2026, 12, 7)
    shifted = shift_timetable(TIMETABLE, today)
    assert list(shifted.dates) == list(TIMETABLE)
    assert min(shifted.dates.values()) >= today
    assert shifted.dates["sq_published"] - today < (date(2022, 4, 11) - date(2022, 4, 4))  # within a week
    for key, original in TIMETABLE.items():
        moved = shifted.dates[key]
        assert is_working_day(moved, "calendar"), key
        if moved.weekday() == original.weekday():
            assert (moved - original).days == shifted.days
    days = list(shifted.dates.values())
    assert days == sorted(days) and len(set(days)) == len(days)


def test_a_date_shifted_onto_a_bank_holiday_moves_to_the_next_working_day_and_keeps_the_order():
    # England and Wales: Monday 26 and Tuesday 27 December 2022 (Boxing Day, Christmas Day substitute) and Monday
    # 2 January 2023 (New Year's Day substitute) were bank holidays; Tuesday 3 January was one only in Scotland.
    timetable = {"a": date(2022, 12, 19), "deadline": date(2022, 12, 26), "next": date(2022, 12, 27)}
    shifted = shift_timetable(timetable, date(2022, 12, 20))
    assert shifted.weeks == 1
    assert shifted.dates["a"] == date(2022, 12, 28)
    assert shifted.dates["deadline"] == date(2023, 1, 3)
    assert shifted.dates["next"] == date(2023, 1, 4)  # not the same day as the deadline it followed
    assert shift_timetable(timetable, date(2022, 12, 20), "working").dates["deadline"] == date(2023, 1, 4)


def test_good_friday_counts_under_the_pcr_calendar_but_a_scottish_holiday_does_not():
    # Good Friday 2023 was 7 April; St Andrew's Day (Scotland) 30 November 2023 was a Thursday.
    timetable = {"a": date(2023, 3, 31), "b": date(2023, 11, 23)}
    shifted = shift_timetable(timetable, date(2023, 4, 7))
    assert shifted.weeks == 1
    assert shifted.dates == {"a": date(2023, 4, 11), "b": date(2023, 11, 30)}  # Easter Monday 10 April too
    assert shift_timetable(timetable, date(2023, 4, 7), "working").dates["b"] == date(2023, 12, 1)


def test_a_timetable_already_ahead_is_left_as_it_is():
    timetable = {"a": date(2030, 1, 7), "b": date(2030, 2, 4)}
    assert shift_timetable(timetable, date(2026, 12, 7)).dates == timetable
    assert shift_timetable({}, date(2026, 12, 7)).weeks == 0
