"""Standstill and Procurement Act day counting, on dates worked out by hand.

Working days: PCR 2015 excludes England and Wales bank holidays (reg. 2);
the Procurement Act 2023 excludes a bank holiday in any part of the UK
(s.123), so 2 January (Scotland) is not a working day under the Act.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tender.domain import guards, periods
from tender.domain.guards import GuardContext, MilestoneFacts
from tender.domain.workflow_definition import load_definitions

ROOT = Path(__file__).resolve().parents[2]
DEFS = load_definitions(ROOT / "workflows", guards.KNOWN_GUARDS)
UTC = timezone.utc


# --- PCR 2015 reg. 87 ---------------------------------------------------------------

@pytest.mark.parametrize("sent, last_day", [
    # Easter 2025: letters Tue 8 April. The 10th day after is Fri 18 April, Good Friday; Sat 19, Sun 20 and
    # Mon 21 (Easter Monday) are not working days either, so reg. 2(4) runs it to the end of Tue 22 April.
    pytest.param(date(2025, 4, 8), date(2025, 4, 22), id="Easter 2025: rolled past Good Friday to Easter Tuesday"),
    # Christmas 2024: letters Mon 16 December. The 10th day after is Thu 26 December, Boxing Day; Fri 27 is a
    # working day, so standstill ends at midnight at the end of Friday 27 December.
    pytest.param(date(2024, 12, 16), date(2024, 12, 27), id="Christmas 2024: Boxing Day rolled to the Friday"),
    # An ordinary fortnight: letters Mon 1 September 2025; the 10th day after is Thu 11 September.
    pytest.param(date(2025, 9, 1), date(2025, 9, 11), id="ordinary: Monday to the Thursday week"),
])
def test_pcr_standstill_for_letters_sent_electronically(sent, last_day):
    assert periods.pcr_standstill_last_day(sent) == last_day
    assert periods.earliest_contract_day(last_day) == date.fromordinal(last_day.toordinal() + 1)


def test_pcr_christmas_standstill_lets_the_contract_be_entered_into_on_the_saturday():
    # The law bars the contract *before the end of* standstill and nothing more: after midnight at the end
    # of Friday 27 December 2024 it may be signed on Saturday 28 December.
    standstill = periods.standstill_for("pcr2015", notices_sent_at=datetime(2024, 12, 16, 15, 0, tzinfo=UTC))
    assert (standstill.last_day, standstill.contract_from) == (date(2024, 12, 27), date(2024, 12, 28))
    assert standstill.ends_at == datetime(2024, 12, 27, 23, 59, 59, tzinfo=periods.UK_TIME)
    assert standstill.ends_at.astimezone(UTC) == datetime(2024, 12, 27, 23, 59, 59, tzinfo=UTC)  # GMT
    assert not standstill.over(date(2024, 12, 27)) and standstill.over(date(2024, 12, 28))


def test_the_end_of_a_summer_standstill_is_an_hour_earlier_in_utc():
    # Easter 2025 letters: standstill ends at 23:59:59 BST on Tue 22 April, which is 22:59:59 UTC.
    ends = periods.standstill_for("pcr2015", notices_sent_at=datetime(2025, 4, 8, 9, tzinfo=UTC)).ends_at
    assert ends.astimezone(UTC) == datetime(2025, 4, 22, 22, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("received, last_day", [
    # Letters posted Mon 1 September 2025: the 15th day after is Tue 16 September.
    pytest.param(None, date(2025, 9, 16), id="receipt unknown: 15 days after sending"),
    # Received Wed 3 September: the 10th day after is Sat 13 September, rolled to Mon 15; earlier than the 16th.
    pytest.param(date(2025, 9, 3), date(2025, 9, 15), id="early receipt: 10 days after receipt is earlier"),
    # Received Mon 8 September: 10 days after is Thu 18 September, later than the 16th, so the 16th.
    pytest.param(date(2025, 9, 8), date(2025, 9, 16), id="late receipt: 15 days after sending is earlier"),
])
def test_pcr_standstill_for_letters_not_sent_electronically_is_the_earlier_end(received, last_day):
    assert periods.pcr_standstill_last_day(date(2025, 9, 1), electronic=False, last_received=received) == last_day


def test_the_uk_day_of_the_sending_counts_not_the_utc_one():
    # 00:30 BST on Sun 1 June 2025 is 23:30 UTC on Sat 31 May: the letters went on 1 June, and the 10th day
    # after 1 June is Wed 11 June.
    sent = datetime(2025, 5, 31, 23, 30, tzinfo=UTC)
    assert periods.uk_date(sent) == date(2025, 6, 1)
    assert periods.standstill_for("pcr2015", notices_sent_at=sent).last_day == date(2025, 6, 11)
    with pytest.raises(ValueError, match="timezone-aware"):
        periods.uk_date(datetime(2025, 6, 1, 0, 30))


# --- Procurement Act 2023 s.51 ------------------------------------------------------

@pytest.mark.parametrize("published, last_day", [
    # Easter 2025: notice Wed 16 April. Working days: Wed 16 (1), Thu 17 (2); Good Friday 18, the weekend and
    # Easter Monday 21 (a bank holiday in England, Wales and Northern Ireland: enough under s.123) are not;
    # Tue 22 (3), Wed 23 (4), Thu 24 (5), Fri 25 (6), Mon 28 (7), Tue 29 April (8).
    pytest.param(date(2025, 4, 16), date(2025, 4, 29), id="Easter 2025"),
    # Christmas 2025: notice Mon 22 December. Mon 22 (1), Tue 23 (2), Wed 24 (3); Christmas, Boxing Day and
    # the weekend are not; Mon 29 (4), Tue 30 (5), Wed 31 (6); New Year's Day and Fri 2 January (a Scottish
    # bank holiday) and the weekend are not; Mon 5 (7), Tue 6 January 2026 (8).
    pytest.param(date(2025, 12, 22), date(2026, 1, 6), id="Christmas 2025 and Scotland's 2 January"),
    # Published on a Saturday (6 December 2025): the period begins with that day, which is not a working day,
    # so the 8 working days are Mon 8 to Fri 12 (5) and Mon 15, Tue 16, Wed 17 December (8): the same as a
    # Monday notice.
    pytest.param(date(2025, 12, 6), date(2025, 12, 17), id="published on a Saturday"),
    pytest.param(date(2025, 12, 8), date(2025, 12, 17), id="published the Monday after"),
])
def test_pa_standstill_is_eight_working_days_beginning_with_publication(published, last_day):
    assert periods.pa_standstill_last_day(published) == last_day
    assert periods.standstill_last_day(published, 8, "working") == last_day


def test_pa_standstill_starts_with_the_award_notice_and_not_for_light_touch_contracts():
    published = datetime(2025, 4, 16, 9, tzinfo=UTC)
    sent = datetime(2025, 4, 1, 9, tzinfo=UTC)
    assert periods.standstill_for("pa2023", notices_sent_at=sent) is None
    standstill = periods.standstill_for("pa2023", notices_sent_at=sent, award_notice_published_at=published)
    assert (standstill.last_day, standstill.contract_from) == (date(2025, 4, 29), date(2025, 4, 30))
    assert "s.51" in standstill.rule
    assert periods.standstill_for("pa2023_light_touch", award_notice_published_at=published) is None


def test_procurement_act_days_do_not_roll_forward_like_pcr_days():
    # A tender notice on Thu 27 March 2025 + 25 days is Mon 21 April, Easter Monday. Under the Act the
    # participation period may end that day; PCR reg. 2(4) would run it to Tue 22 April.
    assert periods.earliest_period_end(date(2025, 3, 27), 25, "days") == date(2025, 4, 21)
    assert periods.earliest_period_end(date(2025, 3, 27), 25, "calendar") == date(2025, 4, 22)
    assert periods.check_period(date(2025, 3, 27), date(2025, 4, 21), 25, "days").ok
    assert not periods.check_period(date(2025, 3, 27), date(2025, 4, 20), 25, "days").ok


def test_the_contract_details_notice_is_due_within_30_days_beginning_with_the_contract():
    # Entered into Mon 5 January 2026: day 1 is 5 January, day 30 is Tue 3 February; light touch, day 120
    # is Mon 4 May 2026.
    assert periods.contract_details_notice_due(date(2026, 1, 5)) == date(2026, 2, 3)
    assert periods.contract_details_notice_due(date(2026, 1, 5), light_touch=True) == date(2026, 5, 4)


# --- the planning checks agree with the binding guard -------------------------------------

def planned(defn, **dates) -> GuardContext:
    milestones = {m.key: MilestoneFacts(m.key, m.title, dates.get(m.key)) for m in defn.milestones}
    regime = defn.regimes[0]
    return GuardContext(today=date(2025, 1, 1), regime=regime, conditions=frozenset({"electronic"}),
                        milestones=milestones)


@pytest.mark.parametrize("procedure, start_key, end_key, start, last_day", [
    ("competitive_procedure_with_negotiation", "award_letters_sent", "contract_awarded",
     date(2024, 12, 16), date(2024, 12, 27)),
    ("light_touch_regime", "award_letters_sent", "contract_awarded", date(2025, 4, 8), date(2025, 4, 22)),
    ("competitive_flexible_procedure", "contract_award_notice_published", "contract_entered",
     date(2025, 12, 22), date(2026, 1, 6)),
    ("competitive_flexible_procedure", "contract_award_notice_published", "contract_entered",
     date(2025, 12, 6), date(2025, 12, 17)),
])
def test_a_contract_planned_on_the_last_day_of_standstill_is_refused_and_the_next_day_accepted(
        procedure, start_key, end_key, start, last_day):
    defn = DEFS[procedure]
    on_last_day = guards.period_meets_minimum(defn, planned(defn, **{start_key: start, end_key: last_day}),
                                              "standstill")
    assert on_last_day.blocks  # standstill binds light touch contracts under PCR too (reg. 87)
    assert periods.format_uk_date(last_day) in on_last_day.message
    next_day = date.fromordinal(last_day.toordinal() + 1)
    assert guards.period_meets_minimum(defn, planned(defn, **{start_key: start, end_key: next_day}),
                                       "standstill").passed
    # ...and the binding guard says the same of the recorded moment.
    moment = datetime.combine(start, datetime.min.time(), tzinfo=UTC).replace(hour=12)
    recorded = GuardContext(today=last_day, regime=defn.regimes[0], award_notices_sent_at=moment,
                            award_notice_published_at=moment)
    assert guards.standstill_over(defn, recorded).blocks
    assert guards.standstill_over(defn, GuardContext(**{**recorded.__dict__, "today": next_day})).passed


def test_a_recorded_challenge_blocks_until_lifted_with_the_rule_named():
    defn = DEFS["competitive_flexible_procedure"]
    blocked = guards.no_challenge_suspension(defn, GuardContext(today=date(2025, 9, 12), regime="pa2023",
                                                                challenges_suspending=("HT-2025-000321",)))
    assert blocked.blocks and "HT-2025-000321" in blocked.message and "s.101" in blocked.message
    pcr = guards.no_challenge_suspension(DEFS["open_procedure"], GuardContext(
        today=date(2025, 9, 12), regime="pcr2015", challenges_suspending=("HT-1",)))
    assert "reg. 95" in pcr.message
    assert guards.no_challenge_suspension(defn, GuardContext(today=date(2025, 9, 12), regime="pa2023")).passed


def test_every_procedure_bars_the_contract_while_a_challenge_suspends_it():
    for defn in DEFS.values():
        contract = [t for t in defn.transitions if any(g.name == "standstill_over" for g in t.guards)]
        assert contract, defn.name
        for transition in contract:
            assert "no_challenge_suspension" in [g.name for g in transition.guards], (defn.name, transition.trigger)


# --- the calendar feed ----------------------------------------------------------------

def test_the_calendar_feed_shows_the_end_of_standstill_on_its_last_day():
    from icalendar import Calendar

    from tender.domain.calendar_feed import StandstillEnd, build_calendar

    end = StandstillEnd(7, "KCC-25/00101", "Young carers' support", date(2025, 9, 11), date(2025, 9, 12),
                        "Procurement Act 2023 s.51")
    feed = Calendar.from_ical(build_calendar("Luke Edwards", [], "https://tender.kent.gov.uk",
                                             datetime(2025, 9, 2, 8, tzinfo=UTC), standstill_ends=[end]))
    (event,) = feed.walk("VEVENT")
    assert str(event["uid"]) == "standstill-7@tender.kent.gov.uk"
    assert event.decoded("dtstart") == date(2025, 9, 11) and event.decoded("dtend") == date(2025, 9, 12)
    assert str(event["summary"]) == "KCC-25/00101: standstill ends at 23:59:59"
    description = str(event["description"])
    assert "midnight at the end of 11 September 2025 (23:59:59 UK time, Procurement Act 2023 s.51)" in description
    assert "entered into from 12 September 2025" in description


def test_a_pa_light_touch_contract_has_no_standstill_to_plan_around():
    defn = DEFS["competitive_flexible_procedure"]
    context = planned(defn, contract_award_notice_published=date(2025, 12, 22), contract_entered=date(2025, 12, 23))
    context = GuardContext(**{**context.__dict__, "regime": "pa2023_light_touch"})
    outcome = guards.period_meets_minimum(defn, context, "standstill")
    assert outcome.passed and "s.51(3)" in outcome.message
