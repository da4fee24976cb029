"""Counting procurement time limits (tender.domain.periods).

Every expected date below was worked out by hand from a printed calendar; the
comment beside each case shows the counting. Abbreviations: BH = bank holiday,
E&W = England and Wales, wd = working day.

PCR 2015 reg 2 ("calendar"): day of the event not counted; an N-day period
ends on event + N, rolled to the next E&W working day; periods of 2 days or
more must contain 2 working days.
PA 2023 ("working"): count N working days from the day after the event; any
BH in any part of the UK is not a working day.
"""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tender.domain.periods import (
    PeriodCheck,
    add_working_days,
    check_period,
    earliest_period_end,
    format_uk_date,
    is_working_day,
    next_working_day,
    non_working_reason,
    pa_standstill_end,
    pcr_standstill_end,
    pcr_standstill_last_day,
    working_days_between,
)

ONE_DAY = timedelta(days=1)


# --- working days ------------------------------------------------------------

@pytest.mark.parametrize(
    "day, pcr, pa",
    [
        pytest.param(date(2022, 9, 20), True, True, id="an ordinary Tuesday is a working day in both regimes"),
        pytest.param(date(2022, 9, 3), False, False, id="a Saturday is never a working day"),
        pytest.param(date(2022, 9, 4), False, False, id="a Sunday is never a working day"),
        pytest.param(date(2022, 9, 19), False, False, id="the state funeral on 19 Sep 2022 is not a working day"),
        pytest.param(date(2023, 5, 8), False, False, id="the coronation on 8 May 2023 is not a working day"),
        pytest.param(date(2022, 4, 15), False, False, id="Good Friday 2022 is not a working day"),
        pytest.param(date(2022, 4, 18), False, False, id="Easter Monday 2022 is not a working day (E&W and NI keep it)"),
        pytest.param(date(2023, 12, 25), False, False, id="Christmas Day on a Monday is not a working day"),
        pytest.param(date(2022, 12, 27), False, False, id="the Christmas substitute day 27 Dec 2022 is not a working day"),
        pytest.param(date(2022, 8, 29), False, False, id="the E&W late summer BH is not a working day under either regime"),
        pytest.param(date(2022, 11, 30), True, False, id="St Andrew's Day counts under PCR but not under PA"),
        pytest.param(date(2024, 12, 2), True, False, id="the St Andrew's Day substitute 2 Dec 2024 counts under PCR but not PA"),
        pytest.param(date(2024, 1, 2), True, False, id="2 January counts under PCR but not under PA"),
        pytest.param(date(2023, 1, 3), True, False, id="the Scottish 2 January substitute 3 Jan 2023 counts under PCR but not PA"),
        pytest.param(date(2022, 7, 12), True, False, id="12 July counts under PCR but not under PA"),
        pytest.param(date(2022, 3, 17), True, False, id="St Patrick's Day counts under PCR but not under PA"),
        pytest.param(date(2022, 8, 1), True, False, id="the Scottish summer BH counts under PCR but not under PA"),
    ],
)
def test_which_days_are_working_days(day, pcr, pa):
    assert is_working_day(day, "calendar") is pcr
    assert is_working_day(day, "working") is pa


def test_a_local_one_off_holiday_is_not_a_working_day():
    council_closure = date(2022, 9, 21)  # a Wednesday the package knows nothing about
    assert is_working_day(council_closure, "calendar")
    assert not is_working_day(council_closure, "calendar", [council_closure])
    assert not is_working_day(council_closure, "working", (d for d in [council_closure]))
    assert non_working_reason(council_closure, "working", [council_closure]) == "a local holiday"


@pytest.mark.parametrize(
    "day, counting, expected",
    [
        pytest.param(date(2022, 12, 30), "calendar", date(2022, 12, 30), id="a working day is its own next working day"),
        # Sat 24, Sun 25, Mon 26 BH, Tue 27 substitute BH -> Wed 28.
        pytest.param(date(2022, 12, 24), "calendar", date(2022, 12, 28), id="Christmas Eve 2022 rolls to Wednesday 28 December"),
        # Sun 1 Jan, Mon 2 substitute BH -> Tue 3 (a working day in E&W).
        pytest.param(date(2023, 1, 1), "calendar", date(2023, 1, 3), id="New Year's Day 2023 rolls to Tuesday 3 January under PCR"),
        # ... and Tue 3 is the Scottish 2 January substitute -> Wed 4.
        pytest.param(date(2023, 1, 1), "working", date(2023, 1, 4), id="New Year's Day 2023 rolls to Wednesday 4 January under PA"),
    ],
)
def test_next_working_day(day, counting, expected):
    assert next_working_day(day, counting) == expected


