"""The login throttle holds under a burst: never more passwords checked than the limit.

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
from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, LoginAttempt
from tests.helpers import PASSWORD, make_user

ATTEMPTS = 30


def _burst(app, email: str, passwords: list[str]) -> list[str]:
    from tender.services import accounts

    barrier = threading.Barrier(len(passwords))
    outcomes: list[str] = [""] * len(passwords)

    def attempt(index: int, password: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                accounts.authenticate(email, password, f"192.0.2.{index}")
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
