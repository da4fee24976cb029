"""Administrators manage accounts: create, deactivate, reactivate. Every change audited."""
from __future__ import annotations

from sqlalchemy import select, update

from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import User, UserSession
from tender.services import accounts, audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.use_case import use_case


def list_users(admin) -> list[User]:
    """Every account, by name."""
    authorise(admin, Permission.MANAGE_USERS)
    return list(db.session.scalars(select(User).order_by(User.name)))


@use_case
def create(admin, email: str, name: str, role: str, password: str, ip=None) -> User:
    """Create an account on an administrator's behalf."""
    authorise(admin, Permission.MANAGE_USERS)
    return accounts.create_user(email, name, role, password, audit.Actor.of(admin, ip))


@use_case
def set_active(admin, user_id: int, active: bool, ip=None) -> User:
    """Deactivate (ending every session at once) or reactivate an account."""
    authorise(admin, Permission.MANAGE_USERS)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    if user.id == admin.id and not active:
        raise InvalidRequest("You cannot deactivate your own account. Ask another administrator.")
    if user.active == active:
        return user
    user.active = active
    if not active:
        db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                           .values(ended_at=db.func.now()))
    audit.record(audit.Actor.of(admin, ip), "user.activated" if active else "user.deactivated", "user", user.id,
                 before={"active": not active}, after={"active": active, "email": user.email})
    return user
