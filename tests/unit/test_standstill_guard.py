"""The standstill guard and the planned contract day, both ways, from RULES.md (PCR reg 87, PA s.51).

The contract may not be entered into before standstill ends (midnight at the
end of its last day); under the Act a light touch contract has no mandatory
standstill (s.51(3)) unless the authority recorded a voluntary one, which then
binds exactly as the Act counts a mandatory one (8 working days beginning with
the day the contract award notice is published).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from tender.domain import guards
from tests.unit.test_guards import CPN, DEFS, NOON, context

CFP = DEFS["competitive_flexible_procedure"]
NO_STANDSTILL = "No standstill applies to a light touch contract (Procurement Act 2023 s.51(3))."
# Published Fri 6 June 2025: 6, 9, 10, 11, 12, 13, 16, 17 June are the 8 working days.
PUBLISHED = NOON(2025, 6, 6)


def pa(regime="pa2023", **changes):
    return context(regime=regime, award_notice_published_at=PUBLISHED, **changes)


def test_pa_standstill_binds_through_its_last_day_and_says_when_it_ends():
    outcome = guards.standstill_over(CFP, pa(today=date(2025, 6, 17)))
    assert outcome.blocks
    assert outcome.message == ("Standstill ends at midnight at the end of 17 June 2025 (Procurement Act 2023 s.51); "
                               "the contract can be entered into from 18 June 2025. The contract cannot be entered "
                               "into before then.")
    passed = guards.standstill_over(CFP, pa(today=date(2025, 6, 18)))
    assert passed.passed and passed.message.startswith("Standstill ends at midnight at the end of 17 June 2025")


def test_a_light_touch_contract_under_the_act_has_no_standstill_unless_one_was_recorded():
    light = guards.standstill_over(CFP, pa("pa2023_light_touch", today=date(2025, 6, 9)))
    assert light.passed and light.message == NO_STANDSTILL
    voluntary = guards.standstill_over(CFP, pa("pa2023_light_touch", today=date(2025, 6, 17),
                                               voluntary_standstill=True))
    assert voluntary.blocks and "(voluntary standstill, counted as Procurement Act 2023 s.51 counts it)" in (
        voluntary.message)
    assert guards.standstill_over(CFP, pa("pa2023_light_touch", today=date(2025, 6, 18),
                                          voluntary_standstill=True)).passed


def test_a_recorded_voluntary_standstill_starts_only_with_the_award_notice():
    ctx = context(regime="pa2023_light_touch", voluntary_standstill=True, today=date(2025, 6, 18))
    outcome = guards.standstill_over(CFP, ctx)
    assert outcome.blocks
    assert outcome.message == "The contract award notice has not been published, so standstill has not started."


def test_a_pcr_light_touch_contract_keeps_its_standstill():
    ctx = context(regime="pcr2015_light_touch", award_notices_sent_at=NOON(2022, 9, 1), today=date(2022, 9, 12))
    outcome = guards.standstill_over(CPN, ctx)
    assert outcome.blocks and "reg. 87(2)(a)" in outcome.message


def test_standstill_not_started_says_which_step_is_missing():
    assert guards.standstill_over(CPN, context()).message == (
        "The award decision letters have not been recorded as sent, so standstill has not started.")
    assert guards.standstill_over(CFP, context(regime="pa2023")).message == (
        "The contract award notice has not been published, so standstill has not started.")


def test_letters_by_post_give_the_later_standstill_of_reg_87_2_b():
    ctx = context(award_notices_sent_at=NOON(2022, 9, 1), award_notices_electronic=False, today=date(2022, 9, 13))
    outcome = guards.standstill_over(CPN, ctx)  # 15 days after Thu 1 Sep: Fri 16 Sep
    assert outcome.blocks and "16 September 2022 (PCR 2015 reg. 87(2)(b))" in outcome.message
    received = replace(ctx, award_notices_last_received_on=date(2022, 9, 2))  # 10 days after: Mon 12 Sep
    assert guards.standstill_over(CPN, received).passed


def test_binding_standstill_defaults_to_letters_sent_electronically_and_no_voluntary_standstill():
    statutory = guards.binding_standstill("pcr2015", notices_sent_at=NOON(2022, 9, 1))
    assert statutory.rule == "PCR 2015 reg. 87(2)(a)" and statutory.last_day == date(2022, 9, 12)
    assert guards.binding_standstill("pa2023_light_touch", award_notice_published_at=PUBLISHED) is None
    voluntary = guards.binding_standstill("pa2023_light_touch", award_notice_published_at=PUBLISHED, voluntary=True)
    assert (voluntary.started_on, voluntary.last_day, voluntary.rule) == (
        date(2025, 6, 6), date(2025, 6, 17), guards.VOLUNTARY_RULE)
    assert guards.binding_standstill("pa2023", award_notice_published_at=PUBLISHED, voluntary=True).rule == (
        "Procurement Act 2023 s.51")


# --- the planned contract day (period_meets_minimum on the standstill period) ----------------

def planned(ctx, letters: date, contract: date):
    milestones = dict(ctx.milestones)
    milestones["award_letters_sent"] = replace(milestones["award_letters_sent"], planned=letters)
    milestones["contract_awarded"] = replace(milestones["contract_awarded"], planned=contract)
    return replace(ctx, milestones=milestones)


def test_the_contract_is_planned_after_the_last_day_of_standstill_never_on_it():
    # Letters Mon 26 Sep 2022: the 10th day is Thu 6 Oct; the contract may be entered into from Fri 7 Oct.
    on_last_day = guards.period_meets_minimum(CPN, planned(context(), date(2022, 9, 26), date(2022, 10, 6)),
                                              "standstill")
    assert on_last_day.blocks
    assert ("Standstill runs until midnight at the end of 6 October 2022, so 'Contract awarded' must be planned "
            "on or after 7 October 2022, not 6 October 2022.") in on_last_day.message
    assert not on_last_day.message.endswith("record why.")
    day_after = guards.period_meets_minimum(CPN, planned(context(), date(2022, 9, 26), date(2022, 10, 7)),
                                            "standstill")
    assert day_after.passed and "ends at midnight at the end of 6 October 2022" in day_after.message


def act_timetable(regime: str, published: date, entered: date, **changes):
    milestones = {m.key: guards.MilestoneFacts(m.key, m.title, None) for m in CFP.milestones}
    milestones["contract_award_notice_published"] = replace(milestones["contract_award_notice_published"],
                                                            planned=published)
    milestones["contract_entered"] = replace(milestones["contract_entered"], planned=entered)
    return context(regime=regime, milestones=milestones, **changes)


def test_under_the_act_the_contract_is_planned_after_the_eighth_working_day():
    on_last_day = guards.period_meets_minimum(CFP, act_timetable("pa2023", date(2025, 6, 6), date(2025, 6, 17)),
                                              "standstill")
    assert on_last_day.blocks and "must be planned on or after 18 June 2025, not 17 June 2025." in on_last_day.message
    assert guards.period_meets_minimum(CFP, act_timetable("pa2023", date(2025, 6, 6), date(2025, 6, 18)),
                                       "standstill").passed


def test_a_light_touch_contract_under_the_act_plans_no_standstill_unless_a_voluntary_one_is_recorded():
    ctx = act_timetable("pa2023_light_touch", date(2025, 6, 6), date(2025, 6, 9))
    outcome = guards.period_meets_minimum(CFP, ctx, "standstill")
    assert outcome.passed and outcome.message == NO_STANDSTILL
    voluntary = guards.period_meets_minimum(CFP, replace(ctx, voluntary_standstill=True), "standstill")
    assert not voluntary.passed and "must be planned on or after 18 June 2025" in voluntary.message
    # the workflow makes a short period under the light touch regime a warning, and the message says what to do
    assert voluntary.severity == guards.WARN
    assert voluntary.message.endswith("Under the light touch regime this is a warning: record why.")
