"""Approval of the award decision by the holder of delegated authority.

The approver first declares, per lot, any conflict of interest with the
suppliers that bid (PCR 2015 reg. 24; Procurement Act 2023 s.81), seeing
only their names; a lot's recorded recommendation (supplier or no award,
contract value, the whole ranking) shows only once they have declared no
conflict on it (``tender.services.award.access``). The approval records the digest of exactly the
recommendations shown; if any changed in between (a lot reopened and
re-recommended), the approval is refused and the page shows the new ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from tender.domain import award as award_rules
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import AwardApproval, AwardRecommendation, Bid, ConflictDeclaration, Lot, Procurement, Supplier
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.award import access as award_access
from tender.services.award.recommendation import approval_stages, current, decision_of
from tender.services.errors import ConcurrentChange, InvalidRequest, NotAuthorised
from tender.services.procurement.workflow import get_procurement
from tender.services.use_case import use_case

CHANGED = ("The recommendations changed since you opened this page (a lot was reopened or recommended again). "
           "Read them again, then approve.")


@dataclass
class LotDecision:
    """One lot as the person sees it: the recommendation, its decision data, and their declaration.

    A lot they may not see (``hidden`` says why: a declared conflict, or an
    approver who has not declared yet) carries no recommendation or decision,
    only the names of the suppliers that bid, in alphabetical order, so an
    approver can declare without learning the ranking.
    """

    lot: Lot
    recommendation: AwardRecommendation | None
    decision: dict | None
    declaration: ConflictDeclaration | None
    hidden: str | None = None
    suppliers: list[str] = field(default_factory=list)


@dataclass
class ApprovalView:
    """The award page: every lot's decision, the digest to approve, and what still stands in the way."""

    procurement: Procurement
    lots: list[LotDecision]
    approval: AwardApproval | None
    digest: str | None
    blockers: list[str]
    notes: list[str] = field(default_factory=list)


def approval_view(procurement_id: int, user) -> ApprovalView:
    """What the person may see of each lot's decision (``tender.services.award.access``); blockers say what is next."""
    view, access = _full_view(procurement_id, user)
    suppliers = _supplier_names([r.lot.id for r in view.lots if not access.visible(r.lot.id)])
    view.lots = [r if access.visible(r.lot.id) else
                 LotDecision(r.lot, None, None, r.declaration, access.refusal(r.lot.id), suppliers.get(r.lot.id, []))
                 for r in view.lots]
    view.notes = access.notes
    return view


def _full_view(procurement_id: int, user) -> tuple[ApprovalView, award_access.LotAccess]:
    """Every lot's decision unredacted (for approving), with the person's access to each lot."""
    authorise(user, Permission.VIEW_RANKING)
    procurement = get_procurement(procurement_id)
    access = award_access.lot_access(user, procurement)
    recs = current(procurement.id)
    rows = [LotDecision(lot, recs.get(lot.number), decision_of(recs[lot.number]) if lot.number in recs else None,
                        access.declarations.get(lot.id)) for lot in access.lots]
    approval = db.session.scalar(select(AwardApproval).where(AwardApproval.procurement_id == procurement.id))
    blockers = []
    if procurement.state not in approval_stages(procurement):
        blockers.append("The procurement is not at the award decision stage.")
    missing = [str(r.lot.number) for r in rows if r.recommendation is None]
    if missing:
        blockers.append(f"No recommendation is recorded yet for lot {', '.join(missing)}.")
    undeclared = [str(r.lot.number) for r in rows if r.declaration is None]
    if undeclared and access.must_declare_first:  # the approver's own declarations; not asked of anyone else
        blockers.append(f"Declare whether you have a conflict of interest for lot {', '.join(undeclared)}.")
    conflicted = [str(r.lot.number) for r in rows if r.declaration is not None and r.declaration.has_conflict]
    if conflicted and access.must_declare_first:
        blockers.append(f"You declared a conflict of interest for lot {', '.join(conflicted)}, so another "
                        "approver must approve this award.")
    digest = None if missing or not rows else award_rules.approval_digest(
        {r.lot.number: r.recommendation.digest for r in rows})
    return ApprovalView(procurement, rows, approval, digest, blockers), access


