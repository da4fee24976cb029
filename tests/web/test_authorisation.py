"""The authorisation matrix: every state-changing route, sent directly, as each role (supplier included).

The buttons a role cannot use are hidden in the pages, but these tests do not
use the pages: they POST straight to each route with a valid CSRF token, as an
attacker with a stolen button would, and check the database, not the HTML.

No test here holds an application context while the client makes requests:
Flask would reuse it for the request, and Flask-Login caches the user in ``g``,
so a shared context would hide session bugs. Setup and checks open their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import (AuditEvent, AwardApproval, AwardLetter, Clarification, Contract, Milestone, Organisation,
                           Procurement, SelectionLetter, SQResponse, UserSession)
from tests.helpers import CPN_TIMETABLE, csrf_post, csrf_token, login, make_procurement, make_user

ROLES = ["administrator", "procurement_officer", "evaluator", "moderator", "approver", "legal_reviewer",
         "supplier"]  # a supplier user (issue 18) holds none of the staff permissions


# --------------------------------------------------------------------------- helpers


def audit_actions(app, after_seq: int = 0) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > after_seq)
                                       .order_by(AuditEvent.seq)))


def last_seq(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.seq))) or 0


def log_in_as(app, client, role: str) -> str:
    """Create a user with ``role`` and log the client in; returns the e-mail."""
    with app.app_context():
        email = make_user(role).email
    response = login(client, email)
    assert response.status_code == 302, f"{role} could not log in"
    return email


@dataclass
class World:
    """Ids of what a test works on (plain ints, safe outside the app context)."""

    procurement_id: int
    version: int
    response_id: int
    milestone_ids: dict[str, int]
    other_procurement_id: int = 0
    other_response_id: int = 0
    other_milestone_ids: dict[str, int] = field(default_factory=dict)
    digest: str = ""
    notice_id: int = 0  # a notice to a candidate not selected (tender.services.procurement.selection_letters)


def build_world(app, state: str, with_other: bool = False) -> World:
    """A CPN procurement (pcr2015) with three candidates, put straight into ``state``."""
    with app.app_context():
        p = make_procurement(timetable=CPN_TIMETABLE, candidates=3)
        p.state = state
        db.session.commit()
        world = World(
            procurement_id=p.id, version=p.version,
            response_id=db.session.scalar(select(SQResponse.id).where(SQResponse.procurement_id == p.id)
                                          .order_by(SQResponse.id)),
            milestone_ids={m.key: m.id for m in p.milestones})
        if with_other:
            other = make_procurement(timetable=CPN_TIMETABLE, candidates=2)
            other.state = state
            db.session.commit()
            world.other_procurement_id = other.id
            world.other_response_id = db.session.scalar(
                select(SQResponse.id).where(SQResponse.procurement_id == other.id).order_by(SQResponse.id))
            world.other_milestone_ids = {m.key: m.id for m in other.milestones}
        return world


def snapshot(app, procurement_id: int) -> dict:
    """Everything an action on the procurement could change."""
    with app.app_context():
        p = db.session.get(Procurement, procurement_id)
        return {
            "state": p.state, "version": p.version, "justification": p.shortlist_justification,
            "milestones": sorted((m.key, m.status, m.planned_date, m.actual_date, m.replan_reason)
                                 for m in p.milestones),
            "responses": sorted(db.session.execute(
                select(SQResponse.id, SQResponse.decision, SQResponse.decision_reason, SQResponse.decided_by_id)
                .where(SQResponse.procurement_id == procurement_id)).all()),
            "approvals": db.session.scalar(select(func.count()).select_from(AwardApproval)
                                           .where(AwardApproval.procurement_id == procurement_id)),
            "letters": sorted(db.session.execute(
                select(AwardLetter.id, AwardLetter.status, AwardLetter.queued_at, AwardLetter.price_withheld_reason)
                .where(AwardLetter.procurement_id == procurement_id)).all()),
            "notices": sorted(db.session.execute(
                select(SelectionLetter.id, SelectionLetter.reasons, SelectionLetter.method, SelectionLetter.queued_at,
                       SelectionLetter.posted_on).where(SelectionLetter.procurement_id == procurement_id)).all()),
            "clarifications": db.session.scalar(select(func.count()).select_from(Clarification)
                                                .where(Clarification.procurement_id == procurement_id)),
            "contracts": sorted(db.session.execute(select(Contract.lot_id, Contract.reference, Contract.version)
                                                   .where(Contract.procurement_id == procurement_id)).all()),
        }


# --------------------------------------------------------------------------- the matrix of POST routes


@dataclass(frozen=True)
class Action:
    """One state-changing route: where to send it, what to send, and how to see that it worked."""

    state: str
    path: Callable[[World], str]
    data: Callable[[World], dict]
    took_effect: Callable[[World], bool]  # called inside an app context
    audit_action: str
    allowed: frozenset[str]
    prepare: Callable[[World, str], None] | None = None  # called in an app context with the user's e-mail


def _recommend_and_declare(world: World, email: str) -> None:
    """Record a recommendation (no award: the test lots have no bids) per lot, and the user's declarations."""
    from datetime import datetime, timezone

    from tender.models import ConflictDeclaration, Lot, User
    from tender.domain.award import approval_digest
    from tender.services.award import recommendation

    officer = make_user("procurement_officer")
    lots = db.session.scalars(select(Lot).where(Lot.procurement_id == world.procurement_id)).all()
    for lot in lots:
        recommendation.record(world.procurement_id, lot.number, officer, "No tenders were received.")
    person = db.session.scalar(select(User).where(User.email == email))
    for lot in lots:
        db.session.add(ConflictDeclaration(lot_id=lot.id, user_id=person.id, has_conflict=False, details="",
                                           declared_at=datetime.now(timezone.utc)))
    db.session.commit()
    world.digest = approval_digest({n: r.digest for n, r in recommendation.current(world.procurement_id).items()})


