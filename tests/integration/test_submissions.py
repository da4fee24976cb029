"""Suppliers' submissions and the tender box, through the services on a real database (issue 18, parts 2-3).

Each Done-when line of sections 2 and 3 has a test here: a late submission is
refused by the server clock; the receipt's hashes recompute from the stored
files; the register is published before opening; the officer cannot read a
submission before opening, nor a price before price opening.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from tender.domain import sealed_price
from tender.extensions import db
from tender.resources import data_dir
from tender.models import AuditEvent, Bid, Invitation, Procurement, SQResponse, Submission, SubmissionReceipt, TenderBox
from tender.services.audit import sealed_prices
from tender.services.errors import ConcurrentChange, InvalidRequest, NotAuthorised, NotFound
from tender.services.evaluation import envelope
from tender.services.evaluation.data import load_rounds
from tender.services.procurement import responses
from tender.services.submissions import drafting, reading, submitting, tender_box
from tender.services.submissions.rounds import DeadlinePassed
from tests.helpers import CPN_TIMETABLE, make_procurement
from tests.submissions_support import DEMO_MODEL, AFTER, DEADLINE, PDF, answers, complete_draft, open_tender, upload, user


def _actions(procurement_ref=None):
    query = select(AuditEvent.action).order_by(AuditEvent.seq)
    return list(db.session.scalars(query))


def test_a_submission_before_the_deadline_gives_a_receipt_whose_hashes_recompute_from_the_stored_files(ctx):
    t = open_tender(app=ctx)
    sid = complete_draft(t.suppliers[0], t.procurement_id, files=(PDF, PDF + b"% second\n"))
    receipt = submitting.submit(user(t.suppliers[0]), sid)
    assert reading.verify_receipt(receipt) == []
    body = json.loads(receipt.manifest)
    assert receipt.manifest_hash == hashlib.sha256(receipt.manifest.encode()).hexdigest()
    assert sorted(f["sha256"] for f in body["files"]) == sorted(
        [hashlib.sha256(PDF).hexdigest(), hashlib.sha256(PDF + b"% second\n").hexdigest()])
    assert body["answers"]["Q3"].startswith("Q3:")
    assert body["price_commitment"] == receipt.price_commitment
    assert sealed_price.matches("100000", receipt.price_salt, receipt.price_commitment)
    assert "100000" not in receipt.manifest  # the price itself is not in the receipt
    assert {"submission.file_uploaded", "submission.submitted"} <= set(_actions())
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.submitted"))
    assert "100000" not in json.dumps(event.after) and receipt.manifest_hash in json.dumps(event.after)


def test_a_changed_stored_file_no_longer_matches_the_receipt(ctx):
    from tender.models import StoredFileChunk

    t = open_tender(app=ctx)
    receipt = submitting.submit(user(t.suppliers[0]), complete_draft(t.suppliers[0], t.procurement_id))
    chunk = db.session.scalar(select(StoredFileChunk))
    chunk.data = bytes(chunk.data).replace(b"Catalog", b"Cataloh")
    db.session.commit()
    assert any("no longer hash" in p for p in reading.verify_receipt(receipt))


def test_a_late_submission_is_refused_by_the_server_clock_and_the_attempt_is_audited(ctx):
    t = open_tender(app=ctx)
    sid = complete_draft(t.suppliers[0], t.procurement_id)
    ctx.config["TENDER_TODAY"] = AFTER
    with pytest.raises(DeadlinePassed, match="11:59pm on 11 July 2022"):
        submitting.submit(user(t.suppliers[0]), sid)
    assert db.session.get(Submission, sid).status == "draft"
    assert db.session.scalar(select(SubmissionReceipt.id)) is None
    assert "submission.refused_late" in _actions()
    with pytest.raises(DeadlinePassed):
        drafting.save_answers(user(t.suppliers[0]), sid, answers("changed"))


def test_on_the_deadline_day_a_submission_is_still_on_time(ctx):
    t = open_tender(app=ctx, today=DEADLINE)
    receipt = submitting.submit(user(t.suppliers[0]), complete_draft(t.suppliers[0], t.procurement_id))
    assert receipt.manifest_hash


def test_withdraw_and_resubmit_until_the_deadline_and_the_register_holds_only_the_last(ctx):
    t = open_tender(app=ctx)
    person = user(t.suppliers[0])
    sid = complete_draft(t.suppliers[0], t.procurement_id)
    first = submitting.submit(person, sid).manifest_hash
    with pytest.raises(InvalidRequest, match="Withdraw it first"):
        drafting.save_answers(person, sid, answers("changed"))
    submitting.withdraw(person, sid)
    drafting.save_answers(person, sid, answers("A better answer."))
    second = submitting.submit(person, sid).manifest_hash
    assert first != second
    ctx.config["TENDER_TODAY"] = AFTER
    register = tender_box.publish_if_due(t.procurement_id, "final")
    assert register.hashes == (second,)
    assert "submission.withdrawn" in _actions()


def test_the_same_file_twice_is_the_same_attachment_not_an_error(ctx):
    t = open_tender(app=ctx)
    person = user(t.suppliers[0])
    submission = drafting.open_draft(person, t.procurement_id, "final", 1)
    first = drafting.attach(person, submission.id, upload(PDF, "a.pdf"))
    again = drafting.attach(person, submission.id, upload(PDF, "a-copy.pdf"))
    assert first.id == again.id
    assert len(db.session.get(Submission, submission.id).attachments) == 1
    drafting.remove_attachment(person, submission.id, first.id)
    assert _actions().count("submission.file_uploaded") == 2 and "submission.file_removed" in _actions()


def test_an_answer_over_its_word_limit_is_refused_naming_the_question(ctx):
    t = open_tender(app=ctx)
    person = user(t.suppliers[0])
    submission = drafting.open_draft(person, t.procurement_id, "final", 1)
    with pytest.raises(InvalidRequest, match=r"SV1 .*500 words or fewer \(it has 501\)"):
        drafting.save_answers(person, submission.id, {"SV1": "word " * 501})
    with pytest.raises(InvalidRequest, match="Answer every question"):
        submitting.submit(person, submission.id)


def test_two_tabs_saving_from_the_same_version_cannot_both_win(ctx):
    t = open_tender(app=ctx)
    person = user(t.suppliers[0])
    submission = drafting.open_draft(person, t.procurement_id, "final", 1)
    seen = submission.version
    drafting.save_answers(person, submission.id, {"Q3": "from the first tab"}, expected_version=seen)
    with pytest.raises(ConcurrentChange):
        drafting.save_answers(person, submission.id, {"Q3": "from the second tab"}, expected_version=seen)
    assert reading.documents(db.session.get(Submission, submission.id)) == []


def test_a_supplier_cannot_reach_another_suppliers_submission_or_an_uninvited_procurement(ctx):
    t = open_tender(app=ctx)
    sid = complete_draft(t.suppliers[0], t.procurement_id)
    other = user(t.suppliers[1])
    for attempt in (lambda: drafting.save_answers(other, sid, answers()), lambda: submitting.submit(other, sid),
                    lambda: reading.own_attachment(other, sid, 1)):
        with pytest.raises(NotFound):
            attempt()
    elsewhere = open_tender(app=ctx)
    with pytest.raises(NotFound):
        drafting.open_draft(other, elsewhere.procurement_id, "final", 1)


def test_the_officer_cannot_read_a_submission_before_opening_nor_a_price_before_price_opening(ctx, tmp_path):
    rules = (data_dir("scoring_rules") / f"{DEMO_MODEL}.yaml").read_text()
    (tmp_path / f"{DEMO_MODEL}.yaml").write_text(rules.replace("price:\n", "price:\n  opening: any_time\n", 1))
    (tmp_path / "selection_questionnaire.yaml").write_text(
        (data_dir("scoring_rules") / "selection_questionnaire.yaml").read_text())
    ctx.config["TENDER_SCORING_RULES_DIR"] = str(tmp_path)
    t = open_tender(app=ctx)
    officer = user(t.officer)
    sid = complete_draft(t.suppliers[0], t.procurement_id, price="123456.78")
    submitting.submit(user(t.suppliers[0]), sid)
    submission = db.session.get(Submission, sid)
    with pytest.raises(reading.NotOpened):
        reading.check_readable(officer, submission)
    with pytest.raises(reading.NotOpened):
        reading.answers_for(lot_id=submission.lot_id, supplier_id=submission.supplier_id, round_="final")
    with pytest.raises(InvalidRequest, match="only after the deadline"):
        tender_box.open_box(officer, t.procurement_id, "final")
    with pytest.raises(NotAuthorised):
        tender_box.open_box(user(t.suppliers[0]), t.procurement_id, "final")

    ctx.config["TENDER_TODAY"] = AFTER
    box = tender_box.open_box(officer, t.procurement_id, "final")
    bid = db.session.scalar(select(Bid).where(Bid.lot_id == submission.lot_id))
    assert bid.received_via == "portal" and box.opened_at is not None
    reading.check_readable(officer, db.session.get(Submission, sid))
    assert reading.answers_for(bid=bid)["Q1.1"].startswith("Q1.1:")
    assert [d.filename for d in reading.attachments_for(bid=bid)] == ["document-0.pdf"]
    # Opened for quality, the price is still sealed in what evaluation reads ...
    data = load_rounds([bid.lot_id], ("final",))[(bid.lot_id, "final")]
    assert [b.price for b in data.bids] == [None]
    # ... and the price opening reveals exactly what the supplier committed, checkable from the trail.
    envelope.open_prices(t.procurement_id, 1, "final", officer)
    receipt = db.session.scalar(select(SubmissionReceipt))
    revealed = json.loads(db.session.scalar(select(AuditEvent.after)
                                            .where(AuditEvent.action == "evaluation.prices_opened")))
    entry = next(iter(revealed["prices"].values()))
    assert Decimal(str(entry["price"])) == Decimal("123456.78")
    assert entry["commitment"] == receipt.price_commitment
    assert sealed_price.matches(entry["price"], entry["salt"], receipt.price_commitment)
    assert sealed_prices.check() == []


def test_the_register_is_published_before_opening_and_the_opening_quotes_it(ctx):
    t = open_tender(app=ctx, suppliers=3)
    receipts = [submitting.submit(user(e), complete_draft(e, t.procurement_id)).manifest_hash
                for e in t.suppliers[:2]]
    assert tender_box.publish_if_due(t.procurement_id, "final") is None  # not before the deadline
    ctx.config["TENDER_TODAY"] = AFTER
    register = tender_box.publish_if_due(t.procurement_id, "final")
    assert sorted(register.hashes) == sorted(receipts)
    box = db.session.scalar(select(TenderBox))
    assert box.opened_at is None and box.register_published_at is not None
    tender_box.open_box(user(t.officer), t.procurement_id, "final")
    actions = _actions()
    assert actions.index("tender_box.register_published") < actions.index("tender_box.opened")
    opened = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tender_box.opened"))
    assert json.loads(opened.after)["register_digest"] == register.digest
    assert len(json.loads(opened.after)["responses"]) == 2
    with pytest.raises(ConcurrentChange, match="already been opened"):
        tender_box.open_box(user(t.officer), t.procurement_id, "final")


def test_the_officer_extends_the_deadline_for_everyone_and_a_late_supplier_can_then_submit(ctx):
    t = open_tender(app=ctx)
    sid = complete_draft(t.suppliers[0], t.procurement_id)
    ctx.config["TENDER_TODAY"] = AFTER
    with pytest.raises(DeadlinePassed):
        submitting.submit(user(t.suppliers[0]), sid)
    with pytest.raises(NotAuthorised):
        submitting.extend_deadline(user(t.suppliers[0]), t.procurement_id, "final", AFTER, "Portal outage")
    submitting.extend_deadline(user(t.officer), t.procurement_id, "final", AFTER, "Portal outage on 11 July")
    assert submitting.submit(user(t.suppliers[0]), sid).manifest_hash
    assert "submission.deadline_extended" in _actions()


def test_a_tender_received_by_post_is_marked_so_and_one_submitted_in_tender_cannot_be_typed_in_again(ctx):
    t = open_tender(app=ctx, suppliers=2)
    officer = user(t.officer)
    submitting.submit(user(t.suppliers[0]), complete_draft(t.suppliers[0], t.procurement_id))
    received = datetime(2022, 7, 1, 10, tzinfo=timezone.utc)
    with pytest.raises(InvalidRequest, match="submitted its lot 1 tender in Tender"):
        responses.record_bid(officer, t.procurement_id, 1, t.supplier_ids[0], "final", received, "5000")
    with pytest.raises(InvalidRequest, match="Choose how the tender was received"):
        responses.record_bid(officer, t.procurement_id, 1, t.supplier_ids[1], "final", received, "5000",
                             received_via="fax")
    bid = responses.record_bid(officer, t.procurement_id, 1, t.supplier_ids[1], "final", received, "5000",
                               received_via="other_portal")
    assert bid.received_via == "other_portal" and sealed_price.matches("5000", bid.price_salt, bid.price_commitment)
    event = json.loads(db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "bid.received")))
    assert event["received_via"] == "other_portal" and "5000" not in json.dumps(event)
    ctx.config["TENDER_TODAY"] = AFTER
    tender_box.open_box(officer, t.procurement_id, "final")
    assert sorted(db.session.scalars(select(Bid.received_via))) == ["other_portal", "portal"]


def test_a_selection_questionnaire_is_answered_once_and_opening_records_the_candidates_response(ctx):
    t = open_tender(app=ctx)
    procurement = db.session.get(Procurement, t.procurement_id)
    # The same invited suppliers, on a competitive procedure with negotiation whose selection questionnaire is open.
    cpn = make_procurement(timetable=CPN_TIMETABLE)
    cpn.state = "sq_published"
    for supplier_id in t.supplier_ids:
        db.session.add(Invitation(procurement_id=cpn.id, supplier_id=supplier_id,
                                  invited_at=procurement.created_at, invited_by_id=user(t.officer).id))
    db.session.commit()
    ctx.config["TENDER_TODAY"] = date(2022, 5, 1)
    person = user(t.suppliers[0])
    with pytest.raises(NotFound):
        drafting.open_draft(person, cpn.id, "sq", 1)
    with pytest.raises(InvalidRequest, match="not shortlisted"):
        drafting.open_draft(person, cpn.id, "initial", 1)
    draft = drafting.open_draft(person, cpn.id, "sq", 0)
    sq_answers = {q: f"{q}: evidence." for q in ("EX1", "EX2", "EF1", "EF2", "TP1", "TP2", "TP3")}
    drafting.save_answers(person, draft.id, sq_answers)
    with pytest.raises(InvalidRequest, match="no price envelope"):
        drafting.save_price(person, draft.id, "100")
    receipt = submitting.submit(person, draft.id)
    assert json.loads(receipt.manifest)["price_commitment"] is None and receipt.price_commitment is None
    ctx.config["TENDER_TODAY"] = date(2022, 5, 10)
    tender_box.open_box(user(t.officer), cpn.id, "sq")
    response = db.session.scalar(select(SQResponse).where(SQResponse.procurement_id == cpn.id))
    assert response.supplier_id == t.supplier_ids[0]
    assert db.session.get(Submission, draft.id).sq_response_id == response.id
