"""A lot whose tenders came in through Tender, opened, with a panel and people who declared conflicts (app context).

Two suppliers submit (answers to every question, a document of the whole bid
and one attached to Q1.1); the tender box is opened, so their receipts become
the bids the panel scores. On the lot's panel: two evaluators and a moderator
who declared no conflict, an evaluator and a moderator who declared one; an
approver declared a conflict on the lot as well.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from tender.extensions import db
from tender.models import Bid, ConflictDeclaration, Lot, SubmissionAttachment, Submission
from tests.helpers import make_user
from tests.submissions_support import AFTER, PDF, complete_draft, open_tender, upload, user

ROUND = "final"
# A second, different small PDF for the document attached to a question.
PDF_Q = PDF.replace(b"%%EOF", b"% question Q1.1\n%%EOF")


@dataclass
class OpenedLot:
    """Plain values for requests (safe outside the app context)."""

    procurement_id: int
    lot_id: int
    bid_ids: list[int]
    documents: dict[int, list[int]]  # bid id -> its attachment ids
    suppliers: list[str]
    officer: str
    evaluators: list[str]
    moderator: str
    conflicted: dict[str, str]  # role -> e-mail of someone in that role who declared a conflict on the lot


def opened_lot(app) -> OpenedLot:
    """Build it (``app`` is the test's app: its TENDER_TODAY is moved past the deadline to open the box)."""
    from tender.services.evaluation import panel
    from tender.services.submissions import drafting, submitting, tender_box

    t = open_tender(app=app)
    for email in t.suppliers:
        submission_id = complete_draft(email, t.procurement_id)
        drafting.attach(user(email), submission_id, upload(PDF_Q, "staffing-plan.pdf"), question_id="Q1.1")
        submitting.submit(user(email), submission_id)
    app.config["TENDER_TODAY"] = AFTER
    tender_box.open_box(user(t.officer), t.procurement_id, ROUND)
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == t.procurement_id))
    officer = user(t.officer)
    evaluators = [make_user("evaluator") for _ in range(2)]
    moderator = make_user("moderator")
    conflicted = {"evaluator": make_user("evaluator"), "moderator": make_user("moderator"),
                  "approver": make_user("approver")}
    for person in evaluators + [moderator, conflicted["evaluator"], conflicted["moderator"]]:
        panel.assign(t.procurement_id, lot.number, person.id, None, officer)
    for person in evaluators + [moderator]:
        panel.declare(t.procurement_id, lot.number, person, False, "")
    for role in ("evaluator", "moderator"):
        panel.declare(t.procurement_id, lot.number, conflicted[role], True, "My spouse works for a bidder.")
    db.session.add(ConflictDeclaration(lot_id=lot.id, user_id=conflicted["approver"].id, has_conflict=True,
                                       details="Former director of a bidder.", declared_at=datetime.now(timezone.utc)))
    db.session.commit()
    bids = db.session.scalars(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.id)).all()
    documents = {}
    for bid in bids:
        submission = db.session.scalar(select(Submission).where(Submission.bid_id == bid.id))
        documents[bid.id] = list(db.session.scalars(select(SubmissionAttachment.id).where(
            SubmissionAttachment.submission_id == submission.id).order_by(SubmissionAttachment.id)))
    return OpenedLot(t.procurement_id, lot.id, [b.id for b in bids], documents, [b.supplier.name for b in bids],
                     t.officer, [e.email for e in evaluators], moderator.email,
                     {role: person.email for role, person in conflicted.items()})


def documents_on_a_demo_bid(bid_id: int, names=("method-statement.pdf", "staffing-plan.pdf")) -> list[int]:
    """Documents on a demo bid: added to its submission (made, as if it had come through Tender, for a bid
    recorded by hand); returns the ids of every document the bid's submission then has."""
    import io

    from tender.models import Bid
    from tender.services import storage

    bid = db.session.get(Bid, bid_id)
    submission = db.session.scalar(select(Submission).where(Submission.bid_id == bid.id))
    if submission is None:
        submission = Submission(procurement_id=bid.lot.procurement_id, lot_id=bid.lot_id, lot_number=bid.lot.number,
                                supplier_id=bid.supplier_id, round=bid.round, status="submitted", bid_id=bid.id,
                                updated_at=datetime.now(timezone.utc))
        db.session.add(submission)
        db.session.flush()
    for n, name in enumerate(names):
        stored = storage.save(io.BytesIO(PDF.replace(b"%%EOF", f"% {n}\n%%EOF".encode())), filename=name)
        attachment = SubmissionAttachment(submission_id=submission.id, stored_file_id=stored.id, filename=name,
                                          question_id="", added_at=datetime.now(timezone.utc))
        db.session.add(attachment)
    db.session.commit()
    return list(db.session.scalars(select(SubmissionAttachment.id).where(
        SubmissionAttachment.submission_id == submission.id).order_by(SubmissionAttachment.id)))
