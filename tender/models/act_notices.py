"""What an officer records about standstill and notices beyond the notices themselves.

* ``VoluntaryStandstill``: a light touch contract under the Procurement Act
  2023 needs no standstill (s.51), but the authority may observe one; once
  recorded (before the assessment summaries go, which then promise it) it
  binds the contract stage like a mandatory one.
* ``LateNoticeReason``: why a notice is published after the day it was due
  (the contract details notice, s.53), recorded before it goes.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db


class VoluntaryStandstill(db.Model):
    """The authority's decision to observe an 8 working day standstill it is not obliged to."""

    __tablename__ = "voluntary_standstill"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    recorded_by: Mapped["User"] = relationship()  # noqa: F821


class LateNoticeReason(db.Model):
    """Why notice ``kind`` goes out after its due date, recorded before it is published."""

    __tablename__ = "late_notice_reason"
    __table_args__ = (UniqueConstraint("procurement_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    recorded_by: Mapped["User"] = relationship()  # noqa: F821
