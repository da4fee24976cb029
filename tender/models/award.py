"""The award decision on record: per lot, the recommendation, and its approval.

A recommendation is written once, from a frozen evaluation, and never edited:
when a lot is reopened it is voided (the row stays, with who voided it and
why) and a new one is recorded later. Letters, notices and the contract stage
read the current (not voided) recommendation, never a fresh ranking.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.domain.award import AwardDecision
from tender.extensions import db


class AwardRecommendation(db.Model):
    """The recommended supplier of a lot (or no award, with the reason), with the whole ranking behind it.

    ``decision`` is the canonical JSON of the recorded decision
    (``tender.domain.award.decision_record``) and ``digest`` its SHA-256; the
    same digest is in the audit event and in the approval that approved it.
    """

    __tablename__ = "award_recommendation"
    __table_args__ = (
        # At most one current recommendation per lot.
        Index("uq_award_recommendation_current", "lot_id", unique=True,
              sqlite_where=text("voided_at IS NULL"), postgresql_where=text("voided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), default=None)
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"), default=None)
    no_award_reason: Mapped[str | None] = mapped_column(Text, default=None)
    annual_price: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    contract_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    decision: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    lot: Mapped["Lot"] = relationship()  # noqa: F821
    supplier: Mapped["Supplier | None"] = relationship()  # noqa: F821

    @property
    def decided(self) -> AwardDecision:
        """The stored decision, typed (parsed once per loaded row; the text itself never changes)."""
        cached = self.__dict__.get("_decided")
        if cached is None or cached.to_json() != self.decision:
            cached = AwardDecision.from_json(self.decision)
            self.__dict__["_decided"] = cached
        return cached


class AwardApproval(db.Model):
    """The record that the person with delegated authority approved the award decision.

    In the demo that is the Corporate Director, to whom decision 22/00033
    delegated authority to enter into the contracts. ``digest`` is the SHA-256
    over the lots' recommendation digests the approver saw
    (``tender.domain.award.approval_digest``), so the approval names exactly
    what it approved.
    """

    __tablename__ = "award_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), unique=True)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    authority: Mapped[str] = mapped_column(Text)  # e.g. "Delegated by decision 22/00033"
    note: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str | None] = mapped_column(String(64), default=None)

    approved_by: Mapped["User"] = relationship()  # noqa: F821
