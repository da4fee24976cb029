"""Registering what suppliers send: selection questionnaire responses and tenders.

Both are refused if they arrived after their deadline milestone (the end of
that day, UK time), naming the deadline, because a late response or tender
cannot lawfully be considered. Which stages accept them, which milestone is
the deadline and which rounds a procedure has are read from its workflow file
(``tender.domain.setup_rules``). ``import_mode`` is explained in
``tender.services.procurement.setup``.
"""
from __future__ import annotations

import secrets

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tender.domain import sealed_price, setup_rules
from tender.domain.periods import format_uk_date
from tender.extensions import db
from tender.models import Bid, Lot, Milestone, Procurement, SQResponse, Submission, SubmissionReceipt, Supplier
from tender.models.supplier import SHORTLISTED
from tender.services import audit
from tender.services.errors import InvalidRequest
from tender.domain import bounds
from tender.services.procurement.setup import CONCURRENT_MESSAGE, acting, definition_of, in_bounds, money, text
from tender.services.use_case import get_procurement, use_case
from tender.services import clock

UK = ZoneInfo("Europe/London")
#: How a tender the officer records arrived (one submitted in Tender is "portal", recorded by the tender box).
RECEIVED_VIA = {"post": "By post or by hand", "other_portal": "Another portal's export"}


