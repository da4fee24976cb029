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
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select

from tender.domain import letters as rules
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import (AuditEvent, AwardApproval, AwardLetter, ConflictDeclaration, EvaluatorAssignment, Lot,
                           Milestone, PriceOpening, Procurement, SQResponse, User)
from tender.models.supplier import REJECTED, SHORTLISTED
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.award.documents import council_name, render_html, to_pdf
from tender.services.award.letters import current_recommendations, uk_date
from tender.services.errors import NotFound
from tender.services.procurement.procedures import registry
from tender.services.procurement.setup import REGIME_LABELS

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
                     "recorded_by": db.session.get(User, rec.recorded_by_id)})
    return lots


def _conflicts(procurement: Procurement) -> list[dict]:
    rows = db.session.execute(
        select(ConflictDeclaration, Lot, User).join(Lot, Lot.id == ConflictDeclaration.lot_id)
        .join(User, User.id == ConflictDeclaration.user_id)
        .where(Lot.procurement_id == procurement.id, ConflictDeclaration.has_conflict.is_(True))
        .order_by(Lot.number, ConflictDeclaration.declared_at)).all()
    out = []
    for declaration, lot, person in rows:
        assignment = db.session.scalar(select(EvaluatorAssignment).where(
            EvaluatorAssignment.lot_id == lot.id, EvaluatorAssignment.user_id == person.id))
        done = ("Removed from the evaluation panel of this lot on "
                f"{rules.format_uk_date(uk_date(assignment.withdrawn_at))}; they saw no tenders and scored nothing."
                if assignment is not None and assignment.withdrawn_at is not None else
                "Kept off the evaluation panel of this lot.")
        out.append({"lot": lot.number, "person": person.name, "role": person.role, "details": declaration.details,
                    "declared_on": uk_date(declaration.declared_at), "action": done})
    return out


def _declarations_count(procurement: Procurement) -> int:
    return db.session.scalar(select(func.count(ConflictDeclaration.id)).join(Lot, Lot.id == ConflictDeclaration.lot_id)
                             .where(Lot.procurement_id == procurement.id)) or 0


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


def build(procurement: Procurement) -> dict:
    """The report's content, read from the record (template context)."""
    definition = registry().definitions.get(procurement.procedure)
    lots = _lots(procurement)
    responses = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement.id)
                                   .order_by(SQResponse.received_at)).all()
    now = datetime.now(timezone.utc)
    return {
        "procurement": procurement, "council": council_name(procurement), "reference": procurement.reference,
        "title": f"Procurement report: {procurement.reference}", "footer": f"Procurement report, {procurement.title}",
        "procedure_title": definition.title if definition else procurement.procedure,
        "legal_basis": getattr(definition, "legal_basis", "") if definition else "",
        "regime": REGIME_LABELS.get(procurement.regime, procurement.regime), "is_cpn": procurement.procedure == CPN,
        "funders": procurement.funders, "lots_all": procurement.lots, "lots": lots,
        "selected": [r for r in responses if r.decision == SHORTLISTED],
        "rejected": [r for r in responses if r.decision == REJECTED],
        "undecided": [r for r in responses if r.decision not in (SHORTLISTED, REJECTED)],
        "conflicts": _conflicts(procurement), "declarations": _declarations_count(procurement),
        "milestones": db.session.scalars(select(Milestone).where(Milestone.procurement_id == procurement.id)
                                         .order_by(Milestone.position)).all(),
        "approvals": _approvals(procurement, lots), "trail": _audit_trail(procurement),
        "generated": now, "generated_on": rules.format_uk_date(uk_date(now)),
        "total_value": sum((r["rec"].contract_value or 0) for r in lots),
    }


def generate(procurement_id: int | None, user=None, *, reference: str | None = None,
             actor: audit.Actor | None = None) -> tuple[str, bytes]:
    """(file name, PDF/A bytes) of the report; audited as an export (by a user, or the CLI as ``actor``)."""
    if user is not None:
        authorise(user, Permission.VIEW_RANKING)
    procurement = find(reference) if reference else db.session.get(Procurement, procurement_id)
    if procurement is None:
        raise NotFound("There is no procurement with that number.")
    pdf = to_pdf(render_html("letters/report.html", **build(procurement)))
    filename = f"{procurement.reference.replace('/', '-')}-procurement-report.pdf"
    audit.record(actor or audit.Actor.of(user), "procurement.report_generated", "procurement", procurement.id,
                 procurement_ref=procurement.reference, after={"file": filename, "bytes": len(pdf)})
    db.session.commit()
    return filename, pdf


def set_negotiation_ground(procurement_id: int, ground: str, user, ip: str | None = None) -> Procurement:
    """Record why the competitive procedure with negotiation may be used (PCR 2015 reg. 26(4)); audited."""
    from tender.services.errors import InvalidRequest
    from tender.services.procurement.workflow import get_procurement

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
    db.session.commit()
    return procurement
