"""Tender's input bounds: one pure module that forms, services and the migration share."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from tender.domain import bounds


@pytest.mark.parametrize("day", [date(1990, 1, 1), date(2022, 5, 9), date(2100, 12, 31)])
def test_dates_within_the_life_of_a_procurement_are_accepted(day):
    assert bounds.check_date(day) == day


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1989, 12, 31), date(2101, 1, 1), date(9999, 12, 31)])
def test_dates_outside_it_are_refused_with_an_instruction(day):
    with pytest.raises(bounds.OutOfBounds, match="Enter a date between 1 January 1990 and 31 December 2100"):
        bounds.check_date(day, "planned date")


def test_a_datetime_is_judged_by_its_day():
    assert bounds.date_in_bounds(datetime(2100, 12, 31, 23, 59, tzinfo=timezone.utc))
    assert not bounds.date_in_bounds(datetime(9999, 12, 31, 23, 59))


@pytest.mark.parametrize("text", ["0.01", "1250000.00", "10000000000.00", "£10,000,000,000"])
def test_amounts_from_a_penny_to_ten_billion_pounds_are_accepted(text):
    amount = bounds.parse_amount(text)
    assert bounds.check_amount(amount, "the price") == amount


@pytest.mark.parametrize("text", ["0", "-5", "10000000000.01", "9" * 40, "1e20"])
def test_amounts_outside_them_are_refused(text):
    amount = bounds.parse_amount(text)
    with pytest.raises(bounds.OutOfBounds, match="between £0.01 and £10,000,000,000"):
        bounds.check_amount(amount, "the price")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "abc", "", "1" * 100, "sNaN"])
def test_text_that_is_not_a_finite_amount_is_not_parsed(text):
    assert bounds.parse_amount(text) is None


def test_the_largest_amount_survives_a_double_exactly():
    """Why SQLite (which keeps NUMERIC as a double) stores every amount within the bounds exactly."""
    for amount in (bounds.MAX_AMOUNT, bounds.MAX_AMOUNT - bounds.PENNY, Decimal("9876543210.99")):
        assert Decimal(f"{float(amount):.2f}") == amount


def test_terms_and_extensions_are_bounded():
    assert bounds.check_term(3, [2]) == (3, [2])
    with pytest.raises(bounds.OutOfBounds, match="from 1 to 50 years"):
        bounds.check_term(99999999999, [])
    with pytest.raises(bounds.OutOfBounds, match="no more than 10 extension options"):
        bounds.check_term(3, [1] * 30)
    with pytest.raises(bounds.OutOfBounds, match="1 to 25 years"):
        bounds.check_term(3, [26])


@pytest.mark.parametrize("text", ["Roads\x00", "a\x07b", "\x1bescape", "del\x7f"])
def test_control_characters_in_text_are_refused(text):
    with pytest.raises(bounds.OutOfBounds, match="control characters"):
        bounds.check_text(text, "title")


def test_tabs_and_new_lines_are_ordinary_text():
    assert bounds.check_text("Line one\r\n\tLine two", "description")


def test_ids_must_fit_a_database_integer():
    assert bounds.id_in_range(1) and bounds.id_in_range(2**31 - 1)
    assert not bounds.id_in_range(0) and not bounds.id_in_range(2**31) and not bounds.id_in_range(10**20)


def test_every_database_check_names_a_column_it_bounds():
    names = [(check.table, check.name) for check in bounds.CHECKS]
    assert len(names) == len(set(names))
    for check in bounds.CHECKS:
        assert check.name.removesuffix("_bounds") in check.sql
