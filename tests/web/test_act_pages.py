"""The Procurement Act pages: abnormally low tenders, the conflicts assessment, standstill and notices.

Forms with gaps come back with instructions and status 400; people who may not
act are refused; what is recorded shows on the page.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from tender.extensions import db
from tender.models import EvaluatorAssignment, Procurement, User
from tests.act_support import act_procurement_in_assessment
from tests.helpers import csrf_post, login, make_user


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).replace("&#39;", "'").split())


def _world(app, **kwargs) -> dict:
    with app.app_context():
        officer, approver = make_user("procurement_officer"), make_user("approver")
        pid = act_procurement_in_assessment(officer, approver, **kwargs)
        panel = list(db.session.scalars(select(User.email).join(EvaluatorAssignment,
                                                                EvaluatorAssignment.user_id == User.id)))
        return {"pid": pid, "officer": officer.email, "approver": approver.email, "panel": panel,
                "outsider": make_user("evaluator").email}


def test_the_abnormally_low_page_shows_the_flag_refuses_gaps_and_keeps_out_evaluators(app, client):
    world = _world(app, prices=("480000", "455000", "300000"))
    page = f"/procurements/{world['pid']}/lots/1/abnormally-low"
    login(client, world["officer"])
    text = text_of(client.get(page))
    assert "Procurement Act 2023, section 19" in text and "Record the request to" in text
    bid_id = re.search(r"/abnormally-low/(\d+)/request", client.get(page).get_data(as_text=True)).group(1)
    refused = csrf_post(client, f"{page}/{bid_id}/request", {"request": "Explain the price."}, token_from=page)
    assert refused.status_code == 400 and "Enter the date the request was sent" in text_of(refused)
    done = csrf_post(client, f"{page}/{bid_id}/request", {"requested_on": "2025-05-20",
                                                          "request": "Explain the price."}, token_from=page)
    assert done.status_code == 302
    assert "20 May 2025: Explain the price." in text_of(client.get(page))

    evaluator = app.test_client()
    login(evaluator, world["outsider"])
    assert evaluator.get(page).status_code == 403


def test_a_panel_member_declares_on_the_conflicts_assessment_and_a_stranger_cannot_see_it(app, client):
    world = _world(app)
    page = f"/procurements/{world['pid']}/conflicts-assessment"
    login(client, world["panel"][0])
    text = text_of(client.get(page))
    assert "Your declaration" in text and "Procurement Act 2023, section 83" in text
    refused = csrf_post(client, f"{page}/declaration", {"details": ""}, token_from=page)
    assert refused.status_code == 400 and "Choose whether you have a conflict of interest" in text_of(refused)
    conflict = csrf_post(client, f"{page}/declaration", {"has_conflict": "yes", "details": ""}, token_from=page)
    assert conflict.status_code == 400 and "Describe your conflict of interest" in text_of(conflict)

    stranger = app.test_client()
    login(stranger, world["outsider"])
    assert stranger.get(page).status_code == 403


def test_a_light_touch_procurement_records_a_voluntary_standstill_before_its_summaries(app, client):
    world = _world(app, regime="pa2023_light_touch")
    page = f"/procurements/{world['pid']}/standstill-and-notices"
    login(client, world["officer"])
    text = text_of(client.get(page))
    assert "None: no standstill applies to a light touch contract" in text
    assert "Observe a voluntary standstill" in text
    refused = csrf_post(client, f"{page}/voluntary", {"reason": " "}, token_from=page)
    assert refused.status_code == 400 and "Enter the reason" in text_of(refused)
    assert csrf_post(client, f"{page}/voluntary", {"reason": "Time for suppliers to challenge."},
                     token_from=page).status_code == 302
    text = text_of(client.get(page))
    assert "A voluntary standstill is recorded" in text and "Observe a voluntary standstill" not in text
    with app.app_context():
        assert db.session.get(Procurement, world["pid"]).regime == "pa2023_light_touch"
