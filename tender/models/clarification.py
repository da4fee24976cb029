"""Clarifications: suppliers' questions, the answers published to every invited supplier, and what each was sent.

A supplier asks (``ClarificationQuestion``); the officer publishes an answer,
or a change to the procurement documents, to every invited supplier at once
(``Clarification``), the asker not named; each message to each supplier's
people is a ``ClarificationMessage``, e-mailed by the worker, and together
they are the equal-treatment record: who was sent what, and when.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

OPEN, ANSWERED = "open", "answered"
PROPOSED, ACCEPTED, DECLINED = "proposed", "accepted", "declined"
PUBLISHED, EXTENDED = "clarification", "extension"  # what a message carries
PENDING, CLAIMED, SENT, FAILED = "pending", "claimed", "sent", "failed"


class ClarificationQuestion(db.Model):
    """A question a supplier asked about a procurement, as they asked it (kept; never shown to other suppliers)."""

    __tablename__ = "clarification_question"
    __table_args__ = (CheckConstraint("status IN ('open', 'answered')", name="status"),
                      CheckConstraint("length(text) >= 1 AND length(text) <= 10000", name="text_length"))

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    clarification_id: Mapped[int | None] = mapped_column(ForeignKey("clarification.id"), default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    supplier: Mapped["Supplier"] = relationship()  # noqa: F821
    asked_by: Mapped["User"] = relationship()  # noqa: F821
    clarification: Mapped["Clarification | None"] = relationship()


class Clarification(db.Model):
    """One answer, or change to the documents, published to every invited supplier; numbered per procurement.

    ``question`` is the text as published (the officer may edit the asker's
    words to anonymise them). When it came fewer than the rule's days before
    the deadline, the extension it calls for is proposed here and decided by
    the officer (accepted: the deadline moves for everyone; declined: with
    the reason).
    """

    __tablename__ = "clarification"
    __table_args__ = (
        UniqueConstraint("procurement_id", "number"),
        CheckConstraint("kind IN ('answer', 'document_change')", name="kind"),
        CheckConstraint("extension IS NULL OR extension IN ('proposed', 'accepted', 'declined')", name="extension"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("length(answer) >= 1 AND length(answer) <= 10000", name="answer_length"),
        CheckConstraint("length(question) <= 10000", name="question_length"),
        CheckConstraint("proposed_deadline IS NULL OR (proposed_deadline >= '1990-01-01' "
                        "AND proposed_deadline <= '2100-12-31')", name="proposed_deadline_bounds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The deadline it fell before, as it stood when published, and the extension it called for.
    deadline_key: Mapped[str | None] = mapped_column(String(80), default=None)
    deadline_date: Mapped[date | None] = mapped_column(Date, default=None)
    warning: Mapped[str | None] = mapped_column(Text, default=None)
    proposed_deadline: Mapped[date | None] = mapped_column(Date, default=None)
    extension: Mapped[str | None] = mapped_column(String(10), default=None)
    extended_to: Mapped[date | None] = mapped_column(Date, default=None)
    extension_reason: Mapped[str | None] = mapped_column(Text, default=None)
    extension_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    extension_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    published_by: Mapped["User"] = relationship(foreign_keys=[published_by_id])  # noqa: F821


class ClarificationMessage(db.Model):
    """One e-mail to one person at one invited supplier: a published clarification or a deadline extension.

    Queued in the same transaction as what it announces; the worker claims,
    sends and records each (``tender.services.outbox``). The rows are the
    equal-treatment record: what each supplier was sent, and when.
    """

    __tablename__ = "clarification_message"
    __table_args__ = (
        UniqueConstraint("clarification_id", "purpose", "email"),
        CheckConstraint("purpose IN ('clarification', 'extension')", name="purpose"),
        CheckConstraint("delivery_status IN ('pending', 'claimed', 'sent', 'failed')", name="delivery_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    clarification_id: Mapped[int] = mapped_column(ForeignKey("clarification.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    email: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(20))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivery_status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    message_id: Mapped[str | None] = mapped_column(String(300), default=None)

    supplier: Mapped["Supplier"] = relationship()  # noqa: F821
    clarification: Mapped[Clarification] = relationship()
