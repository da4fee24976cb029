"""The procurement report (PCR 2015 reg. 84; Procurement Act 2023 s.98 records), generated from the record.

One PDF/A document per procurement: subject, value and duration; the
procedure (with the reg. 26 ground for a competitive procedure with
negotiation); candidates selected and rejected with reasons; tenders
rejected (abnormally low, below a quality threshold, above the affordability
ceiling) with reasons; the winner of each lot and why; conflicts of interest
declared and what was done; key dates and approvals; and where the full
audit trail is. Every fact comes from the database as recorded: the
recommendations' decision JSON, the shortlist, the declarations, the
milestones and the audit chain; nothing is recomputed.

Each declaration of interest is placed in its lot's order of events (before
or after the lot's prices were opened, and its recommendation recorded), so
the report never claims more than the record shows. A person who may not see
a lot (``tender.services.award.access``) gets the report without it, and a
note saying so; the ``tender report`` command (the system) gets every lot.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select

from tender.domain import letters as rules
from tender.domain.roles import Permission, Role
from tender.extensions import db
from tender.models import (AuditEvent, AwardApproval, AwardLetter, AwardRecommendation, ConflictDeclaration,
                           EvaluatorAssignment, Lot, Milestone, PriceOpening, Procurement, SQResponse, User)
from tender.models.supplier import REJECTED, SHORTLISTED
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.award.access import LotAccess, lot_access
from tender.services.award import abnormally_low
from tender.services.award.documents import council_name, render_html, to_pdf
from tender.services.procurement import conflicts_assessment
from tender.services.evaluation import bid_documents
from tender.services.award.letters import current_recommendations, uk_date
from tender.services.errors import NotFound
from tender.services.procurement.definitions import definition_of
from tender.services.procurement.setup import REGIME_LABELS
from tender.services.use_case import get_procurement, transaction, use_case

CPN = "competitive_procedure_with_negotiation"


def find(reference: str) -> Procurement:
    """The procurement with this reference, or NotFound."""
    procurement = db.session.scalar(select(Procurement).where(Procurement.reference == reference))
    if procurement is None:
        raise NotFound(f"There is no procurement with the reference {reference}.")
    return procurement


def _rejected_tenders(decision: dict) -> list[dict]:
    out = []
    for row in decision["ranking"]:
        reasons = list(row["reasons"])
        if row["abnormally_low"]:
            reasons.append("abnormally low tender: " + ("; ".join(row["notes"]) or "flagged by the price rule"))
        if row["excluded"] or row["abnormally_low"]:
            out.append({"supplier": row["supplier"], "excluded": row["excluded"], "reasons": reasons})
    return out


def _lots(procurement: Procurement) -> list[dict]:
    from tender.services.award.contract import terms_by_lot_number

    signed = terms_by_lot_number(procurement.id)
    lots = []
    for rec in current_recommendations(procurement.id):
        decision = json.loads(rec.decision)
        ranked = [r for r in decision["ranking"] if r["rank"] is not None and not r["excluded"]]
        winner = decision["recommended"]
        winner_row = next((r for r in decision["ranking"] if winner and r["supplier_id"] == winner["supplier_id"]),
                          None)
        runner_up = next((r for r in ranked if winner and r["supplier_id"] != winner["supplier_id"]), None)
        lots.append({"number": decision["lot"]["number"], "title": decision["lot"]["title"], "rec": rec,
                     "decision": decision, "ranking": decision["ranking"], "winner": winner_row,
                     "runner_up": runner_up, "rejected": _rejected_tenders(decision),
                     "recorded_by": db.session.get(User, rec.recorded_by_id),
                     "contract": signed.get(decision["lot"]["number"]) if winner else None})
    return lots


def _utc(moment: datetime | None) -> datetime | None:
    """A stored moment as UTC (SQLite returns them without a zone)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _when(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%d/%m/%Y %H:%M UTC")


def declaration_timing(declared_at: datetime, prices_opened_at: datetime | None,
                       recommended_at: datetime | None) -> str:
    """Where a declaration falls in its lot's order of events, said plainly (all moments timezone-aware).

    Prices are what a declaration must come before; the recommendation is
    what an approver is shown. The report states the order as recorded
    rather than assuming every declaration came first.
    """
    if prices_opened_at is None or declared_at < prices_opened_at:
        return "Before the lot's prices were opened"
    opened = f"after the lot's prices were opened ({_when(prices_opened_at)})"
    if recommended_at is None or declared_at < recommended_at:
        return opened[0].upper() + opened[1:]
    return f"{opened[0].upper() + opened[1:]} and its award recommendation was recorded ({_when(recommended_at)})"


def _conflict_action(person: User, assignment: EvaluatorAssignment | None) -> str:
    if person.role == Role.APPROVER.value:
        return ("Barred from approving the award decision (another approver must); the lot's decision, prices, "
                "scores and letters are withheld from them.")
    if assignment is not None and assignment.withdrawn_at is not None:
        return (f"Removed from the evaluation panel of this lot on "
                f"{rules.format_uk_date(uk_date(assignment.withdrawn_at))}, when they declared; from then its "
                "tenders, scores, prices and letters were withheld from them.")
    return "Kept off the evaluation panel of this lot; its tenders, scores, prices and letters are withheld from them."


def _declarations(procurement: Procurement) -> list[dict]:
    """Every declaration of interest, in lot order, placed among its lot's price opening and recommendation."""
    opened = {lot_id: _utc(at) for lot_id, at in db.session.execute(
        select(PriceOpening.lot_id, func.min(PriceOpening.at)).join(Lot, Lot.id == PriceOpening.lot_id)
        .where(Lot.procurement_id == procurement.id).group_by(PriceOpening.lot_id))}
    recommended = {lot_id: _utc(at) for lot_id, at in db.session.execute(
        select(AwardRecommendation.lot_id, func.min(AwardRecommendation.recorded_at))
        .where(AwardRecommendation.procurement_id == procurement.id).group_by(AwardRecommendation.lot_id))}
    rows = db.session.execute(
        select(ConflictDeclaration, Lot, User, EvaluatorAssignment).join(Lot, Lot.id == ConflictDeclaration.lot_id)
        .join(User, User.id == ConflictDeclaration.user_id)
        .outerjoin(EvaluatorAssignment, (EvaluatorAssignment.lot_id == Lot.id)
                   & (EvaluatorAssignment.user_id == User.id))
        .where(Lot.procurement_id == procurement.id)
        .order_by(Lot.number, ConflictDeclaration.declared_at, User.name)).all()
    out = []
    for declaration, lot, person, assignment in rows:
        declared_at, prices_opened_at = _utc(declaration.declared_at), opened.get(lot.id)
        out.append({"lot": lot.number, "person": person.name, "role": _role_label(person.role),
                    "has_conflict": declaration.has_conflict, "details": declaration.details,
                    "declared_on": uk_date(declared_at), "declared_at": _when(declared_at),
                    "timing": declaration_timing(declared_at, prices_opened_at, recommended.get(lot.id)),
                    "before_prices": prices_opened_at is None or declared_at < prices_opened_at,
                    "action": _conflict_action(person, assignment) if declaration.has_conflict else ""})
    return out


def _role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


def _approvals(procurement: Procurement, lots: list[dict]) -> list[dict]:
    out = []
    for opening, lot, person in db.session.execute(
            select(PriceOpening, Lot, User).join(Lot, Lot.id == PriceOpening.lot_id)
            .join(User, User.id == PriceOpening.opened_by_id).where(Lot.procurement_id == procurement.id)
            .order_by(PriceOpening.at)):
        out.append({"what": f"Prices opened for lot {lot.number} ({opening.round} tenders)", "who": person.name,
                    "when": opening.at})
    for lot in lots:
        out.append({"what": f"Award recommendation recorded for lot {lot['number']} (digest {lot['rec'].digest[:16]}…)",
                    "who": lot["recorded_by"].name, "when": lot["rec"].recorded_at})
    approval = db.session.scalar(select(AwardApproval).where(AwardApproval.procurement_id == procurement.id))
    if approval is not None:
        out.append({"what": f"Award decision approved: {approval.authority}" + (f" ({approval.note})" if approval.note
                                                                               else ""),
                    "who": approval.approved_by.name, "when": approval.approved_at})
    letters = db.session.scalars(select(AwardLetter).where(AwardLetter.procurement_id == procurement.id,
                                                           AwardLetter.issued_at.is_not(None))).all()
    if letters:
        first = min(letters, key=lambda l: l.issued_at)
        what = "Assessment summaries" if first.kind == rules.ASSESSMENT_SUMMARY else "Award decision letters"
        out.append({"what": f"{what} sent to {len(letters)} tenderers", "who": db.session.get(
            User, first.issued_by_id).name, "when": first.issued_at})
    return sorted(out, key=lambda e: e["when"] if e["when"].tzinfo else e["when"].replace(tzinfo=timezone.utc))


def _audit_trail(procurement: Procurement) -> dict:
    count, last = db.session.execute(select(func.count(AuditEvent.seq), func.max(AuditEvent.seq))
                                     .where(AuditEvent.procurement_ref == procurement.reference)).one()
    seq, head = audit.head()
    return {"events": count or 0, "last_seq": last, "chain_length": seq, "head": head}


def build(procurement: Procurement, access: LotAccess | None = None, reader=None) -> dict:
    """The report's content, read from the record (template context).

    With ``access`` (a person's, from ``tender.services.award.access``), the
    lots they may not see are left out of the decisions, the rejected
    tenders and the value, and ``left_out`` says which and why.
    """
    definition = definition_of(procurement)
    every_lot = _lots(procurement)
    lots = [lot for lot in every_lot if access is None or access.visible(lot["rec"].lot_id)]
    hidden = sorted(access.number_of(lot_id) for lot_id in access.hidden_ids) if access is not None else []
    responses = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement.id)
                                   .order_by(SQResponse.received_at)).all()
    declarations = _declarations(procurement)
    now = clock.now()
    return {
        "procurement": procurement, "council": council_name(procurement), "reference": procurement.reference,
        "title": f"Procurement report: {procurement.reference}", "footer": f"Procurement report, {procurement.title}",
        "procedure_title": definition.title if definition else procurement.procedure,
        "legal_basis": getattr(definition, "legal_basis", "") if definition else "",
        "regime": REGIME_LABELS.get(procurement.regime, procurement.regime), "is_cpn": procurement.procedure == CPN,
        "funders": procurement.funders, "lots_all": procurement.lots, "lots": lots,
        "left_out": {"numbers": hidden, "notes": access.notes,
                     "reader": getattr(reader, "name", "")} if hidden else None,
        "selected": [r for r in responses if r.decision == SHORTLISTED],
        "rejected": [r for r in responses if r.decision == REJECTED],
        "undecided": [r for r in responses if r.decision not in (SHORTLISTED, REJECTED)],
        "declarations": declarations, "conflicts": [d for d in declarations if d["has_conflict"]],
        "declared_before_prices": sum(1 for d in declarations if d["before_prices"]),
        "milestones": db.session.scalars(select(Milestone).where(Milestone.procurement_id == procurement.id)
                                         .order_by(Milestone.position)).all(),
        "approvals": _approvals(procurement, every_lot), "trail": _audit_trail(procurement),
        "generated": now, "generated_on": rules.format_uk_date(uk_date(now)),
        "total_value": sum((r["rec"].contract_value or 0) for r in lots),
        "signed_value": sum(r["contract"].value for r in lots if r["contract"]),
        "contracts_signed": [r for r in lots if r["contract"]],
        "act": procurement.regime.startswith("pa2023"),
        "conflicts_assessment": conflicts_assessment.report_facts(procurement),
        "abnormally_low": abnormally_low.report_rows(procurement),
        # Scores given to a tender whose documents the evaluator never opened (tender.services.evaluation.bid_documents)
        "reading": bid_documents.reading_record([r["rec"].lot_id for r in lots]),
    }


