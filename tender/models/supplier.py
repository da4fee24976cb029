"""Suppliers, their selection questionnaire responses and their bids."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

SHORTLISTED, REJECTED = "shortlisted", "rejected"
ROUNDS = ("initial", "revised", "final")


class Supplier(db.Model):
    """An organisation that may respond to procurements."""

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    companies_house_number: Mapped[str | None] = mapped_column(String(20), default=None)
    contact_email: Mapped[str | None] = mapped_column(String(254), default=None)


class SQResponse(db.Model):
    """A candidate's selection questionnaire response and the shortlisting decision on it."""

    __tablename__ = "sq_response"
    __table_args__ = (UniqueConstraint("procurement_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str | None] = mapped_column(String(20), default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Optimistic lock: two officers deciding on the same candidate cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    supplier: Mapped[Supplier] = relationship()


class Bid(db.Model):
    """A tender for one lot in one round (initial, revised or final)."""

    __tablename__ = "bid"
    __table_args__ = (UniqueConstraint("lot_id", "supplier_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    round: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    # Sealed price: SHA-256 of salt and price, published in the receipt's audit event; the salt is
    # revealed with the price when the envelope is opened (tender.domain.sealed_price).
    price_salt: Mapped[str | None] = mapped_column(String(64), default=None)
    price_commitment: Mapped[str | None] = mapped_column(String(64), default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    # How the tender arrived (issue 18): "portal" (submitted in Tender, opened from the tender box), "post" or
    # "other_portal" (recorded by the officer); None for tenders recorded before Tender took submissions.
    received_via: Mapped[str | None] = mapped_column(String(20), default=None)

    supplier: Mapped[Supplier] = relationship()
    lot: Mapped["Lot"] = relationship()  # noqa: F821
