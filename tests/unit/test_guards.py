"""Each guard both blocks and passes, with a message an officer can act on."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tender.domain import guards
from tender.domain.guards import GuardContext, LotFacts, MilestoneFacts
from tender.domain.workflow_definition import load_definitions

ROOT = Path(__file__).resolve().parents[2]
DEFS = load_definitions(ROOT / "workflows", guards.KNOWN_GUARDS)
CPN = DEFS["competitive_procedure_with_negotiation"]
TIMETABLE = {
    "sq_published": date(2022, 4, 4), "sq_deadline": date(2022, 5, 9), "sq_evaluation_started": date(2022, 5, 10),
    "itt_issued": date(2022, 6, 6), "initial_tender_deadline": date(2022, 7, 11),
    "negotiation_started": date(2022, 8, 22), "final_tenders_invited": date(2022, 9, 5),
    "final_tender_deadline": date(2022, 9, 16), "award_recommended": date(2022, 9, 23),
    "award_letters_sent": date(2022, 9, 26), "contract_awarded": date(2022, 10, 10),
    "mobilisation_started": date(2022, 10, 11), "service_live": date(2023, 4, 3),
}


def NOON(year: int, month: int, day: int) -> datetime:  # noqa: N802 - reads like a date
    """Midday UTC on a day: the same day in the UK, summer or winter."""
    return datetime(year, month, day, 12, tzinfo=timezone.utc)


def context(**changes) -> GuardContext:
    milestones = {m.key: MilestoneFacts(m.key, m.title, TIMETABLE.get(m.key)) for m in CPN.milestones}
    base = GuardContext(today=date(2022, 6, 1), regime="pcr2015", conditions=frozenset({"electronic"}),
                        milestones=milestones)
    return replace(base, **changes)


def with_dates(**dates) -> dict:
    ctx = context()
    return {k: replace(v, planned=dates.get(k, v.planned)) for k, v in ctx.milestones.items()}


def test_timetable_complete_passes_for_the_demo_timetable():
    assert guards.timetable_complete(CPN, context()).passed


def test_timetable_complete_names_missing_dates():
    outcome = guards.timetable_complete(CPN, context(milestones=with_dates(itt_issued=None)))
    assert outcome.blocks and "Invitation to tender issued" in outcome.message


def test_timetable_complete_refuses_dates_in_the_wrong_order():
    outcome = guards.timetable_complete(CPN, context(milestones=with_dates(sq_deadline=date(2022, 4, 1))))
    assert outcome.blocks and "before" in outcome.message and "1 April 2022" in outcome.message


def test_a_35_day_sq_period_meets_the_30_day_minimum():
    assert guards.period_meets_minimum(CPN, context(), period="sq_response_period").passed


def test_a_29_day_sq_period_blocks_under_the_full_regime_and_names_the_earliest_lawful_date():
    # Published Mon 4 April 2022; 30 days later is Wed 4 May 2022. A deadline of 3 May is one day short.
    outcome = guards.period_meets_minimum(CPN, context(milestones=with_dates(sq_deadline=date(2022, 5, 3))),
                                          period="sq_response_period")
    assert outcome.blocks and outcome.severity == guards.BLOCK
    assert "4 May 2022" in outcome.message


def test_the_same_short_period_only_warns_under_the_light_touch_regime():
    outcome = guards.period_meets_minimum(CPN, context(regime="pcr2015_light_touch",
                                                       milestones=with_dates(sq_deadline=date(2022, 5, 3))),
                                          period="sq_response_period")
    assert not outcome.passed and not outcome.blocks and "light touch" in outcome.message


def test_standstill_still_binds_under_the_light_touch_regime():
    definition = CPN
    assert definition.enforcement_for("standstill", "pcr2015_light_touch") == guards.BLOCK


def test_deadline_passed_blocks_on_the_deadline_day_and_passes_the_day_after():
    on_the_day = guards.deadline_passed(CPN, context(today=date(2022, 5, 9)), milestone="sq_deadline")
    after = guards.deadline_passed(CPN, context(today=date(2022, 5, 10)), milestone="sq_deadline")
    assert on_the_day.blocks and "not yet reached" in on_the_day.message and "9 May 2022" in on_the_day.message
    assert after.passed


def test_shortlist_decided_needs_a_decision_and_a_reason_for_everyone():
    assert guards.shortlist_decided(CPN, context()).blocks
    assert "Acme" in guards.shortlist_decided(CPN, context(candidates=2, candidates_undecided=("Acme",))).message
    assert "Give reasons" in guards.shortlist_decided(CPN, context(candidates=2, candidates_without_reason=("B",))).message
    assert guards.shortlist_decided(CPN, context(candidates=2)).passed


def test_shortlist_minimum_is_three_for_cpn_unless_justified():
    short = guards.shortlist_minimum(CPN, context(shortlisted=2))
    assert short.blocks and "reg. 65" in short.message
    assert guards.shortlist_minimum(CPN, context(shortlisted=2, shortlist_justification="Only two met the criteria")).passed
    assert guards.shortlist_minimum(CPN, context(shortlisted=3)).passed


def test_bids_and_evaluation_guards_name_the_lots_that_are_not_ready():
    lots = (LotFacts(1, "North", bids={"initial": 2}, evaluation_final={"initial": True}),
            LotFacts(2, "South", bids={}, evaluation_final={}, evaluation_note={"initial": "3 scores to moderate"}))
    bids = guards.bids_received(CPN, context(lots=lots), round="initial")
    evaluation = guards.evaluation_complete(CPN, context(lots=lots), round="initial")
    assert bids.blocks and "lot 2" in bids.message and "lot 1" not in bids.message
    assert evaluation.blocks and "lot 2: 3 scores to moderate" in evaluation.message and "lot 1" not in evaluation.message
    ready = tuple(replace(lot, bids={"initial": 1}, evaluation_final={"initial": True}) for lot in lots)
    assert guards.bids_received(CPN, context(lots=ready), round="initial").passed
    assert guards.evaluation_complete(CPN, context(lots=ready), round="initial").passed


def test_award_guards():
    assert guards.award_approved(CPN, context()).blocks
    assert guards.award_approved(CPN, context(award_approved_by="Richard Smith")).passed
    assert "29(15)" in guards.award_on_initial_reserved(CPN, context()).message
    assert guards.award_on_initial_reserved(CPN, context(award_on_initial_reserved=True)).passed


@pytest.mark.parametrize("today, passes", [
    (date(2022, 9, 12), False),  # notices Thu 1 Sep 2022: 10th day after is Sun 11 Sep, rolled to Mon 12 Sep
    (date(2022, 9, 13), True),
])
def test_pcr_standstill_ends_at_midnight_after_the_rolled_tenth_day(today, passes):
    outcome = guards.standstill_over(CPN, context(today=today, award_notices_sent_at=NOON(2022, 9, 1)))
    assert outcome.passed is passes
    if not passes:
        assert "12 September 2022" in outcome.message and "reg. 87" in outcome.message


def test_pa_standstill_is_eight_working_days_and_does_not_apply_to_light_touch_contracts():
    pa = DEFS["competitive_flexible_procedure"]
    # Published Fri 6 June 2025: 6, 9, 10, 11, 12, 13, 16, 17 June are the 8 working days.
    assert guards.standstill_over(pa, context(regime="pa2023", today=date(2025, 6, 17),
                                              award_notice_published_at=NOON(2025, 6, 6))).blocks
    assert guards.standstill_over(pa, context(regime="pa2023", today=date(2025, 6, 18),
                                              award_notice_published_at=NOON(2025, 6, 6))).passed
    assert guards.standstill_over(pa, context(regime="pa2023_light_touch", today=date(2025, 6, 9),
                                              award_notice_published_at=NOON(2025, 6, 6))).passed


def test_every_guard_named_in_a_workflow_has_an_implementation():
    named = {ref.name for d in DEFS.values() for t in d.transitions for ref in t.guards}
    assert named <= set(guards.GUARDS)
