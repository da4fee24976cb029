"""Supplier organisations and what their users may reach (issue 18).

The one place that answers "which supplier does this user act for?" and "is
this supplier invited to this procurement?": every supplier-facing page and
service asks here, so isolation between suppliers has one source.
"""
from __future__ import annotations

from sqlalchemy import select

from tender.domain.roles import Role
from tender.extensions import db
from tender.models import Invitation, Supplier, User


def supplier_of(user: User | None) -> Supplier | None:
    """The supplier organisation ``user`` acts for, or None for staff and anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.SUPPLIER.value:
        return None
    if user.supplier_id is None:
        return None
    return db.session.get(Supplier, user.supplier_id)


def is_invited(procurement_id: int, supplier_id: int) -> bool:
    """True if the supplier organisation is invited to respond to the procurement."""
    found = db.session.execute(
        select(Invitation.id).where(Invitation.procurement_id == procurement_id,
                                    Invitation.supplier_id == supplier_id)).first()
    return found is not None