def _award_letters_drafted(world: World, email: str) -> None:
    """The demo's lot 1 decided and approved, its letters drafted: the world acts on that procurement instead."""
    from tender.services.award import letters
    from tests.evaluation_support import user
    from tests.letters_support import OFFICER, award_demo

    world.procurement_id = award_demo(lots=(1,))
    letters.draft(world.procurement_id, user(OFFICER))


def _candidate_rejected(world: World, email: str, *, draft: bool = True, issue: bool = False) -> None:
    """The world's first candidate rejected at selection, with an address; its notice (by post) drafted or sent."""
    from tender.services import jobs
    from tender.services.procurement import selection_letters

    response = db.session.get(SQResponse, world.response_id)
    response.decision, response.decision_reason = "rejected", "Below the minimum turnover."
    db.session.add(Organisation(supplier_id=response.supplier_id, name=response.supplier.name, scheme="GB-COH",
                                identifier="01234567", street_address="1 High Street", locality="Maidstone",
                                postal_code="ME14 1XQ"))
    db.session.commit()
    if draft or issue:
        officer = make_user("procurement_officer")
        (notice,) = selection_letters.draft(world.procurement_id, officer)
        world.notice_id = notice.id
        if issue:
            selection_letters.send(world.procurement_id, officer, None)
            jobs.work(until_idle=True)


def _contract_stage(world: World, email: str) -> None:
    """The demo's lot 1 decided and approved, the procurement at its contract stage: the world acts on it."""
    from tests.letters_support import award_demo

    world.procurement_id = award_demo(lots=(1,))
    db.session.get(Procurement, world.procurement_id).state = "contract_awarded"
    db.session.commit()


def _uk_today() -> date:
    """Today in the UK (the day the clock dates postings by)."""
    from datetime import datetime

    from tender.domain.periods import UK_TIME

    return datetime.now(UK_TIME).date()


def _notice(world: World) -> SelectionLetter | None:
    return db.session.get(SelectionLetter, world.notice_id) if world.notice_id else db.session.scalar(
        select(SelectionLetter).where(SelectionLetter.procurement_id == world.procurement_id))


