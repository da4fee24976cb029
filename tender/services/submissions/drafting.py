"""Drafts: answers, the price envelope and documents, saved as often as the supplier likes until the deadline.

Every change checks the version the supplier's page showed (two browser tabs
cannot silently overwrite each other) and that the round is still open by the
server's clock; a submitted response must be withdrawn before it can change.
Each upload and removal of a document is an audit event (the portal's log of
uploads and removals is what a court reads: *InHealth Intelligence v NHS
England* [2023] EWHC 352 (TCC)). The same file uploaded again is the same
file: the existing attachment comes back, and the upload is still recorded.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from tender.domain import bounds
from tender.domain.submission_manifest import length_problem
from tender.extensions import db
from tender.models import StoredFile, Submission, SubmissionAnswer, SubmissionAttachment
from tender.models.submission import DRAFT
from tender.services import audit, clock, storage
from tender.services.errors import InvalidRequest, NotFound
from tender.services.procurement.setup import money
from tender.services.submissions import rounds
from tender.services.use_case import check_version, get_procurement, use_case

CHANGED = ("Your organisation's submission was changed in another window or by a colleague. "
           "The page now shows it as it is: check it before you save again.")


def touch(submission: Submission) -> None:
    """Mark the submission changed (new version) even when the clock reads the same (a fixed TENDER_TODAY)."""
    submission.updated_at = clock.now()
    flag_modified(submission, "updated_at")


def _refuse_unless_draft(submission: Submission) -> None:
    if submission.status != DRAFT:
        raise InvalidRequest("This response has been submitted. Withdraw it first if you need to change it; "
                             "then submit it again before the deadline.")


def _open_for_change(user, submission_id: int, expected_version: int | None, import_mode: bool = False):
    """The supplier's own draft, in a round still open, at the version the page showed."""
    submission, supplier = rounds.own_submission(user, submission_id)
    procurement = get_procurement(submission.procurement_id)
    round_ = rounds.get_round(procurement, submission.round)
    rounds.check_eligible(procurement, round_, supplier, import_mode=import_mode)
    box = rounds.box_of(procurement.id, round_.name)
    rounds.refuse_if_closed(procurement, round_, box, import_mode=import_mode)
    check_version(submission, expected_version, CHANGED)
    _refuse_unless_draft(submission)
    return submission, supplier, procurement


def _event(user, ip, action: str, submission: Submission, procurement, **after) -> None:
    audit.record(audit.Actor.of(user, ip), action, "submission", submission.id,
                 procurement_ref=procurement.reference, lot=submission.lot_number or None,
                 after={"round": submission.round, "supplier_id": submission.supplier_id, **after})


@use_case(CHANGED)
def open_draft(user, procurement_id: int, round_name: str, lot_number, ip: str | None = None, *,
               import_mode: bool = False) -> Submission:
    """The supplier's submission for this lot and round, created as an empty draft the first time."""
    procurement, supplier = rounds.load_procurement_for_supplier(user, procurement_id)
    round_ = rounds.get_round(procurement, round_name)
    lot = rounds.lot_of(procurement, round_, lot_number)
    rounds.check_eligible(procurement, round_, supplier, import_mode=import_mode)
    number = lot.number if lot is not None else 0
    existing = db.session.scalar(select(Submission).where(
        Submission.procurement_id == procurement.id, Submission.supplier_id == supplier.id,
        Submission.round == round_.name, Submission.lot_number == number))
    if existing is not None:
        return existing
    rounds.refuse_if_closed(procurement, round_, rounds.box_of(procurement.id, round_.name), import_mode=import_mode)
    rounds.model_for_lot(lot)  # a lot with no model has nothing to answer yet
    rounds.ensure_box(procurement.id, round_.name)
    submission = Submission(procurement_id=procurement.id, lot_id=lot.id if lot else None, lot_number=number,
                            supplier_id=supplier.id, round=round_.name, status=DRAFT, updated_at=clock.now())
    db.session.add(submission)
    db.session.flush()
    _event(user, ip, "submission.draft_saved", submission, procurement, created=True)
    return submission


