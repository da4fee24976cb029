"""Which supplier organisations are invited to respond to which procurements (issue 18).

An ``Invitation`` means "this supplier organisation is invited to respond to
this procurement": it is what lets the organisation's users see the
procurement at all. The officer makes one (``how`` "officer"), or, for an
open or competitive flexible procedure, a verified supplier user makes one by
expressing interest (``how`` "interest", ``invited_by_id`` that user).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

BY_OFFICER, BY_INTEREST = "officer", "interest"
INVITATION_ROUTES = (BY_OFFICER, BY_INTEREST)


class Invitation(db.Model):
    """One supplier organisation invited to one procurement."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("procurement_id", "supplier_id"),
        CheckConstraint("how IN ('officer', 'interest')", name="how"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    how: Mapped[str] = mapped_column(String(10), default=BY_OFFICER, server_default=BY_OFFICER)

    supplier: Mapped["Supplier"] = relationship()  # noqa: F821
    procurement: Mapped["Procurement"] = relationship()  # noqa: F821
