"""The login throttle holds under a burst: never more passwords checked than the limit.

Issue 19: the delays are counted by account, by address and by both, so a
burst from one address is held to the limit as well as one from thirty, yet
twenty failures from one address never stop the right password from another.

Thirty attempts at one account start at the same moment on thirty threads,
each with its own database connection (as gunicorn's workers and threads
would have), the right password among them. Every attempt is recorded before
the limit is checked, so only the first five reach the password check; the
rest are refused as locked without their password being looked at. Runs on
SQLite and, with ``TENDER_TEST_DATABASE_URL``, on PostgreSQL.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from datetime import timedelta

from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, LoginAttempt
from tender.services.use_case import transaction
from tests.helpers import PASSWORD, make_user

ATTEMPTS = 30


def _burst(app, email: str, passwords: list[str], ip=lambda index: f"192.0.2.{index}") -> list[str]:
    from tender.services import accounts

    barrier = threading.Barrier(len(passwords))
    outcomes: list[str] = [""] * len(passwords)

    def attempt(index: int, password: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                accounts.authenticate(email, password, ip(index))
                outcomes[index] = "in"
            except accounts.LoginRefused as exc:
                outcomes[index] = "locked" if "Too many" in str(exc) else "wrong"
            except Exception as exc:  # noqa: BLE001 - reported by the test, not swallowed
                outcomes[index] = f"error: {exc!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(passwords)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.slow
def test_thirty_simultaneous_attempts_check_no_more_passwords_than_the_limit(app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    with app.app_context():
        email = make_user("procurement_officer").email
    passwords = ["wrong password " + str(i) for i in range(ATTEMPTS - 1)] + [PASSWORD]

    outcomes = Counter(_burst(app, email, passwords))

    assert not [o for o in outcomes if o.startswith("error")], outcomes
    with app.app_context():
        actions = Counter(db.session.scalars(select(AuditEvent.action)
                                             .where(AuditEvent.action.startswith("login."))).all())
        attempts = db.session.scalars(select(LoginAttempt).where(LoginAttempt.email == email)).all()
    checked = actions["login.failed"] + actions["login.succeeded"]
    assert checked == limit, actions  # exactly the limit: the first five are checked, no more
    assert actions["login.refused_locked"] == ATTEMPTS - limit
    assert outcomes["wrong"] + outcomes["in"] == checked and outcomes["locked"] == ATTEMPTS - limit
    assert len(attempts) == ATTEMPTS and sum(a.succeeded for a in attempts) == outcomes["in"]


def test_after_a_burst_of_wrong_passwords_the_right_one_is_refused_too(app):
    with app.app_context():
        email = make_user("procurement_officer").email
    outcomes = Counter(_burst(app, email, ["wrong password here"] * 8))
    assert outcomes["wrong"] == app.config["LOGIN_MAX_FAILURES"] and outcomes["locked"] == 3, outcomes

    from tender.services import accounts

    with app.app_context(), pytest.raises(accounts.LoginRefused, match="Too many failed attempts"):
        accounts.authenticate(email, PASSWORD, None)


@pytest.mark.slow
def test_thirty_simultaneous_attempts_from_one_address_check_no_more_passwords_than_the_limit(app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    with app.app_context():
        email = make_user("procurement_officer").email
    passwords = ["wrong password " + str(i) for i in range(ATTEMPTS - 1)] + [PASSWORD]

    outcomes = Counter(_burst(app, email, passwords, ip=lambda index: "198.51.100.7"))

    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes["wrong"] + outcomes["in"] <= limit and outcomes["locked"] >= ATTEMPTS - limit, outcomes
    with app.app_context():
        checked = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.email == email, LoginAttempt.checked.is_(True)))
    assert checked == outcomes["wrong"] + outcomes["in"]


def test_twenty_failures_from_one_address_do_not_stop_the_right_password_from_another(app):
    from tender.services import accounts

    with app.app_context():
        email = make_user("procurement_officer").email
        refused = Counter()
        for _ in range(20):
            with pytest.raises(accounts.LoginRefused) as exc:
                accounts.authenticate(email, "wrong password here", "127.0.0.2")
            refused["locked" if "Too many" in str(exc.value) else "wrong"] += 1
        assert refused == {"wrong": app.config["LOGIN_MAX_FAILURES"], "locked": 20 - app.config["LOGIN_MAX_FAILURES"]}
        user, _token = accounts.authenticate(email, PASSWORD, "127.0.0.3")
        assert user.email == email
        with pytest.raises(accounts.LoginRefused, match="Too many"):  # .2 still waits, even with the right one
            accounts.authenticate(email, PASSWORD, "127.0.0.2")


def test_each_further_failure_waits_longer(app):
    from tender.services import accounts

    def back(seconds):
        with transaction():  # row by row: SQLite cannot subtract from a stored datetime in SQL
            for attempt in db.session.scalars(select(LoginAttempt).where(LoginAttempt.email == email)):
                attempt.at = attempt.at - timedelta(seconds=seconds)

    with app.app_context():
        email = make_user("procurement_officer").email
        for _ in range(5):
            with pytest.raises(accounts.LoginRefused, match="not right"):
                accounts.authenticate(email, "wrong password here", "127.0.0.2")
        with pytest.raises(accounts.LoginRefused, match="Wait 1 minute"):
            accounts.authenticate(email, "wrong password here", "127.0.0.2")
        back(31)  # the first delay (30 s) has passed: one more password is checked
        with pytest.raises(accounts.LoginRefused, match="not right"):
            accounts.authenticate(email, "wrong password here", "127.0.0.2")
        back(31)  # the next delay is 60 s
        with pytest.raises(accounts.LoginRefused, match="Too many"):
            accounts.authenticate(email, PASSWORD, "127.0.0.2")
        back(30)
        assert accounts.authenticate(email, PASSWORD, "127.0.0.2")[0].email == email