# --- earliest end of a period: PCR calendar days ------------------------------

@pytest.mark.parametrize(
    "event, days, expected",
    [
        # Mon 5 Sep + 10 = Thu 15 Sep, a working day.
        pytest.param(date(2022, 9, 5), 10, date(2022, 9, 15), id="ten days from a Monday ends on a Thursday"),
        # Mon 4 Apr + 26 = 30 Apr, + 4 = Wed 4 May (past the May Day BH on Mon 2 May).
        pytest.param(date(2022, 4, 4), 30, date(2022, 5, 4), id="thirty days from 4 April 2022 ends on 4 May"),
        # Tue 1 Mar + 25 = Sat 26 Mar -> Mon 28 Mar.
        pytest.param(date(2022, 3, 1), 25, date(2022, 3, 28), id="a period ending on a Saturday runs to Monday"),
        # Wed 2 Mar + 25 = Sun 27 Mar -> Mon 28 Mar.
        pytest.param(date(2022, 3, 2), 25, date(2022, 3, 28), id="a period ending on a Sunday runs to Monday"),
        # Wed 16 Mar + 15 = 31 Mar, + 15 = Fri 15 Apr (Good Friday); Sat, Sun,
        # Mon 18 (Easter Monday) -> Tue 19 Apr.
        pytest.param(date(2022, 3, 16), 30, date(2022, 4, 19), id="a period ending on Good Friday 2022 runs to Tuesday 19 April"),
        # Sat 19 Mar + 30 = Mon 18 Apr (Easter Monday) -> Tue 19 Apr.
        pytest.param(date(2022, 3, 19), 30, date(2022, 4, 19), id="a period ending on Easter Monday 2022 runs to Tuesday 19 April"),
        # Fri 2 Dec + 29 = Sat 31 Dec, + 1 = Sun 1 Jan; Mon 2 Jan substitute BH
        # -> Tue 3 Jan (the Scottish holiday that day does not count under PCR).
        pytest.param(date(2022, 12, 2), 30, date(2023, 1, 3), id="thirty days from 2 December 2022 runs over New Year to 3 January"),
        # Fri 25 Nov + 30 = Sun 25 Dec; Mon 26 BH, Tue 27 substitute -> Wed 28.
        pytest.param(date(2022, 11, 25), 30, date(2022, 12, 28), id="a period ending on Christmas Day 2022 runs to 28 December"),
        # Sat 25 Nov 2023 + 30 = Mon 25 Dec; Tue 26 Boxing Day -> Wed 27.
        pytest.param(date(2023, 11, 25), 30, date(2023, 12, 27), id="a period ending on Christmas Day 2023 runs to 27 December"),
        # Sat 20 Aug + 11 = 31 Aug, + 19 = Mon 19 Sep (state funeral) -> Tue 20.
        pytest.param(date(2022, 8, 20), 30, date(2022, 9, 20), id="a period ending on the state funeral runs to the next day"),
        # Sat 8 Apr 2023 + 30 = Mon 8 May (coronation) -> Tue 9 May.
        pytest.param(date(2023, 4, 8), 30, date(2023, 5, 9), id="a period ending on the coronation runs to the next day"),
        # Mon 31 Oct + 30 = Wed 30 Nov: St Andrew's Day is an E&W working day.
        pytest.param(date(2022, 10, 31), 30, date(2022, 11, 30), id="PCR does not skip St Andrew's Day"),
        # Sun 12 Jun + 30 = Tue 12 Jul: a working day in E&W.
        pytest.param(date(2022, 6, 12), 30, date(2022, 7, 12), id="PCR does not skip 12 July"),
        # Sun 3 Dec 2023 + 28 = 31 Dec, + 2 = Tue 2 Jan 2024: an E&W working day.
        pytest.param(date(2023, 12, 3), 30, date(2024, 1, 2), id="PCR does not skip 2 January"),
        # Fri 2 Sep + 1 = Sat 3 -> Mon 5. A 1-day period needs no 2 working days.
        pytest.param(date(2022, 9, 2), 1, date(2022, 9, 5), id="a one-day period from a Friday ends on Monday"),
        # Fri 2 Sep + 2 = Sun 4 -> Mon 5, but (2 Sep, 5 Sep] holds only Mon 5:
        # one working day, so the period runs to the 2nd working day, Tue 6.
        pytest.param(date(2022, 9, 2), 2, date(2022, 9, 6), id="a two-day period from a Friday must include two working days"),
        # Fri 2 Sep + 3 = Mon 5, a working day, but again only one wd -> Tue 6.
        pytest.param(date(2022, 9, 2), 3, date(2022, 9, 6), id="a three-day period from a Friday must include two working days"),
        # Fri 2 Sep + 4 = Tue 6: working days Mon 5 and Tue 6, so no extension.
        pytest.param(date(2022, 9, 2), 4, date(2022, 9, 6), id="a four-day period from a Friday already includes two working days"),
        # Fri 23 Dec + 3 = Mon 26 BH, Tue 27 BH -> Wed 28, the only wd in the
        # period, so it runs to the 2nd working day, Thu 29 Dec.
        pytest.param(date(2022, 12, 23), 3, date(2022, 12, 29), id="a short period over Christmas must include two working days"),
        pytest.param(date(2022, 9, 3), 0, date(2022, 9, 3), id="a period of no days ends on the event day"),
    ],
)
def test_earliest_end_counting_calendar_days(event, days, expected):
    assert earliest_period_end(event, days, "calendar") == expected


