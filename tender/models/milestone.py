"""Milestones: the planned timetable of a procurement, met or not."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

# OCDS milestoneStatus codes, and Tender's own "notApplicable" for a milestone the procurement will never
# reach (a skipped stage, an abandoned procurement). OCDS has no such code: exports leave these out.
SCHEDULED, MET, NOT_MET, NOT_APPLICABLE = "scheduled", "met", "notMet", "notApplicable"
# Statuses of milestones nobody needs reminding about any more.
CLOSED = (MET, NOT_APPLICABLE)


class Milestone(db.Model):
    """One dated step of the timetable, owned by a person who is reminded about it."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("procurement_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    planned_date: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    actual_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20), default=SCHEDULED, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None, index=True)
    replan_reason: Mapped[str | None] = mapped_column(Text, default=None)
    not_applicable_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Optimistic lock: two officers changing the same milestone cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    procurement: Mapped["Procurement"] = relationship(back_populates="milestones")  # noqa: F821
    owner: Mapped["User | None"] = relationship()  # noqa: F821
