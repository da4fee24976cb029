"""Time limits at their edges, and the reason given when a period runs longer.

Written from /work/shared/RULES.md (PCR reg 2(3)-(4), reg 87; PA ss.51, 53, 54,
123), not from the code: each case names the day the law gives and the words
an officer reads when a deadline is refused.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from tender.domain.periods import (
    UK_TIME,
    Standstill,
    check_period,
    contract_details_notice_due,
    earliest_contract_day,
    earliest_period_end,
    non_working_reason,
    pcr_standstill_last_day,
    standstill_for,
    standstill_last_day,
    uk_date,
    working_days_between,
)

FRI, SAT, SUN, MON, TUE = (date(2022, 9, d) for d in (2, 3, 4, 5, 6))


@pytest.mark.parametrize("day, counting, reason", [
    (SAT, "calendar", "a Saturday"),
    (SUN, "calendar", "a Sunday"),
    (SUN, "working", "a Sunday"),
    (date(2022, 4, 15), "calendar", "Good Friday"),
    (date(2022, 12, 26), "calendar", "Boxing Day"),
    (date(2022, 11, 30), "working", "Saint Andrew's Day (Scotland)"),  # s.123: a bank holiday anywhere in the UK
    (date(2022, 11, 30), "calendar", None),                # not one in England and Wales: reg 2 does not
    (MON, "calendar", None),
])
def test_the_reason_a_day_is_not_a_working_day(day, counting, reason):
    assert non_working_reason(day, counting) == reason


def test_a_local_holiday_is_named_as_such_and_a_bank_holiday_keeps_its_own_name():
    assert non_working_reason(MON, "calendar", [MON]) == "a local holiday"
    assert non_working_reason(SUN, "calendar", [SUN]) == "a Sunday"


def test_a_minimum_ending_on_a_sunday_says_so():
    # Tue 1 Mar 2022 + 26 days = Sun 27 Mar: the period ends at the end of Mon 28 Mar (reg 2(4)).
    result = check_period(date(2022, 3, 1), date(2022, 3, 27), 26, "calendar")
    assert not result.ok and result.earliest_end == date(2022, 3, 28)
    assert result.extended_because == "27 March 2022 is not a working day (a Sunday)"
    assert result.explanation == (
        "The period from 1 March 2022 to 27 March 2022 is 26 days; the minimum is 26 calendar days, "
        "so it must end on or after 28 March 2022, because 27 March 2022 is not a working day (a Sunday).")


def test_a_one_day_period_from_a_friday_ends_on_monday_without_the_two_working_day_rule():
    assert earliest_period_end(FRI, 1, "calendar") == MON
    assert check_period(FRI, MON, 1, "calendar").extended_because == "3 September 2022 is not a working day (a Saturday)"


def test_a_two_day_period_must_include_two_working_days():
    # Fri + 2 = Sun, rolled to Mon; but Mon is only the first working day: the period runs to Tue.
    result = check_period(FRI, MON, 2, "calendar")
    assert not result.ok and result.earliest_end == TUE
    assert result.extended_because == "a period must include at least 2 working days"
    assert check_period(FRI, TUE, 2, "calendar").ok


def test_when_the_rolled_forward_end_is_the_second_working_day_the_weekend_is_the_reason():
    # Thu 1 Sep + 2 = Sat 3, rolled to Mon 5, which is also the 2nd working day: the weekend explains it.
    result = check_period(date(2022, 9, 1), date(2022, 9, 3), 2, "calendar")
    assert result.earliest_end == MON
    assert result.extended_because == "3 September 2022 is not a working day (a Saturday)"
    # Mon + 2 = Wed, the 2nd working day: nothing to explain.
    assert check_period(MON, date(2022, 9, 7), 2, "calendar").extended_because is None


def test_an_end_on_a_working_day_needs_no_reason():
    result = check_period(date(2022, 4, 4), date(2022, 5, 4), 30, "calendar")
    assert result.ok and result.extended_because is None and result.earliest_end == date(2022, 5, 4)


def test_the_act_counts_days_without_rolling_forward_off_a_weekend():
    # PA s.54(5): the period starts the day after; no roll-forward (reg 2(4) is not carried over).
    assert earliest_period_end(date(2022, 3, 1), 25, "days") == date(2022, 3, 26)
    result = check_period(date(2022, 3, 1), date(2022, 3, 26), 25, "days")
    assert result.ok and result.days_given == 25 and result.extended_because is None


def test_a_period_of_no_days_ends_with_its_event_even_on_a_sunday():
    for counting in ("calendar", "days", "working"):
        assert earliest_period_end(SUN, 0, counting) == SUN


def test_a_negative_period_is_refused():
    with pytest.raises(ValueError, match="A period cannot be -1 days long."):
        earliest_period_end(MON, -1, "calendar")


@pytest.mark.parametrize("counting, unit", [("working", "working day"), ("calendar", "calendar day")])
def test_a_minimum_of_one_is_said_in_the_singular(counting, unit):
    result = check_period(MON, TUE, 1, counting)
    given = "1 working day" if counting == "working" else "1 day"
    assert result.explanation == (
        f"The period from 5 September 2022 to 6 September 2022 is {given}, which meets the minimum of 1 {unit}.")


def test_working_days_between_counts_after_the_start_up_to_the_end():
    assert working_days_between(FRI, MON, "working") == 1
    assert working_days_between(FRI, FRI, "working") == 0
    assert working_days_between(MON, FRI, "working") == -1  # the Friday deadline is one working day overdue


# --- standstill ------------------------------------------------------------------------

def test_pcr_standstill_sent_electronically_is_ten_days_and_by_post_the_earlier_end():
    sent = date(2022, 9, 1)  # Thursday
    assert pcr_standstill_last_day(sent) == date(2022, 9, 12)  # the 10th day is Sunday 11th
    assert pcr_standstill_last_day(sent, electronic=False) == date(2022, 9, 16)  # 15 days: Friday 16th
    # received on Friday 2nd: 10 days after is Monday 12th, earlier than the 15-day end
    assert pcr_standstill_last_day(sent, electronic=False, last_received=date(2022, 9, 2)) == date(2022, 9, 12)
    assert pcr_standstill_last_day(sent, electronic=False, last_received=date(2022, 9, 9)) == date(2022, 9, 16)


def test_a_standstill_is_over_only_after_its_last_day():
    standstill = Standstill(MON, date(2022, 9, 15), "PCR 2015 reg. 87(2)(a)")
    assert not standstill.over(date(2022, 9, 15)) and standstill.over(date(2022, 9, 16))
    assert standstill.contract_from == date(2022, 9, 16) == earliest_contract_day(date(2022, 9, 15))
    assert standstill.ends_at == datetime(2022, 9, 15, 23, 59, 59, tzinfo=UK_TIME)
    assert standstill.explanation == ("Standstill ends at midnight at the end of 15 September 2022 "
                                      "(PCR 2015 reg. 87(2)(a)); the contract can be entered into from "
                                      "16 September 2022.")


def test_standstill_for_each_regime():
    moment = datetime(2022, 9, 1, 9, 0, tzinfo=timezone.utc)
    assert standstill_for("pa2023_light_touch", award_notice_published_at=moment) is None
    assert standstill_for("pa2023") is None and standstill_for("pcr2015") is None
    pa = standstill_for("pa2023", award_notice_published_at=moment)
    assert (pa.started_on, pa.last_day, pa.rule) == (date(2022, 9, 1), date(2022, 9, 12), "Procurement Act 2023 s.51")
    pcr = standstill_for("pcr2015", notices_sent_at=moment)
    assert (pcr.last_day, pcr.rule) == (date(2022, 9, 12), "PCR 2015 reg. 87(2)(a)")
    post = standstill_for("pcr2015_light_touch", notices_sent_at=moment, electronic=False)
    assert (post.last_day, post.rule) == (date(2022, 9, 16), "PCR 2015 reg. 87(2)(b)")


def test_a_working_day_standstill_begins_with_its_first_day():
    # PA s.51: 8 working days beginning with Thursday 1 September: Thu, Fri, Mon..Fri (7th), Mon 12th.
    assert standstill_last_day(date(2022, 9, 1), 8, "working") == date(2022, 9, 12)
    assert standstill_last_day(date(2022, 9, 1), 1, "working") == date(2022, 9, 1)
    assert standstill_last_day(date(2022, 9, 1), 10, "calendar") == date(2022, 9, 12)


def test_the_uk_day_of_a_moment():
    assert uk_date(datetime(2022, 5, 31, 23, 30, tzinfo=timezone.utc)) == date(2022, 6, 1)  # 00:30 BST
    assert uk_date(datetime(2022, 12, 31, 23, 30, tzinfo=timezone.utc)) == date(2022, 12, 31)  # GMT
    with pytest.raises(ValueError, match="timezone-aware"):
        uk_date(datetime(2022, 6, 1, 0, 30))


def test_the_contract_details_notice_is_due_within_thirty_days_beginning_with_entry():
    entered = date(2022, 9, 1)
    assert contract_details_notice_due(entered) == entered + timedelta(days=29)
    assert contract_details_notice_due(entered, light_touch=True) == entered + timedelta(days=119)
