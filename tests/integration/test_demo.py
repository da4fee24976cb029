"""The demo loads whole or not at all, and a second load changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tender import demo
from tender.extensions import db
from tender.models import AuditEvent, Bid, Procurement, User
from tender.services.submissions import submitting


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Procurement, User, Bid, AuditEvent))


def test_a_failure_half_way_through_the_demo_leaves_nothing_behind(ctx, monkeypatch):
    before = counts()
    real = submitting.submit
    calls = {"n": 0}

    def failing_submit(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 7:
            raise RuntimeError("the disk filled up")
        return real(*args, **kwargs)

    monkeypatch.setattr(submitting, "submit", failing_submit)
    with pytest.raises(RuntimeError):
        demo.load_demo("demo-password-2022")
    db.session.expire_all()
    assert counts() == before
    monkeypatch.setattr(submitting, "submit", real)
    created, _ = demo.load_demo("demo-password-2022")
    assert created and db.session.scalar(select(func.count()).select_from(Bid)) == 15


def test_loading_the_demo_twice_changes_nothing(ctx):
    assert demo.load_demo("demo-password-2022")[0]
    after_first = counts()
    created, lines = demo.load_demo("demo-password-2022")
    assert not created and "already loaded" in lines[0]
    assert counts() == after_first


def test_the_tenders_arrive_through_the_tender_box_with_answers_documents_and_committed_prices(ctx):
    from tender.models import Submission, SubmissionAttachment, SubmissionReceipt, TenderBox
    from tender.domain import sealed_price

    demo.load_demo("demo-password-2022")
    bids = db.session.scalars(select(Bid)).all()
    assert len(bids) == 15 and {b.received_via for b in bids} == {"portal"}
    for bid in bids:
        assert sealed_price.matches(bid.price, bid.price_salt, bid.price_commitment)
        assert bid.received_at.date().isoformat() == "2022-07-08"
    submissions = db.session.scalars(select(Submission).where(Submission.round == "initial")).all()
    assert len(submissions) == 15 and all(s.bid_id for s in submissions)
    for submission in submissions:
        answers = {a.question_id: a.text for a in submission.answers}
        assert len(answers) == 10 and all(10 < len(text.split()) < 80 for text in answers.values())
    assert db.session.scalar(select(func.count()).select_from(SubmissionAttachment)) == 20
    box = db.session.scalar(select(TenderBox).where(TenderBox.round == "initial"))
    assert box.opened_at is not None and box.register_published_at is not None
    assert len(box.register.split()) == db.session.scalar(select(func.count()).select_from(SubmissionReceipt)
                                                          .where(SubmissionReceipt.round == "initial")) == 15
    procurement = db.session.scalar(select(Procurement).where(Procurement.reference == demo.REFERENCE))
    assert procurement.state == "draft"


def test_the_selection_questionnaire_responses_arrive_through_their_tender_box_on_their_2022_days(ctx):
    from tender.models import SQResponse, Submission, TenderBox

    demo.load_demo("demo-password-2022")
    responses = db.session.scalars(select(SQResponse).order_by(SQResponse.received_at)).all()
    assert [r.supplier.name for r in responses] == demo.SUPPLIERS
    assert [r.received_at.date().isoformat() for r in responses] == ["2022-05-03", "2022-05-04", "2022-05-05",
                                                                      "2022-05-06"]
    submissions = db.session.scalars(select(Submission).where(Submission.round == "sq")).all()
    assert sorted(s.sq_response_id for s in submissions) == sorted(r.id for r in responses)
    assert all(len(s.answers) == 7 for s in submissions)
    assert db.session.scalar(select(TenderBox).where(TenderBox.round == "sq")).opened_at is not None


def test_each_candidate_has_a_supplier_login_printed_with_the_password(ctx):
    from tender.services import accounts

    created, lines = demo.load_demo("demo-password-2022")
    printed = [line for line in lines if "supplier" in line.lower() and "@" in line]
    assert len(printed) == len(demo.SUPPLIERS)
    assert any("demo-password-2022" in line for line in lines)
    for name in demo.SUPPLIERS:
        email = f"bids@{''.join(c for c in name.lower() if c.isalnum())}.example"
        assert any(email in line for line in printed)
        person = db.session.scalar(select(User).where(User.email == email))
        assert person.role == "supplier" and person.supplier_id is not None
        assert accounts.verify_password(person.password_hash, "demo-password-2022")


def test_the_shifted_demo_starts_today_or_later_with_nobody_responded_and_a_procurement_open_for_tenders(ctx):
    from datetime import timedelta

    from tender import demo_open
    from tender.models import Invitation, Milestone, Organisation, SQResponse, Submission
    from tender.services import clock
    from tender.services.submissions import rounds

    created, lines = demo.load_demo("demo-password-2022", as_in_2022=False, open_for_tenders=True)
    assert created
    today = clock.today()
    procurement = db.session.scalar(select(Procurement).where(Procurement.reference == demo.REFERENCE))
    planned = db.session.scalars(select(Milestone.planned_date).where(Milestone.procurement_id == procurement.id)).all()
    assert len(planned) == 13 and min(planned) >= today and min(planned) - today < timedelta(days=7)
    assert procurement.state == "draft"
    assert db.session.scalar(select(func.count()).select_from(SQResponse)) == 0
    assert db.session.scalar(select(func.count()).select_from(Bid)) == 0
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.session.scalar(select(func.count()).select_from(Invitation)
                             .where(Invitation.procurement_id == procurement.id)) == 4
    for organisation in db.session.scalars(select(Organisation).where(Organisation.supplier_id.is_not(None))):
        assert organisation.scheme in ("GB-COH", "GB-CHC") and organisation.identifier and organisation.postal_code
    assert any("moved forward" in line for line in lines)

    second = db.session.scalar(select(Procurement).where(Procurement.reference == demo_open.REFERENCE))
    assert second.state == "tender_published" and second.procedure == "open_procedure"
    deadline = rounds.deadline_of(second, rounds.get_round(second, "final"))
    assert clock.uk_date(deadline - timedelta(seconds=1)) == today + timedelta(days=30)
    assert db.session.scalar(select(func.count()).select_from(Invitation)
                             .where(Invitation.procurement_id == second.id)) == 4
    assert any(demo_open.REFERENCE in line and "open for tenders" in line for line in lines)


def test_a_demo_supplier_tenders_for_the_open_procurement_at_once(ctx):
    from tender import demo_open, demo_suppliers, demo_tenders
    from tender.models import SubmissionReceipt
    from tender.services import clock

    demo.load_demo("demo-password-2022", as_in_2022=False, open_for_tenders=True)
    second = db.session.scalar(select(Procurement).where(Procurement.reference == demo_open.REFERENCE))
    person = db.session.scalar(select(User).where(User.email == demo_suppliers.supplier_email("Porchlight")))
    demo_tenders.submit_tender(person, "Porchlight", second.id, "final", 1, "Kent", "400000", clock.now(),
                               import_mode=False)
    assert db.session.scalar(select(func.count()).select_from(SubmissionReceipt)) == 1