def _stage_is(world: World, stage: str) -> bool:
    return db.session.get(Procurement, world.procurement_id).state == stage


def _milestone(world: World, key: str) -> Milestone:
    return db.session.get(Milestone, world.milestone_ids[key])


ACTIONS = {
    "advance": Action(
        state="sq_closed",
        path=lambda w: f"/procurements/{w.procurement_id}/advance",
        data=lambda w: {"trigger": "start_sq_evaluation", "version": str(w.version)},
        took_effect=lambda w: _stage_is(w, "sq_evaluation"),
        audit_action="procurement.stage_changed",
        allowed=frozenset({"procurement_officer"})),
    "shortlist decision": Action(
        state="sq_evaluation",
        path=lambda w: f"/procurements/{w.procurement_id}/shortlist/{w.response_id}",
        data=lambda w: {"decision": "shortlisted", "reason": "Meets every selection criterion."},
        took_effect=lambda w: db.session.get(SQResponse, w.response_id).decision == "shortlisted",
        audit_action="shortlist.decided",
        allowed=frozenset({"procurement_officer"})),
    "shortlist justification": Action(
        state="sq_evaluation",
        path=lambda w: f"/procurements/{w.procurement_id}/shortlist/justification",
        data=lambda w: {"justification": "Only two candidates met the minimum standards."},
        took_effect=lambda w: db.session.get(Procurement, w.procurement_id).shortlist_justification
        == "Only two candidates met the minimum standards.",
        audit_action="shortlist.justified",
        allowed=frozenset({"procurement_officer"})),
    "milestone met": Action(
        state="sq_published",
        path=lambda w: f"/procurements/{w.procurement_id}/milestones/{w.milestone_ids['sq_published']}/met",
        data=lambda w: {"actual_date": "2022-04-04"},
        took_effect=lambda w: (_milestone(w, "sq_published").status, _milestone(w, "sq_published").actual_date)
        == ("met", date(2022, 4, 4)),
        audit_action="milestone.met",
        allowed=frozenset({"procurement_officer"})),
    "milestone replan": Action(
        state="sq_published",
        path=lambda w: f"/procurements/{w.procurement_id}/milestones/{w.milestone_ids['service_live']}/replan",
        data=lambda w: {"planned_date": "2023-05-02", "reason": "The provider asked for a later start."},
        took_effect=lambda w: _milestone(w, "service_live").planned_date == date(2023, 5, 2),
        audit_action="milestone.replanned",
        allowed=frozenset({"procurement_officer"})),
    "award approval": Action(
        state="award_decision",
        path=lambda w: f"/procurements/{w.procurement_id}/award/approve",
        data=lambda w: {"authority": "Decision 22/00033, delegation to the Corporate Director", "note": "",
                        "digest": w.digest, "confirm": "y"},
        prepare=lambda w, email: _recommend_and_declare(w, email),
        took_effect=lambda w: db.session.scalar(select(AwardApproval)
                                                .where(AwardApproval.procurement_id == w.procurement_id)) is not None,
        audit_action="award.approved",
        allowed=frozenset({"approver"})),
    "withhold contract price": Action(
        state="award_decision",
        path=lambda w: f"/procurements/{w.procurement_id}/letters/lots/1/price",
        data=lambda w: {"withhold": "yes", "reason": "Releasing it would prejudice the lots still negotiated."},
        prepare=_award_letters_drafted,
        took_effect=lambda w: db.session.scalar(select(func.count()).select_from(AwardLetter).where(
            AwardLetter.procurement_id == w.procurement_id, AwardLetter.price_withheld_reason.is_not(None))) == 3,
        audit_action="award.price_withheld",
        allowed=frozenset({"procurement_officer"})),
    "draft notices to candidates not selected": Action(
        state="itt_issued",
        path=lambda w: f"/procurements/{w.procurement_id}/selection-letters/draft",
        data=lambda w: {},
        prepare=lambda w, email: _candidate_rejected(w, email, draft=False),
        took_effect=lambda w: _notice(w) is not None,
        audit_action="selection.letters_drafted",
        allowed=frozenset({"procurement_officer"})),
    "edit a notice to a candidate not selected": Action(
        state="itt_issued",
        path=lambda w: f"/procurements/{w.procurement_id}/selection-letters/{w.notice_id}",
        data=lambda w: {"reasons": "Turnover below £2m.", "method": "email", "recipient_email": "c@test.example"},
        prepare=_candidate_rejected,
        took_effect=lambda w: _notice(w).reasons == "Turnover below £2m.",
        audit_action="selection.letter_edited",
        allowed=frozenset({"procurement_officer"})),
    "send notices to candidates not selected": Action(
        state="itt_issued",
        path=lambda w: f"/procurements/{w.procurement_id}/selection-letters/send",
        data=lambda w: {"confirm": "yes"},
        prepare=_candidate_rejected,
        took_effect=lambda w: _notice(w).queued_at is not None,
        audit_action="selection.letters_queued",
        allowed=frozenset({"procurement_officer"})),
    "publish a clarification": Action(
        state="itt_issued",
        path=lambda w: f"/procurements/{w.procurement_id}/clarifications/publish",
        data=lambda w: {"kind": "document_change", "question": "Specification replaced", "answer": "See version 2."},
        took_effect=lambda w: db.session.scalar(select(Clarification.id)
                                                .where(Clarification.procurement_id == w.procurement_id)) is not None,
        audit_action="clarification.published",
        allowed=frozenset({"procurement_officer"})),
    "record the contract": Action(
        state="draft",
        path=lambda w: f"/procurements/{w.procurement_id}/contracts/1",
        data=lambda w: {"reference": "KCC-LWK-2022-01", "signed_on": "2022-10-07", "value": "3000000.00",
                        "starts_on": "2022-10-08", "ends_on": "2025-10-07", "extension_years": "2"},
        prepare=_contract_stage,
        took_effect=lambda w: db.session.scalar(select(Contract.id).where(
            Contract.procurement_id == w.procurement_id)) is not None,
        audit_action="contract.recorded",
        allowed=frozenset({"procurement_officer"})),
    "record a notice's posting": Action(
        state="itt_issued",
        path=lambda w: f"/procurements/{w.procurement_id}/selection-letters/{w.notice_id}/posted",
        data=lambda w: {"day": str(_uk_today().day), "month": str(_uk_today().month),
                        "year": str(_uk_today().year)},
        prepare=lambda w, email: _candidate_rejected(w, email, issue=True),
        took_effect=lambda w: _notice(w).posted_on is not None,
        audit_action="selection.letter_posted",
        allowed=frozenset({"procurement_officer"})),
}

