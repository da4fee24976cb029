"""What the reminder job has sent (or tried to send): the exactly-once record.

One row per reminder *key* (``tender.domain.reminders.reminder_key``: kind,
milestone, planned date and recipient). The unique constraint on ``key`` is
what makes "each reminder goes once" true even with two hosts running the job
at the same moment: a runner owns a reminder only if its INSERT of the row
won (``ON CONFLICT DO NOTHING``), or if it re-claimed a ``failed`` (or
abandoned ``claimed``) row under a row lock. See ``tender.services.reminders``.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tender.extensions import db

CLAIMED, SENT, FAILED = "claimed", "sent", "failed"
STATUSES = (CLAIMED, SENT, FAILED)


class ReminderSent(db.Model):
    """One reminder for one recipient about one milestone on one planned date."""

    __tablename__ = "reminder_sent"
    __table_args__ = (
        CheckConstraint("status IN ('claimed', 'sent', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestone.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))
    planned_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=CLAIMED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_by: Mapped[str] = mapped_column(String(200))  # host:pid of the runner holding the claim
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    def __repr__(self) -> str:
        return f"<ReminderSent {self.key} {self.status}>"
