"""What the submission pages show, read in one place so views stay thin (no writes here, bar the register).

The supplier sees only its own organisation's submissions; the officer's
tender box page shows how many responses are in the box (never whose, nor
anything in them) until it is opened.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from tender.domain.roles import Permission, may
from tender.extensions import db
from tender.models import Bid, Lot, Submission, SubmissionReceipt
from tender.services import clock
from tender.services.accounts import authorise
from tender.services.errors import NotFound
from tender.services.submissions import reading, rounds, tender_box
from tender.services.submissions.submitting import current_receipt, why_incomplete
from tender.services.use_case import get_procurement


@dataclass
class RoundView:
    """One round as the supplier's responses page lists it."""

    round: rounds.Round
    deadline: datetime | None
    open: bool
    register: tender_box.Register | None
    slots: list = field(default_factory=list)  # (lot number, lot title, submission or None)
    own_hashes: dict = field(default_factory=dict)  # manifest hash -> lot number, of the supplier's live receipts


def _is_open(procurement, round_, deadline, box) -> bool:
    try:
        rounds.refuse_if_closed(procurement, round_, box)
    except Exception:  # noqa: BLE001 - a refusal of any kind means "not open" on this page
        return False
    return deadline is not None


def supplier_index(user, procurement_id: int):
    """(procurement, supplier, [RoundView]) for the supplier's responses page; publishes a register that is due."""
    procurement, supplier = rounds.load_procurement_for_supplier(user, procurement_id)
    lots = db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id).order_by(Lot.number)).all()
    mine = {(s.round, s.lot_number): s for s in db.session.scalars(select(Submission).where(
        Submission.procurement_id == procurement.id, Submission.supplier_id == supplier.id))}
    views = []
    for round_ in rounds.rounds_of(procurement).values():
        deadline = rounds.deadline_of(procurement, round_)
        register = tender_box.publish_if_due(procurement.id, round_.name)
        box = rounds.box_of(procurement.id, round_.name)
        view = RoundView(round_, deadline, _is_open(procurement, round_, deadline, box), register)
        targets = [(lot.number, lot.title) for lot in lots] if round_.per_lot else [(0, "Whole procurement")]
        view.slots = [(number, title, mine.get((round_.name, number))) for number, title in targets]
        for number, _, submission in view.slots:
            receipt = current_receipt(submission) if submission is not None else None
            if receipt is not None:
                view.own_hashes[receipt.manifest_hash] = number
        views.append(view)
    return procurement, supplier, views


@dataclass
class SubmissionView:
    """The supplier's own submission page."""

    submission: Submission
    procurement: object
    round: rounds.Round
    lot: Lot | None
    questions: tuple
    answers: dict
    documents: list
    receipt: SubmissionReceipt | None
    deadline: datetime | None
    open: bool
    has_price: bool
    submit_refusal: str | None = None  # why Submit would be refused now (an answer or the price missing)


def supplier_submission(user, submission_id: int) -> SubmissionView:
    """The supplier's own submission, with its questions, documents and current receipt."""
    submission, supplier = rounds.own_submission(user, submission_id)
    procurement = get_procurement(submission.procurement_id)
    round_ = rounds.get_round(procurement, submission.round)
    rounds.check_eligible(procurement, round_, supplier)
    model = rounds.model_for_lot(submission.lot)
    deadline = rounds.deadline_of(procurement, round_)
    box = rounds.box_of(procurement.id, round_.name)
    return SubmissionView(submission, procurement, round_, submission.lot, rounds.questions(model),
                          {a.question_id: a.text for a in submission.answers}, reading.documents(submission),
                          current_receipt(submission), deadline, _is_open(procurement, round_, deadline, box),
                          model.price is not None and submission.lot is not None, why_incomplete(submission))


def own_receipt(user, submission_id: int) -> tuple[SubmissionView, SubmissionReceipt]:
    """The supplier's current receipt for a submission (404 if it is a draft)."""
    view = supplier_submission(user, submission_id)
    if view.receipt is None:
        raise NotFound("This response has not been submitted, so it has no receipt.")
    return view, view.receipt


def receipt_document(view: SubmissionView, receipt: SubmissionReceipt) -> dict:
    """The downloadable receipt: the manifest exactly as hashed, its hash, and the server's time."""
    return {"receipt": f"{view.procurement.reference}-{view.round.name}-lot{view.submission.lot_number}-"
                       f"{receipt.id}",
            "submitted_at": rounds.aware(receipt.submitted_at).isoformat(),
            "manifest_sha256": receipt.manifest_hash, "manifest": receipt.manifest,
            "how_to_check": "The manifest_sha256 is the SHA-256 of the manifest text encoded as UTF-8. Each file's "
                            "sha256 in the manifest is the SHA-256 of the file as uploaded."}


@dataclass
class BoxView:
    """The officer's tender box page."""

    procurement: object
    round: rounds.Round
    deadline: datetime | None
    deadline_version: int | None
    received: int
    register: tender_box.Register | None
    box: object
    closed: bool
    responses: list = field(default_factory=list)  # after opening: (bid, submission, receipt)


def officer_box(user, procurement_id: int, round_name: str) -> BoxView:
    """The tender box of a round for the authority's people: counts before opening, the responses after."""
    authorise(user, Permission.VIEW_PROCUREMENTS)
    procurement = get_procurement(procurement_id)
    round_ = rounds.get_round(procurement, round_name)
    deadline = rounds.deadline_of(procurement, round_)
    milestone = rounds.deadline_milestone(procurement, round_)
    register = tender_box.publish_if_due(procurement.id, round_.name)
    box = rounds.box_of(procurement.id, round_.name)
    view = BoxView(procurement, round_, deadline, milestone.version if milestone else None,
                   tender_box.received_count(procurement.id, round_.name), register, box,
                   deadline is not None and clock.now() >= deadline)
    if box is not None and box.opened_at is not None and may(user.role, Permission.OPEN_TENDER_BOX):
        rows = db.session.execute(
            select(Bid, Submission).join(Submission, Submission.bid_id == Bid.id)
            .where(Submission.procurement_id == procurement.id, Submission.round == round_.name)
            .order_by(Submission.lot_number, Bid.id)).all()
        view.responses = [(bid, submission, current_receipt(submission)) for bid, submission in rows]
    return view


def officer_bid(user, procurement_id: int, bid_id: int):
    """A bid opened from the tender box, with its answers and documents, for the officer who opened the box.

    Evaluators read answers beside the questions on their score sheets, where their conflict declarations
    are checked; moderators and approvers, who may be conflicted on a lot, are not given this page.
    """
    authorise(user, Permission.OPEN_TENDER_BOX)
    procurement = get_procurement(procurement_id)
    bid = db.session.get(Bid, bid_id) if isinstance(bid_id, int) and 0 < bid_id < 2**31 else None
    if bid is None or bid.lot.procurement_id != procurement.id:
        raise NotFound("There is no such tender in this procurement.")
    submission = reading.submission_of(bid=bid)
    if submission is None:
        raise NotFound("This tender was recorded by hand: there is no submission to read.")
    reading.check_readable(user, submission)
    model = rounds.model_for_lot(submission.lot)
    return procurement, bid, submission, rounds.questions(model), reading.answers_for(bid=bid), \
        reading.attachments_for(bid=bid)
