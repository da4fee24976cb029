"""People manage their own passwords: choose one from an invitation, change it, reset it by e-mail.

No administrator ever sets or sees a password. Every link is one-time and
expiring (``tender.services.account_links``). Argon2 runs before the
transaction opens, so no transaction (nor SQLite's write lock) is held while
it works; the stored hash is then changed by compare-and-set, so two changes
at once cannot both win.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tender.extensions import db
from tender.models import AccountLink, User, UserSession
from tender.services import account_links, accounts, audit, clock
from tender.services.errors import ConcurrentChange, InvalidRequest
from tender.services.use_case import use_case

#: At most one reset e-mail per account in this long, so the form cannot be used to flood someone's inbox.
RESET_EMAIL_INTERVAL = timedelta(minutes=5)
LINK_ACTIONS = {"invite": "account.password_set", "reset": "account.password_reset"}


def _end_sessions(user_id: int, keep_token: str | None = None) -> None:
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_token:
        query = query.where(UserSession.id != accounts._token_id(keep_token))
    db.session.execute(query.values(ended_at=clock.wall_now()).execution_options(synchronize_session=False))


@use_case("Your password was changed somewhere else at the same time. Log in again and try again.")
def _store(user_id: int, old_hash: str, new_hash: str, action: str, actor: audit.Actor,
           keep_token: str | None = None, token: str | None = None, purpose: str | None = None) -> None:
    if token is not None:
        account_links.redeem(token, purpose)
    won = db.session.execute(update(User).where(User.id == user_id, User.password_hash == old_hash)
                             .values(password_hash=new_hash).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise ConcurrentChange("Your password was changed somewhere else at the same time. Log in again and try "
                               "again.")
    _end_sessions(user_id, keep_token)
    audit.record(actor, action, "user", user_id)


def _new_hash(password: str, confirm: str, email: str) -> str:
    if password != confirm:
        raise InvalidRequest("The two new passwords are not the same. Enter the same password twice.")
    accounts.check_password_rules(password, email)
    return accounts.hash_password(password)


def change_password(user: User, current: str, new: str, confirm: str, ip: str | None = None) -> None:
    """The owner changes their password: the current one is required; every other session of theirs ends."""
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    db.session.rollback()  # no transaction held while argon2 works
    if not accounts.verify_password(stored, current or ""):
        raise InvalidRequest("Your current password is not right. Enter the password you logged in with.")
    if new == current:
        raise InvalidRequest("Enter a new password that is different from your current one.")
    new_hash = _new_hash(new, confirm, user.email)
    _store(user.id, stored, new_hash, "account.password_changed", audit.Actor.of(user, ip),
           keep_token=user.session_token)


def set_from_link(token: str, purpose: str, new: str, confirm: str, ip: str | None = None) -> User:
    """Choose a password from an invitation or a reset link; the link is spent and every session ends."""
    if purpose not in LINK_ACTIONS:
        raise InvalidRequest("This link cannot be used to set a password.")
    user = account_links.check(token, purpose)
    user_id, email, stored = user.id, user.email, user.password_hash
    db.session.rollback()
    new_hash = _new_hash(new, confirm, email)
    _store(user_id, stored, new_hash, LINK_ACTIONS[purpose], audit.Actor(email, None, ip, user_id),
           token=token, purpose=purpose)
    return db.session.get(User, user_id)


@use_case
def request_reset(email: str, ip: str | None = None) -> None:
    """Queue a reset e-mail if the address has an active account; the caller's answer is the same either way."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    sent = False
    if user is not None and user.active:
        recent = db.session.scalar(select(AccountLink.id).where(
            AccountLink.user_id == user.id, AccountLink.purpose == "reset",
            AccountLink.created_at > clock.wall_now() - RESET_EMAIL_INTERVAL).limit(1))
        if recent is None:
            account_links.send(user, "reset")
            sent = True
    audit.record(audit.Actor(email[:254] or "(blank)", None, ip), "account.password_reset_requested", "user",
                 None if user is None else user.id, after={"email_queued": sent})

