"""Moving a past timetable forward by whole weeks, so that it starts today or later (issue 19, part 6).

The demo's timetable is Kent County Council's of 2022. Loaded as it is, every
milestone is overdue and every stage move records a date years after its
plan. Shifting it by whole weeks keeps each date's weekday (a Monday
deadline stays a Monday) and the gaps between milestones, so the statutory
periods the workflow checks still hold. A shifted date that falls on a day
that is not a working day (a bank holiday; under the PCR also Christmas Day
and Good Friday) moves to the next working day, and a milestone is never
moved onto or before the one it followed.

Pure: the caller passes ``today`` (from ``tender.services.clock``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from tender.domain.periods import Counting, next_working_day


@dataclass(frozen=True)
class ShiftedTimetable:
    """The timetable moved forward: how many weeks, and each milestone's new date (same keys, same order)."""

    weeks: int
    dates: dict[str, date]

    @property
    def days(self) -> int:
        return self.weeks * 7


def weeks_to_reach(first: date, today: date) -> int:
    """The fewest whole weeks that put ``first`` on ``today`` or after it (0 if it already is)."""
    behind = (today - first).days
    return 0 if behind <= 0 else -(-behind // 7)


def shift_timetable(timetable: Mapping[str, date], today: date, counting: Counting = "calendar") -> ShiftedTimetable:
    """``timetable`` (milestone key -> date, in timetable order) moved so its first date is ``today`` or later.

    Every date moves by the same whole number of weeks, then off a non-working
    day under ``counting``'s calendar; a date that would then land on or
    before the previous milestone's (which was earlier in the original) moves
    to the next working day after it.
    """
    if not timetable:
        return ShiftedTimetable(0, {})
    weeks = weeks_to_reach(min(timetable.values()), today)
    shift = timedelta(weeks=weeks)
    dates: dict[str, date] = {}
    previous_original = previous = None
    for key, original in timetable.items():
        day = next_working_day(original + shift, counting)
        if previous is not None and original > previous_original and day <= previous:
            day = next_working_day(previous + timedelta(days=1), counting)
        dates[key] = day
        previous_original, previous = original, day
    return ShiftedTimetable(weeks, dates)
