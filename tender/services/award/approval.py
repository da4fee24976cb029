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
from tender.services.procurement.workflow import get_procurement


def approve_award(procurement_id: int, user, authority: str, note: str = "", ip=None) -> AwardApproval:
    """Record the approver's approval; the 'award approved' guard reads exactly this."""
    authorise(user, Permission.APPROVE_AWARD)
    procurement = get_procurement(procurement_id)
    if procurement.state != "award_decision":
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
