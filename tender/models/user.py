"""People who use Tender, their server-side sessions and their login attempts."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import true

from tender.extensions import db


class User(UserMixin, db.Model):
    """A person with exactly one role (segregation of duties is by role)."""

    __tablename__ = "user"
    __table_args__ = (
        # A supplier user belongs to exactly one supplier organisation; the authority's staff belong to none.
        CheckConstraint("(role = 'supplier' AND supplier_id IS NOT NULL) OR (role <> 'supplier' AND supplier_id IS NULL)",
                        name="supplier_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    reminder_notice_days: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The supplier organisation a supplier user acts for (issue 18); None for staff.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True, default=None)

    # Set at login to the raw session token; Flask-Login stores get_id() in the cookie.
    session_token = None  # type: str | None

    def get_id(self) -> str:  # noqa: D102 - Flask-Login hook
        return self.session_token or ""

    @property
    def is_active(self) -> bool:  # noqa: D102 - Flask-Login hook
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class UserSession(db.Model):
    """A login, held on the server so that logout and expiry really end it.

    The cookie carries a random token; only its SHA-256 is stored, so a copy of
    the database does not let anyone take over a session.
    """

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One try at logging in, kept in the database so every worker sees the count."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    ip: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    # False when the throttle refused the attempt before its password was looked at (issue 19):
    # only checked failures count towards the delays.
    checked: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
