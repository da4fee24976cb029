"""Standstill in the services: the recorded sending, challenges, planning checks and light touch warnings.

Real database (SQLite, or PostgreSQL with TENDER_TEST_DATABASE_URL).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, AwardApproval, Milestone, Procurement
from tender.services.award import standstill
from tender.services.errors import Blocked, InvalidRequest
from tender.services.procurement import milestones, workflow
from tests.act_support import record_notice
from tests.helpers import CPN_TIMETABLE, make_procurement, make_user

UTC = timezone.utc

PA_TIMETABLE = {
    "tender_notice_published": date(2025, 6, 2), "participation_deadline": date(2025, 6, 27),
    "itt_issued": date(2025, 7, 7), "tender_deadline": date(2025, 8, 6), "assessment_started": date(2025, 8, 7),
    "assessment_summaries_sent": date(2025, 12, 1), "contract_award_notice_published": date(2025, 12, 22),
    "contract_entered": date(2026, 1, 7), "contract_details_published": date(2026, 3, 1),
    "mobilisation_started": date(2026, 3, 2), "service_live": date(2026, 4, 1),
}


def approve(procurement, approver=None) -> None:
    approver = approver or make_user("approver")
    db.session.add(AwardApproval(procurement_id=procurement.id, approved_by_id=approver.id,
                                 approved_at=datetime.now(UTC), authority="Decision 22/00033"))
    db.session.commit()


def milestone(procurement_id: int, key: str) -> Milestone:
    return db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement_id,
                                                     Milestone.key == key))


def last_event() -> AuditEvent:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()


def cpn_at_award_decision(**fields) -> Procurement:
    p = make_procurement(timetable=CPN_TIMETABLE, electronic_submission=True, **fields)
    p.state = "award_decision"
    db.session.commit()
    return p


def test_recording_the_letters_needs_an_approved_award_a_real_time_and_not_the_future(ctx):
    officer = make_user("procurement_officer")
    p = cpn_at_award_decision()
    now = datetime(2022, 9, 26, 12, tzinfo=UTC)
    with pytest.raises(InvalidRequest, match="must be approved before the award decision letters are sent"):
        standstill.record_notices_sent(p, datetime(2022, 9, 26, 9, tzinfo=UTC), officer, now=now)
    approve(p)
    with pytest.raises(InvalidRequest, match="cannot be in the future"):
        standstill.record_notices_sent(p, datetime(2022, 9, 26, 13, tzinfo=UTC), officer, now=now)
    with pytest.raises(InvalidRequest, match="Enter the date and time"):
        standstill.record_notices_sent(p, datetime(2022, 9, 26, 9), officer, now=now)
    with pytest.raises(InvalidRequest, match="only for letters not sent electronically"):
        standstill.record_notices_sent(p, datetime(2022, 9, 26, 9, tzinfo=UTC), officer, now=now,
                                       last_received_on=date(2022, 9, 27))
    assert p.award_notices_sent_at is None
    standstill.record_notices_sent(p.id, datetime(2022, 9, 26, 9, 15, tzinfo=UTC), officer, "10.0.0.1", now=now)
    db.session.expire_all()
    stored = db.session.get(Procurement, p.id)
    assert standstill.standstill_of(stored).last_day == date(2022, 10, 6)  # Mon 26 Sep + 10 = Thu 6 Oct
    event = last_event().to_record()
    assert event["action"] == "award.notices_sent"
    assert event["after"]["sent_at"].startswith("2022-09-26T09:15")


def test_letters_cannot_be_recorded_before_the_award_decision_stage(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    with pytest.raises(InvalidRequest, match="once the award decision is made"):
        standstill.record_notices_sent(p, datetime(2022, 9, 26, 9, tzinfo=UTC), officer)


def test_pcr_standstill_binds_from_the_recorded_letters_and_a_challenge_suspends_until_lifted(ctx):
    # Letters recorded sent Mon 16 Dec 2024 (electronically): the 10th day after is Boxing Day, so standstill
    # runs to the end of Fri 27 Dec and the contract may be awarded from Sat 28 Dec.
    officer = make_user("procurement_officer")
    timetable = {**CPN_TIMETABLE, "award_recommended": date(2024, 12, 13), "award_letters_sent": date(2024, 12, 16),
                 "contract_awarded": date(2024, 12, 30), "mobilisation_started": date(2025, 1, 6),
                 "service_live": date(2025, 4, 1)}
    p = make_procurement(timetable=timetable)
    p.state = "award_decision"
    db.session.commit()
    with pytest.raises(Blocked) as blocked:
        workflow.advance(p.id, "send_award_letters", officer, expected_version=p.version, today=date(2024, 12, 16))
    assert any("Record when the award decision letters were sent" in r for r in blocked.value.reasons)
    approve(p)
    standstill.record_notices_sent(p, datetime(2024, 12, 16, 16, 45, tzinfo=UTC), officer,
                                   now=datetime(2024, 12, 16, 17, tzinfo=UTC))
    workflow.advance(p.id, "send_award_letters", officer, expected_version=p.version, today=date(2024, 12, 16))

    with pytest.raises(Blocked) as blocked:
        workflow.advance(p.id, "award_contract", officer, expected_version=p.version, today=date(2024, 12, 27))
    assert any("midnight at the end of 27 December 2024 (PCR 2015 reg. 87(2)(a))" in r for r in blocked.value.reasons)

    challenge = standstill.record_challenge(p.id, "HT-2024-000999", date(2024, 12, 20), date(2024, 12, 23),
                                            "Claim about the price scores.", officer, date(2024, 12, 23))
    assert last_event().action == "challenge.recorded"
    with pytest.raises(Blocked) as blocked:
        workflow.advance(p.id, "award_contract", officer, expected_version=p.version, today=date(2024, 12, 30))
    assert blocked.value.reasons == ["A legal challenge (HT-2024-000999) suspends entering into the contract "
                                     "(PCR 2015 reg. 95). Record when the court lifts the suspension or the "
                                     "proceedings end before you continue."]
    assert db.session.get(Procurement, p.id).state == "standstill"

    with pytest.raises(InvalidRequest, match="Enter what lifted the suspension"):
        standstill.lift_suspension(p.id, challenge.id, date(2025, 1, 6), " ", officer, date(2025, 1, 6))
    with pytest.raises(InvalidRequest, match="cannot be in the future"):
        standstill.lift_suspension(p.id, challenge.id, date(2025, 1, 7), "Order", officer, date(2025, 1, 6))
    standstill.lift_suspension(p.id, challenge.id, date(2025, 1, 6), "Order of Mr Justice Smith lifting the "
                               "suspension (reg. 96(1)(a)).", officer, date(2025, 1, 6),
                               expected_version=challenge.version)
    event = last_event().to_record()
    assert (event["action"], event["after"]["lifted_on"]) == ("challenge.suspension_lifted", "2025-01-06")
    with pytest.raises(InvalidRequest, match="already been lifted"):
        standstill.lift_suspension(p.id, challenge.id, date(2025, 1, 6), "Again", officer, date(2025, 1, 6))
    change = workflow.advance(p.id, "award_contract", officer, expected_version=db.session.get(Procurement, p.id)
                              .version, today=date(2025, 1, 6))
    assert change.to_stage == "contract_awarded"


def test_a_challenge_needs_its_claim_number_and_sensible_dates(ctx):
    officer = make_user("procurement_officer")
    p = cpn_at_award_decision()
    today = date(2022, 10, 3)
    for args, message in [
        (("", date(2022, 10, 1), date(2022, 10, 2)), "Enter the claim number"),
        (("HT-1", None, date(2022, 10, 2)), "Enter the date the claim form was issued"),
        (("HT-1", date(2022, 10, 4), date(2022, 10, 4)), "cannot be in the future"),
        (("HT-1", date(2022, 10, 2), date(2022, 10, 1)), "cannot be before it was issued"),
    ]:
        with pytest.raises(InvalidRequest, match=message):
            standstill.record_challenge(p.id, *args, "", officer, today)
    evaluator = make_user("evaluator")
    with pytest.raises(Exception, match="permission|not allowed|cannot"):
        standstill.record_challenge(p.id, "HT-1", date(2022, 10, 1), date(2022, 10, 2), "", evaluator, today)


@pytest.mark.parametrize("procedure, regime, timetable, key, last_day", [
    # PCR: letters Mon 26 Sep 2022 -> the 10th day after is Thu 6 Oct 2022.
    ("competitive_procedure_with_negotiation", "pcr2015", CPN_TIMETABLE, "contract_awarded", date(2022, 10, 6)),
    # PA: notice Mon 22 Dec 2025 -> 8 working days end Tue 6 Jan 2026 (see tests/unit/test_standstill.py).
    ("competitive_flexible_procedure", "pa2023", PA_TIMETABLE, "contract_entered", date(2026, 1, 6)),
])
def test_replanning_the_contract_onto_the_last_day_of_standstill_is_refused(ctx, procedure, regime, timetable, key,
                                                                          last_day):
    officer = make_user("procurement_officer")
    p = make_procurement(procedure, regime=regime, timetable=timetable, electronic_submission=True)
    contract = milestone(p.id, key)
    with pytest.raises(InvalidRequest) as refused:
        milestones.replan(p.id, contract.id, last_day, "Sign sooner", officer, date(2022, 1, 1))
    assert "must be planned on or after" in str(refused.value)
    next_day = date.fromordinal(last_day.toordinal() + 1)
    milestones.replan(p.id, contract.id, next_day, "Sign as soon as the law allows", officer, date(2022, 1, 1))
    assert milestone(p.id, key).planned_date == next_day


def test_light_touch_short_periods_warn_when_re_planning_and_when_a_late_stage_shortens_them(ctx):
    # Light touch (single stage): a 30-day tender period is Tender's guidance, not law (reg. 76(6)).
    officer = make_user("procurement_officer")
    timetable = {"tender_published": date(2022, 4, 4), "tender_deadline": date(2022, 5, 9),
                 "award_recommended": date(2022, 6, 1), "award_letters_sent": date(2022, 6, 6),
                 "contract_awarded": date(2022, 6, 20), "mobilisation_started": date(2022, 6, 21),
                 "service_live": date(2022, 10, 3)}
    p = make_procurement("light_touch_regime", regime="pcr2015_light_touch", timetable=timetable)
    deadline = milestone(p.id, "tender_deadline")
    _, warnings = milestones.replan_with_warnings(p.id, deadline.id, date(2022, 4, 20), "Short market test",
                                                  officer, date(2022, 3, 1))
    assert len(warnings) == 1 and "light touch regime this is a warning" in warnings[0]
    assert last_event().to_record()["after"]["warnings"] == list(warnings)
    # Put it back to 35 days, then publish a fortnight late: only 21 days are left, and the officer is told.
    milestones.replan(p.id, deadline.id, date(2022, 5, 9), "Back to the plan", officer, date(2022, 3, 1))
    version = db.session.get(Procurement, p.id).version
    change = workflow.advance(p.id, "publish_tender", officer, expected_version=version, today=date(2022, 4, 18))
    assert change.to_stage == "tender_published"
    assert len(change.warnings) == 1 and "too short" in change.warnings[0]
    assert "18 April 2022 to 9 May 2022 is 21 days" in change.warnings[0]
    assert last_event().to_record()["after"]["warnings"] == list(change.warnings)


def test_entering_into_a_pa_contract_dates_the_contract_details_notice(ctx):
    # Contract entered into on Wed 7 January 2026: the UK7 is due by Thu 5 February 2026 (30 days beginning
    # with the 7th); the timetable said 1 March, so the milestone moves to the legal due date.
    officer = make_user("procurement_officer")
    p = make_procurement("competitive_flexible_procedure", regime="pa2023", timetable=PA_TIMETABLE,
                         electronic_submission=True)
    details = milestone(p.id, "contract_details_published")
    details.owner_id = officer.id
    p.state = "assessment_summaries_sent"
    p.award_notices_sent_at = datetime(2025, 12, 1, 10, tzinfo=UTC)
    db.session.commit()
    record_notice(p.id, "award", officer, datetime(2025, 12, 22, 10, tzinfo=UTC))
    change = workflow.advance(p.id, "enter_contract", officer, expected_version=p.version, today=date(2026, 1, 7))
    assert change.to_stage == "contract_entered"
    db.session.expire_all()
    details = milestone(p.id, "contract_details_published")
    assert details.planned_date == date(2026, 2, 5) and "s.53" in details.replan_reason
    assert last_event().to_record()["after"]["contract_details_notice_due"] == "2026-02-05"
    from tender.services import reminders

    due = {m.milestone_title: m.planned_date for m in reminders.owned_milestones(officer)}
    assert due["Contract details notice (UK7) published"] == date(2026, 2, 5)


def test_publishing_the_award_notice_records_its_moment_and_starts_pa_standstill(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement("competitive_flexible_procedure", regime="pa2023", timetable=PA_TIMETABLE,
                         electronic_submission=True)
    p.state = "assessment_summaries_sent"
    p.award_notices_sent_at = datetime(2025, 12, 1, 10, tzinfo=UTC)
    db.session.commit()
    moment = datetime(2025, 12, 22, 9, 30, tzinfo=UTC)
    with pytest.raises(Blocked) as refused:  # the stage button alone no longer starts standstill
        workflow.advance(p.id, "publish_contract_award_notice", officer, expected_version=p.version,
                         today=date(2025, 12, 22), now=moment)
    assert "Publish the contract award notice (UK6)" in refused.value.reasons[0]
    record_notice(p.id, "award", officer, moment)
    db.session.expire_all()
    stored = db.session.get(Procurement, p.id)
    assert stored.state == "standstill" and milestone(p.id, "contract_award_notice_published").actual_date == \
        date(2025, 12, 22)
    current = standstill.standstill_of(stored)
    assert (current.started_on, current.last_day, current.contract_from) == (
        date(2025, 12, 22), date(2026, 1, 6), date(2026, 1, 7))
    facts = standstill.page_facts(stored, date(2026, 1, 6))
    assert facts.standstill == current and not facts.over and facts.words == "assessment summaries"


def test_marking_a_light_touch_invitation_met_late_warns_that_the_tender_period_is_short(ctx):
    # CPN under the light touch regime: invitation planned Mon 6 June 2022, tenders due Mon 11 July (35 days).
    # Sent on Tue 28 June instead, only 13 days remain: below the 25-day guidance for electronic tenders.
    officer = make_user("procurement_officer")
    p = make_procurement(regime="pcr2015_light_touch", timetable=CPN_TIMETABLE, electronic_submission=True)
    itt = milestone(p.id, "itt_issued")
    _, warnings = milestones.mark_met_with_warnings(p.id, itt.id, date(2022, 6, 28), officer, date(2022, 6, 28))
    assert len(warnings) == 1
    assert "28 June 2022 to 11 July 2022 is 13 days" in warnings[0] and "light touch" in warnings[0]
    assert last_event().to_record()["after"]["warnings"] == list(warnings)
    # Met on time, nothing to say.
    other = make_procurement(regime="pcr2015_light_touch", timetable=CPN_TIMETABLE, electronic_submission=True)
    _, none = milestones.mark_met_with_warnings(other.id, milestone(other.id, "itt_issued").id, date(2022, 6, 6),
                                                officer, date(2022, 6, 28))
    assert none == ()
