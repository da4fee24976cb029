"""Password rules and the login throttle's delays (issue 19): pure functions, no app."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tender.domain.login_throttle import Rule, Tally, delay_after, describe_wait, wait_needed
from tender.domain.passwords import common_passwords, password_problem

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
RULE = Rule(free=5, base=timedelta(seconds=30), cap=timedelta(minutes=15))


@pytest.mark.parametrize("password", ["password123456", "PASSWORD123456", " password123456 ", "aaaaaaaaaaaa",
                                      "abababababab", "qwertyuiop123"])
def test_common_and_repetitive_passwords_are_refused(password):
    assert "harder to guess" in password_problem(password)


def test_the_shipped_list_is_the_whole_of_djangos():
    assert len(common_passwords()) > 19000 and "password123456" in common_passwords()


@pytest.mark.parametrize("password, problem", [("short pass", "at least 12 characters"),
                                               ("x" * 129, "128 characters or fewer"),
                                               ("correct horse battery", None),
                                               ("lantern ferry biscuit", None)])
def test_length_is_checked_and_a_long_uncommon_password_is_accepted(password, problem):
    found = password_problem(password)
    assert (found is None) if problem is None else (problem in found)


def test_a_password_containing_the_e_mail_address_is_refused():
    assert "e-mail address" in password_problem("xx alice@kent.gov.uk", "alice@kent.gov.uk")


def test_the_delays_start_after_the_free_failures_and_double_up_to_the_cap():
    assert [delay_after(n, RULE) for n in (0, 4)] == [timedelta(0), timedelta(0)]
    assert [delay_after(n, RULE).total_seconds() for n in (5, 6, 7, 8, 9, 10, 20)] == [
        30, 60, 120, 240, 480, 900, 900]


def test_the_wait_counts_from_the_latest_failure():
    tally = Tally(failures=6, last_failure=NOW - timedelta(seconds=45))
    assert wait_needed(tally, RULE, NOW) == timedelta(seconds=15)
    assert wait_needed(tally, RULE, NOW + timedelta(seconds=15)) == timedelta(0)
    assert wait_needed(Tally(4, NOW), RULE, NOW) == timedelta(0)


def test_waits_are_described_in_whole_minutes_rounded_up():
    assert [describe_wait(timedelta(seconds=s)) for s in (1, 30, 60, 61, 900)] == [
        "1 minute", "1 minute", "1 minute", "2 minutes", "15 minutes"]