def test_earliest_end_honours_a_local_holiday():
    # Mon 4 Apr + 30 = Wed 4 May; the council is closed on 4 May -> Thu 5 May.
    assert earliest_period_end(date(2022, 4, 4), 30, "calendar", [date(2022, 5, 4)]) == date(2022, 5, 5)
    # Fri 2 Sep + 4 = Tue 6 Sep, but with Mon 5 closed there is only one wd
    # (Tue 6) in the period, so it runs to Wed 7 Sep.
    assert earliest_period_end(date(2022, 9, 2), 4, "calendar", {date(2022, 9, 5)}) == date(2022, 9, 7)


# --- earliest end of a period: PA working days --------------------------------

@pytest.mark.parametrize(
    "event, days, pa_end, pcr_working_end",
    [
        # Mon 5 Sep: Tue 6 (1), Wed 7 (2), Thu 8 (3), Fri 9 (4), Mon 12 (5).
        pytest.param(date(2022, 9, 5), 5, date(2022, 9, 12), date(2022, 9, 12), id="five working days from a Monday end the next Monday"),
        # PA: Tue 29 (1), Wed 30 St Andrew's, Thu 1 Dec (2), Fri 2 (3), Mon 5 (4), Tue 6 (5).
        # E&W: Tue 29 (1), Wed 30 (2), Thu 1 (3), Fri 2 (4), Mon 5 (5).
        pytest.param(date(2022, 11, 28), 5, date(2022, 12, 6), date(2022, 12, 5), id="PA working days skip St Andrew's Day"),
        # Sat 30 Nov 2024 is St Andrew's Day, so Mon 2 Dec is the substitute.
        # PA: Sat, Sun, Mon 2 skipped -> Tue 3 (1). E&W: Mon 2 (1).
        pytest.param(date(2024, 11, 29), 1, date(2024, 12, 3), date(2024, 12, 2), id="PA working days skip the St Andrew's Day substitute"),
        # PA: Sat 30, Sun 31, Mon 1 BH, Tue 2 (Scotland), Wed 3 (1), Thu 4 (2).
        # E&W: Tue 2 (1), Wed 3 (2).
        pytest.param(date(2023, 12, 29), 2, date(2024, 1, 4), date(2024, 1, 3), id="PA working days skip 2 January"),
        # PA: Tue 12 Jul (NI) skipped -> Wed 13 (1). E&W: Tue 12 (1).
        pytest.param(date(2022, 7, 11), 1, date(2022, 7, 13), date(2022, 7, 12), id="PA working days skip 12 July"),
        # Sat, Sun, Mon 19 (state funeral everywhere) -> Tue 20 (1).
        pytest.param(date(2022, 9, 16), 1, date(2022, 9, 20), date(2022, 9, 20), id="both skip the state funeral"),
        # Fri 15 Good Friday, Sat, Sun, Mon 18 Easter Monday, Tue 19 (1), Wed 20 (2).
        pytest.param(date(2022, 4, 14), 2, date(2022, 4, 20), date(2022, 4, 20), id="both skip the Easter weekend"),
        # Mon 26 BH, Tue 27 substitute, Wed 28 (1), Thu 29 (2), Fri 30 (3).
        pytest.param(date(2022, 12, 23), 3, date(2022, 12, 30), date(2022, 12, 30), id="both skip Christmas 2022"),
        # PA: Sat, Sun, Mon 2 substitute, Tue 3 Scottish substitute -> Wed 4 (1).
        # E&W: Mon 2 substitute -> Tue 3 (1).
        pytest.param(date(2022, 12, 30), 1, date(2023, 1, 4), date(2023, 1, 3), id="PA skips the Scottish New Year substitute day"),
    ],
)
def test_earliest_end_counting_working_days(event, days, pa_end, pcr_working_end):
    assert earliest_period_end(event, days, "working") == pa_end
    assert add_working_days(event, days, "working") == pa_end
    # The same count of working days on the E&W list (PCR's definition).
    assert add_working_days(event, days, "calendar") == pcr_working_end


