"""Reading the record into ``tender.domain.ocds.facts``: what a notice says, as the record stands now.

Winners and values come from the recorded award decision (the current
``AwardRecommendation`` of each lot, ``json.loads(rec.decision)``), never from
a fresh ranking. Award criteria come from the recorded decision's model when
there is one, else from the lot's evaluation model file.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from decimal import Decimal

from sqlalchemy import func, select

from tender.domain import periods
from tender.domain.ocds import facts as f
from tender.domain.ocds.dates import UK
from tender.domain.ocds.notices import notice_types
from tender.domain.scoring.model import EvaluationModel
from tender.extensions import db
from tender.models import (AwardApproval, AwardRecommendation, Bid, Funder, Lot, LotClassification, Milestone,
                           Notice, Organisation, Procurement, ProcurementPublishing, SQResponse, Supplier)
from tender.models.supplier import ROUNDS
from tender.models.milestone import NOT_APPLICABLE
from tender.services.award.contract import terms_by_lot_number as contract_terms
from tender.services.errors import ServiceError
from tender.services.procurement.definitions import definition_of


def organisation(row: Organisation | None) -> f.Organisation | None:
    if row is None:
        return None
    return f.Organisation(
        name=row.name, scheme=row.scheme, identifier=row.identifier, ppon=row.ppon,
        address=f.Address(row.street_address, row.locality, row.postal_code, row.region or "", row.country_name),
        contact_name=row.contact_name, contact_email=row.contact_email, contact_telephone=row.contact_telephone,
        url=row.url, authority_type=row.authority_type, vcse=row.vcse)


def _milestone_day(milestones: dict[str, Milestone], *keys: str, actual_only: bool = False) -> date | None:
    for key in keys:
        m = milestones.get(key)
        if m is not None and (m.actual_date or (None if actual_only else m.planned_date)):
            return m.actual_date or m.planned_date
    return None


def standstill(procurement: Procurement, milestones: dict[str, Milestone],
               award_notice_day: date | None) -> f.Standstill | None:
    """The standstill period as the binding rule has it (``tender.services.award.standstill``).

    The recorded moments (the last award letter or assessment summary sent,
    the contract award notice published) give it; before they are recorded,
    the planned milestone stands in (for a notice previewed ahead of time).
    PCR 2015: reg. 87 from the day the award decision notices went. Procurement
    Act 2023: s.51, 8 working days beginning with the day the contract award
    notice is published; none for a light touch contract (s.51(3)).
    """
    from tender.services.award.standstill import standstill_of

    recorded = standstill_of(procurement)
    if recorded is None and not procurement.regime == "pa2023_light_touch":
        if procurement.regime.startswith("pa2023"):
            day = _milestone_day(milestones, "contract_award_notice_published", actual_only=True) or award_notice_day
            moment = {"award_notice_published_at": datetime.combine(day, time(12), tzinfo=UK)} if day else None
        else:
            day = _milestone_day(milestones, "award_letters_sent")
            moment = {"notices_sent_at": datetime.combine(day, time(12), tzinfo=UK)} if day else None
        recorded = periods.standstill_for(procurement.regime, **moment) if moment else None
    if recorded is None:
        return None
    return f.Standstill(datetime.combine(recorded.started_on, time(0), tzinfo=UK), recorded.ends_at)


def criteria_of_model(model: EvaluationModel) -> tuple[f.Criterion, ...]:
    """Top-level weighted criteria (quality) and price, in percent of the whole bid."""
    out = [f.Criterion("quality", c.title, c.weight) for c in model.criteria if c.weight is not None]
    if model.price is not None:
        out.append(f.Criterion("price", "Price", model.price.weight))
    return tuple(out)


def criteria_of_decision(decision: dict) -> tuple[f.Criterion, ...]:
    model = decision["model"]
    out = [f.Criterion("quality", c["title"], Decimal(c["weight"])) for c in model["criteria"]
           if c["parent"] is None and c["weight"] is not None]
    if model.get("price"):
        out.append(f.Criterion("price", "Price", Decimal(model["price"]["weight"])))
    return tuple(out)


def _lot_criteria(lot: Lot, decision: dict | None) -> tuple[f.Criterion, ...]:
    if decision is not None:
        return criteria_of_decision(decision)
    if not lot.evaluation_model:
        return ()
    from tender.services.evaluation.panel import model_for

    try:
        return criteria_of_model(model_for(lot))
    except ServiceError:
        return ()


def current_recommendations(procurement_id: int) -> dict[int, AwardRecommendation]:
    """Lot id -> its current (not voided) recommendation."""
    rows = db.session.scalars(select(AwardRecommendation).where(
        AwardRecommendation.procurement_id == procurement_id, AwardRecommendation.voided_at.is_(None)))
    return {r.lot_id: r for r in rows}


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def published(notice: Notice, regime: str) -> f.PublishedNotice:
    """A stored notice as later releases repeat it: its release (None if published elsewhere) and its ids."""
    kind = notice_types(regime).get(notice.kind)
    return f.PublishedNotice(
        kind=notice.kind, code=notice.notice_type, title=kind.title if kind else notice.notice_type,
        document_type=kind.document_type if kind else "tenderNotice", published_at=aware(notice.published_at),
        release=json.loads(notice.release_json) if notice.release_json else None,
        fts_notice_number=notice.fts_notice_number, fts_ocid=notice.fts_ocid)


def _lot_bids(lots: list[Lot], bids: list[Bid], vcse: dict[int, bool | None]) -> tuple[f.LotBids, ...]:
    """Per lot with tenders: how many suppliers tendered, and how many in its last round (the one awarded on)."""
    out = []
    for lot in lots:
        mine = [b for b in bids if b.lot_id == lot.id]
        if not mine:
            continue
        last = max((b.round for b in mine), key=lambda r: ROUNDS.index(r) if r in ROUNDS else -1)
        final = {b.supplier_id for b in mine if b.round == last}
        known = [vcse.get(i) for i in final]
        out.append(f.LotBids(lot.number, len({b.supplier_id for b in mine}), len(final),
                             None if None in known else sum(1 for v in known if v)))
    return tuple(out)


def read(procurement: Procurement, *, award_notice_day: date | None = None,
         earlier: tuple[f.PublishedNotice, ...] = ()) -> f.Procurement:
    """The facts of ``procurement`` as the record stands (the award notice day: for the PA standstill).

    ``earlier``: the notices already out, whose published dates later notices repeat.
    """
    definition = definition_of(procurement)
    types = {m.key: m.ocds_type for m in definition.milestones}
    pid = procurement.id
    milestones = {m.key: m for m in db.session.scalars(
        select(Milestone).where(Milestone.procurement_id == pid).order_by(Milestone.position))}
    lots = list(db.session.scalars(select(Lot).where(Lot.procurement_id == pid).order_by(Lot.number)))
    funders = list(db.session.scalars(select(Funder).where(Funder.procurement_id == pid).order_by(Funder.id)))
    orgs = {(o.procurement_id, o.funder_id, o.supplier_id): o for o in db.session.scalars(select(Organisation).where(
        (Organisation.procurement_id == pid) | Organisation.funder_id.in_([x.id for x in funders])))}
    settings = db.session.scalar(select(ProcurementPublishing).where(ProcurementPublishing.procurement_id == pid))
    lot_cpv = {c.lot_id: c.cpv_code for c in db.session.scalars(
        select(LotClassification).where(LotClassification.lot_id.in_([lot.id for lot in lots])))}
    recs = current_recommendations(pid)
    decisions = {lot_id: json.loads(rec.decision) for lot_id, rec in recs.items()}
    approval = db.session.scalar(select(AwardApproval).where(AwardApproval.procurement_id == pid))
    awards = []
    signed = contract_terms(pid)
    for lot in lots:
        rec = recs.get(lot.id)
        if rec is None:
            continue
        d = decisions[lot.id]
        recommended = d.get("recommended")
        awards.append(f.Award(
            lot_number=lot.number, supplier_id=recommended["supplier_id"] if recommended else None,
            annual_price=Decimal(d["annual_price"]) if d.get("annual_price") else None,
            contract_value=Decimal(d["contract_value"]) if d.get("contract_value") else None,
            decided_at=aware(approval.approved_at if approval else rec.recorded_at),
            no_award_reason=d.get("no_award_reason"),
            contract=signed.get(lot.number) if recommended else None))
    bids = list(db.session.scalars(select(Bid).where(Bid.lot_id.in_([lot.id for lot in lots]))))
    tenderers = {b.supplier_id for b in bids}
    supplier_ids = tenderers | {a.supplier_id for a in awards if a.supplier_id is not None}
    supplier_rows = {o.supplier_id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.supplier_id.in_(supplier_ids)))} if supplier_ids else {}
    names = {i: name for i, name in db.session.execute(
        select(Supplier.id, Supplier.name).where(Supplier.id.in_(supplier_ids)))} if supplier_ids else {}
    names.update({d["recommended"]["supplier_id"]: d["recommended"]["supplier"] for d in decisions.values()
                  if d.get("recommended")})
    requests = db.session.scalar(select(func.count(SQResponse.id)).where(SQResponse.procurement_id == pid))
    sent = aware(procurement.award_notices_sent_at) if procurement.award_notices_sent_at else None
    return f.Procurement(
        reference=procurement.reference, title=procurement.title, description=procurement.description or "",
        procedure=procurement.procedure, procedure_title=definition.title, regime=procurement.regime,
        stage=procurement.state, estimated_value=procurement.estimated_value,
        initial_term_years=procurement.initial_term_years, extension_years=tuple(procurement.extension_periods),
        authority=organisation(orgs.get((pid, None, None))),
        funders=tuple(f.Funder(x.name, x.annual_amount, organisation(orgs.get((None, x.id, None))))
                      for x in funders),
        cpv=settings.cpv_code if settings else None,
        lots=tuple(f.Lot(lot.number, lot.title, lot.annual_budget, lot_cpv.get(lot.id),
                         _lot_criteria(lot, decisions.get(lot.id))) for lot in lots),
        milestones=tuple(f.Milestone(m.key, m.title, types.get(m.key), m.planned_date, m.actual_date, m.status)
                         for m in milestones.values() if m.status != NOT_APPLICABLE),  # no OCDS code for it
        submission_method=settings.submission_method if settings else None,
        submission_url=settings.submission_url if settings else None,
        enquiry_deadline=settings.enquiry_deadline if settings else None,
        suppliers={i: organisation(o) for i, o in supplier_rows.items()}, supplier_names=names,
        tenderers=tuple(sorted(tenderers)), tenderer_count=len(tenderers), requests=requests or None,
        lot_bids=_lot_bids(lots, bids, {i: o.vcse for i, o in supplier_rows.items()}), awards=tuple(awards),
        standstill=standstill(procurement, milestones, award_notice_day),
        # The moment the last assessment summary went (PA s.50), as recorded; not a day.
        assessment_summaries_sent=sent if procurement.regime.startswith("pa2023") else None,
        contract_signed=min((t.signed_on for t in signed.values()), default=None) or _milestone_day(
            milestones, "contract_entered", "contract_awarded", actual_only=True),
        vat_percent=settings.vat_percent if settings else None,
        valued_on=next((periods.uk_date(aware(n.published_at)) for n in earlier if n.kind == "tender"), None),
        earlier=earlier)
