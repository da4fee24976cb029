"""Administrators manage accounts (invite, deactivate; never a password); nobody else can; deactivation ends sessions at once."""
from __future__ import annotations

from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, Job, User
from tests.helpers import PASSWORD, csrf_post, login, make_user


def test_an_administrator_invites_an_account_that_cannot_log_in_until_its_owner_sets_a_password(app, client):
    with app.app_context():
        admin_email = make_user("administrator").email
    login(client, admin_email)
    response = csrf_post(client, "/admin/users", {"email": "new.evaluator@kent.example", "name": "New Evaluator",
                                                 "role": "evaluator", "password": "a long enough passphrase"},
                         token_from="/admin/users")
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.evaluator@kent.example"))
        assert user.role == "evaluator" and not user.password_hash.startswith("$argon2")  # a posted password is ignored
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created").order_by(AuditEvent.seq.desc()))
        assert event.actor == admin_email
        assert db.session.scalar(select(Job.kind)) == "account.link.send"  # the invitation, queued for the worker
    assert login(app.test_client(), "new.evaluator@kent.example", "a long enough passphrase").status_code == 400
    assert "Invited" in client.get("/admin/users").get_data(as_text=True)


def test_an_invitation_can_be_sent_again_until_a_password_is_chosen(app, client):
    with app.app_context():
        admin_email = make_user("administrator").email
        chosen = make_user("evaluator").id
    login(client, admin_email)
    csrf_post(client, "/admin/users", {"email": "x@kent.example", "name": "X", "role": "evaluator"},
              token_from="/admin/users")
    with app.app_context():
        invited = db.session.scalar(select(User.id).where(User.email == "x@kent.example"))
    assert csrf_post(client, f"/admin/users/{invited}/invite", {}, token_from="/admin/users").status_code == 302
    refused = csrf_post(client, f"/admin/users/{chosen}/invite", {}, token_from="/admin/users")
    assert refused.status_code == 400 and "already chosen a password" in refused.get_data(as_text=True)


def test_deactivating_an_account_ends_its_live_session(app):
    with app.app_context():
        admin_email = make_user("administrator").email
        officer = make_user("procurement_officer")
        officer_id, officer_email = officer.id, officer.email
    officer_client, admin_client = app.test_client(), app.test_client()
    login(officer_client, officer_email)
    assert officer_client.get("/").status_code == 200
    login(admin_client, admin_email)
    assert csrf_post(admin_client, f"/admin/users/{officer_id}/deactivate", {}, token_from="/admin/users").status_code == 302
    assert officer_client.get("/").status_code == 302  # back to the login page
    assert login(app.test_client(), officer_email, PASSWORD).status_code == 400


def test_only_administrators_reach_user_management(app, client):
    with app.app_context():
        officer_email = make_user("procurement_officer").email
        target = make_user("evaluator").id
    login(client, officer_email)
    assert client.get("/admin/users").status_code == 403
    assert csrf_post(client, f"/admin/users/{target}/deactivate", {}).status_code == 403
    with app.app_context():
        assert db.session.get(User, target).active


def test_the_error_summary_links_to_each_field_at_fault(app, client):
    with app.app_context():
        admin_email = make_user("administrator").email
    login(client, admin_email)
    page = csrf_post(client, "/admin/users", {"email": "", "name": ""},
                     token_from="/admin/users").get_data(as_text=True)
    for anchor in ("#email", "#name", "#role-administrator"):
        assert f'href="{anchor}"' in page
    assert 'id="role-administrator"' in page and 'id="email"' in page


def test_an_address_that_already_has_an_account_is_refused_at_the_field(app, client):
    with app.app_context():
        admin_email = make_user("administrator").email
        taken = make_user("evaluator").email
    login(client, admin_email)
    response = csrf_post(client, "/admin/users", {"email": taken.upper(), "name": "Again", "role": "moderator"},
                         token_from="/admin/users")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<a href="#email">An account for {taken} already exists.</a>' in page
    assert "govuk-form-group--error" in page
    with app.app_context():
        assert db.session.scalar(select(Job.kind)) is None  # no invitation queued
