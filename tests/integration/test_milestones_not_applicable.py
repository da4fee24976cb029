"""Milestones a procurement will never reach become "not applicable", with the reason, audited.

They stop being overdue: the reminder scan, the calendar feed, the dashboard
and the OCDS export leave them out.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, Milestone, Procurement
from tender.services import audit
from tender.services import reminders
from tender.services.errors import InvalidRequest
from tender.services.procurement import milestone_scope, milestones, views, workflow
from tender.services.procurement.procedures import registry
from tests.helpers import CPN_TIMETABLE, make_procurement, make_user

CPN = "competitive_procedure_with_negotiation"
NEGOTIATION = ("negotiation_started", "final_tenders_invited", "final_tender_deadline")
LATER = date(2023, 1, 9)  # every 2022 date of the timetable has passed


def statuses(procurement_id: int) -> dict[str, tuple[str, str | None]]:
    db.session.expire_all()
    return {m.key: (m.status, m.not_applicable_reason) for m in db.session.scalars(
        select(Milestone).where(Milestone.procurement_id == procurement_id))}


def owned_procurement(officer, state: str) -> Procurement:
    """A CPN procurement at ``state``; the milestones of stages before it are met, all owned by ``officer``."""
    p = make_procurement(timetable=CPN_TIMETABLE, lead_officer_id=officer.id)
    definition = registry().definitions[CPN]
    passed = {s.milestone for s in definition.main_path()[:[s.name for s in definition.main_path()].index(state) + 1]}
    for m in p.milestones:
        m.owner_id = officer.id
        if m.key in passed:
            m.status, m.actual_date = "met", CPN_TIMETABLE[m.key]
    p.state = state
    db.session.commit()
    return p


def test_awarding_on_initial_tenders_makes_the_negotiation_milestones_not_applicable_with_an_audited_reason(ctx):
    officer = make_user("procurement_officer")
    p = owned_procurement(officer, "initial_tender_evaluation")
    p.state = "award_decision"  # as "Award on initial tenders" leaves it

    retired = milestone_scope.retire_unreachable(p, registry().definitions[CPN], "initial_tender_evaluation",
                                                 "award_decision", "Award on initial tenders", audit.Actor.of(officer))
    db.session.commit()

    assert retired == list(NEGOTIATION)
    now = statuses(p.id)
    for key in NEGOTIATION:
        status, reason = now[key]
        assert status == "notApplicable"
        assert reason == ("“Award on initial tenders” moved the procurement to “Award decision”, so the stage "
                          f"“{registry().definitions[CPN].stage(next(s.name for s in registry().definitions[CPN].stages if s.milestone == key)).title}” is skipped.")
    assert now["award_letters_sent"][0] == "scheduled" and now["sq_published"][0] == "met"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "milestone.not_applicable")).all()
    assert len(events) == 3 and all(e.actor == officer.email and e.reason for e in events)

    # Nobody is reminded about them, and the dashboard does not count them as overdue.
    due = {m.milestone_title for m in reminders.collect_due(LATER)}
    titles = {m.key: m.title for m in p.milestones}
    assert not due & {titles[k] for k in NEGOTIATION}
    assert titles["award_letters_sent"] in due
    assert not {m.milestone_title for m in reminders.owned_milestones(officer)} & {titles[k] for k in NEGOTIATION}
    row = next(r for r in views.dashboard_rows(LATER) if r.procurement.id == p.id)
    assert {m.key for m in row.overdue} == {"award_recommended", "award_letters_sent", "contract_awarded",
                                            "mobilisation_started"}
    assert row.next_milestone.key == "service_live"  # the next one ahead; the skipped ones are not "next"


def test_abandoning_makes_every_open_milestone_not_applicable_in_the_same_transaction(ctx):
    officer = make_user("procurement_officer")
    p = owned_procurement(officer, "itt_issued")

    workflow.advance(p.id, "abandon", officer, expected_version=p.version, today=LATER, reason="Budget withdrawn")

    now = statuses(p.id)
    assert now["itt_issued"][0] == "met"
    open_before = [k for k in CPN_TIMETABLE if k not in ("sq_published", "sq_deadline", "sq_evaluation_started",
                                                          "itt_issued")]
    for key in open_before:
        assert now[key][0] == "notApplicable"
        assert now[key][1] == ("“Abandon the procurement” ended the procurement at “Abandoned”, so this will not "
                               "happen. Reason given: Budget withdrawn")
    change = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
    assert change.action == "procurement.stage_changed"
    assert change.to_record()["after"]["milestones_not_applicable"] == open_before
    assert reminders.collect_due(LATER) == []
    row = next(r for r in views.dashboard_rows(LATER) if r.procurement.id == p.id)
    assert row.overdue == [] and row.next_milestone is None


def test_with_nothing_ahead_the_dashboard_shows_the_earliest_overdue_milestone_as_next(ctx):
    officer = make_user("procurement_officer")
    p = owned_procurement(officer, "sq_published")

    row = next(r for r in views.dashboard_rows(date(2024, 1, 8)) if r.procurement.id == p.id)

    assert len(row.overdue) == 12 and row.next_milestone.key == "sq_deadline"


def test_milestones_of_stages_already_behind_are_left_alone_even_if_never_marked_met(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)  # imported at sq_closed: nothing recorded as met
    p.state = "sq_closed"
    db.session.commit()

    workflow.advance(p.id, "start_sq_evaluation", officer, expected_version=p.version, today=LATER)

    now = statuses(p.id)
    assert now["sq_published"][0] == now["sq_deadline"][0] == "scheduled"
    assert now["sq_evaluation_started"][0] == "met"
    assert not [k for k, (status, _) in now.items() if status == "notApplicable"]


def test_a_not_applicable_milestone_cannot_be_met_or_re_planned(ctx):
    officer = make_user("procurement_officer")
    p = owned_procurement(officer, "itt_issued")
    workflow.advance(p.id, "abandon", officer, expected_version=p.version, today=LATER, reason="Budget withdrawn")
    m = db.session.scalar(select(Milestone).where(Milestone.procurement_id == p.id,
                                                  Milestone.key == "contract_awarded"))
    with pytest.raises(InvalidRequest, match="is not applicable"):
        milestones.mark_met(p.id, m.id, LATER, officer, LATER)
    with pytest.raises(InvalidRequest, match="is not applicable"):
        milestones.replan(p.id, m.id, date(2023, 3, 1), "Restarting", officer, LATER)


def test_the_ocds_export_leaves_not_applicable_milestones_out(ctx):
    from tender.services.publishing import facts

    officer = make_user("procurement_officer")
    p = owned_procurement(officer, "itt_issued")
    workflow.advance(p.id, "abandon", officer, expected_version=p.version, today=LATER, reason="Budget withdrawn")

    keys = {m.key for m in facts.read(db.session.get(Procurement, p.id)).milestones}

    assert "sq_published" in keys and "itt_issued" in keys
    assert not keys & {"contract_awarded", "service_live", *NEGOTIATION}
