"""One-time links e-mailed to a person: an invitation, a password reset, an e-mail check.

Only the SHA-256 of the link's token is stored, so a copy of the database
cannot be used to take over an account. A link is used at most once
(``used_at`` is set by a compare-and-set) and only before ``expires_at``.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tender.extensions import db
from tender.models.user import User

PURPOSES = ("invite", "reset", "verify")


class AccountLink(db.Model):
    """A one-time, expiring link for one user and one purpose."""

    __tablename__ = "account_link"
    __table_args__ = (
        CheckConstraint("purpose IN ('invite', 'reset', 'verify')", name="purpose"),
        CheckConstraint("expires_at > created_at", name="expiry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    user: Mapped[User] = relationship()