@use_case(CHANGED)
def save_answers(user, submission_id: int, answers: dict, *, expected_version: int | None = None,
                 ip: str | None = None, import_mode: bool = False) -> Submission:
    """Save the answers as a draft; an answer over its question's limit is refused, naming the question."""
    submission, _, procurement = _open_for_change(user, submission_id, expected_version, import_mode)
    questions = {q.id: q for q in rounds.questions(rounds.model_for_lot(submission.lot))}
    current = {a.question_id: a for a in submission.answers}
    changed = []
    for question_id, value in (answers or {}).items():
        question = questions.get(question_id)
        if question is None:
            raise InvalidRequest("Answer only the questions on the page.")
        value = (value if isinstance(value, str) else "").replace("\r\n", "\n")
        if bounds.CONTROL_CHARACTERS.search(value):
            raise InvalidRequest(f"{bounds.CONTROL_MESSAGE} in your answer to {question.id}.")
        problem = length_problem(value, word_limit=question.word_limit, character_limit=question.character_limit)
        if problem is None and len(value) > bounds.MAX_ANSWER_CHARACTERS:
            problem = f"Shorten the answer to {bounds.MAX_ANSWER_CHARACTERS:,} characters or fewer"
        if problem:
            raise InvalidRequest(f"{question.id} {question.title}: {problem}.")
        row = current.get(question_id)
        if row is None:
            submission.answers.append(SubmissionAnswer(question_id=question_id, text=value))
            changed.append(question_id)
        elif row.text != value:
            row.text = value
            changed.append(question_id)
    touch(submission)
    _event(user, ip, "submission.draft_saved", submission, procurement, answers_changed=sorted(changed))
    return submission


@use_case(CHANGED)
def save_price(user, submission_id: int, price, *, expected_version: int | None = None,
               ip: str | None = None, import_mode: bool = False) -> Submission:
    """Put the price in its envelope. The audit event says a price was saved, never what it is."""
    submission, _, procurement = _open_for_change(user, submission_id, expected_version, import_mode)
    if submission.lot is None or rounds.model_for_lot(submission.lot).price is None:
        raise InvalidRequest("This response has no price envelope.")
    amount = money(price, "price", required=False)
    submission.price = Decimal(amount) if amount is not None else None
    touch(submission)
    _event(user, ip, "submission.draft_saved", submission, procurement, price_saved=amount is not None)
    return submission


def _used_bytes(submission: Submission) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(StoredFile.size), 0)).select_from(SubmissionAttachment)
        .join(StoredFile, StoredFile.id == SubmissionAttachment.stored_file_id)
        .where(SubmissionAttachment.submission_id == submission.id)) or 0)


@use_case(CHANGED)
def attach(user, submission_id: int, upload, *, question_id: str = "", expected_version: int | None = None,
           ip: str | None = None, import_mode: bool = False) -> SubmissionAttachment:
    """Store an uploaded document (``tender.web.file_transfer.receive``'s ``Upload``) and attach it.

    The same bytes attached again to the same place are the same attachment,
    not an error; the upload is audited either way, with the file's SHA-256.
    """
    submission, _, procurement = _open_for_change(user, submission_id, expected_version, import_mode)
    question_id = question_id or ""
    if question_id and question_id not in {q.id for q in rounds.questions(rounds.model_for_lot(submission.lot))}:
        raise InvalidRequest("Attach the document to one of the questions on the page, or to the whole response.")
    stored = storage.save(upload.stream, filename=upload.filename, submission_used=_used_bytes(submission))
    existing = db.session.scalar(select(SubmissionAttachment).where(
        SubmissionAttachment.submission_id == submission.id, SubmissionAttachment.stored_file_id == stored.id,
        SubmissionAttachment.question_id == question_id))
    attachment = existing or SubmissionAttachment(submission_id=submission.id, stored_file_id=stored.id,
                                                  filename=upload.filename[:255], question_id=question_id,
                                                  added_at=clock.now())
    if existing is None:
        db.session.add(attachment)
    touch(submission)
    db.session.flush()
    _event(user, ip, "submission.file_uploaded", submission, procurement, attachment_id=attachment.id,
           filename=attachment.filename, sha256=stored.sha256, size=stored.size, question=question_id or None,
           duplicate=existing is not None)
    return attachment


@use_case(CHANGED)
def remove_attachment(user, submission_id: int, attachment_id: int, *, expected_version: int | None = None,
                      ip: str | None = None) -> Submission:
    """Take a document off the draft (the stored file stays: another submission may hold the same bytes)."""
    submission, _, procurement = _open_for_change(user, submission_id, expected_version)
    attachment = db.session.get(SubmissionAttachment, attachment_id) \
        if isinstance(attachment_id, int) and bounds.id_in_range(attachment_id) else None
    if attachment is None or attachment.submission_id != submission.id:
        raise NotFound("There is no such document in this response.")
    sha256 = attachment.stored_file.sha256
    submission.attachments.remove(attachment)
    touch(submission)
    _event(user, ip, "submission.file_removed", submission, procurement, attachment_id=attachment_id,
           filename=attachment.filename, sha256=sha256, question=attachment.question_id or None)
    return submission
