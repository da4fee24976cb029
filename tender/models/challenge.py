"""Legal challenges that suspend entering into the contract (PCR 2015 reg. 95; Procurement Act 2023 s.101)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db


class LegalChallenge(db.Model):
    """A claim form issued about the award decision, and when its suspension was lifted.

    While ``lifted_on`` is empty the contract may not be entered into: under
    PCR reg. 95 once the claim form is issued and the authority is aware of
    it, under PA s.101 once the authority is aware of proceedings. A court
    order or the end of the proceedings lifts it (``lifted_reason``).
    """

    __tablename__ = "legal_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100))  # the court's claim number
    issued_on: Mapped[date] = mapped_column(Date)
    aware_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted_on: Mapped[date | None] = mapped_column(Date, default=None)
    lifted_reason: Mapped[str | None] = mapped_column(Text, default=None)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Optimistic lock: two officers lifting the same suspension cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    recorded_by: Mapped["User"] = relationship(foreign_keys=[recorded_by_id])  # noqa: F821

    @property
    def suspending(self) -> bool:
        """True while the suspension has not been lifted."""
        return self.lifted_on is None
