"""The contract as signed, one per lot awarded: what the contract stage records (issue 19)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db


class Contract(db.Model):
    """One lot's contract: the day it was signed, its reference, value, term and extension options.

    The supplier is the one the approved recommendation names. Corrected in
    place (audited with before and after); ``version`` makes two officers
    correcting it at once a conflict, not a lost update. The CHECKs hold the
    bounds of ``tender.domain.contract``.
    """

    __tablename__ = "contract"
    __table_args__ = (
        UniqueConstraint("lot_id", name="uq_contract_lot_id"),
        CheckConstraint("value >= 0.01 AND value <= 10000000000", name="value"),
        CheckConstraint("length(reference) >= 1 AND length(reference) <= 100", name="reference"),
        CheckConstraint("ends_on > starts_on", name="term"),
        CheckConstraint("signed_on >= '1990-01-01' AND signed_on <= '2100-12-31' AND starts_on >= '1990-01-01' "
                        "AND ends_on <= '2100-12-31'", name="dates"),
        CheckConstraint("extension_years >= 0 AND extension_years <= 25", name="extension_years"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    reference: Mapped[str] = mapped_column(String(100))
    signed_on: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    extension_years: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    lot: Mapped["Lot"] = relationship()  # noqa: F821
    supplier: Mapped["Supplier"] = relationship()  # noqa: F821
