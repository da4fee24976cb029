"""``clock.moment`` sets the present for a block (the demo loader runs 2022 submissions through it)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from tender.services import clock


def test_within_a_moment_now_and_today_are_that_moment_and_after_it_the_clock_is_back(monkeypatch):
    monkeypatch.setenv("TENDER_TODAY", "2030-01-02")
    at = datetime(2022, 7, 8, 23, 30, tzinfo=timezone.utc)  # 00:30 on 9 July in London (BST)
    with clock.moment(at):
        assert clock.now() == at
        assert clock.today() == date(2022, 7, 9)
        with clock.moment(datetime(2021, 1, 1, 9, tzinfo=timezone.utc)):
            assert clock.today() == date(2021, 1, 1)
        assert clock.now() == at
    assert clock.today() == date(2030, 1, 2)


def test_the_wall_clock_ignores_a_moment():
    with clock.moment(datetime(2022, 7, 8, 11, tzinfo=timezone.utc)):
        assert clock.wall_now().year >= 2026


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        with clock.moment(datetime(2022, 7, 8, 11)):
            pass
