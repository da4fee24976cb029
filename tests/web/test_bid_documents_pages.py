"""Evaluators read what they score, through the web: every document route of a lot refuses the conflicted (403)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import DocumentOpening
from tests.bid_reading_support import ROUND, opened_lot
from tests.evaluation_support import sheet, user
from tests.helpers import login
from tests.web.test_hostile_input import PARAM


def _client(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _document_urls(app, lot) -> list[str]:
    """Every route of the app that serves one document of a bid, filled in for every document of the lot."""
    rules = [r for r in app.url_map.iter_rules() if {"bid_id", "attachment_id"} <= set(r.arguments)]
    assert any(r.endpoint == "evaluation.bid_document" for r in rules)
    urls = []
    for rule in rules:
        for bid_id, attachments in lot.documents.items():
            for attachment_id in attachments:
                values = {"procurement_id": lot.procurement_id, "lot_number": 1, "round_": ROUND, "bid_id": bid_id,
                          "attachment_id": attachment_id}
                urls.append(PARAM.sub(lambda m: str(values[m.group(2)]), rule.rule))
    return urls


@pytest.mark.parametrize("role", ["evaluator", "moderator", "approver"])
def test_a_conflicted_person_gets_403_on_every_document_of_the_lot(app, role):
    with app.app_context():
        lot = opened_lot(app)
        urls = _document_urls(app, lot)
    client = _client(app, lot.conflicted[role])
    answers = {url: client.get(url).status_code for url in urls}
    assert set(answers.values()) == {403}, answers
    assert len(answers) >= 4
    if role == "evaluator":
        sheet_url = f"/procurements/{lot.procurement_id}/lots/1/evaluation/{ROUND}/bids/{lot.bid_ids[0]}/score"
        assert client.get(sheet_url).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DocumentOpening)) == 0


def test_the_evaluator_reads_answers_and_opens_documents_beside_each_question(app):
    with app.app_context():
        lot = opened_lot(app)
    evaluator = _client(app, lot.evaluators[0])
    base = f"/procurements/{lot.procurement_id}/lots/1/evaluation/{ROUND}/bids/{lot.bid_ids[0]}"
    page = evaluator.get(base + "/score").get_data(as_text=True)
    assert "Q1.1: We will deliver the service" in page and "staffing-plan.pdf" in page
    assert page.count("<h1") == 1
    link = re.search(r'href="([^"]+/documents/\d+)">staffing-plan.pdf', page).group(1)
    download = evaluator.get(link)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "opened)" in evaluator.get(base + "/score").get_data(as_text=True)
    with app.app_context():
        opening = db.session.scalar(select(DocumentOpening))
        assert (opening.bid_id, opening.role, opening.user_id) == (lot.bid_ids[0], "evaluator",
                                                                   user(lot.evaluators[0]).id)


def test_the_moderator_sees_scores_given_without_opening_the_documents(app):
    with app.app_context():
        lot = opened_lot(app)
        for email in lot.evaluators:
            from tender.services.evaluation import scoring

            for bid_id in lot.bid_ids:
                scoring.save_scores(lot.procurement_id, 1, ROUND, bid_id, user(email), sheet(3), True)
        names = [user(email).name for email in lot.evaluators]
    moderator = _client(app, lot.moderator)
    page = moderator.get(f"/procurements/{lot.procurement_id}/lots/1/evaluation/{ROUND}").get_data(as_text=True)
    assert "Scores given without opening the documents" in page
    assert page.count("without opening any of its 2 documents") == 4 and all(n in page for n in names)
    bid_page = moderator.get(f"/procurements/{lot.procurement_id}/lots/1/evaluation/{ROUND}/bids/{lot.bid_ids[0]}"
                             "/moderate").get_data(as_text=True)
    assert "Q1.1: We will deliver the service" in bid_page and "staffing-plan.pdf" in bid_page
