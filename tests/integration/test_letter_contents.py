"""What the letters carry, through the services and the worker, read back from the PDFs as sent (pdftotext).

Each letter describes its own means of sending and states the binding
standstill end; a withheld contract price is in no letter of its lot, its
reason in every one; an assessment summary carries every item of reg. 31 of
the Procurement Regulations 2024; a letter by post with no postal address is
refused at Send; candidates not selected at the selection stage get a notice
by the same queue and worker. SQLite, and PostgreSQL with
``TENDER_TEST_DATABASE_URL``.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, func, select

from tender.demo import BIDDERS
from tender.domain import letters as rules
from tender.domain.periods import format_uk_date
from tender.extensions import db
from tender.models import (AuditEvent, AwardLetter, Job, Notice, Organisation, Procurement, SelectionLetter,
                           SQResponse, Supplier)
from tender.services.award import letter_contents, letters
from tender.services.errors import InvalidRequest
from tests.evaluation_support import user
from tests.integration.test_award_letters import events, pdf_text
from tests.letters_support import OFFICER, award_demo, send_now

pytestmark = pytest.mark.slow


def text_of(pid: int, letter, tmp_path) -> str:
    """The letter as sent, through pdftotext, whitespace collapsed."""
    return " ".join(pdf_text(letters.document(pid, letter.id, user(OFFICER))[1], tmp_path, f"{letter.id}.pdf")
                    .split())


def _weekday(day) -> str:
    return f"{day.strftime('%A')} {format_uk_date(day)}"


def test_a_mixed_procurement_s_emailed_letter_says_it_went_electronically_and_states_the_postal_end(ctx, smtp,
                                                                                                   tmp_path):
    pid = award_demo(lots=(1,))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    by_post = letters.letters_for(pid)[2]
    letters.edit(pid, by_post.id, officer, by_post.narrative, "post", None)
    send_now(pid, officer, smtp.settings())

    issued = letters.letters_for(pid)
    sent_on = letters.uk_date(issued[0].queued_at)
    postal_end = rules.standstill("pcr2015", sent_on, "post").last_day
    email_end = rules.standstill("pcr2015", sent_on, "email").last_day
    assert postal_end > email_end
    for letter in issued:
        text = text_of(pid, letter, tmp_path)
        assert f"midnight at the end of {_weekday(postal_end)}" in text  # the binding end, in every letter
        assert _weekday(email_end) not in text
        if letter.method == "email":
            assert f"This letter was sent electronically on {format_uk_date(sent_on)}." in text
            assert "This letter was sent by post" not in text and "regulation 87(2)(b)" in text
        else:
            assert f"This letter was sent by post on {format_uk_date(sent_on)}." in text
            assert "sent electronically" not in text
    # The audited end is the one the letters state, which the contract stage enforces.
    stated = {e["after"]["standstill_ends"] for e in events("award.letter_issued")}
    assert stated == {datetime.combine(postal_end, datetime.max.time()).replace(microsecond=0).isoformat()}


def test_a_withheld_price_is_in_no_letter_of_its_lot_and_its_reason_is_in_every_one(ctx, smtp, tmp_path):
    pid = award_demo(lots=(1, 2))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    with pytest.raises(InvalidRequest, match="Enter why the contract price is withheld"):
        letter_contents.withhold_price(pid, 1, officer, True, "  ")
    reason = "Publishing it would prejudice Porchlight's prices in the lots still being negotiated."
    letter_contents.withhold_price(pid, 1, officer, True, reason)
    (event,) = events("award.price_withheld")
    assert event["after"] == {"withheld_reason": reason, "letters": 3} and event["lot"] == 1
    send_now(pid, officer, smtp.settings())

    by_lot = {}
    for letter in letters.letters_for(pid):
        by_lot.setdefault(letter.lot.number, []).append(letter)
    lot_1 = by_lot[1][0].recommendation.decided
    withheld = {f"{float(lot_1.annual_price):,.2f}", f"{float(lot_1.contract_value):,.2f}"}
    for letter in by_lot[1]:
        text = text_of(pid, letter, tmp_path)
        assert not [s for s in withheld if s in text], letter.supplier.name
        assert f"Our reason: {reason}" in text and "The contract price is not given" in text
        assert "regulation 55(3)(b)" in text
    lot_2 = by_lot[2][0].recommendation.decided
    for letter in by_lot[2]:
        text = text_of(pid, letter, tmp_path)
        assert f"The contract price is £{float(lot_2.annual_price):,.2f} a year" in text and reason not in text
    with pytest.raises(InvalidRequest, match="have been sent"):
        letter_contents.withhold_price(pid, 2, officer, True, reason)


def _record_tender_notice(pid: int) -> None:
    """A UK4 recorded as published on Find a Tender (as the notices pages record one)."""
    db.session.add(Notice(procurement_id=pid, kind="tender", notice_type="UK4", ocid="ocds-h6vhtk-04eac3",
                          release_id="ocds-h6vhtk-04eac3-tender", source="elsewhere", release_json=None, sha256=None,
                          published_at=datetime(2025, 3, 3, 10, tzinfo=timezone.utc),
                          fts_notice_number="009876-2025", fts_ocid="ocds-h6vhtk-04eac3"))
    db.session.commit()


def test_an_assessment_summary_states_every_item_of_regulation_31(ctx, smtp, tmp_path):
    pid = award_demo(lots=(1,))
    db.session.get(Procurement, pid).regime = "pa2023"  # the same decision, recorded under the Act
    db.session.commit()
    _record_tender_notice(pid)
    officer = user(OFFICER)
    letters.draft(pid, officer)
    assert letter_contents.draft_checks(db.session.get(Procurement, pid), letters.letters_for(pid)) == []
    send_now(pid, officer, smtp.settings())
    loser = next(l for l in letters.letters_for(pid) if l.supplier.name == BIDDERS[1])
    text = text_of(pid, loser, tmp_path)

    # (2)(a)-(c): name, contact postal address and e-mail, unique identifier.
    assert "Your organisation Name Shaw Trust" in text
    assert "Postal address Black Country House, Rounds Green Road, Oldbury, B69 2DG, United Kingdom" in text
    assert "E-mail address bids@shawtrust.example" in text
    assert "Unique identifier Charity Commission for England and Wales number 1122260" in text
    # (2)(d)(i): each criterion's title, relative importance, and the scores available for it.
    assert "Scores available" in text and "0 to 4" in text
    assert "The scoring scale: scores 0 to 4" in text
    assert "4 Excellent - exceeds the requirement, with strong evidence and added value" in text
    assert "0 Unacceptable - no response, or the response does not address the question" in text
    # (2)(d)(ii): where the full version can be found.
    assert "The award criteria and the assessment methodology are set out in full in the tender documents " \
           "for KCC-22/00033, which are available at https://www.kentbusinessportal.org.uk" in text
    assert "tender notice published on 3 March 2025, Find a Tender notice 009876-2025" in text
    # How price was scored, and what this tender's price earned.
    assert "Price was scored as the lowest price tendered divided by the tender's price, times 30 marks" in text
    assert "Your price of £1,420,500.00 a year earned 28.75 marks." in text
    # (2)(e): each score with its explanation, the total and every sub-total (sections and groups).
    assert "Sub-totals and total for lot 1" in text
    assert "Quality 60.00 42.00 57.00" in text and "Social value 10.00 6.25 8.75" in text
    assert "Q1 Service model and clinical 13.50 18.00" in text  # a nested section's sub-total (title wraps)
    assert "Your tender sets out a stepped model of care" in text and "Total 100.00 77.00 95.02" in text
    assert "This assessment summary was sent electronically on" in text


def test_a_letter_by_post_without_an_address_is_refused_at_send_and_the_officer_is_told_first(ctx, smtp):
    pid = award_demo(lots=(1,))
    officer = user(OFFICER)
    shaw = db.session.scalar(select(Supplier).where(Supplier.name == BIDDERS[1]))
    db.session.execute(delete(Organisation).where(Organisation.supplier_id == shaw.id))
    db.session.commit()
    letters.draft(pid, officer)
    letter = next(l for l in letters.letters_for(pid) if l.supplier_id == shaw.id)
    letters.edit(pid, letter.id, officer, letter.narrative, "post", None)

    checks = letter_contents.draft_checks(db.session.get(Procurement, pid), letters.letters_for(pid))
    assert any(c.startswith("Shaw Trust (lot 1): the letter goes by post but no postal address") for c in checks)
    with pytest.raises(InvalidRequest, match="Shaw Trust's letter \\(lot 1\\) goes by post, but no postal address"):
        letters.send(pid, officer, smtp.settings())
    assert db.session.scalar(select(func.count()).select_from(AwardLetter)
                             .where(AwardLetter.queued_at.is_not(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert events("award.letters_queued") == []

    letters.edit(pid, letter.id, officer, letter.narrative, "email", "bids@shawtrust.example")
    assert send_now(pid, officer, smtp.settings()).emailed == 3


def test_the_address_a_letter_was_queued_with_is_the_one_it_is_sent_with(ctx, smtp, tmp_path):
    from tender.services import jobs

    pid = award_demo(lots=(1,))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    letters.send(pid, officer, smtp.settings())
    shaw = db.session.scalar(select(Supplier).where(Supplier.name == BIDDERS[1]))
    db.session.scalar(select(Organisation).where(Organisation.supplier_id == shaw.id)).street_address = "Moved House"
    db.session.commit()
    jobs.work(until_idle=True, mail_settings=smtp.settings())
    letter = next(l for l in letters.letters_for(pid) if l.supplier_id == shaw.id)
    text = text_of(pid, letter, tmp_path)
    assert "Black Country House" in text and "Moved House" not in text


def _shortlisted_procurement(regime: str = "pcr2015") -> tuple[int, SQResponse]:
    """A CPN procurement in SQ evaluation: two candidates shortlisted, one rejected with reasons."""
    from tender.services.procurement import shortlist
    from tests.helpers import CPN_TIMETABLE, make_procurement, make_user

    officer = make_user("procurement_officer")
    procurement = make_procurement(timetable=CPN_TIMETABLE, candidates=3, regime=regime)
    procurement.state = "sq_evaluation"
    db.session.commit()
    responses = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement.id)
                                   .order_by(SQResponse.id)).all()
    for response in responses[:2]:
        shortlist.record_decision(procurement.id, response.id, "shortlisted", "Meets every criterion.", officer)
    rejected = responses[2]
    shortlist.record_decision(procurement.id, rejected.id, "rejected",
                              "Its turnover of £0.4m is below the £2m minimum in the selection questionnaire.",
                              officer)
    rejected.supplier.contact_email = "bids@rejected.example"
    db.session.commit()
    return procurement.id, officer


def test_candidates_not_selected_get_a_notice_by_the_same_queue_and_worker(ctx, smtp, tmp_path):
    from tender.services.procurement import selection_letters as notices

    pid, officer = _shortlisted_procurement()
    (notice,) = notices.draft(pid, officer)
    assert notices.draft(pid, officer) == []  # drafted once
    assert "below the £2m minimum" in notice.reasons and notice.method == "email"
    notices.edit(pid, notice.id, officer, notice.reasons + "\n- Its insurance cover was also below the minimum.",
                 "email", "bids@rejected.example")
    with pytest.raises(InvalidRequest, match="Shortlisting is still open"):
        notices.send(pid, officer, smtp.settings())
    db.session.get(Procurement, pid).state = "itt_issued"  # the invitation to tender went: decisions are final
    db.session.commit()
    result = notices.send(pid, officer, smtp.settings())
    assert result.queued == 1 and result.job_id is not None
    with pytest.raises(InvalidRequest, match="has been sent and cannot be changed"):
        notices.edit(pid, notice.id, officer, "changed", "email", "bids@rejected.example")

    from tender.services import jobs

    assert jobs.work(until_idle=True, mail_settings=smtp.settings()) == 1
    db.session.expire_all()
    notice = db.session.get(SelectionLetter, notice.id)
    assert (notice.status, notice.delivery_status) == ("issued", "sent")
    (message,) = smtp.handler.messages()
    (attachment,) = list(message.iter_attachments())
    filename, data = notices.document(pid, notice.id, officer)
    assert attachment.get_content() == data and attachment.get_filename() == filename
    text = " ".join(pdf_text(data, tmp_path).split())
    assert "You have not been selected" in text and "below the £2m minimum" in text
    assert "Its insurance cover was also below the minimum." in text
    assert "Public Contracts Regulations 2015, regulation 55" in text and "sent electronically" in text
    assert [e["action"] for e in _selection_events()] == [
        "selection.letters_drafted", "selection.letter_edited", "selection.letters_queued",
        "selection.letter_issued", "selection.letter_emailed"]
    assert events("selection.letter_issued")[0]["after"]["sha256"] == notice.sha256
    with pytest.raises(InvalidRequest, match="Every notice has been sent already"):
        notices.send(pid, officer, smtp.settings())


def _selection_events() -> list[dict]:
    return [e.to_record() for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("selection.%"))
                                                      .order_by(AuditEvent.seq))]


def test_a_notice_by_post_needs_an_address_and_its_posting_is_recorded(ctx, tmp_path):
    from tender.services import clock, jobs
    from tender.services.procurement import selection_letters as notices

    pid, officer = _shortlisted_procurement("pa2023")
    (notice,) = notices.draft(pid, officer)
    notices.edit(pid, notice.id, officer, notice.reasons, "post", None)
    db.session.get(Procurement, pid).state = "itt_issued"
    db.session.commit()
    with pytest.raises(InvalidRequest, match="goes by post, but no postal address is recorded"):
        notices.send(pid, officer, None)
    db.session.add(Organisation(supplier_id=notice.supplier_id, name=notice.supplier.name, scheme="GB-COH",
                                identifier="01234567", street_address="1 High Street", locality="Maidstone",
                                postal_code="ME14 1XQ"))
    db.session.commit()
    notices.send(pid, officer, None)
    jobs.work(until_idle=True)
    db.session.expire_all()
    notice = db.session.get(SelectionLetter, notice.id)
    assert (notice.status, notice.delivery_status) == ("issued", None)
    text = " ".join(pdf_text(notices.document(pid, notice.id, officer)[1], tmp_path).split())
    assert "1 High Street" in text and "Companies House number 01234567" in text and "sent by post" in text
    assert "Public Contracts Regulations" not in text  # under the Act: no PCR citation
    notices.record_posting(pid, notice.id, officer, clock.today())
    assert db.session.get(SelectionLetter, notice.id).posted_on == clock.today()
    with pytest.raises(InvalidRequest, match="already been recorded"):
        notices.record_posting(pid, notice.id, officer, clock.today())


def test_the_migration_keeps_the_award_letter_table_s_check_constraints(ctx):
    """0016 adds its columns in place: a kind, status or method the CHECKs refuse is still refused (SQLite too)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    pid = award_demo(lots=(1,), approve=False)
    letters.draft(pid, user(OFFICER))
    letter_id = letters.letters_for(pid)[0].id
    for column, value in (("kind", "selection_outcome"), ("status", "lost"), ("method", "pigeon")):
        with pytest.raises(IntegrityError):
            db.session.execute(text(f"UPDATE award_letter SET {column} = :value WHERE id = :id"),
                               {"value": value, "id": letter_id})
            db.session.flush()
        db.session.rollback()
    db.session.execute(text("UPDATE award_letter SET price_withheld_reason = 'x', recipient_address = 'a' "
                            "WHERE id = :id"), {"id": letter_id})
    db.session.commit()


def test_a_notice_whose_candidate_was_shortlisted_after_all_is_not_sent(ctx, smtp):
    from tender.services.procurement import selection_letters as notices

    pid, officer = _shortlisted_procurement()
    (notice,) = notices.draft(pid, officer)
    notice.response.decision = "shortlisted"  # re-decided while shortlisting was open
    db.session.get(Procurement, pid).state = "itt_issued"
    db.session.commit()
    checks = notices.draft_checks(db.session.get(Procurement, pid), notices.letters_for(pid))
    assert any("no longer recorded as rejected: its notice will not be sent" in c for c in checks)
    with pytest.raises(InvalidRequest, match="nothing to send"):
        notices.send(pid, officer, smtp.settings())
    assert db.session.get(SelectionLetter, notice.id).queued_at is None
