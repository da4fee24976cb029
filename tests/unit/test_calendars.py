"""The bank-holiday calendars behind period counting (tender.domain.calendars).

These pin down what the ``holidays`` package says about the dates that matter
to procurement time limits, so an upgrade that changes them fails loudly.
"""
from datetime import date

import pytest

from tender.domain.calendars import CALENDARS, bank_holidays, holiday_name, is_bank_holiday


@pytest.mark.parametrize(
    "day, calendar, expected",
    [
        pytest.param(date(2022, 9, 19), "england-and-wales", True, id="the state funeral 19 Sep 2022 is in the England and Wales list"),
        pytest.param(date(2022, 9, 19), "scotland", True, id="the state funeral 19 Sep 2022 is in the Scotland list"),
        pytest.param(date(2022, 9, 19), "northern-ireland", True, id="the state funeral 19 Sep 2022 is in the Northern Ireland list"),
        pytest.param(date(2023, 5, 8), "england-and-wales", True, id="the coronation 8 May 2023 is in the England and Wales list"),
        pytest.param(date(2023, 5, 8), "united-kingdom", True, id="the coronation 8 May 2023 is in the UK-wide list"),
        pytest.param(date(2022, 6, 3), "england-and-wales", True, id="the platinum jubilee 3 Jun 2022 is in the list"),
        pytest.param(date(2022, 4, 15), "england-and-wales", True, id="Good Friday 2022 is in the England and Wales list"),
        pytest.param(date(2023, 12, 25), "england-and-wales", True, id="Christmas Day 2023 is in the England and Wales list"),
        pytest.param(date(2022, 12, 27), "england-and-wales", True, id="Tuesday 27 Dec 2022 is the Christmas substitute day"),
        pytest.param(date(2023, 1, 2), "england-and-wales", True, id="Monday 2 Jan 2023 is the New Year substitute day"),
        pytest.param(date(2023, 1, 3), "england-and-wales", False, id="Tuesday 3 Jan 2023 is not a holiday in England and Wales"),
        pytest.param(date(2023, 1, 3), "scotland", True, id="Tuesday 3 Jan 2023 is the 2 January substitute day in Scotland"),
        pytest.param(date(2022, 4, 18), "scotland", False, id="Easter Monday is not a bank holiday in Scotland"),
        pytest.param(date(2022, 11, 30), "scotland", True, id="St Andrew's Day 2022 is a Scottish bank holiday"),
        pytest.param(date(2022, 11, 30), "england-and-wales", False, id="St Andrew's Day is not an England and Wales bank holiday"),
        pytest.param(date(2024, 12, 2), "scotland", True, id="Monday 2 Dec 2024 is the St Andrew's Day substitute day"),
        pytest.param(date(2022, 7, 12), "northern-ireland", True, id="12 July is a Northern Ireland bank holiday"),
        pytest.param(date(2025, 7, 14), "northern-ireland", True, id="Monday 14 July 2025 is the 12 July substitute day"),
        pytest.param(date(2025, 3, 17), "united-kingdom", True, id="St Patrick's Day is in the UK-wide list"),
        pytest.param(date(2022, 8, 1), "united-kingdom", True, id="the Scottish summer bank holiday is in the UK-wide list"),
        pytest.param(date(2022, 8, 29), "united-kingdom", True, id="the late summer bank holiday is in the UK-wide list"),
        pytest.param(date(2022, 8, 29), "scotland", False, id="the late summer bank holiday is not kept in Scotland"),
        pytest.param(date(2022, 9, 20), "united-kingdom", False, id="an ordinary Tuesday is in no list"),
    ],
)
def test_bank_holiday_lists(day, calendar, expected):
    assert is_bank_holiday(day, calendar) is expected
    assert (day in bank_holidays(calendar, day.year)) is expected


def test_england_and_wales_lists_in_the_package_are_identical():
    # The england-and-wales calendar reads only the package's ENG list; this
    # catches the day Wales gains a holiday England does not have.
    import holidays

    years = range(2015, 2031)
    eng = holidays.country_holidays("GB", subdiv="ENG", years=years)
    wls = holidays.country_holidays("GB", subdiv="WLS", years=years)
    assert set(eng) == set(wls)


@pytest.mark.parametrize(
    "day, calendar, expected",
    [
        pytest.param(date(2022, 4, 15), "england-and-wales", "Good Friday", id="Good Friday is named"),
        pytest.param(date(2022, 11, 30), "united-kingdom", "Saint Andrew's Day (Scotland)", id="a Scotland-only holiday says where it applies"),
        pytest.param(date(2022, 7, 12), "united-kingdom", "Battle of the Boyne (Northern Ireland)", id="a Northern Ireland-only holiday says where it applies"),
        pytest.param(date(2022, 9, 19), "united-kingdom", "State Funeral of Queen Elizabeth II", id="a UK-wide holiday has no place label"),
        pytest.param(date(2022, 9, 20), "united-kingdom", None, id="an ordinary day has no name"),
    ],
)
def test_holiday_names(day, calendar, expected):
    assert holiday_name(day, calendar) == expected


def test_a_year_range_is_the_union_of_its_years():
    both = bank_holidays("united-kingdom", 2022, 2023)
    assert both == bank_holidays("united-kingdom", 2022) | bank_holidays("united-kingdom", 2023)
    assert bank_holidays("united-kingdom", 2022, 2023) is both  # cached


def test_the_uk_list_contains_every_part():
    uk = bank_holidays("united-kingdom", 2023)
    for calendar in ("england-and-wales", "scotland", "northern-ireland"):
        assert bank_holidays(calendar, 2023) <= uk
    assert set(CALENDARS) == {"england-and-wales", "scotland", "northern-ireland", "united-kingdom"}


def test_an_unknown_calendar_is_refused():
    with pytest.raises(ValueError, match="Unknown bank-holiday calendar"):
        is_bank_holiday(date(2022, 1, 3), "wales-only")
    with pytest.raises(ValueError, match="runs backwards"):
        bank_holidays("scotland", 2024, 2023)
