"""The conflicts assessment of a procurement (Procurement Act 2023 ss.81-83; PCR 2015 reg. 24).

One assessment per procurement: what the officer assessed (the risks of a
conflict of interest and how each is mitigated), who reviewed and dated it
before the tender notice, and its revisit at award. Each person acting for
the authority on the procurement declares on it (``ConflictsAssessmentPerson``);
a person added by the officer (an approver, say) has a row before declaring.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db


class ConflictsAssessment(db.Model):
    """The assessment itself, prepared, reviewed (dated) and revisited at award."""

    __tablename__ = "conflicts_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), unique=True)
    assessment: Mapped[str] = mapped_column(Text)
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    award_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    award_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    award_review_note: Mapped[str | None] = mapped_column(Text, default=None)
    # Optimistic lock: a review of an assessment revised meanwhile is refused.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    prepared_by: Mapped["User"] = relationship(foreign_keys=[prepared_by_id])  # noqa: F821
    reviewed_by: Mapped["User | None"] = relationship(foreign_keys=[reviewed_by_id])  # noqa: F821
    award_reviewed_by: Mapped["User | None"] = relationship(foreign_keys=[award_reviewed_by_id])  # noqa: F821


class ConflictsAssessmentPerson(db.Model):
    """One person's place in the assessment: added by the officer, their declaration, and any mitigation."""

    __tablename__ = "conflicts_assessment_person"
    __table_args__ = (UniqueConstraint("assessment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("conflicts_assessment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    has_conflict: Mapped[bool | None] = mapped_column(Boolean, default=None)
    details: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    mitigation: Mapped[str | None] = mapped_column(Text, default=None)
    mitigated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    mitigated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
