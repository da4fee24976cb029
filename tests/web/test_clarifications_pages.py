"""The clarifications pages through the web: a supplier asks, the officer publishes to all, a late answer extends."""
from __future__ import annotations

import re

from sqlalchemy import select

from tender.extensions import db
from tender.models import ClarificationQuestion, Milestone
from tests.clarifications_support import build
from tests.helpers import csrf_post, login


def _client(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_a_late_answer_through_the_web_proposes_and_applies_an_extension_for_every_supplier(app):
    app.config["TENDER_TODAY"] = "2022-07-06"  # five days before the 11 July deadline
    with app.app_context():
        t = build()
    page = f"/procurements/{t.procurement_id}/clarifications"
    supplier = _client(app, t.people[0])
    asked = csrf_post(supplier, page + "/questions", {"text": f"We are {t.suppliers[0]}: does TUPE apply?"}, page)
    assert asked.status_code == 302
    officer = _client(app, t.officer)
    html = officer.get(page).get_data(as_text=True)
    assert f"Asked by {t.suppliers[0]}" in html and html.count("<h1") == 1
    with app.app_context():
        question = db.session.scalar(select(ClarificationQuestion))
        question_id, version = question.id, question.version
    refused = csrf_post(officer, f"{page}/questions/{question_id}/answer",
                        {"version": version, "question": "Does TUPE apply?", "answer": ""}, page)
    assert refused.status_code == 400 and "Enter the answer" in refused.get_data(as_text=True)
    published = csrf_post(officer, f"{page}/questions/{question_id}/answer",
                          {"version": version, "question": "Does TUPE apply?", "answer": "Yes, see annex C."}, page)
    assert published.status_code == 302
    html = officer.get(page).get_data(as_text=True)
    assert "regulation 47(3)" in html and "12 July 2022" in html
    form = re.search(r'action="([^"]+/extension)"', html).group(1)
    assert csrf_post(officer, form, {"decision": "accept", "new_deadline": "2022-07-12"}, page).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Milestone.planned_date).where(
            Milestone.procurement_id == t.procurement_id, Milestone.key == "initial_tender_deadline")).day == 12
    other = _client(app, t.people[1]).get(page).get_data(as_text=True)
    assert "Does TUPE apply?" in other and "Yes, see annex C." in other and "Extended to 12 July 2022" in other
    assert t.suppliers[0] not in other and "does TUPE apply?" not in other  # not the asker's own words or name
    own = supplier.get(page).get_data(as_text=True)
    assert "answered in clarification 1" in own


def test_suppliers_not_invited_get_nothing_and_only_staff_read_the_equal_treatment_record(app):
    with app.app_context():
        t = build()
    page = f"/procurements/{t.procurement_id}/clarifications"
    outsider = _client(app, t.outsider)
    assert outsider.get(page).status_code == 404
    assert csrf_post(outsider, page + "/questions", {"text": "Let us in"}, page).status_code == 404
    supplier = _client(app, t.people[0])
    assert supplier.get(page + "/record").status_code == 403
    legal = _client(app, t.legal)
    record = legal.get(page + "/record")
    assert record.status_code == 200 and all(name in record.get_data(as_text=True) for name in t.suppliers)
    assert csrf_post(legal, page + "/publish", {"kind": "answer", "question": "Q", "answer": "A"}, page).status_code \
        == 403
