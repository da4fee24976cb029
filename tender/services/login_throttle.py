"""The login throttle's one atomic step: record the attempt, count, decide (issue 19).

The rules are in :mod:`tender.domain.login_throttle`; this module counts the
``login_attempt`` rows they need and decides in the same transaction that
records the attempt, so however many attempts arrive at once, on however
many gunicorn workers and hosts, each one's count includes every attempt
decided before it:

* PostgreSQL: advisory locks on the account and then the address, held to
  the commit (always in that order, so two attempts cannot deadlock);
* SQLite: the attempt's INSERT comes first and takes the database's one
  write lock, so the counting that follows is serialised too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import and_, func, select, text

from tender.domain.login_throttle import Rule, Tally, wait_needed
from tender.extensions import db
from tender.models import LoginAttempt
from tender.services.use_case import step


@dataclass(frozen=True)
class Claim:
    """An attempt recorded (as failed, until its password proves right) and whether its password may be checked."""

    attempt_id: int
    wait: timedelta
    reason: str | None  # which tally refused it: "account and address", "account" or "address"

    @property
    def allowed(self) -> bool:
        return self.wait <= timedelta(0)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def rules() -> dict[str, Rule]:
    """The three rules from the configuration (``TENDER_LOGIN_*``)."""
    cfg = current_app.config
    base, cap = timedelta(seconds=cfg["LOGIN_DELAY_SECONDS"]), timedelta(minutes=cfg["LOGIN_MAX_DELAY_MINUTES"])
    return {"account and address": Rule(cfg["LOGIN_MAX_FAILURES"], base, cap),
            "account": Rule(cfg["LOGIN_MAX_FAILURES"], base, cap),
            "address": Rule(cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"], base, cap)}


def _same_ip(ip: str | None):
    return LoginAttempt.ip.is_(None) if ip is None else LoginAttempt.ip == ip


def _tallies(email: str, ip: str | None, since: datetime, own_id: int, margin: timedelta) -> dict[str, Tally]:
    """The three tallies, each of attempts whose password was checked (right or wrong), this one left out.

    Checks, not failures: an attempt that proves right must not give the
    burst it came in with a fresh allowance. A successful login from an
    address forgives that address's checks made more than ``margin`` before
    it (a person's earlier slips), never those of the same burst.
    """
    checked = and_(LoginAttempt.checked.is_(True), LoginAttempt.id != own_id)
    mine = and_(LoginAttempt.email == email, _same_ip(ip))
    last_success = _aware(db.session.scalar(select(func.max(LoginAttempt.at)).where(
        mine, LoginAttempt.succeeded.is_(True), LoginAttempt.id != own_id)))
    pair_since = since if last_success is None else max(since, last_success - margin)
    pair = db.session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        checked, mine, LoginAttempt.at > pair_since)).one()
    tallies = {"account and address": Tally(pair[0] or 0, _aware(pair[1]))}
    if last_success is None:
        # Every address checked against the account, never forgiven by a success; an address the account has
        # logged in from before is not held back by other addresses at all.
        account = db.session.execute(select(func.count(func.distinct(func.coalesce(LoginAttempt.ip, ""))),
                                            func.max(LoginAttempt.at)).where(
            checked, LoginAttempt.email == email, LoginAttempt.at > since)).one()
        tallies["account"] = Tally(account[0] or 0, _aware(account[1]))
    if ip is not None:
        failed = and_(checked, LoginAttempt.succeeded.is_(False))
        address = db.session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
            failed, LoginAttempt.ip == ip, LoginAttempt.at > since)).one()
        tallies["address"] = Tally(address[0] or 0, _aware(address[1]))
    return tallies


def claim(email: str, ip: str | None, now: datetime) -> Claim:
    """Record this attempt and decide, in one committed step, whether its password may be checked."""
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    with step():
        if db.engine.dialect.name == "postgresql":
            for key in ("tender.login:" + email, "tender.login-ip:" + (ip or "")):
                db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
        attempt = LoginAttempt(email=email, at=now, succeeded=False, ip=ip, checked=True)
        db.session.add(attempt)
        db.session.flush()
        waits = {name: wait_needed(tally, rules()[name], now)
                 for name, tally in _tallies(email, ip, now - window, attempt.id,
                                             timedelta(seconds=current_app.config["LOGIN_DELAY_SECONDS"])).items()}
        reason = max(waits, key=waits.get)
        wait = waits[reason]
        if wait > timedelta(0):
            attempt.checked = False
        attempt_id = attempt.id
    return Claim(attempt_id, wait, reason if wait > timedelta(0) else None)
