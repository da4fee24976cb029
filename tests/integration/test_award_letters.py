"""Award decision letters through the services: drafted from the record, issued as PDF/A, e-mailed once."""
from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
from sqlalchemy import select

from tender.demo import BIDDERS
from tender.extensions import db
from tender.models import AuditEvent, LetterDelivery, Procurement, Supplier
from tender.services.award import letters
from tests.evaluation_support import user
from tests.letters_support import OFFICER, award_demo, send_now, supplier_email
from tests.reminders_support import REFUSED

pytestmark = pytest.mark.slow


def events(action: str) -> list[dict]:
    return [e.to_record() for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                                      .order_by(AuditEvent.seq))]


def pdf_text(data: bytes, tmp_path, name="letter.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_one_letter_per_tenderer_per_lot_states_the_recorded_ranking(ctx, smtp, tmp_path):
    pid = award_demo()
    officer = user(OFFICER)
    created = letters.draft(pid, officer)
    assert len(created) == 5 * len(BIDDERS)
    result = send_now(pid, officer, smtp.settings())

    assert (result.issued, result.emailed, result.failed) == (15, 15, ())
    for letter in letters.letters_for(pid):
        decision = json.loads(letter.recommendation.decision)
        mine = next(r for r in decision["ranking"] if r["supplier_id"] == letter.supplier_id)
        winner = decision["recommended"]
        name, data = letters.document(pid, letter.id, officer)
        text = pdf_text(data, tmp_path)
        assert letter.successful == (winner["supplier_id"] == letter.supplier_id)
        assert f"Reference {decision['procurement']}" in text or decision["procurement"] in text
        # The recipient's total and the winner's, as recorded, to 2 places.
        assert f"{float(mine['total']):.2f}" in text
        winner_row = next(r for r in decision["ranking"] if r["supplier_id"] == winner["supplier_id"])
        assert f"{float(winner_row['total']):.2f}" in text
        assert winner["supplier"] in text
        if not letter.successful:
            assert f"award the contract for lot {decision['lot']['number']} to" in " ".join(text.split())
        assert "Page 1 of" in text and "standstill period ends" in " ".join(text.split())


def test_emails_arrive_with_the_pdf_once_and_a_failed_one_is_retried_alone(ctx, smtp):
    pid = award_demo(lots=(1,))
    officer = user(OFFICER)
    refused_supplier = db.session.scalar(select(Supplier).where(Supplier.name == BIDDERS[1]))
    refused_supplier.contact_email = REFUSED
    db.session.commit()
    letters.draft(pid, officer)
    first = send_now(pid, officer, smtp.settings())
    assert first.emailed == 2 and len(first.failed) == 1 and first.standstill_started is None
    assert db.session.get(Procurement, pid).award_notices_sent_at is None

    second = send_now(pid, officer, smtp.settings())  # the refused address still fails; nothing else re-sent
    assert second.issued == 0 and second.emailed == 0 and len(second.failed) == 1

    # The officer cannot change a sent letter's address, but the server now accepts it (a fixed mailbox).
    smtp.handler.received.clear()
    import tests.reminders_support as support
    letter = next(l for l in letters.letters_for(pid) if l.supplier_id == refused_supplier.id)
    delivery = db.session.scalar(select(LetterDelivery).where(LetterDelivery.letter_id == letter.id))
    delivery.recipient = letter.recipient_email = supplier_email(BIDDERS[1])
    db.session.commit()
    third = send_now(pid, officer, smtp.settings(), retry=True)
    assert third.emailed == 1 and third.failed == ()
    arrived = smtp.handler.messages()
    assert len(arrived) == 1 and support.REFUSED not in str(arrived[0]["To"])
    assert third.standstill_started is not None
    assert db.session.get(Procurement, pid).award_notices_sent_at is not None
    assert len(events("award.standstill_started")) == 1
    # Across all runs: every letter arrived exactly once, with its stored PDF attached byte for byte.
    statuses = set(db.session.scalars(select(LetterDelivery.status)))
    assert statuses == {"sent"}
    from tender.services.errors import InvalidRequest

    with pytest.raises(InvalidRequest, match="Every letter has been sent already"):
        letters.retry(pid, officer, smtp.settings())


def test_the_attached_pdf_is_the_stored_document_and_its_digest_is_audited(ctx, smtp, tmp_path):
    pid = award_demo(lots=(2,))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    send_now(pid, officer, smtp.settings())
    issued = {e["object_id"]: e["after"] for e in events("award.letter_issued")}
    assert len(issued) == 3
    by_recipient = smtp.handler.by_recipient()
    for letter in letters.letters_for(pid):
        name, data = letters.document(pid, letter.id, officer)
        again = letters.document(pid, letter.id, officer)[1]
        assert again == data
        digest = hashlib.sha256(data).hexdigest()
        assert issued[str(letter.id)]["sha256"] == digest == letter.sha256
        message = by_recipient[letter.recipient_email]
        (attachment,) = [p for p in message.iter_attachments()]
        assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == name
        assert attachment.get_content() == data
        info = subprocess.run(["pdfinfo", "-meta", "-"], input=data, capture_output=True, check=True).stdout
        assert b'pdfaid:part="3"' in info and b"Tagged:          yes" in subprocess.run(
            ["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout


def test_under_the_procurement_act_suppliers_get_assessment_summaries_with_explanations(ctx, smtp, tmp_path):
    pid = award_demo(lots=(1,))
    db.session.get(Procurement, pid).regime = "pa2023"  # the same decision, recorded under the Act
    db.session.commit()
    officer = user(OFFICER)
    letters.draft(pid, officer)
    assert {l.kind for l in letters.letters_for(pid)} == {"assessment_summary"}
    send_now(pid, officer, smtp.settings())
    loser = next(l for l in letters.letters_for(pid) if not l.successful)
    text = " ".join(pdf_text(letters.document(pid, loser.id, officer)[1], tmp_path).split())
    assert "Assessment summary" in text and "section 50 of the Procurement Act 2023" in text
    assert "How each answer was assessed" in text
    assert "Your tender sets out a stepped model of care" in text  # its own explanation, addressed to it
    assert "Winning tender: 4" in text and "scored 1 point higher on the 0 to 4 scale" in text  # the advantage
    assert "Porchlight sets out" not in text  # never the winner's notes (issue 19, part 4)
    assert "Why your tender was not the most advantageous tender" in text
    assert "8 working days beginning with the day we publish the contract award notice" in text
    procurement = db.session.get(Procurement, pid)
    assert procurement.award_notices_sent_at is not None


def test_a_letter_sent_by_post_starts_standstill_only_once_its_posting_is_recorded(ctx, smtp, tmp_path):
    from datetime import date

    from tender.services.errors import InvalidRequest

    pid = award_demo(lots=(1,))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    by_post = letters.letters_for(pid)[2]
    letters.edit(pid, by_post.id, officer, by_post.narrative, "post", None)
    result = send_now(pid, officer, smtp.settings())
    assert (result.emailed, result.to_post, result.standstill_started) == (2, 1, None)
    assert len(smtp.handler.messages()) == 2
    text = " ".join(pdf_text(letters.document(pid, by_post.id, officer)[1], tmp_path).split())
    assert "sent by post" in text and "regulation 87(2)(b)" in text
    # Every letter states the standstill that binds: the postal one, 15 days after sending.
    emailed = next(l for l in letters.letters_for(pid) if l.method == "email")
    assert "regulation 87(2)(b)" in " ".join(pdf_text(letters.document(pid, emailed.id, officer)[1], tmp_path,
                                                      "other.pdf").split())
    with pytest.raises(InvalidRequest, match="on or after the date of the letter"):
        letters.record_posting(pid, by_post.id, officer, date(2020, 1, 1))
    letters.record_posting(pid, by_post.id, officer, letters.uk_date(by_post.issued_at))
    assert letters.uk_date(db.session.get(Procurement, pid).award_notices_sent_at) == letters.uk_date(by_post.issued_at)
    (posted,) = events("award.letter_posted")
    assert posted["after"]["sha256"] == by_post.sha256
    assert len(events("award.standstill_started")) == 1
