"""Security of the web layer: headers, cookies, CSRF, login throttling, sessions, password storage.

As in test_authorisation.py, no application context is held while the client
makes requests (Flask would reuse it and Flask-Login would cache the user in it).
"""
from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, LoginAttempt, Procurement, User, UserSession
from tests.helpers import CPN_TIMETABLE, PASSWORD, TEST_CONFIG, csrf_post, csrf_token, login, make_procurement, make_user

WRONG = "not the right password"
COOKIE = "tender_session"


def new_user(app, role: str = "procurement_officer") -> str:
    with app.app_context():
        return make_user(role).email


def audit_rows(app) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return rows


def login_error(response) -> str:
    """The message under the password field of the login page."""
    match = re.search(r'class="govuk-error-message"[^>]*>\s*<span[^>]*>Error:</span>(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    assert match, "no error message on the login page"
    return html.unescape(match.group(1)).strip()


def session_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert headers, f"no {COOKIE} cookie set"
    return headers[-1]


def session_record(app, email: str) -> UserSession:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        record = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                    .order_by(UserSession.created_at.desc())).first()
        db.session.expunge_all()
        return record


def move_session(app, email: str, *, created_ago: timedelta | None = None, seen_ago: timedelta | None = None) -> None:
    """Pretend the session was opened, or last used, some time ago."""
    now = datetime.now(timezone.utc)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        record = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).one()
        if created_ago is not None:
            record.created_at = now - created_ago
        if seen_ago is not None:
            record.last_seen_at = now - seen_ago
        db.session.commit()


def is_sent_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/login")


# --------------------------------------------------------------------------- headers and cookies


def test_html_pages_carry_the_security_headers(app, client):
    email = new_user(app)
    pages = [client.get("/login")]
    login(client, email)
    pages.append(client.get("/"))
    for response in pages:
        assert response.mimetype == "text/html"
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
        assert response.headers["Cache-Control"] == "no-store"


def test_error_pages_carry_the_security_headers_too(app, client):
    login(client, new_user(app))
    response = client.get("/procurements/987654")
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_session_cookie_is_httponly_and_samesite_lax(app, client):
    email = new_user(app)
    response = login(client, email)
    assert response.status_code == 302
    cookie = session_cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test app runs over plain HTTP (TENDER_ENV=testing)
    assert "Strict-Transport-Security" not in response.headers


def test_the_configuration_makes_cookies_secure_unless_in_development_or_testing(tmp_path):
    from tender.config import build_config

    def secure(env: dict) -> bool:
        return build_config(str(tmp_path), {"TENDER_SECRET_KEY": "k", **env})["SESSION_COOKIE_SECURE"]

    assert secure({"TENDER_ENV": "production"}) is True
    assert secure({}) is True  # production is the default
    assert secure({"TENDER_ENV": "development"}) is False
    assert secure({"TENDER_ENV": "testing"}) is False


def test_an_app_built_for_production_sets_a_secure_session_cookie_and_hsts(database_url, tmp_path, monkeypatch):
    from tender import create_app

    monkeypatch.setenv("TENDER_ENV", "production")
    monkeypatch.setenv("TENDER_SECRET_KEY", "production-secret-for-this-test-only")
    monkeypatch.setenv("TENDER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TENDER_ARGON2_MEMORY_KIB", "19456")
    monkeypatch.setenv("TENDER_ARGON2_TIME_COST", "2")
    monkeypatch.setenv("TENDER_ARGON2_PARALLELISM", "1")
    production = create_app()
    try:
        assert production.config["SESSION_COOKIE_SECURE"] is True
        email = new_user(production)
        client = production.test_client()
        response = login(client, email)
        assert response.status_code == 302
        cookie = session_cookie_header(response)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        with production.app_context():
            db.session.remove()
            db.engine.dispose()


# --------------------------------------------------------------------------- CSRF


