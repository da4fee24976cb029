"""Entering and correcting what notices need: parties' identifiers and addresses, CPV codes, submission.

Each function is one use case: authorise the officer, check every field
(``tender.domain.ocds.parties.organisation_problems``, ``cpv_problem``), save,
audit with before and after, commit. ``DetailsInvalid.problems`` maps each
form field to its instruction, for the error summary.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select

from tender.domain.bounds import id_in_range
from tender.domain.ocds.codelists import SUBMISSION_METHODS
from tender.domain.ocds.cpv import cpv_problem
from tender.domain.ocds.parties import organisation_problems
from tender.extensions import db
from tender.models import (Bid, Funder, Lot, LotClassification, Organisation, ProcurementPublishing, SQResponse,
                           Supplier)
from tender.services import audit
from tender.services.errors import InvalidRequest, NotFound
from tender.services.procurement.setup import CONCURRENT_MESSAGE, acting
from tender.services.use_case import get_owned, get_procurement, use_case

AUTHORITY, FUNDER, SUPPLIER = "authority", "funder", "supplier"
STANDARD_VAT = Decimal("20")  # the UK standard rate, until the officer enters the procurement's own
FIELDS = ("name", "scheme", "identifier", "ppon", "street_address", "locality", "postal_code", "region",
          "contact_name", "contact_email", "contact_telephone", "url", "authority_type", "vcse", "illustrative")


class DetailsInvalid(InvalidRequest):
    """Some details cannot be saved; ``problems`` is field -> instruction."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def party_of(procurement_id: int, owner: str, owner_id: int | None) -> Funder | Supplier | None:
    """The funder or supplier whose details a notice of this procurement names (None: the authority), or NotFound.

    A funder must be this procurement's; a supplier (kept once for every
    procurement) must have responded to it or tendered in one of its lots, so
    another procurement's supplier cannot be read or rewritten through this one.
    """
    if owner == AUTHORITY:
        return None
    if owner == FUNDER:
        return get_owned(Funder, owner_id, procurement_id, "funder")
    if owner == SUPPLIER:
        if not (isinstance(owner_id, int) and id_in_range(owner_id) and _takes_part(procurement_id, owner_id)):
            raise NotFound("There is no such supplier in this procurement.")
        return db.session.get(Supplier, owner_id)
    raise NotFound("There is no such party.")


def _takes_part(procurement_id: int, supplier_id: int) -> bool:
    """Whether the supplier responded to the procurement's SQ or tendered in one of its lots."""
    responded = select(SQResponse.id).where(SQResponse.procurement_id == procurement_id,
                                            SQResponse.supplier_id == supplier_id)
    tendered = select(Bid.id).join(Lot, Lot.id == Bid.lot_id).where(Lot.procurement_id == procurement_id,
                                                                    Bid.supplier_id == supplier_id)
    return bool(db.session.scalar(select(or_(responded.exists(), tendered.exists()))))


def _owner_filter(procurement_id: int, owner: str, owner_id: int | None):
    party = party_of(procurement_id, owner, owner_id)
    if owner == AUTHORITY:
        return Organisation.procurement_id == procurement_id, {"procurement_id": procurement_id}
    if owner == FUNDER:
        return Organisation.funder_id == party.id, {"funder_id": party.id}
    return Organisation.supplier_id == party.id, {"supplier_id": party.id}


def organisation_of(procurement_id: int, owner: str, owner_id: int | None = None) -> Organisation | None:
    where, _ = _owner_filter(procurement_id, owner, owner_id)
    return db.session.scalar(select(Organisation).where(where))


def _clean(fields: dict) -> dict:
    out = {}
    for name in FIELDS:
        value = fields.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        out[name] = value
    if out["postal_code"]:
        out["postal_code"] = out["postal_code"].upper()
    if out["region"]:
        out["region"] = out["region"].upper()
    return out


def _snapshot(row: Organisation | None) -> dict | None:
    return None if row is None else {name: getattr(row, name) for name in FIELDS}


