"""The tender box: its register published at the deadline, then its opening by an officer.

At the deadline the register of manifest hashes received (receipts not
withdrawn) is fixed and shown to every invited supplier, before anything is
opened, so each can check its receipt is in it and everyone can see nothing
was added later: the opening event quotes the register's digest. It is
published by the first thing that needs it after the deadline (a supplier or
officer looking, or the opening itself), always from the receipts made before
the deadline, whoever looks first.

Opening the quality envelopes is an officer's audited action, possible only
after the deadline, once (compare-and-set on the box). It turns each receipt
into the ``Bid`` (a round of tenders) or ``SQResponse`` (selection
questionnaire) the evaluation already uses; each bid carries the price, salt
and commitment the supplier made, so the existing price opening reveals
exactly what was committed. Until the box is opened nobody reads a
submission (``tender.services.submissions.reading``), the officer included.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from tender.domain import sealed_price
from tender.domain import submission_manifest as manifests
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import Bid, SQResponse, Submission, SubmissionReceipt, TenderBox
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import ConcurrentChange, InvalidRequest
from tender.services.submissions import rounds
from tender.services.use_case import get_procurement, use_case

OPENED_MEANWHILE = "Someone else opened this tender box at the same moment. Reload the page to see it opened."
PORTAL = "portal"


@dataclass(frozen=True)
class Register:
    """A published register: when, for which deadline, the hashes and the digest of the list."""

    published_at: datetime
    deadline: datetime
    hashes: tuple[str, ...]
    digest: str


def register_of(box: TenderBox | None) -> Register | None:
    """The box's published register, if it has one."""
    if box is None or box.register_published_at is None:
        return None
    hashes = tuple(line for line in (box.register or "").split("\n") if line)
    return Register(rounds.aware(box.register_published_at), rounds.aware(box.register_deadline), hashes,
                    box.register_digest)


def _live_receipts(procurement_id: int, round_name: str, before: datetime | None = None):
    query = select(SubmissionReceipt).where(SubmissionReceipt.procurement_id == procurement_id,
                                            SubmissionReceipt.round == round_name,
                                            SubmissionReceipt.withdrawn_at.is_(None))
    if before is not None:
        query = query.where(SubmissionReceipt.submitted_at < before)
    return db.session.scalars(query.order_by(SubmissionReceipt.id)).all()


def _publish(procurement, round_, box: TenderBox, deadline: datetime) -> None:
    """Fix and publish the register (the box is locked by the caller)."""
    hashes = [r.manifest_hash for r in _live_receipts(procurement.id, round_.name, deadline)]
    text = manifests.register_text(hashes)
    box.register, box.register_digest = text, manifests.register_digest(hashes)
    box.register_deadline, box.register_published_at = deadline, clock.now()
    audit.record(audit.Actor.system("tender box"), "tender_box.register_published", "tender_box", box.id,
                 procurement_ref=procurement.reference,
                 after={"round": round_.name, "deadline": deadline, "register_digest": box.register_digest,
                        "receipts": len(set(hashes)), "register": sorted(set(hashes))})


@use_case("The register was being published at the same moment. Reload the page.")
def publish_if_due(procurement_id: int, round_name: str) -> Register | None:
    """Publish the round's register if its deadline has passed and it is not published yet; the register."""
    procurement = get_procurement(procurement_id)
    round_ = rounds.get_round(procurement, round_name)
    deadline = rounds.deadline_of(procurement, round_)
    box = rounds.box_of(procurement.id, round_.name)
    if deadline is None or clock.now() < deadline:
        return None
    if rounds.register_stands(box, deadline):
        return register_of(box)
    box = rounds.lock_box(procurement.id, round_.name)
    if not rounds.register_stands(box, deadline) and box.opened_at is None:
        _publish(procurement, round_, box, deadline)
    return register_of(box)


def received_count(procurement_id: int, round_name: str) -> int:
    """How many responses are in the box (receipts not withdrawn): the officer may know how many, not whose."""
    return len(_live_receipts(procurement_id, round_name))