# --- counting and adding working days ----------------------------------------

@pytest.mark.parametrize(
    "start, end, counting, expected",
    [
        # Mon 19 funeral, Tue 20, Wed 21, Thu 22, Fri 23 -> 4.
        pytest.param(date(2022, 9, 16), date(2022, 9, 23), "working", 4, id="a week spanning the state funeral holds four working days"),
        # Tue 29, Thu 1, Fri 2 (Wed 30 is St Andrew's Day) -> 3; under E&W 4.
        pytest.param(date(2022, 11, 28), date(2022, 12, 2), "working", 3, id="St Andrew's week holds three PA working days"),
        pytest.param(date(2022, 11, 28), date(2022, 12, 2), "calendar", 4, id="St Andrew's week holds four PCR working days"),
        pytest.param(date(2022, 9, 2), date(2022, 9, 5), "working", 1, id="Friday to Monday is one working day"),
        pytest.param(date(2022, 9, 5), date(2022, 9, 5), "working", 0, id="the same day is no working days"),
        pytest.param(date(2022, 9, 3), date(2022, 9, 4), "working", 0, id="Saturday to Sunday is no working days"),
        # Due Fri 16 Sep, today Fri 23 Sep: Fri 16, Tue 20, Wed 21, Thu 22 -> -4.
        pytest.param(date(2022, 9, 23), date(2022, 9, 16), "working", -4, id="a deadline four working days ago gives minus four"),
        # Due Fri 2 Sep, today Sat 3 Sep: Fri 2 has passed -> -1 (overdue).
        pytest.param(date(2022, 9, 3), date(2022, 9, 2), "working", -1, id="a Friday deadline seen on Saturday is one working day overdue"),
    ],
)
def test_working_days_between(start, end, counting, expected):
    assert working_days_between(start, end, counting) == expected


@pytest.mark.parametrize(
    "start, days, counting, expected",
    [
        # Back from Tue 20 Sep: Mon 19 funeral, Sun, Sat -> Fri 16.
        pytest.param(date(2022, 9, 20), -1, "working", date(2022, 9, 16), id="one working day before the day after the funeral is the Friday before"),
        # Back from Wed 4 Jan 2023: PA skips Tue 3 (Scotland) and Mon 2 -> Fri 30 Dec.
        pytest.param(date(2023, 1, 4), -1, "working", date(2022, 12, 30), id="one PA working day before 4 January 2023 is 30 December"),
        pytest.param(date(2023, 1, 4), -1, "calendar", date(2023, 1, 3), id="one PCR working day before 4 January 2023 is 3 January"),
        pytest.param(date(2022, 9, 3), 0, "working", date(2022, 9, 3), id="adding no working days leaves even a Saturday alone"),
    ],
)
def test_add_working_days(start, days, counting, expected):
    assert add_working_days(start, days, counting) == expected


# --- checking a period ----------------------------------------------------------