MATRIX = [pytest.param(name, role, id=f"{name}-{role}") for name in ACTIONS for role in ROLES]


@pytest.mark.parametrize(("action_name", "role"), MATRIX)
def test_each_state_changing_route_takes_effect_only_for_the_roles_allowed_to_use_it(app, client, action_name, role):
    action = ACTIONS[action_name]
    world = build_world(app, action.state)
    email = log_in_as(app, client, role)
    if action.prepare is not None:
        with app.app_context():
            action.prepare(world, email)
    before, seq = snapshot(app, world.procurement_id), last_seq(app)

    response = csrf_post(client, action.path(world), action.data(world))

    with app.app_context():
        took_effect = action.took_effect(world)
    if role in action.allowed:
        assert response.status_code == 302, response.get_data(as_text=True)
        assert took_effect
        assert audit_actions(app, seq) == [action.audit_action]
        assert snapshot(app, world.procurement_id) != before
    else:
        assert response.status_code == 403
        assert not took_effect
        assert snapshot(app, world.procurement_id) == before
        assert audit_actions(app, seq) == []
        assert "permission" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_log_out_and_the_server_side_session_ends(app, client, role):
    email = log_in_as(app, client, role)
    seq = last_seq(app)

    response = csrf_post(client, "/logout", {})

    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert audit_actions(app, seq) == ["logout"]
    with app.app_context():
        from tender.models import User

        user_id = db.session.scalar(select(User.id).where(User.email == email))
        sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()
        assert len(sessions) == 1 and sessions[0].ended_at is not None
    assert client.get("/").status_code == 302


