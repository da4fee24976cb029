"""Two people acting on one account at the same moment (issue 19): one wins, the other is told, nothing is lost.

Each side runs on its own thread with its own database connection (as two
gunicorn workers would), released together by a barrier. SQLite lets one
writer in at a time; PostgreSQL (``TENDER_TEST_DATABASE_URL``) runs them truly
at once, where the compare-and-set updates and the administrators' advisory
lock decide.
"""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, User
from tender.services.use_case import transaction
from tests.helpers import make_user


def _together(app, actions) -> list[str]:
    """Run each action at once in its own app context; 'ok', or the refusal's class and message."""
    from tender.services.errors import ServiceError

    barrier = threading.Barrier(len(actions))
    outcomes = [""] * len(actions)

    def run(index, action):
        with app.app_context():
            barrier.wait()
            try:
                action()
                outcomes[index] = "ok"
            except ServiceError as exc:
                outcomes[index] = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # noqa: BLE001 - a crash is what the test is looking for
                outcomes[index] = f"error: {exc!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _actions(app, name):
    with app.app_context():
        return Counter(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == name)).all())[name]


def test_a_reset_link_pressed_twice_at_once_sets_one_password(app):
    from tender.services import account_links, accounts, passwords

    with app.app_context():
        user = make_user("approver")
        email = user.email
        with transaction():
            token = account_links.issue(user, "reset")
    chosen = ["first chosen passphrase", "second chosen passphrase"]

    outcomes = _together(app, [lambda p=p: passwords.set_from_link(token, "reset", p, p) for p in chosen])

    assert outcomes.count("ok") == 1, outcomes
    (refused,) = [o for o in outcomes if o != "ok"]
    assert refused.startswith(("LinkRefused", "ConcurrentChange")), refused
    winner = chosen[outcomes.index("ok")]
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.email == email))
        assert accounts.verify_password(stored, winner)
        assert not accounts.verify_password(stored, chosen[1 - outcomes.index("ok")])
    assert _actions(app, "account.password_reset") == 1


def test_two_administrators_giving_one_person_different_roles_at_once_one_wins(app):
    from tender.services import users

    with app.app_context():
        first, second = make_user("administrator").id, make_user("administrator").id
        person = make_user("evaluator").id

    def change(admin_id, role):
        return lambda: users.change_role(db.session.get(User, admin_id), person, role, expected_role="evaluator")

    outcomes = _together(app, [change(first, "moderator"), change(second, "approver")])

    assert outcomes.count("ok") == 1, outcomes
    assert [o for o in outcomes if o != "ok"][0].startswith("ConcurrentChange: Someone else changed this person's role")
    with app.app_context():
        assert db.session.get(User, person).role == ("moderator", "approver")[outcomes.index("ok")]
    assert _actions(app, "user.role_changed") == 1


def test_two_administrators_demoting_each_other_at_once_leave_one_administrator(app):
    from tender.services import users

    with app.app_context():
        first, second = make_user("administrator").id, make_user("administrator").id

    def demote(admin_id, other_id):
        return lambda: users.change_role(db.session.get(User, admin_id), other_id, "evaluator")

    outcomes = _together(app, [demote(first, second), demote(second, first)])

    assert outcomes.count("ok") == 1, outcomes
    with app.app_context():
        roles = sorted(db.session.scalars(select(User.role).where(User.id.in_([first, second]))).all())
    assert roles == ["administrator", "evaluator"]
    assert _actions(app, "user.role_changed") == 1