@pytest.mark.parametrize(
    "start, end, minimum, counting, ok, days_given, explanation",
    [
        pytest.param(
            date(2022, 4, 4), date(2022, 5, 2), 30, "calendar", False, 28,
            "The period from 4 April 2022 to 2 May 2022 is 28 days; the minimum is 30 calendar days, "
            "so it must end on or after 4 May 2022.",
            id="a tender period two days short is refused",
        ),
        pytest.param(
            date(2022, 4, 4), date(2022, 5, 4), 30, "calendar", True, 30,
            "The period from 4 April 2022 to 4 May 2022 is 30 days, which meets the minimum of 30 calendar days.",
            id="a tender period of exactly thirty days is accepted",
        ),
        # Tue 1 Mar + 25 = Sat 26 Mar, so the minimum period runs to Mon 28 Mar.
        pytest.param(
            date(2022, 3, 1), date(2022, 3, 26), 25, "calendar", False, 25,
            "The period from 1 March 2022 to 26 March 2022 is 25 days; the minimum is 25 calendar days, "
            "so it must end on or after 28 March 2022, because 26 March 2022 is not a working day (a Saturday).",
            id="a Saturday deadline on the last day of the minimum is refused",
        ),
        pytest.param(
            date(2022, 3, 16), date(2022, 4, 18), 30, "calendar", False, 33,
            "The period from 16 March 2022 to 18 April 2022 is 33 days; the minimum is 30 calendar days, "
            "so it must end on or after 19 April 2022, because 15 April 2022 is not a working day (Good Friday).",
            id="a deadline on Easter Monday after a minimum ending on Good Friday is refused",
        ),
        pytest.param(
            date(2022, 9, 2), date(2022, 9, 5), 3, "calendar", False, 3,
            "The period from 2 September 2022 to 5 September 2022 is 3 days; the minimum is 3 calendar days, "
            "so it must end on or after 6 September 2022, because a period must include at least 2 working days.",
            id="a short period with one working day is refused",
        ),
        # Tue 6, Wed 7, Thu 8, Fri 9 -> 4; the 5th working day is Mon 12.
        pytest.param(
            date(2022, 9, 5), date(2022, 9, 9), 5, "working", False, 4,
            "The period from 5 September 2022 to 9 September 2022 is 4 working days; the minimum is 5 working days, "
            "so it must end on or after 12 September 2022.",
            id="a period one working day short is refused",
        ),
        pytest.param(
            date(2022, 9, 2), date(2022, 9, 5), 2, "working", False, 1,
            "The period from 2 September 2022 to 5 September 2022 is 1 working day; the minimum is 2 working days, "
            "so it must end on or after 6 September 2022.",
            id="one working day is said in the singular",
        ),
        # Sat 10 Sep + 10 = Tue 20 Sep.
        pytest.param(
            date(2022, 9, 10), date(2022, 9, 5), 10, "calendar", False, -5,
            "The period from 10 September 2022 to 5 September 2022 ends before it starts; "
            "the minimum is 10 calendar days, so it must end on or after 20 September 2022.",
            id="a period that ends before it starts is refused",
        ),
        pytest.param(
            date(2022, 9, 10), date(2022, 9, 10), 0, "calendar", True, 0,
            "The period from 10 September 2022 to 10 September 2022 is 0 days; there is no minimum period.",
            id="a period with no minimum is accepted",
        ),
    ],
)
def test_check_period(start, end, minimum, counting, ok, days_given, explanation):
    result = check_period(start, end, minimum, counting)
    assert isinstance(result, PeriodCheck)
    assert (result.ok, result.days_given) == (ok, days_given)
    assert result.explanation == explanation


def test_check_period_honours_a_local_holiday():
    assert check_period(date(2022, 4, 4), date(2022, 5, 4), 30, "calendar").ok
    closed = check_period(date(2022, 4, 4), date(2022, 5, 4), 30, "calendar", [date(2022, 5, 4)])
    assert not closed.ok
    assert closed.earliest_end == date(2022, 5, 5)
    assert closed.explanation.endswith("because 4 May 2022 is not a working day (a local holiday).")


# --- standstill -------------------------------------------------------------------

