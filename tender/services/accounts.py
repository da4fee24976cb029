"""Accounts: creating users, hashing passwords, logging in with throttling, sessions.

Passwords are hashed with argon2id. Failed logins are counted per account in
the database, so the limit holds across every gunicorn worker and host.
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
from sqlalchemy import func, select, text
from sqlalchemy.orm import joinedload

from tender.domain.roles import Permission, Role, may
from tender.extensions import db
from tender.models import LoginAttempt, User, UserSession
from tender.services import audit
from tender.services.errors import InvalidRequest, NotAuthorised
from tender.services import clock
from tender.services.use_case import step, transaction, use_case

MIN_PASSWORD_LENGTH = 12
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


def check_password_rules(password: str) -> None:
    """ASVS-style rules: long enough; no composition rules (they do not help)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > 128:
        raise InvalidRequest("Enter a password of 128 characters or fewer.")


@use_case
def create_user(email: str, name: str, role: Role | str, password: str, actor: audit.Actor) -> User:
    """Create an account (administrators in the UI; the CLI as the system)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidRequest("Enter an e-mail address in the correct format, like name@example.gov.uk.")
    role = Role(role)
    check_password_rules(password)
    if db.session.scalar(select(User).where(User.email == email)):
        raise InvalidRequest(f"An account for {email} already exists.")
    user = User(email=email, name=name.strip(), role=role.value, password_hash=_hasher().hash(password),
                created_at=_now(), calendar_token=secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", "user", user.id, after={"email": email, "name": user.name, "role": role.value})
    return user


def _recent_failures(email: str, since: datetime) -> int:
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)))
    if last_success is not None and _aware(last_success) > since:
        since = _aware(last_success)
    return db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == email, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)) or 0


class LoginRefused(InvalidRequest):
    """Wrong e-mail or password, or the account is locked for a while."""


def _claim_attempt(email: str, ip: str | None, now: datetime) -> tuple[LoginAttempt, int]:
    """Record this attempt as failed, then count the failures in the window, as one atomic step.

    Recording first and counting after is what bounds the passwords checked:
    of N attempts racing for one account, each one's count includes every
    attempt recorded before it, so only the first ``LOGIN_MAX_FAILURES`` ever
    reach the password check. The attempt becomes a success only once the
    password is right. The per-account lock serialises the insert and count
    across workers and hosts (a PostgreSQL advisory lock held to the commit;
    SQLite lets one writer in at a time anyway). Its own step: the attempt
    stays recorded whatever the login does next.
    """
    cfg = current_app.config
    with step():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                               {"key": "tender.login:" + email})
        attempt = LoginAttempt(email=email, at=now, succeeded=False, ip=ip)
        db.session.add(attempt)
        db.session.flush()
        failures = _recent_failures(email, now - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"]))
    return attempt, failures


def authenticate(email: str, password: str, ip: str | None) -> tuple[User, str]:
    """Check the password; on success open a server-side session and return its token.

    Each attempt is recorded before the limit is checked (``_claim_attempt``),
    so however many arrive at once, no more than ``LOGIN_MAX_FAILURES``
    passwords are checked per account and window. Each write is its own
    short step (``use_case.step``), committed before the refusal is raised,
    and no transaction is open while argon2 works.
    """
    email = (email or "").strip().lower()
    cfg = current_app.config
    now = _now()
    attempt, failures = _claim_attempt(email, ip, now)
    if failures > cfg["LOGIN_MAX_FAILURES"]:
        with step():
            audit.record(audit.Actor(email, None, ip), "login.refused_locked", "user",
                         reason="too many failed attempts")
        raise LoginRefused(f"Too many failed attempts to log in to this account. Try again in "
                           f"{cfg['LOGIN_WINDOW_MINUTES']} minutes, or ask an administrator.")
    user = db.session.scalar(select(User).where(User.email == email))
    stored_hash, active = (user.password_hash, user.active) if user is not None else (None, False)
    db.session.rollback()  # hold no transaction (nor SQLite's read lock) while argon2 works
    hasher = _hasher()
    ok = False
    try:
        if stored_hash is None:
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
        attempt = db.session.get(LoginAttempt, attempt.id)
        attempt.succeeded = True
        if rehashed is not None:
            user.password_hash = rehashed
        db.session.add(UserSession(id=_token_id(token), user_id=user.id, created_at=now, last_seen_at=now, ip=ip))
        audit.record(audit.Actor.of(user, ip), "login.succeeded", "user", user.id)
    user.session_token = token
    return user, token


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
