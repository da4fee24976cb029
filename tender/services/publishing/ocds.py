"""Export procurements as an OCDS 1.1.5 release package, audited.

``export`` reads every procurement asked for in a fixed number of queries
(procurements, funders, lots, milestones, selection questionnaire responses,
bids, award approvals, and for procurements past the award decision the five
queries of ``load_rounds``), builds ``tender.domain.ocds`` inputs and returns
the package. Winners come from the same ranking functions the ranking page
uses; a lot whose ranking is not final, or ends in a tie, has no award.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select

from tender.domain import ocds
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import (AwardApproval, AwardRecommendation, Bid, Funder, Lot, Milestone, Procurement, SQResponse,
                           Supplier)
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tender.services.procurement.procedures import registry

DEFAULT_PUBLISHER = "Tender"


def export(actor: audit.Actor, *, user=None, reference: str | None = None, procurement_id: int | None = None,
           publisher: str = DEFAULT_PUBLISHER, ocid_prefix: str = ocds.DEFAULT_OCID_PREFIX,
           now: datetime | None = None) -> dict:
    """The release package for one procurement (by reference or id) or all; records ``ocds.exported``.

    A person needs VIEW_PROCUREMENTS; without a user the actor must be the system (the CLI).
    """
    if user is not None:
        authorise(user, Permission.VIEW_PROCUREMENTS)
    elif actor.role != "system":
        raise NotAuthorised("You do not have permission to do that. Ask a procurement officer or an administrator.")
    if not ocid_prefix.strip() or not publisher.strip():
        raise InvalidRequest("Enter an OCID prefix and a publisher name.")
    now = now or datetime.now(timezone.utc)
    procurements = _procurements(reference, procurement_id)
    inputs = load_inputs(procurements)
    releases = [ocds.release(inputs[p.id], now, ocid_prefix) for p in procurements]
    single = procurements[0] if reference or procurement_id else None
    base = current_app.config["BASE_URL"]
    uri = f"{base}/procurements/{single.id}/ocds.json" if single else f"{base}/ocds/{now:%Y%m%dT%H%M%S%fZ}.json"
    package = ocds.package(releases, uri=uri, publisher=publisher, published=now)
    audit.record(actor, "ocds.exported", "procurement" if single else "ocds_package", single.id if single else None,
                 procurement_ref=single.reference if single else None,
                 after={"releases": [r["id"] for r in releases], "ocid_prefix": ocid_prefix, "publisher": publisher})
    db.session.commit()
    return package


def _procurements(reference: str | None, procurement_id: int | None) -> list[Procurement]:
    query = select(Procurement).order_by(Procurement.reference)
    if reference:
        query = query.where(Procurement.reference == reference)
    if procurement_id is not None:
        query = query.where(Procurement.id == procurement_id)
    found = list(db.session.scalars(query))
    if not found:
        raise NotFound(f"There is no procurement with the reference {reference}." if reference
                       else "There is no procurement to export.")
    return found


def _grouped(model, ids: list[int], *order) -> dict[int, list]:
    groups = defaultdict(list)
    for row in db.session.scalars(select(model).where(model.procurement_id.in_(ids)).order_by(*order)):
        groups[row.procurement_id].append(row)
    return groups


def load_inputs(procurements: list[Procurement]) -> dict[int, ocds.ProcurementInput]:
    """Procurement id -> the domain's input, in a fixed number of queries whatever the count."""
    ids = [p.id for p in procurements]
    funders = _grouped(Funder, ids, Funder.id)
    lots = _grouped(Lot, ids, Lot.number)
    milestones = _grouped(Milestone, ids, Milestone.position)
    suppliers: dict[int, ocds.SupplierInput] = {}
    candidates = defaultdict(set)
    for response, supplier in db.session.execute(select(SQResponse, Supplier).join(
            Supplier, Supplier.id == SQResponse.supplier_id).where(SQResponse.procurement_id.in_(ids))):
        candidates[response.procurement_id].add(supplier.id)
        suppliers[supplier.id] = ocds.SupplierInput(supplier.id, supplier.name, supplier.companies_house_number)
    bidders = defaultdict(lambda: defaultdict(set))
    for procurement_id, number, supplier in db.session.execute(
            select(Lot.procurement_id, Lot.number, Supplier).join(Bid, Bid.lot_id == Lot.id)
            .join(Supplier, Supplier.id == Bid.supplier_id).where(Lot.procurement_id.in_(ids))):
        bidders[procurement_id][number].add(supplier.id)
        suppliers[supplier.id] = ocds.SupplierInput(supplier.id, supplier.name, supplier.companies_house_number)
    approvals = {a.procurement_id: a.approved_at for a in db.session.scalars(
        select(AwardApproval).where(AwardApproval.procurement_id.in_(ids)))}
    awarding = [lot for p in procurements if ocds.PHASE_CODES[ocds.phase_of(p.state)].award_status
                for lot in lots[p.id]]
    winners = _winners(awarding, {s.name: s.id for s in suppliers.values()})
    definitions = registry().definitions
    inputs = {}
    for p in procurements:
        definition = definitions[p.procedure]
        types = {m.key: m.ocds_type for m in definition.milestones}
        involved = candidates[p.id] | set().union(*bidders[p.id].values())
        inputs[p.id] = ocds.ProcurementInput(
            reference=p.reference, title=p.title, description=p.description or "", procedure=p.procedure,
            procedure_title=definition.title, stage=p.state, estimated_value=p.estimated_value,
            initial_term_years=p.initial_term_years, extension_years=tuple(p.extension_periods),
            funders=tuple(ocds.FunderInput(f.id, f.name, f.is_lead) for f in funders[p.id]),
            lots=tuple(ocds.LotInput(lot.number, lot.title, lot.annual_budget) for lot in lots[p.id]),
            milestones=tuple(ocds.MilestoneInput(m.key, m.title, types.get(m.key), m.planned_date, m.actual_date,
                                                 m.status) for m in milestones[p.id]),
            suppliers=tuple(suppliers[i] for i in sorted(involved)),
            candidate_ids=frozenset(candidates[p.id]),
            bidders_by_lot={n: frozenset(s) for n, s in bidders[p.id].items()},
            winners=tuple(w for lot in lots[p.id] for w in winners.get(lot.id, ())),
            award_approved_at=approvals.get(p.id))
    return inputs


def _winners(lots: list[Lot], supplier_ids: dict[str, int]) -> dict[int, tuple[ocds.WinnerInput, ...]]:
    """Lot id -> its recorded, approved recommendation's supplier and annual price (never a fresh ranking).

    A lot is published as awarded only from the decision on record: the
    recommendation the approver approved. A lot with no award recorded, or
    whose procurement has no approval, has no winner to publish.
    """
    if not lots:
        return {}
    approved = set(db.session.scalars(select(AwardApproval.procurement_id).where(
        AwardApproval.procurement_id.in_({lot.procurement_id for lot in lots}))))
    result = {}
    for rec, number in db.session.execute(
            select(AwardRecommendation, Lot.number).join(Lot, Lot.id == AwardRecommendation.lot_id)
            .where(AwardRecommendation.lot_id.in_([lot.id for lot in lots]), AwardRecommendation.voided_at.is_(None),
                   AwardRecommendation.supplier_id.is_not(None))):
        if rec.procurement_id in approved:
            result[rec.lot_id] = (ocds.WinnerInput(number, rec.supplier_id, rec.annual_price),)
    return result
