"""The letters pages tell the officer what is missing, withhold a lot's contract price, and send notices to
candidates not selected, through the Flask client (no application context held across requests)."""
from __future__ import annotations

import html
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select

from tender.demo import BIDDERS
from tender.extensions import db
from tender.models import AwardLetter, ConflictDeclaration, Lot, Organisation, Procurement, SelectionLetter, Supplier
from tests.award_conflicts_support import text_of as raw_text_of
from tests.helpers import csrf_post, login, make_user
from tests.letters_support import OFFICER, award_demo

pytestmark = pytest.mark.slow


def text_of(response) -> str:
    """The response as text, whitespace collapsed and HTML entities read (Shaw Trust&#39;s -> Shaw Trust's)."""
    return html.unescape(raw_text_of(response))


def _demo_with_letters(app, *, lots=(1,), without_address: str | None = None) -> int:
    from tender.services.award import letters
    from tests.evaluation_support import user

    with app.app_context():
        pid = award_demo(lots=lots)
        if without_address:
            supplier = db.session.scalar(select(Supplier).where(Supplier.name == without_address))
            db.session.execute(delete(Organisation).where(Organisation.supplier_id == supplier.id))
            db.session.commit()
        letters.draft(pid, user(OFFICER))
        return pid


def _letter_id(app, pid: int, supplier: str) -> int:
    with app.app_context():
        return db.session.scalar(select(AwardLetter.id).join(Supplier, Supplier.id == AwardLetter.supplier_id)
                                 .where(AwardLetter.procurement_id == pid, Supplier.name == supplier))


def test_the_letters_page_lists_a_letter_by_post_without_an_address_and_send_refuses_it(app, client):
    pid = _demo_with_letters(app, without_address=BIDDERS[1])
    login(client, OFFICER)
    base = f"/procurements/{pid}/letters"
    shaw = _letter_id(app, pid, BIDDERS[1])
    narrative = client.get(f"{base}/{shaw}").get_data(as_text=True)
    assert "draft-checks" not in narrative  # by e-mail, an award letter needs no address
    with app.app_context():
        letter = db.session.get(AwardLetter, shaw)
        text = letter.narrative
    assert csrf_post(client, f"{base}/{shaw}", {"narrative": text, "method": "post"}, base).status_code == 302

    page = text_of(client.get(base))
    assert "Check these before sending" in page
    assert "Shaw Trust (lot 1): the letter goes by post but no postal address is recorded" in page
    assert "goes by post but no postal address" in text_of(client.get(f"{base}/{shaw}"))
    refused = csrf_post(client, f"{base}/send", {"confirm": "yes"}, base)
    assert refused.status_code == 400
    assert "Shaw Trust's letter (lot 1) goes by post, but no postal address is recorded" in text_of(refused)
    with app.app_context():
        assert db.session.scalar(select(AwardLetter.id).where(AwardLetter.queued_at.is_not(None))) is None


def test_an_officer_withholds_a_lot_s_contract_price_with_a_reason_and_states_it_again(app, client):
    pid = _demo_with_letters(app)
    login(client, OFFICER)
    base = f"/procurements/{pid}/letters"
    loser = _letter_id(app, pid, BIDDERS[1])
    assert "The contract price is £1,395,000.00 a year" in text_of(client.get(f"{base}/{loser}"))

    empty = csrf_post(client, f"{base}/lots/1/price", {"withhold": "yes", "reason": ""}, base)
    assert empty.status_code == 400 and "Enter why the contract price is withheld" in text_of(empty)
    reason = "Releasing it would prejudice Porchlight in the lots still being negotiated."
    assert csrf_post(client, f"{base}/lots/1/price", {"withhold": "yes", "reason": reason}, base).status_code == 302
    page = text_of(client.get(base))
    assert f"Withheld from every letter of lot 1. Reason: {reason}" in page
    preview = text_of(client.get(f"{base}/{loser}"))
    assert "1,395,000" not in preview and "6,975,000" not in preview and f"Our reason: {reason}" in preview
    pdf = text_of(client.get(f"{base}/{loser}/preview.pdf"))
    assert "1,395,000" not in pdf and "The contract price is not given" in pdf

    assert csrf_post(client, f"{base}/lots/1/price", {"withhold": "no"}, base).status_code == 302
    assert "The contract price is £1,395,000.00 a year" in text_of(client.get(f"{base}/{loser}"))
    assert csrf_post(client, f"{base}/lots/9/price", {"withhold": "yes", "reason": reason}, base).status_code == 404


