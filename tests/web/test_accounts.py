"""Accounts a council can run (issue 19), through the web with a real SMTP server on loopback.

Invitations and resets are e-mailed by ``tender worker`` (run here with
``jobs.work(until_idle=True)``) and the link is read out of the message as it
arrived. SQLite by default; PostgreSQL with ``TENDER_TEST_DATABASE_URL``.
"""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from tender.extensions import db
from tender.models import AccountLink, AuditEvent, User
from tender.services import clock, jobs
from tender.services.use_case import transaction
from tests.helpers import PASSWORD, csrf_post, csrf_token, login, make_user

NEW_PASSWORD = "quiet orchard lantern"


def _work(app, smtp):
    with app.app_context():
        jobs.work(until_idle=True, mail_settings=smtp.settings())


def _link(smtp, to: str, path: str) -> str:
    bodies = [m.get_content() for m in smtp.handler.messages() if m["To"].addresses[0].addr_spec == to]
    found = [re.search(rf"http\S*({re.escape(path)}[A-Za-z0-9_-]+)", body) for body in bodies]
    assert found and found[-1], bodies
    return found[-1].group(1)


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.seq)).all()


def _set_password(client, path, password, confirm=None):
    return csrf_post(client, path, {"password": password, "confirm": confirm or password}, token_from=path)


def test_an_invited_user_chooses_their_password_from_the_link_in_the_email(app, client, smtp):
    with app.app_context():
        admin_email = make_user("administrator").email
    login(client, admin_email)
    form = client.get("/admin/users").get_data(as_text=True)
    assert 'type="password"' not in form  # the administrator never sets a password
    response = csrf_post(client, "/admin/users", {"email": "New.Evaluator@kent.example", "name": "New Evaluator",
                                                 "role": "evaluator"}, token_from="/admin/users")
    assert response.status_code == 302
    assert login(app.test_client(), "new.evaluator@kent.example", "").status_code == 400  # no password yet
    _work(app, smtp)
    path = _link(smtp, "new.evaluator@kent.example", "/account/set-password/")

    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "new.evaluator@kent.example" in page.get_data(as_text=True)
    refused = _set_password(newcomer, path, "password123456")
    assert refused.status_code == 400 and "too common" in refused.get_data(as_text=True)
    mismatch = _set_password(newcomer, path, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    assert _set_password(newcomer, path, NEW_PASSWORD).status_code == 302
    assert login(newcomer, "new.evaluator@kent.example", NEW_PASSWORD).status_code == 302
    assert newcomer.get(path).status_code == 400  # the link worked once
    assert [e.actor for e in _audit(app, "user.invited")] == [admin_email]
    assert len(_audit(app, "account.password_set")) == 1


def test_an_administrator_changes_a_role_audited_before_and_after(app, client):
    with app.app_context():
        admin_email = make_user("administrator").email
        evaluator = make_user("evaluator")
        evaluator_id = evaluator.id
    login(client, admin_email)
    response = csrf_post(client, f"/admin/users/{evaluator_id}/role", {"role": "moderator", "expected": "evaluator"},
                         token_from="/admin/users")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, evaluator_id).role == "moderator"
    event = _audit(app, "user.role_changed")[-1]
    assert '"evaluator"' in event.before and '"moderator"' in event.after and event.actor == admin_email
    stale = csrf_post(client, f"/admin/users/{evaluator_id}/role", {"role": "approver", "expected": "evaluator"},
                      token_from="/admin/users")
    assert stale.status_code == 409  # the page showed a role someone has since changed
    bad = csrf_post(client, f"/admin/users/{evaluator_id}/role", {"role": "supplier", "expected": "moderator"},
                    token_from="/admin/users")
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.get(User, evaluator_id).role == "moderator"


def test_no_one_changes_their_own_role_and_two_administrators_cannot_demote_each_other(app, client):
    from tender.services import users
    from tender.services.errors import ServiceError

    with app.app_context():
        admin = make_user("administrator")
        admin_id, admin_email = admin.id, admin.email
        other_id = make_user("administrator").id
    login(client, admin_email)
    own = csrf_post(client, f"/admin/users/{admin_id}/role", {"role": "evaluator", "expected": "administrator"},
                    token_from="/admin/users")
    assert own.status_code == 400 and "your own role" in own.get_data(as_text=True)
    with app.app_context():
        second = db.session.get(User, other_id)
        # The second administrator as loaded before the first acts (a race): they still hold the role in memory.
        stale = SimpleNamespace(id=second.id, email=second.email, role="administrator", is_authenticated=True)
        users.change_role(db.session.get(User, admin_id), other_id, "evaluator")
        with pytest.raises(ServiceError):
            users.change_role(stale, admin_id, "evaluator")
        db.session.rollback()
        assert db.session.get(User, admin_id).role == "administrator"
    assert len(_audit(app, "user.role_changed")) == 1


