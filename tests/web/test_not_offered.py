"""Buttons the service would refuse are shown disabled with the reason, and offered once they can succeed
(issue 19, part 3; the sweep in test_no_dead_ends.py finds them, these pin each one down)."""
from __future__ import annotations

import re

from sqlalchemy import select

from tender.extensions import db
from tender.models import Bid, Lot
from tests.evaluation_support import sheet, user
from tests.helpers import login
from tests.page_crawl import DEMO_ROLES
from tests.web.test_no_dead_ends import _demo, _panel_to_declare

ENABLED = r'<button type="submit"[^>]*>{}</button>'
DISABLED = r'<button type="button"[^>]*disabled aria-disabled="true">{}</button>'


def _page(app, role: str, url: str) -> str:
    client = app.test_client()
    assert login(client, DEMO_ROLES[role]).status_code == 302
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_timetable_offers_save_only_while_a_milestone_is_open_to_plan(app):
    from tender.models import Milestone

    with app.app_context():
        pid = _demo()  # its timetable is planned: nothing is left to plan
    page = _page(app, "procurement_officer", f"/procurements/{pid}/set-up/timetable")
    assert 'id="nothing-to-plan"' in page and "every milestone is planned, met or not applicable" in page
    assert re.search(DISABLED.format("Save the timetable"), page) and not re.search(
        ENABLED.format("Save the timetable"), page)

    with app.app_context():
        milestone = db.session.scalars(select(Milestone).where(Milestone.procurement_id == pid)
                                       .order_by(Milestone.position.desc())).first()
        milestone.planned_date = None  # one milestone to plan
        db.session.commit()
    page = _page(app, "procurement_officer", f"/procurements/{pid}/set-up/timetable")
    assert re.search(ENABLED.format("Save the timetable"), page) and 'id="nothing-to-plan"' not in page


def test_the_moderator_is_offered_record_consensus_scores_once_an_evaluator_has_submitted(app):
    from tender.services.evaluation import panel, scoring

    with app.app_context():
        pid = _panel_to_declare()
        for role in ("evaluator", "moderator"):
            panel.declare(pid, 1, user(DEMO_ROLES[role]), False, "")
        bid_id = db.session.scalar(select(Bid.id).join(Lot).where(Lot.procurement_id == pid, Lot.number == 1)
                                   .order_by(Bid.id))
    url = f"/procurements/{pid}/lots/1/evaluation/initial/bids/{bid_id}/moderate"
    page = _page(app, "moderator", url)
    assert 'id="nothing-to-agree"' in page
    assert re.search(DISABLED.format("Record consensus scores"), page)
    assert not re.search(ENABLED.format("Record consensus scores"), page)

    with app.app_context():
        scoring.save_scores(pid, 1, "initial", bid_id, user(DEMO_ROLES["evaluator"]), sheet(3), True)
    page = _page(app, "moderator", url)
    assert re.search(ENABLED.format("Record consensus scores"), page) and 'id="nothing-to-agree"' not in page


def test_a_supplier_is_offered_submit_only_once_every_question_is_answered_and_the_price_entered(app):
    from tender.services.submissions import drafting
    from tests.submissions_support import answers, open_tender, user as person

    with app.app_context():
        tender = open_tender(app=app)
        draft = drafting.open_draft(person(tender.suppliers[0]), tender.procurement_id, "final", 1)
        draft_id = draft.id
    client = app.test_client()
    assert login(client, tender.suppliers[0]).status_code == 302
    url = f"/supplier/submissions/{draft_id}"

    def page() -> str:
        response = client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    empty = page()
    assert 'id="submit-refused"' in empty and "Answer every question before you submit" in empty
    assert re.search(DISABLED.format("Submit your response"), empty) and 'id="submit-response"' not in empty
    with app.app_context():
        drafting.save_answers(person(tender.suppliers[0]), draft_id, answers())
    assert "Enter your price in the price envelope before you submit" in page()
    with app.app_context():
        drafting.save_price(person(tender.suppliers[0]), draft_id, "100000")
    complete = page()
    assert 'id="submit-response"' in complete and 'id="submit-refused"' not in complete