def test_a_post_without_a_csrf_token_is_refused_in_plain_english_and_changes_nothing(app, client):
    email = new_user(app)
    with app.app_context():
        p = make_procurement(timetable=CPN_TIMETABLE)
        p.state = "sq_closed"
        db.session.commit()
        pid, version = p.id, p.version
    login(client, email)
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    response = client.post(f"/procurements/{pid}/advance", data={"trigger": "start_sq_evaluation",
                                                               "version": str(version)})

    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Your form could not be sent" in text and "Nothing was changed" in text
    assert "CSRF" not in text and "Traceback" not in text
    with app.app_context():
        stored = db.session.get(Procurement, pid)
        assert (stored.state, stored.version) == ("sq_closed", version)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    # ...and the same request with a token works, so it was the token that was missing.
    assert csrf_post(client, f"/procurements/{pid}/advance",
                     {"trigger": "start_sq_evaluation", "version": str(version)}).status_code == 302


def test_a_post_with_a_forged_csrf_token_is_refused(app, client):
    login(client, new_user(app))
    response = client.post("/logout", data={"csrf_token": "forged-token"})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still logged in


def test_the_login_form_needs_a_csrf_token_and_records_no_attempt_without_one(app, client):
    email = new_user(app)
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0
    assert is_sent_to_login(client.get("/"))


# --------------------------------------------------------------------------- login throttling


def test_five_wrong_passwords_lock_the_account_even_against_the_right_password(app, client):
    email = new_user(app)
    for attempt in range(5):
        response = login(client, email, WRONG)
        assert response.status_code == 400, attempt
        assert "not right" in login_error(response)

    response = login(client, email, PASSWORD)

    assert response.status_code == 400
    assert "Too many failed attempts" in login_error(response)
    assert is_sent_to_login(client.get("/"))
    assert session_record(app, email) is None


def test_four_wrong_passwords_do_not_lock_the_account(app, client):
    email = new_user(app)
    for _ in range(4):
        login(client, email, WRONG)
    assert login(client, email, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_the_lock_holds_when_another_app_instance_handles_the_next_login(app, client, database_url):
    """Like a second gunicorn worker: the count lives in the database, not in a process."""
    from tender import create_app

    email = new_user(app)
    for _ in range(5):
        assert login(client, email, WRONG).status_code == 400
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    try:
        other_client = other.test_client()
        response = login(other_client, email, PASSWORD)
        assert response.status_code == 400
        assert "Too many failed attempts" in login_error(response)
        assert is_sent_to_login(other_client.get("/"))
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    actions = [e.action for e in audit_rows(app)]
    assert actions.count("login.failed") == 5 and actions.count("login.refused_locked") == 1
    assert "login.succeeded" not in actions


def test_locking_one_account_does_not_lock_another(app, client):
    locked, other = new_user(app), new_user(app)
    for _ in range(5):
        login(client, locked, WRONG)
    assert login(app.test_client(), other, PASSWORD).status_code == 302


def test_the_lock_lifts_once_the_window_has_passed(app, client):
    email = new_user(app)
    for _ in range(5):
        login(client, email, WRONG)
    with app.app_context():
        for attempt in db.session.scalars(select(LoginAttempt).where(LoginAttempt.email == email)):
            attempt.at = attempt.at - timedelta(minutes=16)
        db.session.commit()
    assert login(client, email, PASSWORD).status_code == 302


# --------------------------------------------------------------------------- sessions


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_is_worthless(app, client):
    email = new_user(app)
    assert login(client, email).status_code == 302
    copied = client.get_cookie(COOKIE).value

    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    assert thief.get("/").status_code == 200  # the copy works while the session lives...

    assert csrf_post(client, "/logout", {}).status_code == 302

    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    assert is_sent_to_login(replay.get("/"))  # ...and not after logout
    assert session_record(app, email).ended_at is not None


def test_a_session_idle_for_more_than_thirty_minutes_is_sent_to_log_in(app, client):
    email = new_user(app)
    login(client, email)
    move_session(app, email, seen_ago=timedelta(minutes=29))
    assert client.get("/").status_code == 200

    move_session(app, email, seen_ago=timedelta(minutes=31))

    assert is_sent_to_login(client.get("/"))
    assert session_record(app, email).ended_at is not None
    move_session(app, email, seen_ago=timedelta(minutes=0))
    assert is_sent_to_login(client.get("/")), "an ended session must stay ended"


def test_the_idle_limit_follows_the_configuration(app, client):
    app.config["SESSION_IDLE_MINUTES"] = 1
    email = new_user(app)
    login(client, email)
    move_session(app, email, seen_ago=timedelta(minutes=2))
    assert is_sent_to_login(client.get("/"))


def test_a_session_older_than_twelve_hours_is_sent_to_log_in_even_if_busy(app, client):
    email = new_user(app)
    login(client, email)
    move_session(app, email, created_ago=timedelta(hours=11, minutes=59), seen_ago=timedelta(minutes=1))
    assert client.get("/").status_code == 200

    move_session(app, email, created_ago=timedelta(hours=12, minutes=1), seen_ago=timedelta(minutes=1))

    assert is_sent_to_login(client.get("/"))
    assert session_record(app, email).ended_at is not None


def test_an_expired_session_cannot_post_either(app, client):
    email = new_user(app)
    login(client, email)
    with app.app_context():
        pid = make_procurement(timetable=CPN_TIMETABLE).id
    token_page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)
    move_session(app, email, seen_ago=timedelta(minutes=31))
    response = client.post(f"/procurements/{pid}/shortlist/justification",
                           data={"justification": "x", "csrf_token": token})
    assert is_sent_to_login(response)
    with app.app_context():
        assert db.session.get(Procurement, pid).shortlist_justification is None