@pytest.mark.parametrize(
    "sent, last_day",
    [
        # Mon 5 Sep + 10 = Thu 15 Sep.
        pytest.param(date(2022, 9, 5), date(2022, 9, 15), id="notices sent on a Monday: standstill ends on the Thursday week"),
        # Thu 1 Sep + 10 = Sun 11 Sep -> Mon 12 Sep.
        pytest.param(date(2022, 9, 1), date(2022, 9, 12), id="a tenth day on a Sunday rolls to Monday"),
        # Thu 8 Sep + 10 = Sun 18 Sep; Mon 19 state funeral -> Tue 20 Sep.
        pytest.param(date(2022, 9, 8), date(2022, 9, 20), id="a tenth day before the state funeral rolls past it"),
        # Thu 7 Apr + 10 = Sun 17 Apr (Easter Day); Mon 18 Easter Monday -> Tue 19.
        pytest.param(date(2022, 4, 7), date(2022, 4, 19), id="a tenth day on Easter Day rolls to the Tuesday"),
        # Thu 15 Dec + 10 = Sun 25 Dec; Mon 26, Tue 27 BHs -> Wed 28 Dec.
        pytest.param(date(2022, 12, 15), date(2022, 12, 28), id="a tenth day on Christmas Day 2022 rolls to 28 December"),
        # Wed 21 Dec + 10 = Sat 31 Dec; Sun 1 Jan, Mon 2 substitute -> Tue 3 Jan.
        pytest.param(date(2022, 12, 21), date(2023, 1, 3), id="a tenth day on New Year's Eve 2022 rolls to 3 January"),
    ],
)
def test_pcr_standstill(sent, last_day):
    assert pcr_standstill_last_day(sent) == last_day
    assert pcr_standstill_end(sent) == datetime(last_day.year, last_day.month, last_day.day, 23, 59, 59)


def test_pcr_standstill_honours_a_local_holiday():
    # Mon 5 Sep + 10 = Thu 15 Sep, closed locally -> Fri 16 Sep.
    assert pcr_standstill_last_day(date(2022, 9, 5), [date(2022, 9, 15)]) == date(2022, 9, 16)


@pytest.mark.parametrize(
    "published, last_day",
    [
        # Fri 6 Jun 2025 (1), Mon 9 (2), Tue 10 (3), Wed 11 (4), Thu 12 (5),
        # Fri 13 (6), Mon 16 (7), Tue 17 (8).
        pytest.param(date(2025, 6, 6), date(2025, 6, 17), id="published on a Friday: standstill ends on the Tuesday week"),
        # Fri 7 Mar (1), Mon 10 (2), Tue 11 (3), Wed 12 (4), Thu 13 (5), Fri 14 (6),
        # Mon 17 St Patrick's Day (NI) skipped, Tue 18 (7), Wed 19 (8).
        pytest.param(date(2025, 3, 7), date(2025, 3, 19), id="published on a Friday before St Patrick's Day"),
        # Sat 7 Jun not a working day, so not counted: Mon 9 (1) ... Fri 13 (5),
        # Mon 16 (6), Tue 17 (7), Wed 18 (8).
        pytest.param(date(2025, 6, 7), date(2025, 6, 18), id="published on a Saturday: counting starts on Monday"),
        # Thu 17 Apr (1), Fri 18 Good Friday, Sat, Sun, Mon 21 Easter Monday,
        # Tue 22 (2), Wed 23 (3), Thu 24 (4), Fri 25 (5), Mon 28 (6), Tue 29 (7), Wed 30 (8).
        pytest.param(date(2025, 4, 17), date(2025, 4, 30), id="published the day before Good Friday: the Easter weekend is skipped"),
        # Fri 18 Apr Good Friday not counted: Tue 22 (1) ... Fri 25 (4), Mon 28 (5),
        # Tue 29 (6), Wed 30 (7), Thu 1 May (8).
        pytest.param(date(2025, 4, 18), date(2025, 5, 1), id="published on Good Friday: counting starts on the Tuesday"),
        # Wed 24 Dec (1), Thu 25, Fri 26 BHs, Mon 29 (2), Tue 30 (3), Wed 31 (4),
        # Thu 1 Jan BH, Fri 2 Jan (Scotland), Mon 5 (5), Tue 6 (6), Wed 7 (7), Thu 8 (8).
        pytest.param(date(2025, 12, 24), date(2026, 1, 8), id="published on Christmas Eve 2025: runs to 8 January"),
    ],
)
def test_pa_standstill(published, last_day):
    assert pa_standstill_end(published) == last_day


# --- formatting and bad input ------------------------------------------------------