@use_case(OPENED_MEANWHILE)
def open_box(user, procurement_id: int, round_name: str, *, expected_version: int | None = None,
             ip: str | None = None) -> TenderBox:
    """Open the round's quality envelopes after the deadline: one Bid or SQResponse per receipt; audited."""
    authorise(user, Permission.OPEN_TENDER_BOX)
    procurement = get_procurement(procurement_id)
    round_ = rounds.get_round(procurement, round_name)
    deadline = rounds.deadline_of(procurement, round_)
    if deadline is None:
        raise InvalidRequest("This round's deadline is not planned yet, so its tender box cannot be opened.")
    if clock.now() < deadline:
        raise InvalidRequest(f"The tender box opens only after the deadline ({rounds.describe_deadline(deadline)}).")
    box = rounds.lock_box(procurement.id, round_.name)
    if box.opened_at is not None:
        raise ConcurrentChange("This tender box has already been opened.")
    if expected_version is not None and box.version != expected_version:
        raise ConcurrentChange(OPENED_MEANWHILE)
    if not rounds.register_stands(box, deadline):
        _publish(procurement, round_, box, deadline)
    receipts = _live_receipts(procurement.id, round_.name, rounds.aware(box.register_deadline))
    opened = [_turn_into_record(procurement, round_, receipt, user, ip) for receipt in receipts]
    moment = clock.now()
    done = db.session.execute(update(TenderBox).where(TenderBox.id == box.id, TenderBox.opened_at.is_(None),
                                                      TenderBox.version == box.version)
                              .values(opened_at=moment, opened_by_id=user.id, version=box.version + 1)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ConcurrentChange(OPENED_MEANWHILE)
    audit.record(audit.Actor.of(user, ip), "tender_box.opened", "tender_box", box.id,
                 procurement_ref=procurement.reference,
                 after={"round": round_.name, "register_digest": box.register_digest, "opened_at": moment,
                        "responses": opened})
    db.session.refresh(box)
    return box


def _turn_into_record(procurement, round_, receipt: SubmissionReceipt, user, ip) -> dict:
    """The Bid or SQResponse of one receipt (audited as received, with the supplier's own commitment)."""
    submission = db.session.get(Submission, receipt.submission_id)
    supplier = submission.supplier
    actor = audit.Actor.of(user, ip)
    received_at = rounds.aware(receipt.submitted_at)
    if not round_.per_lot:
        if db.session.scalar(select(SQResponse.id).where(SQResponse.procurement_id == procurement.id,
                                                         SQResponse.supplier_id == supplier.id)):
            raise InvalidRequest(f"{supplier.name} already has a selection questionnaire response recorded by "
                                 "hand. Remove the duplicate before opening the tender box.")
        response = SQResponse(procurement_id=procurement.id, supplier_id=supplier.id, received_at=received_at)
        db.session.add(response)
        db.session.flush()
        submission.sq_response_id = response.id
        audit.record(actor, "sq_response.received", "sq_response", response.id,
                     procurement_ref=procurement.reference,
                     after={"supplier": supplier.name, "supplier_id": supplier.id, "new_supplier": False,
                            "received_at": received_at, "received_via": PORTAL,
                            "manifest_hash": receipt.manifest_hash})
        return {"supplier_id": supplier.id, "manifest_hash": receipt.manifest_hash, "sq_response_id": response.id}
    if db.session.scalar(select(Bid.id).where(Bid.lot_id == submission.lot_id, Bid.supplier_id == supplier.id,
                                              Bid.round == round_.name)):
        raise InvalidRequest(f"Lot {submission.lot_number} already has a {round_.name} tender from {supplier.name} "
                             "recorded by hand. Resolve the duplicate before opening the tender box.")
    if receipt.price_commitment and not sealed_price.matches(submission.price, receipt.price_salt or "",
                                                             receipt.price_commitment):
        raise InvalidRequest(f"The price held for {supplier.name}'s lot {submission.lot_number} tender does not open "
                             "its receipt's commitment. Do not open the box: ask the system administrator.")
    bid = Bid(lot_id=submission.lot_id, supplier_id=supplier.id, round=round_.name, received_at=received_at,
              price=submission.price if receipt.price_commitment else None, price_salt=receipt.price_salt,
              price_commitment=receipt.price_commitment, received_via=PORTAL)
    db.session.add(bid)
    db.session.flush()
    submission.bid_id = bid.id
    audit.record(actor, "bid.received", "bid", bid.id, procurement_ref=procurement.reference,
                 lot=submission.lot_number,
                 after={"supplier": supplier.name, "supplier_id": supplier.id, "round": round_.name,
                        "received_at": received_at, "price_commitment": bid.price_commitment,
                        "received_via": PORTAL, "manifest_hash": receipt.manifest_hash})
    return {"supplier_id": supplier.id, "lot": submission.lot_number, "manifest_hash": receipt.manifest_hash,
            "bid_id": bid.id}