# --------------------------------------------------------------------------- passwords and login messages


def test_passwords_are_stored_as_argon2id_and_never_in_plain_text(app):
    email = new_user(app)
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.email == email))
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in stored
        other = make_user("evaluator")
        assert other.password_hash != stored  # salted: same password, different hash


def test_the_login_error_does_not_reveal_whether_the_account_exists(app, client):
    email = new_user(app)
    wrong_password = login(client, email, WRONG)
    unknown_account = login(client, "nobody-" + email, PASSWORD)
    assert wrong_password.status_code == unknown_account.status_code == 400
    assert login_error(wrong_password) == login_error(unknown_account)
    assert login_error(wrong_password) == "The e-mail address or password is not right. Check them and try again."
    assert "nobody-" not in login_error(unknown_account)


def test_an_unknown_account_is_locked_after_five_tries_just_like_a_real_one(app, client):
    """Otherwise the lock itself would tell an attacker which accounts exist."""
    real = new_user(app)
    for email in (real, "ghost@test.example"):
        for _ in range(5):
            login(client, email, WRONG)
    assert login_error(login(client, real, WRONG)) == login_error(login(client, "ghost@test.example", WRONG))


def test_failed_logins_logins_and_logouts_are_in_the_audit_trail(app, client):
    email = new_user(app)
    login(client, email, WRONG)
    login(client, "stranger@test.example", WRONG)
    login(client, email)
    csrf_post(client, "/logout", {})

    events = [e for e in audit_rows(app) if e.action.startswith(("login", "logout"))]

    assert [(e.action, e.actor) for e in events] == [
        ("login.failed", email), ("login.failed", "stranger@test.example"),
        ("login.succeeded", email), ("logout", email),
    ]
    assert all(e.ip == "127.0.0.1" for e in events)
    for e in audit_rows(app):
        for text in (e.before, e.after, e.reason):
            assert not text or (WRONG not in text and PASSWORD not in text)


def test_an_inactive_account_cannot_log_in_and_its_sessions_end(app, client):
    email = new_user(app)
    login(client, email)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).active = False
        db.session.commit()
    assert is_sent_to_login(client.get("/"))
    response = login(app.test_client(), email)
    assert response.status_code == 400
    assert "not right" in login_error(response)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_login_does_not_redirect_to_another_site(app, client, target):
    email = new_user(app)
    token = csrf_token(client, "/login?next=" + target)
    response = client.post("/login?next=" + target, data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