# --------------------------------------------------------------------------- pages (GET)


@pytest.mark.parametrize("role", ROLES)
def test_the_audit_trail_is_only_for_legal_reviewers_and_administrators(app, client, role):
    log_in_as(app, client, role)
    response = client.get("/audit/")
    if role in ("legal_reviewer", "administrator"):
        assert response.status_code == 200
        assert "login.succeeded" in response.get_data(as_text=True)
    else:
        assert response.status_code == 403
        assert "login.succeeded" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_procurement_pages_are_not_for_evaluators(app, client, role):
    world = build_world(app, "sq_evaluation")
    with app.app_context():
        reference = db.session.get(Procurement, world.procurement_id).reference
    log_in_as(app, client, role)
    pages = [f"/procurements/{world.procurement_id}", f"/procurements/{world.procurement_id}/shortlist",
             f"/procurements/{world.procurement_id}/diagram.mmd", f"/procurements/{world.procurement_id}/diagram.dot"]
    for page in pages:
        response = client.get(page)
        if role in ("evaluator", "supplier"):
            assert response.status_code == 403, page
            assert reference not in response.get_data(as_text=True)
        else:
            assert response.status_code == 200, page
    dashboard = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert (reference in dashboard) == (role not in ("evaluator", "supplier"))


def test_the_buttons_a_role_cannot_use_are_not_shown_to_it(app, client):
    world = build_world(app, "award_decision")
    log_in_as(app, client, "moderator")
    html = client.get(f"/procurements/{world.procurement_id}").get_data(as_text=True)
    assert "/advance" not in html and "/award/approve" not in html and "/replan" not in html


ANONYMOUS_GETS = ["/", "/audit/", "/procurements/{p}", "/procurements/{p}/shortlist",
                  "/procurements/{p}/diagram.mmd", "/procurements/{p}/diagram.dot"]
ANONYMOUS_POSTS = ["/procurements/{p}/advance", "/procurements/{p}/shortlist/{r}",
                   "/procurements/{p}/shortlist/justification", "/procurements/{p}/milestones/{m}/met",
                   "/procurements/{p}/milestones/{m}/replan", "/procurements/{p}/award/approve", "/logout"]


def _fill(path: str, world: World) -> str:
    return path.format(p=world.procurement_id, r=world.response_id, m=world.milestone_ids["service_live"])


@pytest.mark.parametrize("path", ANONYMOUS_GETS)
def test_anonymous_users_are_sent_to_log_in_for_every_page(app, client, path):
    world = build_world(app, "award_decision")
    response = client.get(_fill(path, world))
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/login")


