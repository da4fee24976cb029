"""What notices need beyond the procurement record, and the notices themselves.

``Organisation`` holds a party's identifiers, address and contact point: the
contracting authority of a procurement, a funder, or a supplier (exactly one
owner). ``ProcurementPublishing`` and ``LotClassification`` hold the CPV codes,
submission method, enquiry deadline and the VAT rate on the procurement's
values. ``Notice`` is a published notice: its release JSON is stored once and
never changes (its SHA-256 is in the audit event); only the numbers Find a
Tender assigns may be recorded later, once. A notice recorded as published
elsewhere (``source`` "elsewhere": on Find a Tender directly) has no release,
only its Find a Tender numbers and the moment it was published there.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from tender.extensions import db


class Organisation(db.Model):
    """A party's details as notices publish them."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("(CASE WHEN procurement_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN funder_id IS NULL THEN 0 ELSE 1 END)"
                        " + (CASE WHEN supplier_id IS NULL THEN 0 ELSE 1 END) = 1",
                        name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int | None] = mapped_column(ForeignKey("procurement.id"), unique=True, default=None)
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funder.id"), unique=True, default=None)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), unique=True, default=None)
    name: Mapped[str] = mapped_column(String(200))
    scheme: Mapped[str] = mapped_column(String(20))
    identifier: Mapped[str] = mapped_column(String(40))
    ppon: Mapped[str | None] = mapped_column(String(40), default=None)
    street_address: Mapped[str] = mapped_column(String(300))
    locality: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(10))
    region: Mapped[str | None] = mapped_column(String(5), default=None)
    country_name: Mapped[str] = mapped_column(String(60), default="United Kingdom")
    contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    contact_email: Mapped[str | None] = mapped_column(String(254), default=None)
    contact_telephone: Mapped[str | None] = mapped_column(String(40), default=None)
    url: Mapped[str | None] = mapped_column(String(300), default=None)
    authority_type: Mapped[str | None] = mapped_column(String(40), default=None)
    vcse: Mapped[bool | None] = mapped_column(Boolean, default=None)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)  # demo identifiers, not real ones
    # Optimistic lock (issue 18): a supplier's users and the officer correcting the same details cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class ProcurementPublishing(db.Model):
    """A procurement's classification and how tenders are submitted."""

    __tablename__ = "procurement_publishing"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), unique=True)
    cpv_code: Mapped[str | None] = mapped_column(String(10), default=None)
    submission_method: Mapped[str | None] = mapped_column(String(30), default=None)
    submission_url: Mapped[str | None] = mapped_column(String(300), default=None)
    enquiry_deadline: Mapped[date | None] = mapped_column(Date, default=None)
    # The VAT rate (percent) on the procurement's values, which the record holds net: notices give both.
    vat_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20"), server_default="20")


class LotClassification(db.Model):
    """A lot's own CPV code (else the procurement's applies)."""

    __tablename__ = "lot_classification"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), unique=True)
    cpv_code: Mapped[str] = mapped_column(String(10))


TENDER, ELSEWHERE = "tender", "elsewhere"


class Notice(db.Model):
    """A published notice: one OCDS release, stored as the exact bytes published, or recorded as published elsewhere."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("procurement_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # tender, award, contract, termination
    notice_type: Mapped[str] = mapped_column(String(10))  # UK4, UK6, UK7, UK12, F02, F03, F21
    ocid: Mapped[str] = mapped_column(String(200))
    release_id: Mapped[str] = mapped_column(String(220), unique=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    release_json: Mapped[str | None] = mapped_column(Text)  # None: published elsewhere, not by Tender
    sha256: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20), default=TENDER, server_default=TENDER)  # tender, elsewhere
    fts_ocid: Mapped[str | None] = mapped_column(String(60), default=None)
    fts_notice_number: Mapped[str | None] = mapped_column(String(20), default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def published_elsewhere(self) -> bool:
        return self.source == ELSEWHERE
