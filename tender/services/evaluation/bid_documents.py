"""What a panel member reads beside each question: the bid's answers and documents, and the record of openings.

Reading goes through ``tender.services.submissions.reading`` (nothing before
the tender box is opened) behind the lot's one access rule
(``bid_access.require_lot_readable``: never the conflicted, panel members
only once declared). Every opening of a document by an evaluator or a
moderator is recorded (``document_opening``) and audited, so the moderator's
page and the procurement report can show scores given to a response whose
evaluator never opened its documents.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, distinct, func, select

from tender.extensions import db
from tender.models import Bid, DocumentOpening, Lot, Score, StoredFile, Submission, SubmissionAttachment, Supplier, User
from tender.models.evaluation import SUBMITTED
from tender.services import audit, clock
from tender.services.evaluation.bid_access import panel_role, require_lot_readable
from tender.services.evaluation.panel import check_round, get_bid, get_lot
from tender.services.submissions import reading
from tender.services.use_case import use_case


@dataclass(frozen=True)
class BidResponse:
    """A bid's answers and documents as one reader may see them beside the questions."""

    answers: dict[str, str] = field(default_factory=dict)  # question id -> answer
    documents: dict[str, list[reading.Document]] = field(default_factory=dict)  # question id ("": whole bid) -> docs
    opened: frozenset[int] = frozenset()  # attachment ids this reader has opened
    note: str | None = None  # why there is nothing to read (recorded by hand, box not opened)

    def documents_for(self, question_id: str) -> list[reading.Document]:
        """The documents attached to one question."""
        return self.documents.get(question_id, [])

    @property
    def general(self) -> list[reading.Document]:
        """The documents attached to the whole bid, not to one question."""
        return self.documents.get("", [])


def bid_response(lot: Lot, bid: Bid, user) -> BidResponse:
    """The bid's answers and documents for ``user`` (refused by the lot's rule), with what they opened already."""
    require_lot_readable(user, lot)
    submission = reading.submission_of(bid=bid)
    if submission is None:
        return BidResponse(note="This tender was recorded by hand from outside Tender: its answers and documents "
                                "are not held here.")
    try:
        answers = reading.answers_for(bid=bid)
        documents = reading.attachments_for(bid=bid)
    except reading.NotOpened:
        return BidResponse(note="The tender box has not been opened yet, so nobody can read this response.")
    grouped: dict[str, list[reading.Document]] = defaultdict(list)
    for document in documents:
        grouped[document.question_id].append(document)
    opened = frozenset(db.session.scalars(select(DocumentOpening.attachment_id).where(
        DocumentOpening.bid_id == bid.id, DocumentOpening.user_id == user.id)))
    return BidResponse(answers, dict(grouped), opened)


@use_case
def open_document(procurement_id: int, lot_number: int, round_: str, bid_id: int, attachment_id: int, user,
                  ip: str | None = None) -> tuple[SubmissionAttachment, StoredFile]:
    """One document of a bid, for a reader the lot's rule lets in; a panel member's opening recorded and audited."""
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    bid = get_bid(lot, round_, bid_id)
    require_lot_readable(user, lot)
    attachment, stored = reading.attachment_for_download(user, bid.id, attachment_id)
    role = panel_role(user)
    if role is not None:
        now = clock.now()
        opening = DocumentOpening(procurement_id=lot.procurement_id, lot_id=lot.id, bid_id=bid.id,
                                  attachment_id=attachment.id, user_id=user.id, role=role, opened_at=now)
        db.session.add(opening)
        db.session.flush()
        audit.record(audit.Actor.of(user, ip), "evaluation.document_opened", "document_opening", opening.id,
                     procurement_ref=lot.procurement.reference, lot=lot.number,
                     after={"bid": bid.id, "supplier": bid.supplier.name, "round": round_, "role": role,
                            "file": attachment.filename, "sha256": stored.sha256, "question": attachment.question_id})
    return attachment, stored


@dataclass(frozen=True)
class Unopened:
    """Scores an evaluator submitted for a response whose documents they did not all open."""

    lot_number: int
    round: str
    bid_id: int
    supplier: str
    evaluator: str
    documents: int
    opened: int

    @property
    def never_opened(self) -> bool:
        """They opened none of the response's documents."""
        return self.opened == 0

    @property
    def sentence(self) -> str:
        """The finding, said plainly."""
        if self.never_opened:
            return (f"{self.evaluator} submitted scores for {self.supplier}'s response without opening any of its "
                    f"{self.documents} document{'s' if self.documents != 1 else ''}.")
        return (f"{self.evaluator} submitted scores for {self.supplier}'s response having opened {self.opened} of "
                f"its {self.documents} documents.")


def unopened_scores(lot_ids: list[int], round_: str | None = None) -> list[Unopened]:
    """Every (evaluator, response) pair of these lots where submitted scores met unopened documents (3 queries)."""
    return reading_record(lot_ids, round_)[1]


def reading_record(lot_ids: list[int], round_: str | None = None) -> tuple[int, list[Unopened]]:
    """How many of these lots' tenders carry documents, and the scores given without opening them all."""
    if not lot_ids:
        return 0, []
    where = [Bid.lot_id.in_(lot_ids)] + ([Bid.round == round_] if round_ else [])
    documents = dict(db.session.execute(
        select(Bid.id, func.count(distinct(SubmissionAttachment.id)))
        .join(Submission, Submission.bid_id == Bid.id)
        .join(SubmissionAttachment, SubmissionAttachment.submission_id == Submission.id)
        .where(*where).group_by(Bid.id)).all())
    if not documents:
        return 0, []
    opened = {(bid_id, user_id): n for bid_id, user_id, n in db.session.execute(
        select(DocumentOpening.bid_id, DocumentOpening.user_id, func.count(distinct(DocumentOpening.attachment_id)))
        .where(DocumentOpening.bid_id.in_(list(documents)))
        .group_by(DocumentOpening.bid_id, DocumentOpening.user_id)).all()}
    scored = db.session.execute(
        select(Bid.id, Bid.round, Lot.number, Supplier.name, User.id, User.name).distinct()
        .join(Score, and_(Score.bid_id == Bid.id, Score.status == SUBMITTED))
        .join(User, User.id == Score.evaluator_id).join(Lot, Lot.id == Bid.lot_id)
        .join(Supplier, Supplier.id == Bid.supplier_id)
        .where(Bid.id.in_(list(documents))).order_by(Lot.number, Bid.round, Supplier.name, User.name)).all()
    out = []
    for bid_id, round_name, lot_number, supplier, user_id, evaluator in scored:
        seen = opened.get((bid_id, user_id), 0)
        if seen < documents[bid_id]:
            out.append(Unopened(lot_number, round_name, bid_id, supplier, evaluator, documents[bid_id], seen))
    return len(documents), out


__all__ = ["BidResponse", "Unopened", "bid_response", "open_document", "reading_record", "unopened_scores"]
