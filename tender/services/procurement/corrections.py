"""Correcting or removing a lot or a funder before the procurement is published (audited).

Lots and funders are set up in draft. Until the first notice goes out they
are the authority's own working papers, so a mistyped budget or a funder
that pulled out can be corrected or removed. Once the procurement is
published, the notice has described them to the market and changing them is
refused with a plain explanation. A lot with tenders, a panel or
declarations recorded is never removed.
"""
from __future__ import annotations

from sqlalchemy import func, select

from tender.extensions import db
from tender.models import Bid, ConflictDeclaration, EvaluatorAssignment, Funder, Lot, Procurement
from tender.services import audit
from tender.services.errors import InvalidRequest
from tender.services.procurement.setup import (CONCURRENT_MESSAGE, _percent, acting, definition_of,
                                               evaluation_models, money, text)
from tender.services.use_case import get_owned, get_procurement, use_case

PUBLISHED = ("{what} cannot be changed or removed once the procurement is published: the notice has described "
             "them to suppliers. To change them now, record the change in a corrigendum and abandon or re-run "
             "the procurement if it is material.")


def _in_draft(procurement: Procurement, what: str) -> None:
    if procurement.state != definition_of(procurement).initial:
        raise InvalidRequest(PUBLISHED.format(what=what))


def get_lot(procurement_id: int, lot_id: int) -> Lot:
    """A lot of this procurement, or NotFound."""
    return get_owned(Lot, lot_id, procurement_id, "lot")


def get_funder(procurement_id: int, funder_id: int) -> Funder:
    """A funder of this procurement, or NotFound."""
    return get_owned(Funder, funder_id, procurement_id, "funder")


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


@use_case(CONCURRENT_MESSAGE)
def update_lot(user, procurement_id: int, lot_id: int, title, annual_budget, evaluation_model, *,
               ip: str | None = None) -> Lot:
    """Correct a lot's title, annual budget or evaluation model while the procurement is in draft."""
    actor = acting(user, False, ip)
    procurement = get_procurement(procurement_id)
    lot = get_lot(procurement.id, lot_id)
    _in_draft(procurement, "Lots")
    model = (evaluation_model or "").strip() or None
    if model is not None and model not in evaluation_models():
        raise InvalidRequest("Choose one of the evaluation models Tender has, or none for now.")
    before = {"title": lot.title, "annual_budget": lot.annual_budget, "evaluation_model": lot.evaluation_model}
    after = {"title": text(title, "lot title", 300),
             "annual_budget": money(annual_budget, "annual budget", required=False), "evaluation_model": model}
    old, new = _changes(before, after)
    if not new:
        return lot
    for name, value in new.items():
        setattr(lot, name, value)
    audit.record(actor, "lot.updated", "lot", lot.id, procurement_ref=procurement.reference, lot=lot.number,
                 before=old, after=new)
    return lot


@use_case(CONCURRENT_MESSAGE)
def remove_lot(user, procurement_id: int, lot_id: int, *, ip: str | None = None) -> str:
    """Remove a lot while the procurement is in draft and nothing hangs on it; returns its description."""
    actor = acting(user, False, ip)
    procurement = get_procurement(procurement_id)
    lot = get_lot(procurement.id, lot_id)
    _in_draft(procurement, "Lots")
    for model, what in ((Bid, "tenders"), (EvaluatorAssignment, "an evaluation panel"),
                        (ConflictDeclaration, "conflict of interest declarations")):
        if db.session.scalar(select(func.count()).select_from(model).where(model.lot_id == lot.id)):
            raise InvalidRequest(f"Lot {lot.number} has {what} recorded, so it cannot be removed.")
    described = f"Lot {lot.number}: {lot.title}"
    audit.record(actor, "lot.removed", "lot", lot.id, procurement_ref=procurement.reference, lot=lot.number,
                 before={"number": lot.number, "title": lot.title, "annual_budget": lot.annual_budget,
                         "evaluation_model": lot.evaluation_model})
    db.session.delete(lot)
    return described


@use_case(CONCURRENT_MESSAGE)
def update_funder(user, procurement_id: int, funder_id: int, name, annual_amount, annual_uplift_percent, *,
                  is_lead: bool = False, ip: str | None = None) -> Funder:
    """Correct a funder's name, contribution, uplift or lead role while the procurement is in draft."""
    actor = acting(user, False, ip)
    procurement = get_procurement(procurement_id)
    funder = get_funder(procurement.id, funder_id)
    _in_draft(procurement, "Funders")
    name = text(name, "funder's name", 200)
    if any(f.id != funder.id and f.name.lower() == name.lower() for f in procurement.funders):
        raise InvalidRequest(f"{name} is already a funder of this procurement.")
    lead = next((f for f in procurement.funders if f.is_lead and f.id != funder.id), None)
    if is_lead and lead is not None:
        raise InvalidRequest(f"{lead.name} is already the lead funder. A procurement has one lead funder.")
    before = {"name": funder.name, "annual_amount": funder.annual_amount,
              "annual_uplift_percent": funder.annual_uplift_percent, "is_lead": funder.is_lead}
    after = {"name": name, "annual_amount": money(annual_amount, "annual contribution"),
             "annual_uplift_percent": _percent(annual_uplift_percent), "is_lead": bool(is_lead)}
    old, new = _changes(before, after)
    if not new:
        return funder
    for field, value in new.items():
        setattr(funder, field, value)
    audit.record(actor, "funder.updated", "funder", funder.id, procurement_ref=procurement.reference,
                 before=old, after=new)
    return funder


@use_case(CONCURRENT_MESSAGE)
def remove_funder(user, procurement_id: int, funder_id: int, *, ip: str | None = None) -> str:
    """Remove a funder while the procurement is in draft; returns its name."""
    actor = acting(user, False, ip)
    procurement = get_procurement(procurement_id)
    funder = get_funder(procurement.id, funder_id)
    _in_draft(procurement, "Funders")
    audit.record(actor, "funder.removed", "funder", funder.id, procurement_ref=procurement.reference,
                 before={"name": funder.name, "annual_amount": funder.annual_amount,
                         "annual_uplift_percent": funder.annual_uplift_percent, "is_lead": funder.is_lead})
    name = funder.name
    db.session.delete(funder)
    return name
