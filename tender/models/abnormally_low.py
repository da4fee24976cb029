"""The explanation asked of a tender flagged as abnormally low, and the decision on it.

PCR 2015 reg. 69 and Procurement Act 2023 s.19: a tender whose price looks
abnormally low is not rejected on the figure alone; the authority asks the
supplier to explain it, considers the reply and decides, with reasons. One
row per flagged bid records each step as it happens.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

ACCEPTED, REJECTED = "accepted", "rejected"


class AbnormallyLowReview(db.Model):
    """The request for an explanation, the supplier's reply and the decision, for one bid."""

    __tablename__ = "abnormally_low_review"
    __table_args__ = (CheckConstraint("decision IS NULL OR decision IN ('accepted', 'rejected')", name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), unique=True)
    requested_on: Mapped[date] = mapped_column(Date)
    request: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_on: Mapped[date | None] = mapped_column(Date, default=None)
    explanation: Mapped[str | None] = mapped_column(Text, default=None)
    received_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    decision: Mapped[str | None] = mapped_column(String(20), default=None)
    reasons: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821
