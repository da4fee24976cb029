"""Evaluation access, enforced on the server: requests sent directly, as each kind of panel member.

As in test_authorisation.py, no application context is held while the client
makes requests; setup and checks open their own.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, ModeratedScore, Score
from tender.services.evaluation import scoring as evaluation_scoring
from tests.evaluation_support import QUESTIONS, build_panel, sheet, user
from tests.helpers import csrf_post, login

SECRET = "Only the first evaluator wrote this rationale"


@pytest.fixture
def panel(app):
    with app.app_context():
        return build_panel(declare=False)


def client_for(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def lot_url(panel, tail: str = "") -> str:
    return f"/procurements/{panel.procurement_id}/lots/1/evaluation/initial{tail}"


def score_url(panel, bid: int = 0, tail: str = "score") -> str:
    return lot_url(panel, f"/bids/{panel.bid_ids[bid]}/{tail}")


def form_of(entries: dict, action: str = "submit") -> dict:
    """A posted score sheet; a submit is the POST from the "Are you sure?" page (confirmed=yes)."""
    data = {"action": action, **({"confirmed": "yes"} if action == "submit" else {})}
    for qid, (value, rationale) in entries.items():
        data[f"score-{qid}"], data[f"rationale-{qid}"] = value, rationale
    return data


def declare_none(app, panel, *emails):
    from tender.services.evaluation import panel as evaluation

    with app.app_context():
        for email in emails:
            evaluation.declare(panel.procurement_id, 1, user(email), False, "")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_an_evaluator_not_on_the_panel_can_neither_read_nor_post_scores(app, panel):
    client = client_for(app, panel.other_evaluator)
    for path in (lot_url(panel), score_url(panel), score_url(panel, tail="scores.json")):
        response = client.get(path)
        assert response.status_code == 403, path
        assert panel.bidders[0] not in response.get_data(as_text=True)
    response = csrf_post(client, score_url(panel), form_of(sheet(3)))
    assert response.status_code == 403
    response = csrf_post(client, lot_url(panel, "/declaration"), {"has_conflict": "no"})
    assert response.status_code == 403
    assert count(app, Score) == 0


def test_an_assigned_evaluator_must_declare_before_the_bids_open(app, panel):
    client = client_for(app, panel.evaluators[0])
    page = client.get(lot_url(panel)).get_data(as_text=True)
    assert "Declare any conflict of interest" in page and f"bids/{panel.bid_ids[0]}/score" not in page
    assert client.get(score_url(panel)).status_code == 403
    assert csrf_post(client, lot_url(panel, "/declaration"), {"has_conflict": "no"}).status_code == 302
    page = client.get(lot_url(panel)).get_data(as_text=True)
    assert f"bids/{panel.bid_ids[0]}/score" in page
    assert client.get(score_url(panel)).status_code == 200


def test_others_scores_stay_hidden_in_page_and_json_until_the_evaluator_submits(app, panel):
    declare_none(app, panel, *panel.evaluators)
    with app.app_context():
        evaluation_scoring.save_scores(panel.procurement_id, 1, "initial", panel.bid_ids[0],
                                       user(panel.evaluators[0]), sheet(4, SECRET), True)
    second = client_for(app, panel.evaluators[1])
    assert csrf_post(second, score_url(panel), form_of(sheet(2, "Mine"), "draft")).status_code == 302
    page = second.get(score_url(panel)).get_data(as_text=True)
    data = second.get(score_url(panel, tail="scores.json")).get_json()
    assert SECRET not in page and SECRET not in str(data) and data["others"] == [] and not data["submitted"]

    assert csrf_post(second, score_url(panel), form_of(sheet(2, "Mine"))).status_code == 302

    page = second.get(score_url(panel)).get_data(as_text=True)
    data = second.get(score_url(panel, tail="scores.json")).get_json()
    assert SECRET in page and data["submitted"] and data["others"][0]["scores"]["Q3"]["rationale"] == SECRET


def test_submitted_scores_cannot_be_overwritten_by_a_second_post(app, panel):
    declare_none(app, panel, panel.evaluators[0])
    client = client_for(app, panel.evaluators[0])
    assert csrf_post(client, score_url(panel), form_of(sheet(3))).status_code == 302
    response = csrf_post(client, score_url(panel), form_of(sheet(0)))
    assert response.status_code == 409 and "locked" in response.get_data(as_text=True)
    with app.app_context():
        assert set(db.session.scalars(select(Score.value).where(Score.value.is_not(None)))) == {3}


def test_a_submit_without_reasons_is_refused_with_instructions(app, panel):
    declare_none(app, panel, panel.evaluators[0])
    client = client_for(app, panel.evaluators[0])
    response = csrf_post(client, score_url(panel), form_of(sheet(3, "")))
    assert response.status_code == 400
    assert "Enter the reasons for your score for Q3" in response.get_data(as_text=True)
    assert count(app, Score) == 0


def test_a_declared_conflict_removes_access_and_the_officer_sees_it(app, panel):
    client = client_for(app, panel.evaluators[0])
    response = csrf_post(client, lot_url(panel, "/declaration"),
                         {"has_conflict": "yes", "details": "I advise one of the bidders"})
    assert response.status_code == 302
    for path in (lot_url(panel), score_url(panel), score_url(panel, tail="scores.json")):
        assert client.get(path).status_code == 403, path
    assert csrf_post(client, score_url(panel), form_of(sheet(3)), token_from="/").status_code == 403
    officer = client_for(app, panel.officer)
    page = officer.get(lot_url(panel)).get_data(as_text=True)
    assert "declared a conflict of interest" in page and "I advise one of the bidders" in page
    with app.app_context():
        assert "evaluation.conflict_declared" in db.session.scalars(select(AuditEvent.action)).all()


def test_a_conflict_needs_details(app, panel):
    client = client_for(app, panel.evaluators[0])
    response = csrf_post(client, lot_url(panel, "/declaration"), {"has_conflict": "yes", "details": " "})
    assert response.status_code == 400 and "Describe the conflict" in response.get_data(as_text=True)


def test_quality_evaluators_and_moderators_never_see_prices(app, panel):
    declare_none(app, panel, panel.evaluators[0], panel.moderator)
    evaluator = client_for(app, panel.evaluators[0])
    moderator = client_for(app, panel.moderator)
    pages = [evaluator.get(lot_url(panel)), evaluator.get(score_url(panel)),
             evaluator.get(score_url(panel, tail="scores.json")),
             moderator.get(lot_url(panel)), moderator.get(score_url(panel, tail="moderate"))]
    for response in pages:
        text = response.get_data(as_text=True)
        assert response.status_code == 200
        assert not re.search(r"100,?000|80,?000", text), response.request.path


def test_prices_show_on_the_ranking_only_after_the_officer_opens_them(app, panel):
    declare_none(app, panel, *panel.evaluators, panel.moderator)
    with app.app_context():
        for email in panel.evaluators:
            for bid_id, value in zip(panel.bid_ids, (3, 2)):
                evaluation_scoring.save_scores(panel.procurement_id, 1, "initial", bid_id, user(email),
                                               sheet(value), True)
    moderator = client_for(app, panel.moderator)
    for index, value in enumerate((3, 2)):
        response = csrf_post(moderator, score_url(panel, index, "moderate"), form_of(sheet(value, "Agreed")))
        assert response.status_code == 302, response.get_data(as_text=True)
    officer = client_for(app, panel.officer)
    page = officer.get(lot_url(panel, "/ranking")).get_data(as_text=True)
    assert "sealed" in page and "100,000" not in page and "/prices/open" in page
    assert csrf_post(moderator, lot_url(panel, "/prices/open"), {}).status_code == 403

    asked = csrf_post(officer, lot_url(panel, "/prices/open"), {})
    assert asked.status_code == 200 and "Are you sure you want to open the prices for lot 1?" in asked.get_data(
        as_text=True) and "100,000" not in asked.get_data(as_text=True)
    assert csrf_post(officer, lot_url(panel, "/prices/open"), {"confirmed": "yes"}).status_code == 302

    response = officer.get(lot_url(panel, "/ranking"))
    page = response.get_data(as_text=True)
    assert "£100,000.00" in page and 'role="img"' in page and "76.50" in page
    assert "style=" not in page and "<style" not in page
    assert "How far each weight would have to move" in page


def test_every_evaluation_post_needs_a_csrf_token(app, panel):
    declare_none(app, panel, panel.evaluators[0], panel.moderator)
    evaluator = client_for(app, panel.evaluators[0])
    response = evaluator.post(score_url(panel), data=form_of(sheet(3)))
    assert response.status_code == 400 and count(app, Score) == 0
    officer = client_for(app, panel.officer)
    with app.app_context():
        other_id = user(panel.other_evaluator).id
    assert officer.post(lot_url(panel, "/panel"), data={"user_id": other_id}).status_code == 400
    moderator = client_for(app, panel.moderator)
    assert moderator.post(score_url(panel, tail="moderate"), data=form_of(sheet(3))).status_code == 400
    assert count(app, ModeratedScore) == 0


def test_only_officers_assign_and_the_assignment_is_audited(app, panel):
    with app.app_context():
        other_id = user(panel.other_evaluator).id
    moderator = client_for(app, panel.moderator)
    assert csrf_post(moderator, lot_url(panel, "/panel"), {"user_id": other_id}).status_code == 403
    officer = client_for(app, panel.officer)
    response = csrf_post(officer, lot_url(panel, "/panel"), {"user_id": other_id, "sections": "social_value"})
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evaluation.panel_assigned")
                                  .order_by(AuditEvent.seq.desc()).limit(1))
        assert event.to_record()["after"]["sections"] == ["social_value"]
    dashboard = client_for(app, panel.other_evaluator).get("/").get_data(as_text=True)
    assert "lot 1" in dashboard and "Declare any conflict of interest" in dashboard


def test_a_moderator_sees_scores_side_by_side_with_spreads_marked(app, panel):
    declare_none(app, panel, *panel.evaluators, panel.moderator)
    with app.app_context():
        evaluation_scoring.save_scores(panel.procurement_id, 1, "initial", panel.bid_ids[0],
                                       user(panel.evaluators[0]), sheet(4), True)
        evaluation_scoring.save_scores(panel.procurement_id, 1, "initial", panel.bid_ids[0],
                                       user(panel.evaluators[1]), {**sheet(4), "Q4": ("1", "Thin plan")}, True)
    page = client_for(app, panel.moderator).get(score_url(panel, tail="moderate")).get_data(as_text=True)
    assert page.count("app-spread") == 1 and "Apart by 3" in page and "Thin plan" in page
    assert all(f'name="score-{q}"' in page for q in QUESTIONS)


def test_only_officers_take_people_off_a_panel_and_the_person_loses_access(app, panel):
    with app.app_context():
        leaving_id = user(panel.evaluators[1]).id
    declare_none(app, panel, panel.evaluators[1])
    leaving = client_for(app, panel.evaluators[1])
    assert leaving.get(score_url(panel)).status_code == 200
    moderator = client_for(app, panel.moderator)
    refused = csrf_post(moderator, lot_url(panel, "/panel/withdraw"), {"user_id": leaving_id, "reason": "No"})
    assert refused.status_code == 403
    officer = client_for(app, panel.officer)
    no_reason = csrf_post(officer, lot_url(panel, "/panel/withdraw"), {"user_id": leaving_id, "reason": ""})
    assert no_reason.status_code == 400 and "Enter the reason" in no_reason.get_data(as_text=True)
    done = csrf_post(officer, lot_url(panel, "/panel/withdraw"), {"user_id": leaving_id, "reason": "Moved to another team"})
    assert done.status_code == 302
    assert leaving.get(score_url(panel)).status_code == 403
    page = officer.get(lot_url(panel)).get_data(as_text=True)
    assert "Withdrawn" in page
