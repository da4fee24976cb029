"""The pages an officer works in: dashboard, procurement page, milestones, stage changes, diagrams.

"Today" is fixed at 1 June 2022 (``TENDER_TODAY``) so that overdue milestones
and deadlines do not depend on when the suite runs.
"""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Milestone, Procurement
from tender.services.procurement.procedures import registry
from tests.helpers import CPN_TIMETABLE, csrf_post, login, make_procurement, make_user

TODAY = date(2022, 6, 1)
CPN = "competitive_procedure_with_negotiation"


@pytest.fixture
def officer(app, client):
    """The client logged in as a procurement officer, with today fixed; returns the officer's e-mail."""
    app.config["TENDER_TODAY"] = TODAY.isoformat()
    with app.app_context():
        email = make_user("procurement_officer").email
    assert login(client, email).status_code == 302
    return email


def new_procurement(app, state: str | None = None, **kwargs) -> tuple[int, str]:
    """Create a CPN procurement (pcr2015 unless told); returns (id, reference)."""
    kwargs.setdefault("timetable", CPN_TIMETABLE)
    with app.app_context():
        p = make_procurement(**kwargs)
        if state:
            p.state = state
            db.session.commit()
        return p.id, p.reference


def milestone(app, procurement_id: int, key: str) -> Milestone:
    with app.app_context():
        m = db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement_id, Milestone.key == key))
        db.session.expunge(m)
        return m


def procurement_row(app, procurement_id: int) -> tuple[str, int]:
    with app.app_context():
        p = db.session.get(Procurement, procurement_id)
        return p.state, p.version


def events(app) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return rows


