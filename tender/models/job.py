"""Background jobs: work too slow for a web request, queued in the database every host shares.

A row is *queued* by a request and *claimed* by a ``tender worker`` process
(``tender.services.jobs``): on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, on
SQLite with an UPDATE guarded by the row's ``version``. A running job's
worker touches ``heartbeat_at`` as it goes; a job whose heartbeat has gone
stale (its worker died) is claimed again by the next worker. ``dedupe_key``
is unique while the job is queued or running (set to NULL when it ends), so
twenty identical requests queue one job.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tender.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)


class Job(db.Model):
    """One unit of background work (for example: issue and e-mail a procurement's award letters)."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("attempts >= 0 AND attempts <= 1000", name="attempts"),
        CheckConstraint("progress_done >= 0 AND progress_total >= 0", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    procurement_id: Mapped[int | None] = mapped_column(ForeignKey("procurement.id"), index=True, default=None)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