def test_a_user_changes_their_own_password_and_their_other_sessions_end(app, client):
    with app.app_context():
        email = make_user("procurement_officer").email
    elsewhere = app.test_client()
    login(elsewhere, email)
    login(client, email)
    wrong = csrf_post(client, "/account/password", {"current": "not my password", "password": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD}, token_from="/account/password")
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(as_text=True)
    common = csrf_post(client, "/account/password", {"current": PASSWORD, "password": "password123456",
                                                     "confirm": "password123456"}, token_from="/account/password")
    assert common.status_code == 400 and "too common" in common.get_data(as_text=True)
    done = csrf_post(client, "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD}, token_from="/account/password")
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # still logged in here
    assert elsewhere.get("/").status_code == 302  # logged out there
    assert login(app.test_client(), email, PASSWORD).status_code == 400
    assert login(app.test_client(), email, NEW_PASSWORD).status_code == 302
    assert len(_audit(app, "account.password_changed")) == 1


def test_a_reset_link_works_once_and_expires(app, client, smtp):
    with app.app_context():
        email = make_user("approver").email
    sent = csrf_post(client, "/account/forgot-password", {"email": email.upper()},
                     token_from="/account/forgot-password")
    _work(app, smtp)
    path = _link(smtp, email, "/account/reset-password/")
    assert _set_password(client, path, NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), email, NEW_PASSWORD).status_code == 302
    again = client.get(path)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)

    with app.app_context():  # a second reset, whose link is left to expire
        with transaction():
            db.session.execute(update(AccountLink).values(created_at=clock.wall_now() - timedelta(hours=2)))
    csrf_post(client, "/account/forgot-password", {"email": email}, token_from="/account/forgot-password")
    _work(app, smtp)
    later = _link(smtp, email, "/account/reset-password/")
    assert later != path
    with app.app_context():
        link = db.session.scalar(select(AccountLink).where(AccountLink.used_at.is_(None)))
        assert link.expires_at - link.created_at <= timedelta(hours=1)
        with transaction():
            db.session.execute(update(AccountLink).where(AccountLink.id == link.id).values(
                created_at=clock.wall_now() - timedelta(hours=2), expires_at=clock.wall_now() - timedelta(minutes=1)))
    expired = csrf_post(client, later, {"password": "another fine passphrase", "confirm": "another fine passphrase"},
                        token_from="/account/forgot-password")
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    assert login(app.test_client(), email, NEW_PASSWORD).status_code == 302
    assert sent.status_code == 200


def test_the_forgot_password_answer_is_the_same_whether_or_not_the_account_exists(app, client, smtp):
    with app.app_context():
        email = make_user("evaluator").email
    known = csrf_post(client, "/account/forgot-password", {"email": email}, token_from="/account/forgot-password")
    unknown = csrf_post(client, "/account/forgot-password", {"email": "nobody@kent.example"},
                        token_from="/account/forgot-password")

    def strip(page):
        return re.sub(r'name="csrf_token"[^>]*>', "", page.get_data(as_text=True))

    assert known.status_code == unknown.status_code == 200 and strip(known) == strip(unknown)
    _work(app, smtp)
    assert [m["To"].addresses[0].addr_spec for m in smtp.handler.messages()] == [email]


def test_twenty_failures_from_one_address_do_not_stop_a_correct_login_from_another(app):
    with app.app_context():
        email = make_user("approver").email
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    statuses = [login(attacker, email, "not the password").status_code for _ in range(20)]
    assert statuses == [400] * 20
    approver = app.test_client()
    approver.environ_base["REMOTE_ADDR"] = "127.0.0.3"
    assert login(approver, email).status_code == 302
    assert approver.get("/").status_code == 200


def _raw_csrf(app, client):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value).get("csrf_token")


