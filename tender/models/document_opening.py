"""The record of every time someone on an evaluation panel opened one of a bid's documents (issue 18, part 4).

One row per opening, never changed: who (and in which panel role), which
bid and which of its documents, when. The moderator's page and the
procurement report read it to show scores given to a response whose
evaluator never opened its documents.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tender.extensions import db


class DocumentOpening(db.Model):
    """One opening of one document of one bid by one person."""

    __tablename__ = "document_opening"
    __table_args__ = (
        CheckConstraint("role IN ('evaluator', 'moderator')", name="role"),
        Index("ix_document_opening_bid_user", "bid_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    attachment_id: Mapped[int] = mapped_column(ForeignKey("submission_attachment.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    role: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