def _supplier_names(lot_ids: list[int]) -> dict[int, list[str]]:
    """Lot id -> the names of the suppliers that bid for it, alphabetically (one query; no ranking order)."""
    if not lot_ids:
        return {}
    names: dict[int, list[str]] = {}
    rows = db.session.execute(select(Bid.lot_id, Supplier.name).join(Supplier, Supplier.id == Bid.supplier_id)
                              .where(Bid.lot_id.in_(lot_ids)).distinct().order_by(Bid.lot_id, Supplier.name))
    for lot_id, name in rows:
        names.setdefault(lot_id, []).append(name)
    return names


@use_case("Your declaration was already recorded. Reload the page.")
def declare_conflicts(procurement_id: int, user, answers: dict[int, tuple[bool, str]],
                      ip: str | None = None) -> list[ConflictDeclaration]:
    """The approver's declarations, one per lot, about the suppliers that bid for it; audited."""
    authorise(user, Permission.APPROVE_AWARD)
    procurement = get_procurement(procurement_id)
    lots = {lot.number: lot for lot in db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id))}
    made = []
    for number, (has_conflict, details) in sorted(answers.items()):
        lot = lots.get(number)
        if lot is None:
            raise InvalidRequest("Choose a lot of this procurement.")
        details = (details or "").strip()
        if has_conflict and not details:
            raise InvalidRequest(f"Describe your conflict of interest for lot {number}: who or what it involves.")
        if db.session.scalar(select(ConflictDeclaration.id).where(ConflictDeclaration.lot_id == lot.id,
                                                                  ConflictDeclaration.user_id == user.id)):
            raise InvalidRequest(f"You have already made your declaration for lot {number}.")
        declaration = ConflictDeclaration(lot_id=lot.id, user_id=user.id, has_conflict=has_conflict,
                                          details=details, declared_at=clock.now())
        db.session.add(declaration)
        made.append(declaration)
        audit.record(audit.Actor.of(user, ip), "award.conflict_declared" if has_conflict else
                     "award.no_conflict_declared", "conflict_declaration", None,
                     procurement_ref=procurement.reference, lot=number,
                     after={"has_conflict": has_conflict, "details": details, "role": "approver"})
    if not made:
        raise InvalidRequest("Answer the declaration for at least one lot.")
    return made


@use_case("The award decision was approved by someone else at the same moment.")
def approve_award(procurement_id: int, user, authority: str, note: str = "", ip=None,
                  digest_seen: str | None = None) -> AwardApproval:
    """Record the approver's approval of exactly the recommendations shown; the 'award approved' guard reads it."""
    authorise(user, Permission.APPROVE_AWARD)
    view, _ = _full_view(procurement_id, user)
    procurement = view.procurement
    if view.approval is not None:
        raise InvalidRequest("The award decision has already been approved.")
    if procurement.state not in approval_stages(procurement):
        raise InvalidRequest("An award decision can only be approved when the procurement is at the "
                             "award decision stage.")
    authority = (authority or "").strip()
    if not authority:
        raise InvalidRequest("Enter the delegated authority you are acting under, for example the decision number.")
    if any(r.declaration is not None and r.declaration.has_conflict for r in view.lots):
        raise NotAuthorised(next(b for b in view.blockers if "conflict of interest for lot" in b and "another" in b))
    if view.blockers:
        raise InvalidRequest(view.blockers[0])
    if digest_seen is not None and digest_seen != view.digest:
        raise ConcurrentChange(CHANGED)
    approval = AwardApproval(procurement_id=procurement.id, approved_by_id=user.id,
                             approved_at=clock.now(), authority=authority, note=(note or "").strip(),
                             digest=view.digest)
    db.session.add(approval)
    if True:  # one transaction (use_case): the approval and its audit event land together
        audit.record(audit.Actor.of(user, ip), "award.approved", "procurement", procurement.id,
                     procurement_ref=procurement.reference,
                     after={"authority": authority, "note": approval.note, "digest": view.digest,
                            "lots": {r.lot.number: {"digest": r.recommendation.digest,
                                                    "supplier": (r.decision["recommended"] or {}).get("supplier"),
                                                    "contract_value": r.decision["contract_value"],
                                                    "no_award_reason": r.decision["no_award_reason"]}
                                     for r in view.lots}})
    return approval