def uk_day(moment: datetime) -> date:
    """The UK calendar day of ``moment`` (a naive value is UTC, as SQLite returns it)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(UK).date()


def _received(received_at, what: str) -> datetime:
    if not isinstance(received_at, datetime):
        raise InvalidRequest(f"Enter the date and time the {what} was received.")
    received_at = received_at if received_at.tzinfo else received_at.replace(tzinfo=timezone.utc)
    in_bounds(received_at, f"time the {what} was received")
    if received_at > clock.now():
        raise InvalidRequest(f"The date and time the {what} was received cannot be in the future.")
    return received_at


def _refuse_if_late(procurement: Procurement, key: str | None, received_at: datetime, what: str) -> None:
    if key is None:  # the procedure names no deadline for this; nothing to be late for
        return
    deadline = _deadline(procurement, key)
    if uk_day(received_at) > deadline.planned_date:
        raise InvalidRequest(f"This {what} was received on {format_uk_date(uk_day(received_at))}, after "
                             f"“{deadline.title}” ({format_uk_date(deadline.planned_date)}). "
                             f"A late {what} cannot be accepted.")


def _deadline(procurement: Procurement, key: str) -> Milestone:
    milestone = db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement.id,
                                                          Milestone.key == key))
    if milestone is None or milestone.planned_date is None:
        title = milestone.title if milestone else "the deadline"
        raise InvalidRequest(f"Plan the date of “{title}” first: responses are checked against it.")
    return milestone


@use_case(CONCURRENT_MESSAGE)
def register_sq_response(user, procurement_id: int, supplier_name, received_at, *, import_mode: bool = False,
                         ip: str | None = None) -> SQResponse:
    """Register a selection questionnaire response, creating the supplier if Tender does not know it yet."""
    actor = acting(user, import_mode, ip)
    procurement = get_procurement(procurement_id)
    window = setup_rules.sq_window(definition_of(procurement))
    if window is None:
        raise InvalidRequest(f"The {definition_of(procurement).title.lower()} has no selection questionnaire: "
                             "suppliers respond with their tenders.")
    if not import_mode and procurement.state not in window.stages:
        raise InvalidRequest("Selection questionnaire responses can only be registered while the selection "
                             "questionnaire is open or has just closed.")
    name = text(supplier_name, "supplier's name", 200)
    received_at = _received(received_at, "response")
    _refuse_if_late(procurement, window.deadline, received_at, "response")
    supplier = db.session.scalar(select(Supplier).where(func.lower(Supplier.name) == name.lower()))
    created = supplier is None
    if created:
        supplier = Supplier(name=name)
        db.session.add(supplier)
        db.session.flush()
    elif db.session.scalar(select(SQResponse).where(SQResponse.procurement_id == procurement.id,
                                                    SQResponse.supplier_id == supplier.id)):
        raise InvalidRequest(f"{supplier.name} has already responded to this procurement.")
    response = SQResponse(procurement_id=procurement.id, supplier_id=supplier.id, received_at=received_at)
    db.session.add(response)
    db.session.flush()
    audit.record(actor, "sq_response.received", "sq_response", response.id, procurement_ref=procurement.reference,
                 after={"supplier": supplier.name, "supplier_id": supplier.id, "new_supplier": created,
                        "received_at": received_at})
    return response


@use_case(CONCURRENT_MESSAGE)
def record_bid(user, procurement_id: int, lot_number, supplier_id, round, received_at, price, *,  # noqa: A002
               import_mode: bool = False, ip: str | None = None, received_via: str = "post") -> Bid:
    """Record one supplier's tender for one lot in one round, with its price.

    This is for a tender received another way (``received_via``: by post, or
    another portal's export), and is marked as such: a tender submitted in
    Tender is recorded by opening the tender box
    (``tender.services.submissions.tender_box``), with the supplier's own
    commitment, and the officer never types its price.

    The price is sealed: the audit event carries only a salted SHA-256
    commitment to it (``tender.domain.sealed_price``), and no page, export or
    download shows it until the lot's prices are opened, when the opening
    event reveals the price and the salt so the commitment can be checked.
    """
    actor = acting(user, import_mode, ip)
    procurement = get_procurement(procurement_id)
    definition = definition_of(procurement)
    rounds = setup_rules.tender_rounds(definition)
    if round not in rounds:
        raise InvalidRequest(f"The {definition.title.lower()} has no {round or 'such'} round of tenders. "
                             f"Choose: {', '.join(rounds)}.")
    window = rounds[round]
    if not import_mode and procurement.state not in window.stages:
        raise InvalidRequest(f"{round.capitalize()} tenders can only be recorded while they are invited "
                             "or have just closed.")
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == procurement.id, Lot.number == lot_number)) \
        if isinstance(lot_number, int) and 1 <= lot_number <= bounds.MAX_LOT_NUMBER else None
    if lot is None:
        raise InvalidRequest("Choose a lot of this procurement.")
    supplier = db.session.get(Supplier, supplier_id) \
        if isinstance(supplier_id, int) and bounds.id_in_range(supplier_id) else None
    if supplier is None:
        raise InvalidRequest("Choose the supplier that sent the tender.")
    if not import_mode and setup_rules.has_shortlist(definition) and not db.session.scalar(
            select(SQResponse.id).where(SQResponse.procurement_id == procurement.id,
                                        SQResponse.supplier_id == supplier.id, SQResponse.decision == SHORTLISTED)):
        raise InvalidRequest(f"{supplier.name} is not shortlisted for this procurement, so its tender "
                             "cannot be accepted.")
    if received_via not in RECEIVED_VIA:
        raise InvalidRequest("Choose how the tender was received: by post, or from another portal's export.")
    received_at = _received(received_at, "tender")
    amount = money(price, "tender price")
    _refuse_if_late(procurement, window.deadline, received_at, "tender")
    if db.session.scalar(select(Bid.id).where(Bid.lot_id == lot.id, Bid.supplier_id == supplier.id,
                                              Bid.round == round)):
        raise InvalidRequest(f"Lot {lot.number} already has a tender from {supplier.name} in the {round} round.")
    if db.session.scalar(select(SubmissionReceipt.id).join(Submission, Submission.id == SubmissionReceipt.submission_id)
                         .where(Submission.lot_id == lot.id, Submission.supplier_id == supplier.id,
                                Submission.round == round, SubmissionReceipt.withdrawn_at.is_(None))):
        raise InvalidRequest(f"{supplier.name} submitted its lot {lot.number} tender in Tender. It is recorded, "
                             "with the price it committed, when the tender box is opened.")
    salt = secrets.token_hex(16)
    bid = Bid(lot_id=lot.id, supplier_id=supplier.id, round=round, received_at=received_at, price=amount,
              price_salt=salt, price_commitment=sealed_price.commitment(amount, salt), received_via=received_via)
    db.session.add(bid)
    db.session.flush()
    audit.record(actor, "bid.received", "bid", bid.id, procurement_ref=procurement.reference, lot=lot.number,
                 after={"supplier": supplier.name, "supplier_id": supplier.id, "round": round,
                        "received_at": received_at, "price_commitment": bid.price_commitment,
                        "received_via": received_via})
    return bid
