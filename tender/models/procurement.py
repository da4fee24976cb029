"""The procurement aggregate: the procurement, its lots and its funders."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db

Money = Numeric(16, 2)


class Procurement(db.Model):
    """One procurement exercise, run by one declared procedure.

    ``version`` is SQLAlchemy's optimistic lock: every UPDATE says which version
    it read, so two officers advancing the same procurement at once cannot both
    succeed; the second gets StaleDataError and a plain-English message.
    """

    __tablename__ = "procurement"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    procedure: Mapped[str] = mapped_column(String(80))
    procedure_version: Mapped[int] = mapped_column(Integer)
    # The procedure file's text it started with (tender.models.definition): what it runs, whatever the file says now.
    definition_digest: Mapped[str | None] = mapped_column(ForeignKey("pinned_definition.digest"), default=None)
    regime: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(60))
    estimated_value: Mapped[Decimal] = mapped_column(Money)
    initial_term_years: Mapped[int] = mapped_column(Integer)
    extension_years: Mapped[str] = mapped_column(String(40), default="")  # e.g. "2" or "1,1"
    electronic_submission: Mapped[bool] = mapped_column(Boolean, default=True)
    qualifying_pin: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency: Mapped[bool] = mapped_column(Boolean, default=False)
    award_on_initial_reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    shortlist_justification: Mapped[str | None] = mapped_column(Text, default=None)
    # PCR 2015 reg. 26(4): why the competitive procedure with negotiation may be used (for the reg. 84 report).
    negotiation_ground: Mapped[str | None] = mapped_column(Text, default=None)
    # When the last award decision letter (PCR reg. 86) or assessment summary (PA s.50)
    # was sent; PCR standstill counts from its UK day (tender.services.award.standstill).
    award_notices_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    award_notices_electronic: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    award_notices_last_received_on: Mapped[date | None] = mapped_column(Date, default=None)
    # When the contract award notice (UK6) was published: PA standstill counts from its UK day (s.51).
    award_notice_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lead_officer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    lots: Mapped[list["Lot"]] = relationship(back_populates="procurement", order_by="Lot.number")
    funders: Mapped[list["Funder"]] = relationship(back_populates="procurement", order_by="Funder.id")
    milestones: Mapped[list["Milestone"]] = relationship(  # noqa: F821
        back_populates="procurement", order_by="Milestone.position"
    )
    lead_officer: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def extension_periods(self) -> list[int]:
        """Extension options in years, in the order they may be taken."""
        return [int(part) for part in self.extension_years.split(",") if part.strip()]

    @property
    def conditions(self) -> frozenset[str]:
        """The facts that shorten statutory periods (electronic, PIN, urgency)."""
        flags = {"electronic": self.electronic_submission, "pin": self.qualifying_pin, "urgency": self.urgency}
        return frozenset(name for name, held in flags.items() if held)


class Lot(db.Model):
    """A lot: a separately awarded part of the procurement."""

    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("procurement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    annual_budget: Mapped[Decimal | None] = mapped_column(Money, default=None)
    evaluation_model: Mapped[str | None] = mapped_column(String(120), default=None)

    procurement: Mapped[Procurement] = relationship(back_populates="lots")


class Funder(db.Model):
    """A contracting authority or partner paying part of the contract each year.

    Contract values per term are computed (tender.domain.contract_value), never typed in.
    """

    __tablename__ = "funder"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    annual_amount: Mapped[Decimal] = mapped_column(Money)
    annual_uplift_percent: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("0"))
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)

    procurement: Mapped[Procurement] = relationship(back_populates="funders")
