"""Reading submissions: the one read API for the authority's pages (score sheets, the officer) and suppliers.

The rule it holds: until the round's tender box is opened nobody at the
authority reads a submission, the officer included: these functions raise
``NotOpened`` (403), whatever page asks. Prices are never returned here: they
stay in the sealed envelope until the existing price opening
(``tender.services.evaluation.envelope``) reveals them from the bid.

For evaluators' pages (issue 18, part 4), the hooks are:

- ``answers_for(bid=...)`` or ``answers_for(lot_id=..., supplier_id=..., round_=...)``: question id -> answer;
- ``attachments_for(...)`` (same arguments): the documents, with name, size, SHA-256 and question;
- ``check_readable(user, submission)``: who may read at all (an evaluator's conflict declaration is
  checked by the evaluation pages on top of this);
- ``attachment_for_download(user, bid_id, attachment_id)``: one document of a bid, after the checks.

``verify_receipt`` recomputes a receipt's hashes from the stored files (the
supplier's, a legal reviewer's or a test's check).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select

from tender.domain import bounds
from tender.domain import submission_manifest as manifests
from tender.domain.roles import Permission, Role, may
from tender.extensions import db
from tender.models import Bid, StoredFile, Submission, SubmissionAttachment, SubmissionReceipt
from tender.services import storage
from tender.services.errors import NotAuthorised, NotFound
from tender.services.submissions import rounds


class NotOpened(NotAuthorised):
    """A submission asked for before its tender box was opened (403)."""


@dataclass(frozen=True)
class Document:
    """One attached document as a page lists it."""

    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    question_id: str


def is_opened(submission: Submission) -> bool:
    """Whether the submission's round's tender box has been opened."""
    box = rounds.box_of(submission.procurement_id, submission.round)
    return box is not None and box.opened_at is not None


def check_readable(user, submission: Submission) -> None:
    """Refuse anyone who may not read this submission now.

    A supplier's user reads its own organisation's (anything else is a 404);
    the authority's people read only after the box is opened, and only with
    a role that reads procurements or scores them.
    """
    role = getattr(user, "role", None)
    if role == Role.SUPPLIER.value:
        if user.supplier_id != submission.supplier_id:
            raise NotFound("There is no such submission.")
        return
    if user is None or not getattr(user, "is_authenticated", False) or not (may(role, Permission.VIEW_PROCUREMENTS) or may(role, Permission.SCORE)):
        raise NotAuthorised("You do not have permission to read submissions.")
    if not is_opened(submission):
        raise NotOpened("Nobody can read a submission before the tender box is opened after the deadline.")
    if submission.lot is not None:  # a lot's bids: never the conflicted, panel members once declared (one rule)
        from tender.services.evaluation.bid_access import require_lot_readable

        require_lot_readable(user, submission.lot)


def submission_of(*, bid: Bid | None = None, lot_id: int | None = None, supplier_id: int | None = None,
                  round_: str | None = None) -> Submission | None:
    """The submission behind a bid (or a lot, supplier and round); None for a tender recorded by hand."""
    if bid is not None:
        found = db.session.scalar(select(Submission).where(Submission.bid_id == bid.id))
        if found is not None:
            return found
        lot_id, supplier_id, round_ = bid.lot_id, bid.supplier_id, bid.round
    return db.session.scalar(select(Submission).where(Submission.lot_id == lot_id,
                                                      Submission.supplier_id == supplier_id,
                                                      Submission.round == round_))


def _opened(submission: Submission | None) -> Submission | None:
    if submission is not None and not is_opened(submission):
        raise NotOpened("Nobody can read a submission before the tender box is opened after the deadline.")
    return submission


def answers_for(**which) -> dict[str, str]:
    """Question id -> the supplier's answer, for an opened submission ({} for a tender recorded by hand)."""
    submission = _opened(submission_of(**which))
    return {a.question_id: a.text for a in submission.answers} if submission else {}


def attachments_for(**which) -> list[Document]:
    """The documents of an opened submission ([] for a tender recorded by hand)."""
    submission = _opened(submission_of(**which))
    return documents(submission) if submission else []


def documents(submission: Submission) -> list[Document]:
    """The submission's documents (callers have checked who may see them)."""
    rows = db.session.execute(
        select(SubmissionAttachment, StoredFile).join(StoredFile, StoredFile.id == SubmissionAttachment.stored_file_id)
        .where(SubmissionAttachment.submission_id == submission.id).order_by(SubmissionAttachment.id)).all()
    return [Document(a.id, a.filename, f.size, f.sha256, f.content_type, a.question_id) for a, f in rows]


def attachment_for_download(user, bid_id: int, attachment_id: int) -> tuple[SubmissionAttachment, StoredFile]:
    """One document of a bid's submission, for a person allowed to read it now (else 403/404)."""
    bid = db.session.get(Bid, bid_id) if isinstance(bid_id, int) and bounds.id_in_range(bid_id) else None
    submission = submission_of(bid=bid) if bid is not None else None
    if submission is None:
        raise NotFound("There is no such document.")
    check_readable(user, submission)
    return _attachment(submission, attachment_id)


def own_attachment(user, submission_id: int, attachment_id: int) -> tuple[SubmissionAttachment, StoredFile]:
    """One document of the supplier's own submission."""
    submission, _ = rounds.own_submission(user, submission_id)
    return _attachment(submission, attachment_id)


def _attachment(submission: Submission, attachment_id: int):
    attachment = db.session.get(SubmissionAttachment, attachment_id) \
        if isinstance(attachment_id, int) and bounds.id_in_range(attachment_id) else None
    if attachment is None or attachment.submission_id != submission.id:
        raise NotFound("There is no such document.")
    return attachment, attachment.stored_file


def verify_receipt(receipt: SubmissionReceipt) -> list[str]:
    """Recompute a receipt from the record: the manifest's hash and each file's SHA-256 from its stored bytes.

    Returns the problems found (empty: the receipt holds).
    """
    problems = []
    if hashlib.sha256(receipt.manifest.encode("utf-8")).hexdigest() != receipt.manifest_hash:
        problems.append("the manifest's SHA-256 differs from the receipt's")
    body = json.loads(receipt.manifest)
    if manifests.canonical_bytes(body).decode("utf-8") != receipt.manifest:
        problems.append("the manifest is not in canonical form")
    if body.get("price_commitment") != receipt.price_commitment:
        problems.append("the manifest quotes a different price commitment")
    for entry in body.get("files", []):
        stored = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == entry["sha256"]))
        if stored is None:
            problems.append(f"{entry['name']}: no stored file has SHA-256 {entry['sha256']}")
        elif storage.stored_sha256(stored) != entry["sha256"]:
            problems.append(f"{entry['name']}: the stored bytes no longer hash to {entry['sha256']}")
    return problems
