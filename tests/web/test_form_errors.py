"""Form errors as the GOV.UK Design System has them, and "Are you sure?" before irreversible actions.

Each error summary item links to the field at fault (``href="#field-id"``),
the field shows its own message with its form group in the error state, and
what was chosen is still chosen. Stage moves and submitting scores ask first:
only the POST from the confirmation page acts.
"""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Score, SQResponse
from tests.evaluation_support import build_panel, sheet, user
from tests.helpers import csrf_post, login, make_procurement, make_user

SUMMARY = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.S)


def summary_links(page: str) -> list[tuple[str, str]]:
    """(field id, message) for each linked item of the error summary."""
    block = SUMMARY.search(page)
    assert block, "no error summary on the page"
    return [(target, html.unescape(text)) for target, text in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', block[0])]


def inline_error(page: str, field_id: str) -> str | None:
    """The text of the govuk-error-message beside a field (its id is "<field>-error")."""
    match = re.search(rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else None


def checked(page: str, input_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{re.escape(input_id)}"[^>]*>', page)
    assert tag, f"no input #{input_id}"
    return " checked" in tag[0]


def event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


# --------------------------------------------------------------------------- shortlist


@pytest.fixture
def shortlisting(app, client):
    """An officer logged in on a procurement at SQ evaluation with two candidates."""
    with app.app_context():
        email = make_user("procurement_officer").email
        p = make_procurement(candidates=2)
        p.state = "sq_evaluation"
        db.session.commit()
        rows = db.session.execute(select(SQResponse.id, SQResponse.supplier_id).where(
            SQResponse.procurement_id == p.id).order_by(SQResponse.id)).all()
        names = [db.session.get(SQResponse, rid).supplier.name for rid, _ in rows]
        pid, ids = p.id, [rid for rid, _ in rows]
    assert login(client, email).status_code == 302
    return pid, ids, names


def test_a_shortlist_decision_without_a_choice_links_to_the_candidates_radios_and_names_the_candidate(
        app, client, shortlisting):
    pid, (first, second), (name, other) = shortlisting
    before = event_count(app)

    response = csrf_post(client, f"/procurements/{pid}/shortlist/{second}", {"reason": "Strong references."})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert summary_links(page) == [(f"d-{second}-s", f"Choose whether to shortlist or reject {other}")]
    assert inline_error(page, f"decision-{second}") == f"Error: Choose whether to shortlist or reject {other}"
    assert inline_error(page, f"decision-{first}") is None  # the other candidate's form is untouched
    assert "Strong references." in page  # the reasons typed are kept
    assert page.count("govuk-form-group--error") == 1
    assert event_count(app) == before


def test_a_shortlist_decision_without_reasons_keeps_the_chosen_radio(app, client, shortlisting):
    pid, (first, _), (name, _) = shortlisting

    response = csrf_post(client, f"/procurements/{pid}/shortlist/{first}", {"decision": "rejected", "reason": " "})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert summary_links(page) == [(f"reason-{first}", f"Enter the reasons for the decision on {name}")]
    assert inline_error(page, f"reason-{first}") == f"Error: Enter the reasons for the decision on {name}"
    assert checked(page, f"d-{first}-r") and not checked(page, f"d-{first}-s")
    assert f'aria-describedby="reason-{first}-error"' in page


# --------------------------------------------------------------------------- conflict declaration


@pytest.fixture
def panel(app):
    with app.app_context():
        return build_panel(declare=False)


def evaluator_client(app, panel):
    client = app.test_client()
    assert login(client, panel.evaluators[0]).status_code == 302
    return client


def lot_url(panel, tail: str = "") -> str:
    return f"/procurements/{panel.procurement_id}/lots/1/evaluation/initial{tail}"


def test_a_declaration_without_an_answer_links_to_the_first_radio(app, panel):
    client = evaluator_client(app, panel)

    response = csrf_post(client, lot_url(panel, "/declaration"), {"details": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    (target, message), = summary_links(page)
    assert target == "has_conflict-no" and message.startswith("Choose yes if you have a conflict of interest")
    assert inline_error(page, "has_conflict").startswith("Error: Choose yes")
    assert not checked(page, "has_conflict-no") and not checked(page, "has_conflict-yes")


def test_a_conflict_without_details_keeps_yes_chosen_and_links_to_the_details(app, panel):
    client = evaluator_client(app, panel)

    response = csrf_post(client, lot_url(panel, "/declaration"), {"has_conflict": "yes", "details": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert summary_links(page) == [("details", "Describe the conflict of interest: who or what it involves and how.")]
    assert inline_error(page, "details").endswith("who or what it involves and how.")
    assert checked(page, "has_conflict-yes")
    assert 'aria-describedby="details-hint details-error"' in page


# --------------------------------------------------------------------------- score sheet


def score_url(panel) -> str:
    return lot_url(panel, f"/bids/{panel.bid_ids[0]}/score")


def posted(entries: dict, action: str = "submit", **extra) -> dict:
    data = {"action": action, **extra}
    for qid, (value, rationale) in entries.items():
        data[f"score-{qid}"], data[f"rationale-{qid}"] = value, rationale
    return data


def declared_client(app, panel):
    from tender.services.evaluation import panel as evaluation

    with app.app_context():
        evaluation.declare(panel.procurement_id, 1, user(panel.evaluators[0]), False, "")
    return evaluator_client(app, panel)


def scores(app) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(select(Score.criterion_id, Score.status)).all()


def test_an_incomplete_submit_links_each_error_to_its_field_and_keeps_the_scores_chosen(app, panel):
    client = declared_client(app, panel)
    entries = sheet(3)
    entries["Q1.1"] = ("", "Some evidence")
    entries["Q3"] = ("4", "")

    response = csrf_post(client, score_url(panel), posted(entries))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    links = summary_links(page)
    assert [target for target, _ in links] == ["score-Q1-1-0", "rationale-Q3"]
    assert links[0][1].startswith("Choose a score for Q1.1") and links[1][1].startswith("Enter the reasons")
    assert inline_error(page, "score-Q1-1").startswith("Error: Choose a score for Q1.1")
    assert inline_error(page, "rationale-Q3").startswith("Error: Enter the reasons for your score for Q3")
    assert checked(page, "score-Q3-4") and checked(page, "score-Q2-1-3")
    assert "Some evidence" in page
    assert scores(app) == []


def test_submitting_scores_asks_first_and_only_the_confirming_post_locks_them(app, panel):
    client = declared_client(app, panel)
    before = event_count(app)

    asked = csrf_post(client, score_url(panel), posted(sheet(3, "Clear evidence of outcomes")))

    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 200, re.findall(r'<h1.*?</h1>|govuk-error-message.*?</p>', page, re.S)
    assert "Are you sure you want to submit your scores for" in page
    assert "Yes, submit and lock my scores" in page and "Score 3. Clear evidence of outcomes" in page
    assert 'name="confirmed" value="yes"' in page and 'name="score-Q3" value="3"' in page
    assert scores(app) == [] and event_count(app) == before

    back = csrf_post(client, score_url(panel), posted(sheet(3, "Clear evidence of outcomes"), edit="yes"))
    assert back.status_code == 200 and checked(back.get_data(as_text=True), "score-Q3-3")
    assert scores(app) == []

    done = csrf_post(client, score_url(panel), posted(sheet(3, "Clear evidence of outcomes"), confirmed="yes"))
    assert done.status_code == 302
    assert {status for _, status in scores(app)} == {"submitted"}


def test_saving_a_draft_does_not_ask_for_confirmation(app, panel):
    client = declared_client(app, panel)
    response = csrf_post(client, score_url(panel), posted(sheet(2), action="draft"))
    assert response.status_code == 302
    assert {status for _, status in scores(app)} == {"draft"}


# --------------------------------------------------------------------------- stage moves


@pytest.fixture
def officer(app, client):
    app.config["TENDER_TODAY"] = "2022-06-01"
    with app.app_context():
        email = make_user("procurement_officer").email
        p = make_procurement()
        p.state = "sq_closed"
        db.session.commit()
        pid, version = p.id, p.version
    assert login(client, email).status_code == 302
    return pid, version


def state_of(app, pid) -> str:
    from tender.models import Procurement

    with app.app_context():
        return db.session.get(Procurement, pid).state


def test_a_stage_move_is_confirmed_on_its_own_page_before_anything_changes(app, client, officer):
    pid, version = officer
    before = event_count(app)
    overview = client.get(f"/procurements/{pid}").get_data(as_text=True)
    assert f'action="/procurements/{pid}/advance/start_sq_evaluation"' in overview

    asked = client.get(f"/procurements/{pid}/advance/start_sq_evaluation?version={version}")

    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 200
    assert "Are you sure you want to move the procurement to “SQ evaluation”?" in page
    assert "A stage change cannot be undone." in page
    assert f'action="/procurements/{pid}/advance"' in page and 'name="trigger" value="start_sq_evaluation"' in page
    assert f'name="version" value="{version}"' in page and "Yes, start SQ evaluation" in page
    assert state_of(app, pid) == "sq_closed" and event_count(app) == before

    done = csrf_post(client, f"/procurements/{pid}/advance",
                     {"trigger": "start_sq_evaluation", "version": str(version), "confirmed": "yes"})
    assert done.status_code == 302 and state_of(app, pid) == "sq_evaluation"


def test_abandoning_asks_for_the_reason_on_the_confirmation_page_and_links_a_missing_one(app, client, officer):
    pid, version = officer
    asked = client.get(f"/procurements/{pid}/advance/abandon?version={version}").get_data(as_text=True)
    assert 'id="confirm-reason"' in asked and "govuk-button--warning" in asked

    response = csrf_post(client, f"/procurements/{pid}/advance",
                         {"trigger": "abandon", "version": str(version), "reason": " ", "confirmed": "yes"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert summary_links(page) == [("confirm-reason", "Enter a reason for 'Abandon the procurement'. "
                                                      "It is kept in the audit trail.")]
    assert inline_error(page, "confirm-reason").startswith("Error: Enter a reason")
    assert state_of(app, pid) == "sq_closed"


def test_a_blocked_stage_move_is_not_offered_for_confirmation(app, client, officer):
    pid, version = officer
    with app.app_context():
        from tender.models import Procurement
        db.session.get(Procurement, pid).state = "sq_evaluation"  # no candidates shortlisted: ITT blocked
        db.session.commit()
    response = client.get(f"/procurements/{pid}/advance/issue_itt")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/procurements/{pid}#next-steps")
    assert "is not available yet" in html.unescape(client.get(f"/procurements/{pid}").get_data(as_text=True))


# --------------------------------------------------------------------------- notice period


@pytest.mark.parametrize("typed, message", [
    ("abc", "Enter the number of working days as a whole number from 1 to 30, like 5"),
    ("2.5", "Enter the number of working days as a whole number from 1 to 30, like 5"),
    ("0", "Enter a number of working days from 1 to 30"),
])
def test_the_notice_period_form_says_one_plain_english_thing_beside_the_field(app, client, typed, message):
    with app.app_context():
        email = make_user("evaluator").email
    assert login(client, email).status_code == 302

    response = csrf_post(client, "/notifications/notice-period", {"working_days": typed}, token_from="/notifications")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not a valid integer value" not in page
    assert summary_links(page) == [("working_days", message)]
    assert inline_error(page, "working_days") == f"Error: {message}"
    assert f'value="{typed}"' in page  # what was typed stays in the box
    assert 'aria-describedby="working-days-hint working_days-error"' in page


# --------------------------------------------------------------------------- Post/Redirect/Get


def test_a_refused_post_sends_the_browser_back_to_its_page_with_the_reason(app, panel):
    client = declared_client(app, panel)
    page_url = f"http://localhost{score_url(panel)}"
    assert csrf_post(client, score_url(panel), posted(sheet(3), confirmed="yes")).status_code == 302

    again = client.post(score_url(panel), data={**posted(sheet(1), confirmed="yes"),
                                                "csrf_token": csrf_token_of(client)},
                        headers={"Referer": page_url})

    assert again.status_code == 302 and again.headers["Location"] == page_url
    shown = html.unescape(client.get(score_url(panel)).get_data(as_text=True))
    assert "they are locked and cannot be changed" in shown


def test_a_refused_post_from_another_site_is_not_redirected_there(app, panel):
    client = declared_client(app, panel)
    assert csrf_post(client, score_url(panel), posted(sheet(3), confirmed="yes")).status_code == 302
    again = client.post(score_url(panel), data={**posted(sheet(1), confirmed="yes"),
                                                "csrf_token": csrf_token_of(client)},
                        headers={"Referer": "https://evil.example/procurements"})
    assert again.status_code == 409 and "locked" in again.get_data(as_text=True)


def csrf_token_of(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client, "/")


