"""The evaluation of bids: who evaluates a lot, their conflict declarations, scores and moderation.

Unique constraints carry the concurrency rules: one score per (bid, evaluator,
question) and one moderated score per (bid, question), so two browser tabs or
two workers can never both create one; a submitted score is locked by its
``status`` and the services refuse to change it.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

EVALUATOR, MODERATOR = "evaluator", "moderator"
PANEL_ROLES = (EVALUATOR, MODERATOR)
DRAFT, SUBMITTED = "draft", "submitted"
ScoreValue = Numeric(10, 2)


class EvaluatorAssignment(db.Model):
    """A person on a lot's panel, as evaluator (of some sections, or all) or moderator.

    ``sections`` is a comma-separated list of criterion ids (a section or a
    question), or None for the whole model. ``withdrawn_at`` is set when the
    person declares a conflict of interest: the row stays, as the record.
    """

    __tablename__ = "evaluator_assignment"
    __table_args__ = (
        UniqueConstraint("lot_id", "user_id"),
        CheckConstraint("role IN ('evaluator', 'moderator')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    sections: Mapped[str | None] = mapped_column(String(400), default=None)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Optimistic lock: of two simultaneous edits one wins, the other is told someone else changed it.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821

    @property
    def section_ids(self) -> tuple[str, ...]:
        """The criterion ids this person scores; empty means all of them."""
        return tuple(part.strip() for part in (self.sections or "").split(",") if part.strip())

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ConflictDeclaration(db.Model):
    """A panel member's declaration, for one lot, made before its bids open to them (PCR reg. 24)."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (UniqueConstraint("lot_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    has_conflict: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Score(db.Model):
    """One evaluator's score of one bid on one question: a point of the scale, or pass/fail."""

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("bid_id", "evaluator_id", "criterion_id"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        CheckConstraint("pass_fail IS NULL OR pass_fail IN ('pass', 'fail')", name="pass_fail"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[Decimal | None] = mapped_column(ScoreValue, default=None)
    pass_fail: Mapped[str | None] = mapped_column(String(4), default=None)
    rationale: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Optimistic lock: of two simultaneous edits one wins, the other is told someone else changed it.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class ModeratedScore(db.Model):
    """The panel's consensus score of one bid on one question, with the moderator's rationale."""

    __tablename__ = "moderated_score"
    __table_args__ = (
        UniqueConstraint("bid_id", "criterion_id"),
        CheckConstraint("pass_fail IS NULL OR pass_fail IN ('pass', 'fail')", name="pass_fail"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[Decimal | None] = mapped_column(ScoreValue, default=None)
    pass_fail: Mapped[str | None] = mapped_column(String(4), default=None)
    rationale: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Optimistic lock: of two simultaneous edits one wins, the other is told someone else changed it.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class PriceOpening(db.Model):
    """The second envelope: prices of a lot's round, opened once by an officer.

    Opening freezes the round's individual and consensus scores (``frozen``):
    the price is now known, so no score may move. A procurement officer may
    reopen the scores, with a reason, before the award is approved; that voids
    the lot's recommendation, and the scores freeze again when the officer
    confirms them final. Prices, once revealed, stay revealed.
    """

    __tablename__ = "price_opening"
    __table_args__ = (UniqueConstraint("lot_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    frozen: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true())
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    reopen_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The panel's agreement when the scores froze (JSON, ``agreement_to_json``); None while they are not frozen.
    agreement: Mapped[str | None] = mapped_column(Text, default=None)
    # Optimistic lock: of two simultaneous edits one wins, the other is told someone else changed it.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}
