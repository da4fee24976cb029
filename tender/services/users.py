"""Administrators manage accounts: invite, change roles, deactivate, reactivate. Every change audited.

An administrator never sets or sees a password: a new account is created
with none, and its owner chooses one from the invitation e-mailed to them
(``tender.services.account_links``, purpose ``invite``). The one account
made with a password is the first administrator, by whoever installs Tender
(``tender users create``): there is no one yet to invite them. Role changes and
deactivations keep at least one active administrator, even when two
administrators act at the same moment (a PostgreSQL advisory lock; SQLite
lets one writer in at a time).
"""
from __future__ import annotations

from sqlalchemy import false, func, select, text, update

from tender.domain.roles import STAFF_ROLES, Permission, Role
from tender.extensions import db
from tender.models import User, UserSession
from tender.services import account_links, accounts, audit
from tender.services.accounts import authorise
from tender.services.errors import ConcurrentChange, InvalidRequest, NotAuthorised, NotFound
from tender.services.use_case import use_case

NO_PASSWORD = accounts.NO_PASSWORD


def list_users(admin) -> list[User]:
    """Every account, by name."""
    authorise(admin, Permission.MANAGE_USERS)
    return list(db.session.scalars(select(User).order_by(User.name)))


def _staff_role(role: str) -> Role:
    try:
        role = Role(role)
    except ValueError:
        raise InvalidRequest("Choose a role from the list.") from None
    if role not in STAFF_ROLES:
        raise InvalidRequest("Choose one of the council's own roles: supplier users are invited by the "
                             "procurement officer.")
    return role


def _lock_administrators() -> None:
    """Serialise account changes before anything is read, so the second of two at once reads the first's change.

    PostgreSQL: an advisory lock held to the end of the transaction. SQLite:
    a write that changes nothing takes the database's write lock at once
    (pysqlite opens the transaction only at the first write, so without it
    the reads before the first write would run outside the lock and act on
    what the other administrator has just changed).
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('tender.administrators', 0))"))
    else:
        db.session.execute(update(User).where(false()).values(role=User.role)
                           .execution_options(synchronize_session=False))


def _other_active_administrators(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMINISTRATOR.value, User.active.is_(True), User.id != user_id)) or 0


def _still_administrator(admin) -> None:
    """Read the acting administrator's role again under the lock: another may have just changed it."""
    row = db.session.execute(select(User.role, User.active).where(User.id == admin.id)).one_or_none()
    if row is None or row.role != Role.ADMINISTRATOR.value or not row.active:
        raise NotAuthorised("You are no longer an administrator, so you cannot change accounts.")


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id, populate_existing=True)  # as it is now, under the lock
    if user is None:
        raise NotFound("There is no such account.")
    return user


@use_case("Someone else created an administrator at the same time. Log in as them and invite people instead.")
def create_first_administrator(email: str, name: str, password: str, actor: audit.Actor) -> User:
    """The first administrator, with the password the installer typed; refused once there is an active one.

    After that, accounts are made by an administrator's invitation, so nobody
    but their owner ever knows a password.
    """
    _lock_administrators()
    existing = db.session.scalar(select(User.email).where(User.role == Role.ADMINISTRATOR.value,
                                                          User.active.is_(True)).order_by(User.id).limit(1))
    if existing is not None:
        raise InvalidRequest(f"Tender already has an administrator ({existing}). They invite everyone else from "
                             f"the Users page, and each person chooses their own password from the e-mail.")
    return accounts.create_user(email, name, Role.ADMINISTRATOR, password, actor)


@use_case
def invite(admin, email: str, name: str, role: str, ip=None) -> User:
    """Create an account with no password and e-mail its owner a link to choose one (queued for the worker)."""
    authorise(admin, Permission.MANAGE_USERS)
    role = _staff_role(role)
    actor = audit.Actor.of(admin, ip)
    user = accounts.create_user(email, name, role, None, actor)
    account_links.send(user, "invite", by=admin)
    audit.record(actor, "user.invited", "user", user.id, after={"email": user.email, "role": role.value})
    return user


@use_case
def reinvite(admin, user_id: int, ip=None) -> User:
    """Send the invitation again (a new link) to someone who has not yet chosen a password."""
    authorise(admin, Permission.MANAGE_USERS)
    user = _target(user_id)
    if user.password_hash != accounts.NO_PASSWORD:
        raise InvalidRequest(f"{user.email} has already chosen a password. They can reset it from the login page.")
    if not user.active:
        raise InvalidRequest(f"{user.email} is deactivated. Reactivate the account first.")
    account_links.send(user, "invite", by=admin)
    audit.record(audit.Actor.of(admin, ip), "user.invited", "user", user.id,
                 after={"email": user.email, "role": user.role}, reason="invitation sent again")
    return user


@use_case("Someone else changed this person's role at the same time. Check the list and try again.")
def change_role(admin, user_id: int, role: str, expected_role: str | None = None, ip=None) -> User:
    """Give a person another role, audited before → after.

    ``expected_role`` is the role the administrator's page showed: if another
    administrator changed it meanwhile, nothing changes (409). No one changes
    their own role, and the last active administrator keeps theirs.
    """
    authorise(admin, Permission.MANAGE_USERS)
    new_role = _staff_role(role)
    _lock_administrators()
    _still_administrator(admin)
    user = _target(user_id)
    if user.role not in {r.value for r in STAFF_ROLES}:
        raise InvalidRequest("A supplier user's role cannot be changed here.")
    if expected_role is not None and user.role != expected_role:
        raise ConcurrentChange("Someone else changed this person's role at the same time. Check the list and "
                               "try again.")
    if user.role == new_role.value:
        return user
    if user.id == admin.id:
        raise InvalidRequest("You cannot change your own role. Ask another administrator.")
    if (user.role == Role.ADMINISTRATOR.value and user.active
            and _other_active_administrators(user.id) == 0):
        raise InvalidRequest(f"{user.email} is the only active administrator. Make someone else an "
                             f"administrator first.")
    before = user.role
    user.role = new_role.value
    audit.record(audit.Actor.of(admin, ip), "user.role_changed", "user", user.id,
                 before={"role": before}, after={"role": new_role.value, "email": user.email})
    return user


@use_case
def set_active(admin, user_id: int, active: bool, ip=None) -> User:
    """Deactivate (ending every session at once) or reactivate an account."""
    authorise(admin, Permission.MANAGE_USERS)
    _lock_administrators()
    _still_administrator(admin)
    user = _target(user_id)
    if user.id == admin.id and not active:
        raise InvalidRequest("You cannot deactivate your own account. Ask another administrator.")
    if (not active and user.active and user.role == Role.ADMINISTRATOR.value
            and _other_active_administrators(user.id) == 0):
        raise InvalidRequest(f"{user.email} is the only active administrator. Make someone else an "
                             f"administrator first.")
    if user.active == active:
        return user
    user.active = active
    if not active:
        db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                           .values(ended_at=db.func.now()))
    audit.record(audit.Actor.of(admin, ip), "user.activated" if active else "user.deactivated", "user", user.id,
                 before={"active": not active}, after={"active": active, "email": user.email})
    return user
