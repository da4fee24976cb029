"""The one way a procurement changes stage: authorised, guarded, audited, atomic."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Milestone, Procurement
from tender.services import audit
from tender.services.procurement import workflow
from tender.services.errors import Blocked, ConcurrentChange, InvalidRequest, NotAuthorised
from tests.helpers import CPN_TIMETABLE, make_procurement, make_user

TODAY = date(2022, 6, 1)


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_advancing_moves_the_stage_meets_the_milestone_and_writes_one_audit_event(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    before = audit_count()
    change = workflow.advance(p.id, "publish_sq", officer, expected_version=p.version, today=date(2022, 4, 4))
    db.session.expire_all()
    stored = db.session.get(Procurement, p.id)
    assert (change.from_stage, change.to_stage, stored.state) == ("draft", "sq_published", "sq_published")
    milestone = db.session.scalar(select(Milestone).where(Milestone.procurement_id == p.id, Milestone.key == "sq_published"))
    assert (milestone.status, milestone.actual_date) == ("met", date(2022, 4, 4))
    assert audit_count() == before + 1
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
    assert event.action == "procurement.stage_changed" and event.actor == officer.email
    assert event.to_record()["before"] == {"stage": "draft"}
    assert event.to_record()["after"]["stage"] == "sq_published"


def test_a_blocked_transition_changes_nothing_and_says_why(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    workflow.advance(p.id, "publish_sq", officer, expected_version=p.version, today=date(2022, 4, 4))
    before_events, version = audit_count(), db.session.get(Procurement, p.id).version
    with pytest.raises(Blocked) as blocked:
        workflow.advance(p.id, "close_sq", officer, expected_version=version, today=date(2022, 5, 9))
    assert any("not yet reached" in reason and "9 May 2022" in reason for reason in blocked.value.reasons)
    db.session.expire_all()
    assert db.session.get(Procurement, p.id).state == "sq_published"
    assert audit_count() == before_events


def test_a_period_shorter_than_the_statutory_minimum_blocks_under_the_full_regime(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable={**CPN_TIMETABLE, "sq_deadline": date(2022, 4, 20)})
    with pytest.raises(Blocked) as blocked:
        workflow.advance(p.id, "publish_sq", officer, expected_version=p.version, today=TODAY)
    assert any("reg. 29" in reason or "30" in reason for reason in blocked.value.reasons)


def test_the_same_short_period_is_only_a_warning_under_the_light_touch_regime(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(regime="pcr2015_light_touch", timetable={**CPN_TIMETABLE, "sq_deadline": date(2022, 4, 20)})
    change = workflow.advance(p.id, "publish_sq", officer, expected_version=p.version, today=TODAY)
    assert change.to_stage == "sq_published"
    assert change.warnings and "light touch" in change.warnings[0]


def test_a_stale_version_is_refused_as_someone_else_moved_it(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    with pytest.raises(ConcurrentChange, match="Someone else moved this procurement"):
        workflow.advance(p.id, "publish_sq", officer, expected_version=p.version - 1, today=TODAY)


def test_a_transition_not_allowed_from_this_stage_is_refused_in_plain_english(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    with pytest.raises(InvalidRequest, match="cannot be done while the procurement is at the stage 'Draft'"):
        workflow.advance(p.id, "award_contract", officer, expected_version=p.version, today=TODAY)
    with pytest.raises(InvalidRequest, match="not an action"):
        workflow.advance(p.id, "no_such_trigger", officer, expected_version=p.version, today=TODAY)


def test_abandoning_needs_a_reason_and_records_it(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    with pytest.raises(InvalidRequest, match="Enter a reason"):
        workflow.advance(p.id, "abandon", officer, expected_version=p.version, today=TODAY, reason="  ")
    workflow.advance(p.id, "abandon", officer, expected_version=p.version, today=TODAY, reason="Budget withdrawn")
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
    assert event.reason == "Budget withdrawn" and db.session.get(Procurement, p.id).state == "abandoned"


@pytest.mark.parametrize("role", ["administrator", "evaluator", "moderator", "approver", "legal_reviewer"])
def test_only_procurement_officers_may_advance(ctx, role):
    user = make_user(role)
    p = make_procurement(timetable=CPN_TIMETABLE)
    with pytest.raises(NotAuthorised):
        workflow.advance(p.id, "publish_sq", user, expected_version=p.version, today=TODAY)
    db.session.expire_all()
    assert db.session.get(Procurement, p.id).state == "draft"


def test_a_failure_half_way_leaves_nothing_changed(ctx, monkeypatch):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    before = audit_count()

    def broken_record(*args, **kwargs):
        raise RuntimeError("disk full")  # the audit write fails after the stage and milestone changed in memory

    monkeypatch.setattr(audit, "record", broken_record)
    with pytest.raises(RuntimeError):
        workflow.advance(p.id, "publish_sq", officer, expected_version=p.version, today=TODAY)
    db.session.expire_all()
    assert db.session.get(Procurement, p.id).state == "draft"
    milestone = db.session.scalar(select(Milestone).where(Milestone.procurement_id == p.id, Milestone.key == "sq_published"))
    assert milestone.status == "scheduled" and milestone.actual_date is None
    assert audit_count() == before


def test_a_milestone_or_decision_changed_since_the_page_was_loaded_is_refused(ctx):
    from tender.models import SQResponse
    from tender.services.procurement import milestones
    from tender.services.procurement import shortlist

    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE, candidates=1)
    m = db.session.scalar(select(Milestone).where(Milestone.procurement_id == p.id, Milestone.key == "service_live"))
    seen = m.version
    milestones.replan(p.id, m.id, date(2023, 4, 4), "Bank holiday", officer, TODAY, expected_version=seen)
    with pytest.raises(ConcurrentChange, match="Someone else changed this milestone"):
        milestones.mark_met(p.id, m.id, TODAY, officer, TODAY, expected_version=seen)
    db.session.expire_all()
    assert db.session.get(Milestone, m.id).status == "scheduled"

    p.state = "sq_evaluation"
    db.session.commit()
    response = db.session.scalar(select(SQResponse).where(SQResponse.procurement_id == p.id))
    seen = response.version
    shortlist.record_decision(p.id, response.id, "shortlisted", "Met every criterion", officer, expected_version=seen)
    with pytest.raises(ConcurrentChange, match="Someone else recorded a decision"):
        shortlist.record_decision(p.id, response.id, "rejected", "Changed my mind", officer, expected_version=seen)
    db.session.expire_all()
    assert db.session.get(SQResponse, response.id).decision == "shortlisted"
