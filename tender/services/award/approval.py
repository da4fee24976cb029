"""Approval of the award decision by the holder of delegated authority."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import AwardApproval
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest
from tender.services.procurement.procedures import registry
from tender.services.procurement.workflow import get_procurement


def approval_stages(procurement) -> frozenset[str]:
    """Where the award may be approved: the stages left by a transition the ``award_approved`` guard stops.

    PCR procedures: award_decision. The competitive flexible procedure has no
    such stage; its award is approved during tender assessment, before the
    assessment summaries go out (PA s.50).
    """
    definition = registry().definitions[procurement.procedure]
    return frozenset(stage for t in definition.transitions if any(g.name == "award_approved" for g in t.guards)
                     for stage in t.sources)


def approve_award(procurement_id: int, user, authority: str, note: str = "", ip=None) -> AwardApproval:
    """Record the approver's approval; the 'award approved' guard reads exactly this."""
    authorise(user, Permission.APPROVE_AWARD)
    procurement = get_procurement(procurement_id)
    if procurement.state not in approval_stages(procurement):
        raise InvalidRequest("An award decision can only be approved when the procurement is at the "
                             "award decision stage.")
    authority = (authority or "").strip()
    if not authority:
        raise InvalidRequest("Enter the delegated authority you are acting under, for example the decision number.")
    if db.session.scalar(select(AwardApproval).where(AwardApproval.procurement_id == procurement.id)):
        raise InvalidRequest("The award decision has already been approved.")
    approval = AwardApproval(procurement_id=procurement.id, approved_by_id=user.id,
                             approved_at=datetime.now(timezone.utc), authority=authority, note=(note or "").strip())
    db.session.add(approval)
    audit.record(audit.Actor.of(user, ip), "award.approved", "procurement", procurement.id,
                 procurement_ref=procurement.reference, after={"authority": authority, "note": approval.note})
    db.session.commit()
    return approval