@pytest.mark.parametrize("path", ANONYMOUS_POSTS)
def test_anonymous_users_are_sent_to_log_in_for_every_action_and_nothing_changes(app, client, path):
    world = build_world(app, "award_decision")
    before, seq = snapshot(app, world.procurement_id), last_seq(app)
    data = {"trigger": "send_award_letters", "version": str(world.version), "decision": "rejected",
            "reason": "x", "justification": "x", "actual_date": "2022-04-04", "planned_date": "2023-05-02",
            "authority": "Decision 22/00033"}
    # A token from the login page: CSRF passes, so it is the login check that answers.
    response = client.post(_fill(path, world), data={**data, "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/login")
    assert snapshot(app, world.procurement_id) == before
    assert audit_actions(app, seq) == []


# --------------------------------------------------------------------------- 404s and object-level authorisation


def test_an_unknown_procurement_number_gives_404_on_every_route(app, client):
    world = build_world(app, "award_decision")
    missing = world.procurement_id + 1000
    log_in_as(app, client, "procurement_officer")
    for page in ["/procurements/{p}", "/procurements/{p}/shortlist", "/procurements/{p}/diagram.mmd",
                 "/procurements/{p}/diagram.dot"]:
        assert client.get(page.format(p=missing)).status_code == 404, page
    seq = last_seq(app)
    posts = {
        f"/procurements/{missing}/advance": {"trigger": "abandon", "version": "1", "reason": "No budget."},
        f"/procurements/{missing}/shortlist/{world.response_id}": {"decision": "rejected", "reason": "Fails."},
        f"/procurements/{missing}/shortlist/justification": {"justification": "Few qualify."},
        f"/procurements/{missing}/milestones/{world.milestone_ids['sq_published']}/met": {"actual_date": "2022-04-04"},
        f"/procurements/{missing}/milestones/{world.milestone_ids['service_live']}/replan":
            {"planned_date": "2023-05-02", "reason": "Later."},
    }
    before = snapshot(app, world.procurement_id)
    for path, data in posts.items():
        response = csrf_post(client, path, data)
        assert response.status_code == 404, path
        assert "There is no procurement with that number" in response.get_data(as_text=True), path
    assert snapshot(app, world.procurement_id) == before
    assert audit_actions(app, seq) == []


def test_an_unknown_procurement_number_gives_404_to_the_approver_too(app, client):
    world = build_world(app, "award_decision")
    log_in_as(app, client, "approver")
    seq = last_seq(app)
    response = csrf_post(client, f"/procurements/{world.procurement_id + 1000}/award/approve",
                         {"authority": "Decision 22/00033"})
    assert response.status_code == 404
    assert audit_actions(app, seq) == []


@pytest.mark.parametrize("route", ["met", "replan"])
def test_a_milestone_of_another_procurement_gives_404_and_changes_nothing(app, client, route):
    world = build_world(app, "sq_published", with_other=True)
    log_in_as(app, client, "procurement_officer")
    mine, theirs = snapshot(app, world.procurement_id), snapshot(app, world.other_procurement_id)
    seq = last_seq(app)
    other_milestone = world.other_milestone_ids["service_live"]
    data = {"actual_date": "2022-04-04"} if route == "met" else \
        {"planned_date": "2023-05-02", "reason": "Trying to move another procurement's milestone."}

    response = csrf_post(client, f"/procurements/{world.procurement_id}/milestones/{other_milestone}/{route}", data)

    assert response.status_code == 404
    assert "not part of this procurement" in response.get_data(as_text=True)
    assert snapshot(app, world.procurement_id) == mine
    assert snapshot(app, world.other_procurement_id) == theirs
    assert audit_actions(app, seq) == []


def test_a_candidate_of_another_procurement_gives_404_and_changes_nothing(app, client):
    world = build_world(app, "sq_evaluation", with_other=True)
    log_in_as(app, client, "procurement_officer")
    mine, theirs = snapshot(app, world.procurement_id), snapshot(app, world.other_procurement_id)
    seq = last_seq(app)

    response = csrf_post(client, f"/procurements/{world.procurement_id}/shortlist/{world.other_response_id}",
                         {"decision": "rejected", "reason": "Trying to reject another procurement's candidate."})

    assert response.status_code == 404
    assert "did not respond to this procurement" in response.get_data(as_text=True)
    assert snapshot(app, world.procurement_id) == mine
    assert snapshot(app, world.other_procurement_id) == theirs
    assert audit_actions(app, seq) == []


def test_an_unknown_milestone_or_candidate_number_gives_404(app, client):
    world = build_world(app, "sq_evaluation")
    log_in_as(app, client, "procurement_officer")
    seq = last_seq(app)
    p = world.procurement_id
    assert csrf_post(client, f"/procurements/{p}/milestones/999999/met", {"actual_date": "2022-04-04"}).status_code == 404
    assert csrf_post(client, f"/procurements/{p}/milestones/999999/replan",
                     {"planned_date": "2023-05-02", "reason": "x"}).status_code == 404
    assert csrf_post(client, f"/procurements/{p}/shortlist/999999",
                     {"decision": "rejected", "reason": "x"}).status_code == 404
    assert audit_actions(app, seq) == []
