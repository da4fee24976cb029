"""Submitting (a receipt), withdrawing, and the officer's extension of a deadline for every invited supplier.

Submitting is refused once the round's deadline has passed by the server's
clock, and the refusal itself is audited (a supplier disputing it can be
shown the attempt and the time). The receipt gives the server time, each
file's SHA-256 and the SHA-256 of the canonical manifest
(``tender.domain.submission_manifest``), which covers the answers, the file
hashes and the price commitment (``tender.domain.sealed_price``: the
supplier's price under a fresh random salt). The price itself is in no
event, receipt or page the authority can read until the price opening.
"""
from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select

from tender.domain import bounds, sealed_price
from tender.domain import submission_manifest as manifests
from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import Invitation, SubmissionReceipt
from tender.models.submission import DRAFT, SUBMITTED
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest
from tender.services.procurement.milestones import check_statutory_periods
from tender.services.submissions import rounds
from tender.services.submissions.drafting import CHANGED, touch
from tender.services.use_case import check_version, get_procurement, use_case


def current_receipt(submission) -> SubmissionReceipt | None:
    """The receipt of the submission as it stands (the latest not withdrawn), if it is submitted."""
    return db.session.scalar(select(SubmissionReceipt).where(
        SubmissionReceipt.submission_id == submission.id, SubmissionReceipt.withdrawn_at.is_(None))
        .order_by(SubmissionReceipt.id.desc()).limit(1))


def manifest_of(submission, procurement, supplier, price_commitment: str | None) -> dict:
    """The canonical manifest of the submission as it stands."""
    files = [manifests.ManifestFile(a.filename, a.stored_file.sha256, a.stored_file.size, a.question_id)
             for a in submission.attachments]
    return manifests.manifest(procurement=procurement.reference, lot=submission.lot_number, round_=submission.round,
                              supplier=supplier.name, answers={a.question_id: a.text for a in submission.answers},
                              files=files, price_commitment=price_commitment)


def why_incomplete(submission) -> str | None:
    """Why the draft cannot be submitted yet (None: it can, as far as its content goes): the page asks this
    to show its Submit button disabled with the reason, and submitting checks the same."""
    try:
        _check_complete(submission)
    except InvalidRequest as refused:
        return str(refused)
    return None


def _check_complete(submission) -> None:
    model = rounds.model_for_lot(submission.lot)
    answered = {a.question_id for a in submission.answers if a.text.strip()}
    missing = [q.id for q in rounds.questions(model) if q.id not in answered]
    if missing:
        raise InvalidRequest(f"Answer every question before you submit. Not answered yet: {', '.join(missing)}.")
    if model.price is not None and submission.price is None:
        raise InvalidRequest("Enter your price in the price envelope before you submit.")


@use_case(CHANGED)
def _submit(user, submission_id: int, expected_version: int | None, ip: str | None,
            import_mode: bool = False) -> SubmissionReceipt:
    submission, supplier = rounds.own_submission(user, submission_id)
    procurement = get_procurement(submission.procurement_id)
    round_ = rounds.get_round(procurement, submission.round)
    rounds.check_eligible(procurement, round_, supplier, import_mode=import_mode)
    box = rounds.lock_box(procurement.id, round_.name)  # first: queue behind a publication in progress
    rounds.refuse_if_closed(procurement, round_, box, import_mode=import_mode)
    check_version(submission, expected_version, CHANGED)
    if submission.status != DRAFT:
        raise InvalidRequest("This response has already been submitted. Your receipt is on its page.")
    _check_complete(submission)
    salt = commitment = None
    if submission.price is not None:
        salt = secrets.token_hex(16)
        commitment = sealed_price.commitment(submission.price, salt)
    body = manifest_of(submission, procurement, supplier, commitment)
    now = clock.now()
    receipt = SubmissionReceipt(submission_id=submission.id, procurement_id=procurement.id, round=round_.name,
                                submitted_at=now, submitted_by_id=user.id,
                                manifest=manifests.canonical_bytes(body).decode("utf-8"),
                                manifest_hash=manifests.manifest_hash(body), price_salt=salt,
                                price_commitment=commitment)
    db.session.add(receipt)
    submission.status = SUBMITTED
    touch(submission)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "submission.submitted", "submission", submission.id,
                 procurement_ref=procurement.reference, lot=submission.lot_number or None,
                 after={"round": round_.name, "supplier_id": supplier.id, "receipt_id": receipt.id,
                        "submitted_at": now, "manifest_hash": receipt.manifest_hash,
                        "files": [{"name": f["name"], "sha256": f["sha256"]} for f in body["files"]],
                        "price_commitment": commitment})
    return receipt


