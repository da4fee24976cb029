"""The supplier's responses, receipt and register pages, and the officer's tender box, through the web (issue 18)."""
from __future__ import annotations

import hashlib
import io
import json
import re

from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Bid, Submission
from tests.helpers import csrf_token, login
from tests.submissions_support import AFTER, PDF, QUESTIONS, open_tender


def _post(client, path, data, token_from, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)}, **kwargs)


def _version(app, submission_id):
    with app.app_context():
        return str(db.session.get(Submission, submission_id).version)


def test_a_supplier_drafts_attaches_prices_submits_and_checks_its_receipt_in_the_register(app):
    with app.app_context():
        t = open_tender(app=app)
    supplier, officer, rival = app.test_client(), app.test_client(), app.test_client()
    assert login(supplier, t.suppliers[0]).status_code == 302
    login(officer, t.officer)
    login(rival, t.suppliers[1])
    index = f"/supplier/procurements/{t.procurement_id}/responses"
    page = supplier.get(index)
    assert page.status_code == 200 and "Start your response" in page.get_data(as_text=True)
    started = _post(supplier, f"{index}/final/1/start", {}, index)
    assert started.status_code == 302
    edit = started.headers["Location"]
    sid = int(re.search(r"/submissions/(\d+)", edit).group(1))
    answers = {f"answer-{q}": f"Our answer to {q}." for q in QUESTIONS}
    assert _post(supplier, f"{edit}/answers", {**answers, "version": _version(app, sid)}, edit).status_code == 302
    uploaded = _post(supplier, f"{edit}/documents", {"version": _version(app, sid), "question": "Q3",
                                                     "document": (io.BytesIO(PDF), "safeguarding policy.pdf")},
                     edit, content_type="multipart/form-data")
    assert uploaded.status_code == 302
    assert _post(supplier, f"{edit}/price", {"price": "98765.43", "version": _version(app, sid)}, edit).status_code == 302
    html = supplier.get(edit).get_data(as_text=True)
    assert hashlib.sha256(PDF).hexdigest() in html and "Our answer to Q3." in html

    # Nobody else reads it: another supplier gets 404, the officer 403 (not a supplier's page).
    assert rival.get(edit).status_code == 404
    assert officer.get(edit).status_code == 403
    assert _post(rival, f"{edit}/submit", {}, f"/supplier/procurements/{t.procurement_id}/responses").status_code \
        in (404, 302)

    submitted = _post(supplier, f"{edit}/submit", {"version": _version(app, sid)}, edit)
    assert submitted.status_code == 302 and submitted.headers["Location"].endswith("/receipt")
    receipt_page = supplier.get(f"{edit}/receipt").get_data(as_text=True)
    manifest_hash = re.search(r'id="manifest-hash">([0-9a-f]{64})<', receipt_page).group(1)
    assert hashlib.sha256(PDF).hexdigest() in receipt_page and "98765.43" not in receipt_page
    download = supplier.get(f"{edit}/receipt.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    document = json.loads(download.get_data(as_text=True))
    assert hashlib.sha256(document["manifest"].encode()).hexdigest() == manifest_hash == document["manifest_sha256"]

    box = f"/procurements/{t.procurement_id}/tender-box/final"
    before = officer.get(box).get_data(as_text=True)
    assert 'id="received">1<' in before and "Our answer" not in before and "Open the tender box" not in before

    app.config["TENDER_TODAY"] = AFTER
    register = supplier.get(f"{index}/final/register").get_data(as_text=True)
    assert manifest_hash in register and "Your receipt" in register
    assert manifest_hash in rival.get(f"{index}/final/register").get_data(as_text=True)
    opened = _post(officer, f"{box}/open", {}, box)
    assert opened.status_code == 302
    with app.app_context():
        bid_id = db.session.scalar(select(Bid.id).where(Bid.received_via == "portal"))
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "tender_box.opened")) == 1
    tenders = f"/procurements/{t.procurement_id}/tender-box/tenders/{bid_id}"
    tender = officer.get(tenders).get_data(as_text=True)
    assert "Our answer to Q1.1." in tender and "98765.43" not in tender
    document_link = re.search(r'href="([^"]+/documents/\d+)"', tender).group(1)
    got = officer.get(document_link)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert rival.get(tenders).status_code == 403


def test_a_late_submission_through_the_page_is_refused_with_the_deadline(app):
    from tests.submissions_support import complete_draft

    with app.app_context():
        t = open_tender(app=app)
        sid = complete_draft(t.suppliers[0], t.procurement_id)
    client = app.test_client()
    login(client, t.suppliers[0])
    app.config["TENDER_TODAY"] = AFTER
    edit = f"/supplier/submissions/{sid}"
    assert "Submit your response" not in client.get(edit).get_data(as_text=True)
    refused = client.post(f"{edit}/submit", data={"csrf_token": csrf_token(client, edit),
                                                   "version": _version(app, sid)})
    assert refused.status_code == 400
    assert "11:59pm on 11 July 2022" in refused.get_data(as_text=True)


def test_an_answer_over_its_limit_is_refused_naming_the_question_and_keeps_everything_typed(app):
    with app.app_context():
        t = open_tender(app=app)
    client = app.test_client()
    login(client, t.suppliers[0])
    index = f"/supplier/procurements/{t.procurement_id}/responses"
    edit = _post(client, f"{index}/final/1/start", {}, index).headers["Location"]
    sid = int(re.search(r"/submissions/(\d+)", edit).group(1))
    typed = {f"answer-{q}": f"Our long-considered answer to {q}." for q in QUESTIONS}
    typed["answer-SV2"] = " ".join(["word"] * 501)  # SV2 takes up to 500 words
    refused = _post(client, f"{edit}/answers", {**typed, "version": _version(app, sid)}, edit)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "SV2" in html and "Shorten the answer to 500 words or fewer (it has 501)" in html
    assert "Our long-considered answer to Q1.1." in html and "Our long-considered answer to C2." in html
    with app.app_context():
        assert not db.session.get(Submission, sid).answers  # nothing saved: the draft is as it was
    assert "Our long-considered answer" not in client.get(edit).get_data(as_text=True)


def test_answers_posted_to_a_submitted_response_are_refused_and_the_page_shows_what_was_submitted(app):
    from tender.services.submissions import submitting
    from tests.submissions_support import complete_draft, user

    with app.app_context():
        t = open_tender(app=app)
        sid = complete_draft(t.suppliers[0], t.procurement_id)
        submitting.submit(user(t.suppliers[0]), sid)
    client = app.test_client()
    login(client, t.suppliers[0])
    edit = f"/supplier/submissions/{sid}"
    refused = _post(client, f"{edit}/answers", {"answer-Q3": "A change after submitting.",
                                                "version": _version(app, sid)}, edit)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Withdraw it first" in html
    assert "A change after submitting." not in html and "Q3: We will deliver the service" in html