def generate(procurement_id: int | None, user=None, *, reference: str | None = None,
             actor: audit.Actor | None = None) -> tuple[str, bytes]:
    """(file name, PDF/A bytes) of the report; audited as an export (by a user, or the CLI as ``actor``).

    A user's copy leaves out the lots they may not see (a declared conflict,
    or an approver who has not declared yet); the CLI's copy is whole.
    """
    if user is not None:
        authorise(user, Permission.VIEW_RANKING)
    procurement = find(reference) if reference else db.session.get(Procurement, procurement_id)
    if procurement is None:
        raise NotFound("There is no procurement with that number.")
    access = lot_access(user, procurement) if user is not None else None
    content = build(procurement, access, reader=user)
    pdf = to_pdf(render_html("letters/report.html", **content))
    filename = f"{procurement.reference.replace('/', '-')}-procurement-report.pdf"
    after = {"file": filename, "bytes": len(pdf)}
    if content["left_out"]:
        after["lots_left_out"] = content["left_out"]["numbers"]
    with transaction():
        audit.record(actor or audit.Actor.of(user), "procurement.report_generated", "procurement", procurement.id,
                     procurement_ref=procurement.reference, after=after)
    return filename, pdf


@use_case
def set_negotiation_ground(procurement_id: int, ground: str, user, ip: str | None = None) -> Procurement:
    """Record why the competitive procedure with negotiation may be used (PCR 2015 reg. 26(4)); audited."""
    from tender.services.errors import InvalidRequest

    authorise(user, Permission.SET_UP_PROCUREMENT)
    procurement = get_procurement(procurement_id)
    ground = (ground or "").strip()
    if not ground:
        raise InvalidRequest("Enter the regulation 26(4) ground for using the competitive procedure with negotiation.")
    if len(ground) > 4000:
        raise InvalidRequest("The ground must be 4,000 characters or fewer.")
    before = procurement.negotiation_ground
    procurement.negotiation_ground = ground
    audit.record(audit.Actor.of(user, ip), "procurement.negotiation_ground_set", "procurement", procurement.id,
                 procurement_ref=procurement.reference, before={"negotiation_ground": before},
                 after={"negotiation_ground": ground})
    return procurement