def event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def text_of(response) -> str:
    """The page as text: tags dropped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<svg.*?</svg>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def transition_blocks(response) -> dict[str, str]:
    """Each transition box on the procurement page: label -> its HTML."""
    page = response.get_data(as_text=True)
    blocks = re.findall(r'<div class="app-transition (app-transition--\w+)">(.*?)</div>\s*(?=<div class="app-transition|<h2|<p)',
                        page, re.S)
    out = {}
    for kind, body in blocks:
        label = html.unescape(re.search(r'<h3 class="govuk-heading-s">(.*?) <span', body, re.S).group(1)).strip()
        out[label] = kind + " " + body
    return out


# --------------------------------------------------------------------------- dashboard


def test_the_dashboard_lists_each_procurement_with_its_stage_and_highlights_overdue_milestones(app, client, officer):
    late_id, late_ref = new_procurement(app, "sq_evaluation")
    ahead = {key: day.replace(year=day.year + 1) for key, day in CPN_TIMETABLE.items()}
    _, ahead_ref = new_procurement(app, timetable=ahead)
    with app.app_context():
        m = db.session.scalar(select(Milestone).where(Milestone.procurement_id == late_id,
                                                      Milestone.key == "sq_published"))
        m.status, m.actual_date = "met", date(2022, 4, 4)
        db.session.commit()

    page = client.get("/").get_data(as_text=True)

    rows = {ref: row for row in page.split('<tr class="govuk-table__row">')
            for ref in (late_ref, ahead_ref) if f">{ref}</a>" in row}
    assert set(rows) == {late_ref, ahead_ref}
    late, on_time = rows[late_ref], rows[ahead_ref]
    assert "SQ evaluation" in late and "Draft" in on_time
    # Before 1 June 2022: the deadline (9 May) and the start of evaluation (10 May); publication was met.
    assert "2 overdue" in late and "govuk-tag--red" in late
    assert late.count('class="app-overdue"') == 2
    assert "Deadline for selection questionnaire responses (planned 9 May 2022)" in html.unescape(late)
    assert "Selection questionnaire published (planned" not in html.unescape(late)
    assert "Invitation to tender issued: 6 June 2022" in html.unescape(late)  # the next milestone
    assert "overdue" not in on_time and "govuk-tag--red" not in on_time
    assert "Selection questionnaire published: 4 April 2023" in html.unescape(on_time)


def test_the_dashboard_follows_the_clock(app, client, officer):
    _, reference = new_procurement(app)
    app.config["TENDER_TODAY"] = "2022-03-01"
    row = next(r for r in client.get("/").get_data(as_text=True).split("<tr") if reference in r)
    assert "overdue" not in row


# --------------------------------------------------------------------------- procurement page: transitions


def test_the_procurement_page_shows_every_transition_and_says_why_blocked_ones_are_blocked(app, client, officer):
    short = {**CPN_TIMETABLE, "sq_deadline": date(2022, 4, 20)}  # 16 days: reg. 29 wants 30
    pid, _ = new_procurement(app, timetable=short)

    response = client.get(f"/procurements/{pid}")

    assert response.status_code == 200
    blocks = transition_blocks(response)
    expected = {t.label for t in registry().definitions[CPN].transitions if "draft" in t.sources}
    assert set(blocks) == expected == {"Publish selection questionnaire", "Abandon the procurement"}
    publish, abandon = blocks["Publish selection questionnaire"], blocks["Abandon the procurement"]
    assert publish.startswith("app-transition--blocked")
    assert "Not available yet, because" in publish and "disabled" in publish
    assert 'name="trigger" value="publish_sq"' not in publish
    assert "Time for requests to participate is too short" in html.unescape(publish)
    assert "PCR 2015 reg. 29" in html.unescape(publish)
    assert abandon.startswith("app-transition--available")
    # The button asks first: a GET to the confirmation page, where the reason is entered.
    assert f'action="/procurements/{pid}/advance/abandon"' in abandon and 'method="get"' in abandon
    assert 'name="reason"' not in abandon
    assert "Current stage: Draft" in text_of(response)


def test_a_timetable_out_of_order_shows_a_clear_blocker(app, client, officer):
    backwards = {**CPN_TIMETABLE, "sq_deadline": date(2022, 3, 1)}  # before publication on 4 April
    pid, _ = new_procurement(app, timetable=backwards)

    publish = html.unescape(transition_blocks(client.get(f"/procurements/{pid}"))["Publish selection questionnaire"])

    assert publish.startswith("app-transition--blocked")
    assert ("'Deadline for selection questionnaire responses' is planned for 1 March 2022, before "
            "'Selection questionnaire published' (4 April 2022). Put the timetable in order.") in publish


def test_posting_a_blocked_transition_shows_the_reasons_and_changes_nothing(app, client, officer):
    backwards = {**CPN_TIMETABLE, "sq_deadline": date(2022, 3, 1)}
    pid, _ = new_procurement(app, timetable=backwards)
    state, version = procurement_row(app, pid)
    before = event_count(app)

    response = csrf_post(client, f"/procurements/{pid}/advance", {"trigger": "publish_sq", "version": str(version)})

    # Post/Redirect/Get: the reasons are shown on the procurement page; a refresh sends nothing again.
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/procurements/{pid}#next-steps")
    text = text_of(client.get(f"/procurements/{pid}"))
    assert "'Publish selection questionnaire' is blocked." in text
    assert "Put the timetable in order." in text
    assert procurement_row(app, pid) == (state, version) == ("draft", version)
    assert event_count(app) == before


def test_posting_a_transition_not_allowed_from_the_stage_gives_a_clear_error_and_changes_nothing(app, client, officer):
    pid, _ = new_procurement(app)
    _, version = procurement_row(app, pid)
    before = event_count(app)

    response = csrf_post(client, f"/procurements/{pid}/advance", {"trigger": "award_contract", "version": str(version)})

    assert response.status_code == 400
    assert "'Award the contract' cannot be done while the procurement is at the stage 'Draft'." in text_of(response)
    assert procurement_row(app, pid) == ("draft", version)
    assert event_count(app) == before
    assert milestone(app, pid, "contract_awarded").status == "scheduled"


def test_posting_an_action_the_procedure_does_not_have_is_refused(app, client, officer):
    pid, _ = new_procurement(app)
    _, version = procurement_row(app, pid)
    response = csrf_post(client, f"/procurements/{pid}/advance", {"trigger": "drop_table", "version": str(version)})
    assert response.status_code == 400
    assert "'drop_table' is not an action of Competitive procedure with negotiation." in text_of(response)
    assert procurement_row(app, pid) == ("draft", version)


def test_an_allowed_transition_moves_the_stage_says_so_and_is_audited(app, client, officer):
    pid, reference = new_procurement(app, "sq_closed")
    _, version = procurement_row(app, pid)

    response = csrf_post(client, f"/procurements/{pid}/advance", {"trigger": "start_sq_evaluation", "version": str(version)})

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/procurements/{pid}")
    page = client.get(f"/procurements/{pid}")
    assert "The procurement moved to 'SQ evaluation'." in text_of(page)
    assert "Current stage: SQ evaluation" in text_of(page)
    assert procurement_row(app, pid)[0] == "sq_evaluation"
    last = events(app)[-1]
    assert (last.action, last.actor, last.procurement_ref) == ("procurement.stage_changed", officer, reference)
    assert last.to_record()["after"]["stage"] == "sq_evaluation"


def test_a_stale_version_from_an_old_page_is_refused_and_changes_nothing(app, client, officer):
    pid, _ = new_procurement(app, "sq_closed")
    _, version = procurement_row(app, pid)
    response = csrf_post(client, f"/procurements/{pid}/advance",
                         {"trigger": "start_sq_evaluation", "version": str(version - 1)})
    assert response.status_code == 302
    assert "Someone else moved this procurement" in text_of(client.get(response.headers["Location"]))
    assert procurement_row(app, pid) == ("sq_closed", version)


def test_abandoning_without_a_reason_is_refused_and_changes_nothing(app, client, officer):
    pid, _ = new_procurement(app)
    _, version = procurement_row(app, pid)
    before = event_count(app)
    response = csrf_post(client, f"/procurements/{pid}/advance", {"trigger": "abandon", "version": str(version), "reason": "  "})
    assert response.status_code == 400
    assert "Enter a reason for 'Abandon the procurement'." in text_of(response)
    assert procurement_row(app, pid) == ("draft", version)
    assert event_count(app) == before


# --------------------------------------------------------------------------- milestones


def test_replanning_a_milestone_to_break_the_statutory_minimum_is_refused_naming_the_rule(app, client, officer):
    pid, _ = new_procurement(app, regime="pcr2015")
    deadline = milestone(app, pid, "sq_deadline")
    before = event_count(app)

    response = csrf_post(client, f"/procurements/{pid}/milestones/{deadline.id}/replan",
                         {"planned_date": "2022-04-20", "reason": "To go faster."})

    assert response.status_code == 400
    text = text_of(response)
    assert "20 April 2022 cannot be used." in text
    assert "Time for requests to participate is too short (PCR 2015 reg. 29" in text
    after = milestone(app, pid, "sq_deadline")
    assert (after.planned_date, after.replan_reason) == (date(2022, 5, 9), None)
    assert event_count(app) == before


def test_the_same_short_period_may_be_planned_under_the_light_touch_regime(app, client, officer):
    pid, _ = new_procurement(app, regime="pcr2015_light_touch")
    deadline = milestone(app, pid, "sq_deadline")
    response = csrf_post(client, f"/procurements/{pid}/milestones/{deadline.id}/replan",
                         {"planned_date": "2022-04-20", "reason": "Reasonable and proportionate for this market."})
    assert response.status_code == 302
    assert milestone(app, pid, "sq_deadline").planned_date == date(2022, 4, 20)


def test_replanning_a_milestone_to_a_valid_date_is_saved_and_audited(app, client, officer):
    pid, reference = new_procurement(app)
    deadline = milestone(app, pid, "sq_deadline")

    response = csrf_post(client, f"/procurements/{pid}/milestones/{deadline.id}/replan",
                         {"planned_date": "2022-05-16", "reason": "Bank holiday week: one more week for candidates."})

    assert response.status_code == 302
    assert "Milestone re-planned." in text_of(client.get(f"/procurements/{pid}"))
    after = milestone(app, pid, "sq_deadline")
    assert after.planned_date == date(2022, 5, 16)
    assert after.replan_reason == "Bank holiday week: one more week for candidates."
    record = events(app)[-1].to_record()
    assert (record["action"], record["actor"], record["procurement_ref"]) == ("milestone.replanned", officer, reference)
    assert record["before"] == {"planned_date": "2022-05-09"}
    assert record["after"] == {"key": "sq_deadline", "planned_date": "2022-05-16"}
    assert record["reason"] == "Bank holiday week: one more week for candidates."


def test_replanning_without_a_reason_is_refused(app, client, officer):
    pid, _ = new_procurement(app)
    deadline = milestone(app, pid, "sq_deadline")
    response = csrf_post(client, f"/procurements/{pid}/milestones/{deadline.id}/replan",
                         {"planned_date": "2022-05-16", "reason": ""})
    assert response.status_code == 400
    assert "Enter the reason for re-planning" in text_of(response)
    assert milestone(app, pid, "sq_deadline").planned_date == date(2022, 5, 9)


def test_marking_a_milestone_met_is_saved_and_audited(app, client, officer):
    pid, reference = new_procurement(app, "sq_published")
    published = milestone(app, pid, "sq_published")

    response = csrf_post(client, f"/procurements/{pid}/milestones/{published.id}/met", {"actual_date": "2022-04-05"})

    assert response.status_code == 302
    assert "Milestone marked as met." in text_of(client.get(f"/procurements/{pid}"))
    after = milestone(app, pid, "sq_published")
    assert (after.status, after.actual_date) == ("met", date(2022, 4, 5))
    record = events(app)[-1].to_record()
    assert (record["action"], record["actor"], record["procurement_ref"]) == ("milestone.met", officer, reference)
    assert record["before"] == {"status": "scheduled", "actual_date": None}
    assert record["after"] == {"key": "sq_published", "status": "met", "actual_date": "2022-04-05"}


def test_a_milestone_cannot_be_marked_met_in_the_future(app, client, officer):
    pid, _ = new_procurement(app)
    published = milestone(app, pid, "sq_published")
    before = event_count(app)
    response = csrf_post(client, f"/procurements/{pid}/milestones/{published.id}/met", {"actual_date": "2022-06-02"})
    assert response.status_code == 400
    assert "cannot be in the future" in text_of(response)
    assert milestone(app, pid, "sq_published").status == "scheduled"
    assert event_count(app) == before


def test_a_met_milestone_cannot_be_replanned(app, client, officer):
    pid, _ = new_procurement(app)
    published = milestone(app, pid, "sq_published")
    csrf_post(client, f"/procurements/{pid}/milestones/{published.id}/met", {"actual_date": "2022-04-04"})
    response = csrf_post(client, f"/procurements/{pid}/milestones/{published.id}/replan",
                         {"planned_date": "2022-04-11", "reason": "Rewrite history."})
    assert response.status_code == 400
    assert "has been met; it cannot be re-planned" in text_of(response)
    assert milestone(app, pid, "sq_published").planned_date == date(2022, 4, 4)


def test_overdue_milestones_are_marked_on_the_procurement_page(app, client, officer):
    pid, _ = new_procurement(app, "sq_evaluation")
    page = client.get(f"/procurements/{pid}").get_data(as_text=True)
    rows = {html.unescape(m.group(1)): m.group(2) for m in re.finditer(
        r'<th scope="row" class="govuk-table__header">(.*?)</th>(.*?)</tr>', page, re.S)}
    assert "Overdue" in rows["Deadline for selection questionnaire responses"]
    assert "Overdue" not in rows["Invitation to tender issued"]


# --------------------------------------------------------------------------- diagrams


def test_the_mermaid_diagram_download_marks_the_current_stage(app, client, officer):
    pid, _ = new_procurement(app, "sq_evaluation")
    response = client.get(f"/procurements/{pid}/diagram.mmd")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith("stateDiagram-v2")
    assert "SQ evaluation (current stage)" in text
    assert "class sq_evaluation current" in text
    assert text.count("(current stage)") == 1


def test_the_dot_diagram_download_marks_the_current_stage(app, client, officer):
    pid, _ = new_procurement(app, "negotiation")
    response = client.get(f"/procurements/{pid}/diagram.dot")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.startswith("digraph")
    current = [line for line in text.splitlines() if "(current stage)" in line]
    assert len(current) == 1 and current[0].lstrip().startswith('"negotiation"') and "Negotiation" in current[0]


def test_an_unknown_diagram_format_is_not_found(app, client, officer):
    pid, _ = new_procurement(app)
    assert client.get(f"/procurements/{pid}/diagram.png").status_code == 404


# --------------------------------------------------------------------------- shortlist form


def test_a_shortlist_decision_is_recorded_and_shown(app, client, officer):
    pid, _ = new_procurement(app, "sq_evaluation", candidates=1)
    page = client.get(f"/procurements/{pid}/shortlist").get_data(as_text=True)
    action = re.search(rf'action="(/procurements/{pid}/shortlist/\d+)"', page).group(1)
    response = csrf_post(client, action, {"decision": "rejected", "reason": "No evidence of relevant experience."})
    assert response.status_code == 302
    shown = text_of(client.get(f"/procurements/{pid}/shortlist"))
    assert "Rejected" in shown and "Reasons: No evidence of relevant experience." in shown


def test_recording_a_shortlist_decision_raises_no_deprecation_warning(app, client, officer):
    pid, _ = new_procurement(app, "sq_evaluation", candidates=1)
    page = client.get(f"/procurements/{pid}/shortlist").get_data(as_text=True)
    action = re.search(rf'action="(/procurements/{pid}/shortlist/\d+)"', page).group(1)
    # pytest runs with warnings as errors: WTForms 3.3 deprecates (choice, label) tuples on RadioField.
    assert csrf_post(client, action, {"decision": "shortlisted", "reason": "Meets the criteria."}).status_code == 302


def test_the_shortlist_justification_cannot_be_rewritten_after_the_invitation_to_tender(app, client, officer):
    pid, _ = new_procurement(app, "itt_issued")
    with app.app_context():
        db.session.get(Procurement, pid).shortlist_justification = "Only two candidates met the criteria."
        db.session.commit()
    before = event_count(app)
    assert "Why fewer candidates" not in client.get(f"/procurements/{pid}/shortlist").get_data(as_text=True)

    response = csrf_post(client, f"/procurements/{pid}/shortlist/justification",
                         {"justification": "A different story, told later."})

    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Procurement, pid).shortlist_justification == "Only two candidates met the criteria."
    assert event_count(app) == before
