"""Evaluators read what they score: answers and documents beside each question, openings recorded (issue 18, 4)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, DocumentOpening
from tender.services.evaluation import bid_documents, panel
from tender.services.evaluation import scoring
from tender.services.errors import NotAuthorised
from tests.bid_reading_support import ROUND, opened_lot
from tests.evaluation_support import sheet, user
from tests.helpers import make_user


def test_the_score_sheet_shows_each_answer_and_its_documents_once_the_evaluator_has_declared(ctx):
    lot = opened_lot(ctx)
    score_sheet = scoring.score_sheet(lot.procurement_id, 1, ROUND, lot.bid_ids[0], user(lot.evaluators[0]))
    response = score_sheet.response
    assert response.note is None
    assert response.answers["Q1.1"].startswith("Q1.1: We will deliver")
    assert [d.filename for d in response.documents_for("Q1.1")] == ["staffing-plan.pdf"]
    assert [d.filename for d in response.general] == ["document-0.pdf"]
    late_joiner = make_user("evaluator")
    panel.assign(lot.procurement_id, 1, late_joiner.id, None, user(lot.officer))
    with pytest.raises(NotAuthorised, match="Declare whether you have a conflict"):
        scoring.score_sheet(lot.procurement_id, 1, ROUND, lot.bid_ids[0], late_joiner)
    moderation = scoring.moderation_sheet(lot.procurement_id, 1, ROUND, lot.bid_ids[0], user(lot.moderator))
    assert moderation.response.answers == response.answers  # "You can now see the bids" is true for the moderator


def test_each_opening_is_recorded_and_scores_given_without_opening_are_found(ctx):
    lot = opened_lot(ctx)
    reader, skimmer = user(lot.evaluators[0]), user(lot.evaluators[1])
    bid = lot.bid_ids[0]
    for attachment_id in lot.documents[bid]:
        attachment, stored = bid_documents.open_document(lot.procurement_id, 1, ROUND, bid, attachment_id, reader)
        assert stored.size > 0
    bid_documents.open_document(lot.procurement_id, 1, ROUND, bid, lot.documents[bid][0], skimmer)
    assert db.session.scalar(select(func.count()).select_from(DocumentOpening)) == 3
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "evaluation.document_opened")) == 3
    for person in (reader, skimmer):
        for bid_id in lot.bid_ids:
            scoring.save_scores(lot.procurement_id, 1, ROUND, bid_id, person, sheet(3), True)
    found = {(u.bid_id, u.evaluator, u.opened, u.documents) for u in bid_documents.unopened_scores([lot.lot_id])}
    other = lot.bid_ids[1]
    assert found == {(bid, skimmer.name, 1, 2), (other, reader.name, 0, 2), (other, skimmer.name, 0, 2)}
    moderation = scoring.moderation_sheet(lot.procurement_id, 1, ROUND, other, user(lot.moderator))
    assert all(u.never_opened for u in moderation.unopened) and len(moderation.unopened) == 2
    assert "without opening any of its 2 documents" in moderation.unopened[0].sentence


@pytest.mark.parametrize("role", ["evaluator", "moderator", "approver"])
def test_whoever_declared_a_conflict_reads_nothing_of_the_lot(ctx, role):
    lot = opened_lot(ctx)
    person = user(lot.conflicted[role])
    for bid_id, attachments in lot.documents.items():
        for attachment_id in attachments:
            with pytest.raises(NotAuthorised):
                bid_documents.open_document(lot.procurement_id, 1, ROUND, bid_id, attachment_id, person)
    assert db.session.scalar(select(func.count()).select_from(DocumentOpening)) == 0


@pytest.mark.slow
def test_the_procurement_report_shows_scores_given_to_a_tender_whose_documents_were_never_opened(ctx):
    import subprocess

    from tender.models import Bid, Lot, Score, Submission, SubmissionAttachment, User
    from tender.services.award import report
    from tests.bid_reading_support import documents_on_a_demo_bid
    from tests.letters_support import EVALUATOR, OFFICER, award_demo

    pid = award_demo(lots=(1,))
    bid = db.session.scalar(select(Bid).join(Lot).where(Lot.procurement_id == pid, Lot.number == 1).order_by(Bid.id))
    supplier = bid.supplier.name
    documents = documents_on_a_demo_bid(bid.id)
    _, pdf = report.generate(pid, user(OFFICER))
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
                    .stdout.decode().split())
    assert "Reading the tenders" in text and "Scores given without opening the tender's documents" in text
    assert f"1 {supplier} {user(EVALUATOR).name} 0 of {len(documents)}" in text

    # Once every evaluator has opened every document of each tender they scored, the report says so instead.
    for bid_id, evaluator_id in db.session.execute(select(Score.bid_id, Score.evaluator_id).distinct().join(Bid)
                                                   .join(Lot).where(Lot.procurement_id == pid)).all():
        for attachment_id in db.session.scalars(select(SubmissionAttachment.id).join(Submission)
                                                .where(Submission.bid_id == bid_id)):
            bid_documents.open_document(pid, 1, "initial", bid_id, attachment_id, db.session.get(User, evaluator_id))
    _, pdf = report.generate(pid, user(OFFICER))
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
                    .stdout.decode().split())
    assert "Reading the tenders" in text and "Every evaluator opened every document of each tender they scored" in text
    assert "Scores given without opening" not in text
