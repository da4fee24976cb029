"""Award decision letters and assessment summaries: the documents as sent, and their e-mail deliveries.

A letter is drafted from the recorded award decision (one per tenderer per
lot), its narrative edited by the officer, then *issued*: rendered once as a
PDF/A whose bytes and SHA-256 are stored here and never changed, so that any
host serves exactly what the tenderer received. E-mail delivery is recorded
per letter in ``letter_delivery`` with the same claim-then-send discipline as
reminders (``tender.services.award.delivery``).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

AWARD_LETTER, ASSESSMENT_SUMMARY = "award_letter", "assessment_summary"
DRAFT, ISSUED = "draft", "issued"
EMAIL, POST = "email", "post"
PENDING, CLAIMED, SENT, FAILED = "pending", "claimed", "sent", "failed"


class AwardLetter(db.Model):
    """One tenderer's letter (PCR reg. 86) or assessment summary (Procurement Act s.50) for one lot."""

    __tablename__ = "award_letter"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "supplier_id"),
        CheckConstraint("kind IN ('award_letter', 'assessment_summary')", name="kind"),
        CheckConstraint("status IN ('draft', 'issued')", name="status"),
        CheckConstraint("method IN ('email', 'post')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("award_recommendation.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    kind: Mapped[str] = mapped_column(String(30))
    successful: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    method: Mapped[str] = mapped_column(String(10), default=EMAIL)
    recipient_email: Mapped[str | None] = mapped_column(String(254), default=None)
    narrative: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    filename: Mapped[str | None] = mapped_column(String(200), default=None)
    document: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    posted_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: When the officer pressed "Send": the letter's date and content are fixed then, and a worker issues it.
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    queued_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    #: The supplier's postal address and unique identifier as recorded when "Send" was pressed (fixed with the
    #: content; while a draft the letter reads them from the notices pages' organisation record).
    recipient_address: Mapped[str | None] = mapped_column(Text, default=None)
    recipient_identifier: Mapped[str | None] = mapped_column(String(200), default=None)
    #: Why the contract price is withheld from every letter of this lot (None: the price is stated). Set on all
    #: the lot's letters at once while they are drafts (``award.price_withheld``).
    price_withheld_reason: Mapped[str | None] = mapped_column(Text, default=None)

    __mapper_args__ = {"version_id_col": version}

    supplier: Mapped["Supplier"] = relationship()  # noqa: F821
    lot: Mapped["Lot"] = relationship()  # noqa: F821
    recommendation: Mapped["AwardRecommendation"] = relationship()  # noqa: F821


class LetterDelivery(db.Model):
    """The e-mail delivery of one issued letter: claimed, then sent or failed (and retried)."""

    __tablename__ = "letter_delivery"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'claimed', 'sent', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("award_letter.id"), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    message_id: Mapped[str | None] = mapped_column(String(300), default=None)


class SelectionLetter(db.Model):
    """The notice to a candidate not selected at the selection stage (PCR 2015 reg. 55; under the Act, a courtesy).

    Drafted from the recorded shortlisting decision (``sq_response``), edited,
    then queued and issued by the same worker as the award letters: rendered
    once as PDF/A and stored. Its one e-mail delivery is recorded on the row
    itself (``delivery_status``: pending, claimed, sent, failed) with the
    same claim-then-send discipline as ``letter_delivery``.
    """

    __tablename__ = "selection_letter"
    __table_args__ = (
        UniqueConstraint("response_id"),
        CheckConstraint("status IN ('draft', 'issued')", name="status"),
        CheckConstraint("method IN ('email', 'post')", name="method"),
        CheckConstraint("delivery_status IS NULL OR delivery_status IN ('pending', 'claimed', 'sent', 'failed')",
                        name="delivery_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("sq_response.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    method: Mapped[str] = mapped_column(String(10), default=EMAIL)
    recipient_email: Mapped[str | None] = mapped_column(String(254), default=None)
    recipient_address: Mapped[str | None] = mapped_column(Text, default=None)
    recipient_identifier: Mapped[str | None] = mapped_column(String(200), default=None)
    reasons: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    queued_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    filename: Mapped[str | None] = mapped_column(String(200), default=None)
    document: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    posted_on: Mapped[date | None] = mapped_column(Date, default=None)
    delivery_status: Mapped[str | None] = mapped_column(String(20), default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    message_id: Mapped[str | None] = mapped_column(String(300), default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    supplier: Mapped["Supplier"] = relationship()  # noqa: F821
    response: Mapped["SQResponse"] = relationship()  # noqa: F821