def test_the_csrf_token_is_rotated_at_login(app, client):
    with app.app_context():
        email = make_user("procurement_officer").email
    before = csrf_token(client, "/login")
    raw_before = _raw_csrf(app, client)
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": before}).status_code == 302
    client.get("/account/password")
    raw_after = _raw_csrf(app, client)
    assert raw_before and raw_after and raw_before != raw_after
    stale = client.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD, "csrf_token": before})
    assert stale.status_code == 400  # the token from before login no longer works
    assert login(app.test_client(), email, PASSWORD).status_code == 302  # and nothing changed


def test_production_refuses_to_start_without_a_secret_key_and_says_how_to_make_one(tmp_path, monkeypatch):
    from tender import create_app
    from tender.config import MissingSecretKey

    monkeypatch.delenv("TENDER_SECRET_KEY", raising=False)
    monkeypatch.setenv("TENDER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TENDER_ENV", "production")
    with pytest.raises(MissingSecretKey, match=r"secrets\.token_hex\(32\)") as refused:
        create_app()
    assert "TENDER_SECRET_KEY" in str(refused.value)
    assert not (tmp_path / "secret_key").exists()  # no key of its own, per host
    monkeypatch.setenv("TENDER_ENV", "development")
    assert create_app().config["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()


def test_tender_commands_run_in_production_without_a_secret_key(tmp_path, database_url):
    """Only a web server signs cookies: `tender` commands (migrations, the worker, audit) need no key."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENDER_", "FLASK_"))}
    env.update({"DATABASE_URL": database_url, "TENDER_INSTANCE_PATH": str(tmp_path), "TENDER_ENV": "production"})
    tender = str(Path(sys.executable).parent / "tender")
    for command in (["db", "upgrade"], ["worker", "--until-idle"], ["audit", "verify"]):
        result = subprocess.run([tender, *command], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (command, result.stderr)
        assert "TENDER_SECRET_KEY" not in result.stderr
    # `tender run` is a web server: refused, saying how to make a key, instead of serving 500s.
    served = subprocess.run([tender, "run", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert served.returncode != 0 and "secrets.token_hex(32)" in served.stderr and "Traceback" not in served.stderr
    assert not (tmp_path / "secret_key").exists()


def test_role_changes_name_a_real_staff_account(app, client):
    with app.app_context():
        admin_email = make_user("administrator").email
        supplier_id = make_user("supplier").id
    login(client, admin_email)
    missing = csrf_post(client, "/admin/users/999999/role", {"role": "moderator", "expected": "evaluator"},
                        token_from="/admin/users")
    assert missing.status_code == 404 and "no such account" in missing.get_data(as_text=True)
    supplier = csrf_post(client, f"/admin/users/{supplier_id}/role", {"role": "evaluator", "expected": "supplier"},
                         token_from="/admin/users")
    assert supplier.status_code == 400
    with app.app_context():
        assert db.session.get(User, supplier_id).role == "supplier"
    assert _audit(app, "user.role_changed") == []


def test_a_link_works_only_on_the_page_for_its_purpose(app, client, smtp):
    with app.app_context():
        email = make_user("evaluator").email
    csrf_post(client, "/account/forgot-password", {"email": email}, token_from="/account/forgot-password")
    _work(app, smtp)
    reset = _link(smtp, email, "/account/reset-password/")
    as_invitation = reset.replace("/reset-password/", "/set-password/")
    assert client.get(as_invitation).status_code == 400
    refused = csrf_post(client, as_invitation, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                        token_from="/account/forgot-password")
    assert refused.status_code == 400 and "This link cannot be used" in refused.get_data(as_text=True)
    assert login(app.test_client(), email, NEW_PASSWORD).status_code == 400
    assert _set_password(client, reset, NEW_PASSWORD).status_code == 302  # still good where it belongs


@pytest.mark.parametrize("role", ["procurement_officer", "evaluator", "moderator", "approver", "legal_reviewer"])
def test_only_an_administrator_invites_or_changes_roles(app, client, role):
    with app.app_context():
        email = make_user(role).email
        target = make_user("evaluator").id
    login(client, email)
    token = csrf_token(client, "/account/password")
    invite = client.post("/admin/users", data={"email": "z@kent.example", "name": "Z", "role": "evaluator",
                                               "csrf_token": token})
    change = client.post(f"/admin/users/{target}/role", data={"role": "administrator", "expected": "evaluator",
                                                             "csrf_token": token})
    assert invite.status_code == change.status_code == 403
    with app.app_context():
        assert db.session.get(User, target).role == "evaluator"
        assert db.session.scalar(select(User).where(User.email == "z@kent.example")) is None
    assert _audit(app, "user.role_changed") == [] and _audit(app, "user.invited") == []