@use_case(CONCURRENT_MESSAGE)
def save_organisation(user, procurement_id: int, owner: str, owner_id: int | None, fields: dict, *,
                      import_mode: bool = False, ip: str | None = None) -> Organisation:
    """Create or correct a party's details: the authority, a funder or a supplier."""
    actor = acting(user, import_mode, ip)
    procurement = get_procurement(procurement_id)
    values = _clean(fields)
    problems = organisation_problems({k: v or "" for k, v in values.items() if k not in ("vcse", "illustrative")})
    if owner != AUTHORITY:
        values["authority_type"] = None
    if problems:
        raise DetailsInvalid(problems)
    where, key = _owner_filter(procurement_id, owner, owner_id)
    row = db.session.scalar(select(Organisation).where(where))
    before = _snapshot(row)
    if row is None:
        row = Organisation(**key)
        db.session.add(row)
    for name in FIELDS:
        if name == "illustrative":
            value = bool(values[name])
        elif name == "vcse" and owner != SUPPLIER:
            value = None
        else:
            value = values[name]
        setattr(row, name, value)
    row.country_name = "United Kingdom"
    audit.record(actor, "publishing.party_saved", owner, owner_id or procurement_id,
                 procurement_ref=procurement.reference, before=before, after=_snapshot(row))
    return row


def settings_of(procurement_id: int) -> ProcurementPublishing | None:
    return db.session.scalar(select(ProcurementPublishing).where(ProcurementPublishing.procurement_id ==
                                                                 procurement_id))


def lot_codes(procurement_id: int) -> dict[int, str]:
    """Lot number -> its own CPV code."""
    return {number: code for number, code in db.session.execute(
        select(Lot.number, LotClassification.cpv_code).join(LotClassification, LotClassification.lot_id == Lot.id)
        .where(Lot.procurement_id == procurement_id))}


@use_case(CONCURRENT_MESSAGE)
def save_classification(user, procurement_id: int, cpv_code: str, lot_cpv: dict[int, str], submission_method: str,
                        submission_url: str | None, enquiry_deadline: date | None, *,
                        vat_percent: Decimal | None = None, import_mode: bool = False,
                        ip: str | None = None) -> ProcurementPublishing:
    """The procurement's CPV code, each lot's (blank: the procurement's), how and until when to ask questions.

    ``vat_percent``: the VAT rate on the procurement's values (held net); None keeps the rate saved before, or
    the standard rate, 20%, for a procurement without one.
    """
    actor = acting(user, import_mode, ip)
    procurement = get_procurement(procurement_id)
    problems = {}
    cpv_code = (cpv_code or "").strip()
    if cpv_problem(cpv_code):
        problems["cpv_code"] = cpv_problem(cpv_code)
    lots = {lot.number: lot for lot in procurement.lots}
    cleaned = {}
    for number, code in lot_cpv.items():
        code = (code or "").strip()
        if number not in lots:
            raise NotFound(f"There is no lot {number} on this procurement.")
        if code and cpv_problem(code):
            problems[f"lot_{number}"] = f"Lot {number}: {cpv_problem(code)}"
        cleaned[number] = code
    if submission_method not in SUBMISSION_METHODS:
        problems["submission_method"] = "Choose how tenders are submitted."
    url = (submission_url or "").strip() or None
    if url and (not url.startswith("https://") or len(url) > 300):
        problems["submission_url"] = "Enter the e-tendering portal's address, starting https://."
    if vat_percent is not None and not (0 <= vat_percent <= 100 and vat_percent == round(vat_percent, 2)):
        problems["vat_percent"] = "Enter the VAT rate as a percentage from 0 to 100, like 20 or 0."
    if problems:
        raise DetailsInvalid(problems)
    row = settings_of(procurement_id)
    before = None if row is None else {"cpv_code": row.cpv_code, "submission_method": row.submission_method,
                                       "submission_url": row.submission_url, "vat_percent": row.vat_percent,
                                       "enquiry_deadline": row.enquiry_deadline, "lots": lot_codes(procurement_id)}
    if row is None:
        row = ProcurementPublishing(procurement_id=procurement_id, vat_percent=STANDARD_VAT)
        db.session.add(row)
    row.cpv_code, row.submission_method, row.submission_url = cpv_code, submission_method, url
    row.enquiry_deadline = enquiry_deadline
    if vat_percent is not None:
        row.vat_percent = vat_percent
    existing = {c.lot_id: c for c in db.session.scalars(
        select(LotClassification).where(LotClassification.lot_id.in_([lot.id for lot in lots.values()])))}
    for number, code in cleaned.items():
        lot_id = lots[number].id
        if code and lot_id in existing:
            existing[lot_id].cpv_code = code
        elif code:
            db.session.add(LotClassification(lot_id=lot_id, cpv_code=code))
        elif lot_id in existing:
            db.session.delete(existing[lot_id])
    db.session.flush()
    audit.record(actor, "publishing.classification_saved", "procurement", procurement_id,
                 procurement_ref=procurement.reference, before=before,
                 after={"cpv_code": cpv_code, "submission_method": submission_method, "submission_url": url,
                        "vat_percent": row.vat_percent, "enquiry_deadline": enquiry_deadline,
                        "lots": lot_codes(procurement_id)})
    return row