@use_case
def _record_refusal(user, submission_id: int, reason: str, ip: str | None) -> None:
    submission, supplier = rounds.own_submission(user, submission_id)
    procurement = get_procurement(submission.procurement_id)
    audit.record(audit.Actor.of(user, ip), "submission.refused_late", "submission", submission.id,
                 procurement_ref=procurement.reference, lot=submission.lot_number or None,
                 after={"round": submission.round, "supplier_id": supplier.id, "attempted_at": clock.now()},
                 reason=reason)


def submit(user, submission_id: int, *, expected_version: int | None = None,
           ip: str | None = None, import_mode: bool = False) -> SubmissionReceipt:
    """Submit the draft before the deadline and return its receipt; a late attempt is refused and recorded."""
    try:
        return _submit(user, submission_id, expected_version, ip, import_mode)
    except rounds.DeadlinePassed as refusal:
        _record_refusal(user, submission_id, str(refusal), ip)
        raise


@use_case(CHANGED)
def withdraw(user, submission_id: int, *, expected_version: int | None = None, ip: str | None = None):
    """Withdraw a submitted response before the deadline: it becomes a draft again; its receipt notes when."""
    submission, supplier = rounds.own_submission(user, submission_id)
    procurement = get_procurement(submission.procurement_id)
    round_ = rounds.get_round(procurement, submission.round)
    box = rounds.lock_box(procurement.id, round_.name)
    rounds.refuse_if_closed(procurement, round_, box)
    check_version(submission, expected_version, CHANGED)
    receipt = current_receipt(submission)
    if submission.status != SUBMITTED or receipt is None:
        raise InvalidRequest("This response is a draft: there is nothing to withdraw.")
    now = clock.now()
    receipt.withdrawn_at = now
    submission.status = DRAFT
    touch(submission)
    audit.record(audit.Actor.of(user, ip), "submission.withdrawn", "submission", submission.id,
                 procurement_ref=procurement.reference, lot=submission.lot_number or None,
                 after={"round": round_.name, "supplier_id": supplier.id, "receipt_id": receipt.id,
                        "manifest_hash": receipt.manifest_hash, "withdrawn_at": now})
    return submission


@use_case("Someone else changed this deadline at the same moment. Reload the page and check it.")
def extend_deadline(user, procurement_id: int, round_name: str, new_date, reason: str, *,
                    expected_version: int | None = None, ip: str | None = None):
    """Move a round's deadline later, for every invited supplier at once (one milestone); audited.

    Possible until the tender box is opened, after the deadline too (a late
    clarification, a portal outage). A register already published stays in
    the audit trail; a new one is published at the new deadline.
    """
    authorise(user, Permission.OPEN_TENDER_BOX)
    procurement = get_procurement(procurement_id)
    round_ = rounds.get_round(procurement, round_name)
    milestone = rounds.deadline_milestone(procurement, round_)
    if milestone is None or milestone.planned_date is None:
        raise InvalidRequest("This round's deadline is not planned yet: plan it on the timetable.")
    check_version(milestone, expected_version)
    if not isinstance(new_date, date):
        raise InvalidRequest("Enter the new deadline.")
    try:
        bounds.check_date(new_date, "new deadline")
    except bounds.OutOfBounds as exc:
        raise InvalidRequest(str(exc)) from None
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter the reason for extending the deadline. Every invited supplier is told it.")
    if len(reason) > 2000 or bounds.CONTROL_CHARACTERS.search(reason):
        raise InvalidRequest("Enter a reason of 2,000 characters or fewer, without control characters.")
    if new_date <= milestone.planned_date:
        raise InvalidRequest(f"Enter a new deadline after the current one ({format_uk_date(milestone.planned_date)}).")
    if new_date < clock.today():
        raise InvalidRequest("The new deadline cannot be in the past.")
    box = rounds.lock_box(procurement.id, round_.name)
    if box.opened_at is not None:
        raise InvalidRequest("The tender box has been opened, so the deadline can no longer be extended.")
    warnings = check_statutory_periods(procurement, milestone, new_date, clock.today())
    before = {"planned_date": milestone.planned_date, "register_digest": box.register_digest}
    milestone.planned_date, milestone.replan_reason = new_date, reason
    box.register_published_at = box.register_deadline = box.register = box.register_digest = None
    invited = db.session.scalar(select(db.func.count()).select_from(Invitation)
                                .where(Invitation.procurement_id == procurement.id))
    audit.record(audit.Actor.of(user, ip), "submission.deadline_extended", "milestone", milestone.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"round": round_.name, "key": milestone.key, "planned_date": new_date,
                        "deadline": rounds.deadline_moment(new_date), "invited_suppliers": invited,
                        **({"warnings": list(warnings)} if warnings else {})}, reason=reason)
    return milestone
