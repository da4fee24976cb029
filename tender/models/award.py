"""Approval of an award decision by an officer holding delegated authority."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db


class AwardApproval(db.Model):
    """The record that the person with delegated authority approved the award decision.

    In the demo that is the Corporate Director, to whom decision 22/00033
    delegated authority to enter into the contracts.
    """

    __tablename__ = "award_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), unique=True)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    authority: Mapped[str] = mapped_column(Text)  # e.g. "Delegated by decision 22/00033"
    note: Mapped[str] = mapped_column(Text, default="")

    approved_by: Mapped["User"] = relationship()  # noqa: F821