@pytest.mark.parametrize(
    "day, text",
    [
        pytest.param(date(2022, 4, 4), "4 April 2022", id="no leading zero"),
        pytest.param(date(2023, 12, 25), "25 December 2023", id="two-digit day"),
        pytest.param(datetime(2024, 1, 1, 17, 30), "1 January 2024", id="a datetime loses its time"),
    ],
)
def test_format_uk_date(day, text):
    assert format_uk_date(day) == text


def test_datetimes_are_treated_as_their_date():
    assert is_working_day(datetime(2022, 9, 19, 9, 0), "calendar") is False
    assert earliest_period_end(datetime(2022, 9, 1, 16, 45), 10, "calendar") == date(2022, 9, 12)


def test_bad_input_is_refused_plainly():
    with pytest.raises(ValueError, match="Unknown counting"):
        is_working_day(date(2022, 9, 5), "business")
    with pytest.raises(ValueError, match="Unknown counting"):
        earliest_period_end(date(2022, 9, 5), 0, "business")
    with pytest.raises(ValueError, match="cannot be -1 days"):
        earliest_period_end(date(2022, 9, 5), -1, "calendar")
    with pytest.raises(TypeError, match="Expected a date"):
        is_working_day("2022-09-05", "calendar")


# --- properties ---------------------------------------------------------------

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))
COUNTINGS = st.sampled_from(["calendar", "working"])
LENGTHS = st.integers(min_value=1, max_value=60)
# No example database: keep the working tree clean.
PROPERTY = settings(database=None, deadline=None)


@PROPERTY
@given(event=DATES, days=LENGTHS, counting=COUNTINGS)
def test_the_earliest_end_is_never_before_event_plus_days_and_is_a_working_day(event, days, counting):
    end = earliest_period_end(event, days, counting)
    assert end >= event + timedelta(days=days)
    assert is_working_day(end, counting)


@PROPERTY
@given(event=DATES, days=LENGTHS, counting=COUNTINGS)
def test_the_earliest_end_is_the_first_day_the_rules_allow(event, days, counting):
    end = earliest_period_end(event, days, counting)
    if counting == "working":
        assert working_days_between(event, end, counting) == days
        assert working_days_between(event, end - ONE_DAY, counting) == days - 1
        return
    # PCR: each day from event + days up to the end fails reg 2 (not a
    # working day, or fewer than 2 working days in a period of 2+ days), and
    # the end passes.
    def allowed(day):
        return is_working_day(day, counting) and (days < 2 or working_days_between(event, day, counting) >= 2)

    day = event + timedelta(days=days)
    while day < end:
        assert not allowed(day)
        day += ONE_DAY
    assert allowed(end)


@PROPERTY
@given(start=DATES, days=LENGTHS, counting=COUNTINGS)
def test_check_period_accepts_the_earliest_end_and_refuses_the_day_before(start, days, counting):
    earliest = earliest_period_end(start, days, counting)
    assert check_period(start, earliest, days, counting).ok
    short = check_period(start, earliest - ONE_DAY, days, counting)
    assert not short.ok
    assert format_uk_date(earliest) in short.explanation
    if counting == "working":
        # The earliest end is a working day, so the day before has one fewer.
        assert short.days_given == days - 1
    elif short.days_given >= days:
        # The day before can still be `days` or more calendar days after the
        # start: the minimum ended on a non-working day (or held too few
        # working days) and was extended, and the explanation says why.
        assert short.extended_because is not None
        assert "because" in short.explanation


@PROPERTY
@given(start=DATES, days=st.integers(min_value=-40, max_value=40), counting=COUNTINGS)
def test_working_days_between_undoes_add_working_days(start, days, counting):
    end = add_working_days(start, days, counting)
    assert working_days_between(start, end, counting) == days
    if days and is_working_day(start, counting):
        assert working_days_between(end, start, counting) == -days


@PROPERTY
@given(published=DATES)
def test_pa_standstill_is_eight_working_days_beginning_with_publication(published):
    last = pa_standstill_end(published)
    assert is_working_day(last, "working")
    assert working_days_between(published - ONE_DAY, last, "working") == 8


@PROPERTY
@given(sent=DATES)
def test_pcr_standstill_ends_on_the_first_working_day_from_the_tenth_day(sent):
    last = pcr_standstill_last_day(sent)
    tenth = sent + timedelta(days=10)
    assert last == next_working_day(tenth, "calendar")
    assert pcr_standstill_end(sent).time().isoformat() == "23:59:59"
