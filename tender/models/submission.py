"""Suppliers' own submissions (issue 18): drafts, answers, attachments, receipts and the tender box.

A *submission* is one supplier's response for one lot (``lot_number`` 0: the
whole procurement, for a selection questionnaire) in one round; it is a draft
until submitted (its current receipt: the one not withdrawn), and may be
withdrawn (back to a draft) and submitted again until the deadline. Every submission gives a *receipt* that is never changed
except to note its withdrawal. The *tender box* of a round holds its register
(published at the deadline) and its opening. Opening turns each receipt into
the ``Bid`` or ``SQResponse`` the evaluation already uses.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

DRAFT, SUBMITTED = "draft", "submitted"
STATUSES = (DRAFT, SUBMITTED)
#: The round of a selection questionnaire (or conditions of participation): the whole procurement, lot 0.
SQ_ROUND = "sq"
BOX_ROUNDS = (SQ_ROUND, "initial", "revised", "final")


class Submission(db.Model):
    """One supplier's response to one lot in one round: a draft, or submitted (with its current receipt)."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("procurement_id", "supplier_id", "round", "lot_number"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        CheckConstraint("round IN ('sq', 'initial', 'revised', 'final')", name="round"),
        CheckConstraint("lot_number >= 0 AND lot_number <= 999", name="lot_number"),
        CheckConstraint("price IS NULL OR (price >= 0.01 AND price <= 10000000000)", name="price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"), default=None, index=True)
    lot_number: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # The price envelope: what the supplier typed. Sealed: no service shows it to the authority; opening the
    # tender box copies it with its salt and commitment to the Bid, and the existing price opening reveals it.
    price: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when the tender box is opened: the record the evaluation reads.
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"), default=None)
    sq_response_id: Mapped[int | None] = mapped_column(ForeignKey("sq_response.id"), default=None)
    # Optimistic lock: two browser tabs of one supplier cannot both save over the same version.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    answers: Mapped[list["SubmissionAnswer"]] = relationship(order_by="SubmissionAnswer.question_id",
                                                             cascade="all, delete-orphan")
    attachments: Mapped[list["SubmissionAttachment"]] = relationship(order_by="SubmissionAttachment.id",
                                                                     cascade="all, delete-orphan")
    supplier: Mapped["Supplier"] = relationship()  # noqa: F821
    lot: Mapped["Lot | None"] = relationship()  # noqa: F821


class SubmissionAnswer(db.Model):
    """The supplier's answer to one question of the lot's evaluation model."""

    __tablename__ = "submission_answer"
    __table_args__ = (UniqueConstraint("submission_id", "question_id"),
                      CheckConstraint("length(text) <= 150000", name="text_length"))

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")


class SubmissionAttachment(db.Model):
    """A document attached to a submission (to the whole, or to one question). The same file twice is one."""

    __tablename__ = "submission_attachment"
    __table_args__ = (UniqueConstraint("submission_id", "stored_file_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # "" for a document of the whole submission (not NULL, so the unique key treats it as a value).
    question_id: Mapped[str] = mapped_column(String(80), default="")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    stored_file: Mapped["StoredFile"] = relationship()  # noqa: F821


class SubmissionReceipt(db.Model):
    """What a submission committed to, when: kept for ever (a withdrawal only notes when it was withdrawn).

    ``manifest`` is the canonical manifest's exact text (``tender.domain.submission_manifest``) and
    ``manifest_hash`` its SHA-256, so anyone can recompute the receipt from the record and the stored files.
    ``price_salt`` stays here, unseen, until the tender box is opened and it passes to the bid.
    """

    __tablename__ = "submission_receipt"
    __table_args__ = (CheckConstraint("length(manifest_hash) = 64", name="manifest_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    manifest: Mapped[str] = mapped_column(Text)
    manifest_hash: Mapped[str] = mapped_column(String(64), index=True)
    price_salt: Mapped[str | None] = mapped_column(String(64), default=None)
    price_commitment: Mapped[str | None] = mapped_column(String(64), default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class TenderBox(db.Model):
    """A round's tender box: its register of receipts published at the deadline, then its opening.

    ``activity`` is touched (UPDATE) by every submission, withdrawal, publication and opening before they
    read anything, so they queue on this one row: on PostgreSQL the row lock, on SQLite the one writer. A
    submission therefore either lands in the register or is refused as late, never in between.
    """

    __tablename__ = "tender_box"
    __table_args__ = (UniqueConstraint("procurement_id", "round"),
                      CheckConstraint("round IN ('sq', 'initial', 'revised', 'final')", name="round"))

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    activity: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    register_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    register_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    register: Mapped[str | None] = mapped_column(Text, default=None)
    register_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