def test_an_officer_with_a_conflict_on_a_lot_cannot_withhold_its_price_or_see_it_offered(app, client):
    pid = _demo_with_letters(app, lots=(1, 2))
    with app.app_context():
        officer = make_user("procurement_officer", name="Olive Conflicted-Officer")
        lot_1 = db.session.scalar(select(Lot.id).where(Lot.procurement_id == pid, Lot.number == 1))
        db.session.add(ConflictDeclaration(lot_id=lot_1, user_id=officer.id, has_conflict=True,
                                           details="A bidder employs my partner.",
                                           declared_at=datetime.now(timezone.utc)))
        db.session.commit()
        email = officer.email
    login(client, email)
    base = f"/procurements/{pid}/letters"
    page = text_of(client.get(base))
    assert "Lot 2: contract with" in page and "Lot 1: contract with" not in page
    refused = csrf_post(client, f"{base}/lots/1/price", {"withhold": "yes", "reason": "Sensitive."}, base)
    assert refused.status_code == 403 and "conflict of interest on lot 1" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AwardLetter.id).where(AwardLetter.price_withheld_reason.is_not(None))) is None


def test_an_officer_drafts_edits_and_sends_the_notices_to_candidates_not_selected(app, client, smtp):
    from tender.services.procurement import shortlist
    from tests.helpers import CPN_TIMETABLE, make_procurement

    with app.app_context():
        officer = make_user("procurement_officer")
        procurement = make_procurement(timetable=CPN_TIMETABLE, candidates=2)
        procurement.state = "sq_evaluation"
        db.session.commit()
        pid = procurement.id
        responses = sorted(procurement_responses(pid), key=lambda r: r.id)
        shortlist.record_decision(pid, responses[0].id, "shortlisted", "Meets every criterion.", officer)
        shortlist.record_decision(pid, responses[1].id, "rejected", "No evidence of CQC registration.", officer)
        name = responses[1].supplier.name
        email = officer.email
    login(client, email)
    base = f"/procurements/{pid}/selection-letters"
    assert base in client.get(f"/procurements/{pid}/shortlist").get_data(as_text=True)
    assert csrf_post(client, f"{base}/draft", {}, base).status_code == 302
    with app.app_context():
        notice_id = db.session.scalar(select(SelectionLetter.id).where(SelectionLetter.procurement_id == pid))
    page = text_of(client.get(f"{base}/{notice_id}"))
    assert "No evidence of CQC registration." in page and "regulation 55" in page
    assert "Shortlisting is still open" in text_of(client.get(base))
    edited = csrf_post(client, f"{base}/{notice_id}", {"reasons": "No evidence of CQC registration was given.",
                                                       "method": "email", "recipient_email": "bids@cand.example"},
                       f"{base}/{notice_id}")
    assert edited.status_code == 302
    assert client.get(f"{base}/{notice_id}/preview.pdf").data.startswith(b"%PDF")
    unconfirmed = csrf_post(client, f"{base}/send", {}, base)
    assert unconfirmed.status_code == 400 and "Confirm that you have checked every notice" in text_of(unconfirmed)
    open_ = csrf_post(client, f"{base}/send", {"confirm": "yes"}, base)
    assert open_.status_code == 400 and "Shortlisting is still open" in text_of(open_)
    with app.app_context():
        db.session.get(Procurement, pid).state = "itt_issued"
        db.session.commit()
    app.config.update(smtp.env())  # the loopback server's settings: the sender address the send needs
    assert csrf_post(client, f"{base}/send", {"confirm": "yes"}, base).status_code == 302
    assert "Queued" in text_of(client.get(base))
    with app.app_context():
        from tender.services import jobs

        assert jobs.work(until_idle=True, mail_settings=smtp.settings()) == 1
    listing = text_of(client.get(base))
    assert "E-mailed" in listing and "PDF as sent" in listing
    document = client.get(f"{base}/{notice_id}/document.pdf")
    assert document.status_code == 200 and document.data.startswith(b"%PDF")
    assert "No evidence of CQC registration was given." in text_of(document) and name in text_of(document)
    (message,) = smtp.handler.messages()
    assert message["To"].addresses[0].addr_spec == "bids@cand.example"


def procurement_responses(pid: int):
    from tender.models import SQResponse

    return db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid)).all()
