"""Accounts: creating users, hashing passwords, logging in with throttling, sessions.

Passwords are hashed with argon2id. Failed logins are counted in the
database by account, by address and by both, with growing delays
(``tender.services.login_throttle``), so the limits hold across every
gunicorn worker and host and failures from one address never stop the right
password from another.
Sessions live on the server (``user_session``): logout and expiry end them
there, whatever the browser still holds.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tender.domain.login_throttle import describe_wait
from tender.domain.passwords import MIN_LENGTH, password_problem
from tender.domain.roles import Permission, Role, may
from tender.extensions import db
from tender.models import LoginAttempt, User, UserSession
from tender.services import audit
from tender.services.errors import InvalidRequest, NotAuthorised
from tender.services import clock, login_throttle
from tender.services.use_case import step, transaction, use_case

MIN_PASSWORD_LENGTH = MIN_LENGTH
#: The stored hash of an account whose owner has not yet set a password (an invitation): matches nothing.
NO_PASSWORD = "!no password set"
# A real hash to verify against when the account does not exist, so that the
# response time does not reveal which e-mail addresses have accounts.
_DUMMY_HASH: dict[str, str] = {}


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_KIB"],
                          parallelism=cfg["ARGON2_PARALLELISM"], type=Type.ID)


def _now() -> datetime:
    return clock.wall_now()  # lockouts and sessions run on real time


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; Tender stores UTC, so say so."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def check_password_rules(password: str, email: str | None = None) -> None:
    """Long enough and not on the shipped list of common passwords (``tender.domain.passwords``)."""
    problem = password_problem(password, email)
    if problem:
        raise InvalidRequest(problem)


def hash_password(password: str) -> str:
    """The argon2id hash to store (slow on purpose: call it outside any transaction)."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches; False for an account with no password set."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@use_case
def create_user(email: str, name: str, role: Role | str, password: str | None, actor: audit.Actor, *,
                supplier_id: int | None = None) -> User:
    """Create an account (the CLI as the system; administrators invite, with ``password=None``).

    With no password the account cannot log in until its owner sets one from
    an invitation link (``tender.services.users.invite``).
    """
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidRequest("Enter an e-mail address in the correct format, like name@example.gov.uk.")
    role = Role(role)
    if (role is Role.SUPPLIER) != (supplier_id is not None):  # issue 18: suppliers belong to an organisation
        raise InvalidRequest("Supplier accounts are made by inviting a supplier organisation to a procurement, "
                             "or by a supplier registering; choose one of the authority's roles here.")
    if password is not None:
        check_password_rules(password, email)
    if db.session.scalar(select(User).where(User.email == email)):
        raise InvalidRequest(f"An account for {email} already exists.")
    user = User(email=email, name=name.strip(), role=role.value,
                password_hash=NO_PASSWORD if password is None else _hasher().hash(password),
                created_at=_now(), calendar_token=secrets.token_urlsafe(32), supplier_id=supplier_id)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", "user", user.id, after={"email": email, "name": user.name, "role": role.value})
    return user


class LoginRefused(InvalidRequest):
    """Wrong e-mail or password, or the account is locked for a while."""


def authenticate(email: str, password: str, ip: str | None) -> tuple[User, str]:
    """Check the password; on success open a server-side session and return its token.

    Each attempt is recorded and judged by the throttle in one atomic step
    (``login_throttle.claim``), so however many arrive at once, no more than
    ``LOGIN_MAX_FAILURES`` passwords are checked per account before the
    delays start. Each write is its own short step (``use_case.step``),
    committed before the refusal is raised, and no transaction is open while
    argon2 works.
    """
    email = (email or "").strip().lower()
    now = _now()
    claim = login_throttle.claim(email, ip, now)
    if not claim.allowed:
        with step():
            audit.record(audit.Actor(email or "(blank)", None, ip), "login.refused_locked", "user",
                         reason=f"too many failed attempts by {claim.reason}; wait {describe_wait(claim.wait)}")
        raise LoginRefused(f"Too many failed attempts to log in to this account. Wait {describe_wait(claim.wait)} "
                           f"and try again, or reset your password.")
    user = db.session.scalar(select(User).where(User.email == email))
    stored_hash, active = (user.password_hash, user.active) if user is not None else (None, False)
    db.session.rollback()  # hold no transaction (nor SQLite's read lock) while argon2 works
    hasher = _hasher()
    ok = False
    try:
        if stored_hash is None or stored_hash == NO_PASSWORD:  # the same work, so the time tells nothing
            if "h" not in _DUMMY_HASH:
                _DUMMY_HASH["h"] = hasher.hash(secrets.token_hex(16))
            hasher.verify(_DUMMY_HASH["h"], password)
        else:
            ok = hasher.verify(stored_hash, password) and active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        with step():
            audit.record(audit.Actor(email or "(blank)", None, ip), "login.failed", "user",
                         None if user is None else user.id)
        raise LoginRefused("The e-mail address or password is not right. Check them and try again.")
    rehashed = hasher.hash(password) if hasher.check_needs_rehash(stored_hash) else None
    token = secrets.token_urlsafe(32)
    with step():
        attempt = db.session.get(LoginAttempt, claim.attempt_id)
        attempt.succeeded = True
        if rehashed is not None:
            user.password_hash = rehashed
        db.session.add(UserSession(id=_token_id(token), user_id=user.id, created_at=now, last_seen_at=now, ip=ip))
        audit.record(audit.Actor.of(user, ip), "login.succeeded", "user", user.id)
    user.session_token = token
    return user, token


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, ip: str | None) -> str:
    """Start a server-side session for ``user`` in the caller's transaction; return its token.

    For a sign-in proved some other way than a password (single sign-on,
    ``tender.services.sso``): the same ``user_session`` row a password login
    opens, so logout, idle and absolute expiry treat both alike.
    """
    token = secrets.token_urlsafe(32)
    now = _now()
    db.session.add(UserSession(id=_token_id(token), user_id=user.id, created_at=now, last_seen_at=now, ip=ip))
    user.session_token = token
    return token


def load_session_user(token: str) -> User | None:
    """The user of a live session, or None if it ended, idled out or grew too old."""
    if not token:
        return None
    # The user in the same query: every page loads both.
    record = db.session.get(UserSession, _token_id(token), options=[joinedload(UserSession.user)])
    if record is None or record.ended_at is not None:
        return None
    now = _now()
    cfg = current_app.config
    idle = now - _aware(record.last_seen_at) > timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    too_old = now - _aware(record.created_at) > timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"])
    if idle or too_old or not record.user.active:
        with transaction():
            record.ended_at = now
        return None
    if now - _aware(record.last_seen_at) > timedelta(seconds=30):
        with transaction():
            record.last_seen_at = now
    user = record.user
    user.session_token = token
    return user


@use_case
def end_session(user: User, ip: str | None) -> None:
    """Logout: the session ends on the server, so a copied cookie is worthless."""
    record = db.session.get(UserSession, _token_id(user.session_token or ""))
    if record is not None and record.ended_at is None:
        record.ended_at = _now()
        audit.record(audit.Actor.of(user, ip), "logout", "user", user.id)


def authorise(user: User | None, permission: Permission) -> None:
    """Raise NotAuthorised unless the user's role holds the permission."""
    if user is None or not getattr(user, "is_authenticated", False) or not may(user.role, permission):
        raise NotAuthorised("You do not have permission to do that. Ask a procurement officer or an administrator.")
