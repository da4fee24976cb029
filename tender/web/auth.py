"""Logging in and out."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user, user_logged_in

from tender.services import accounts
from tender.web.forms import LoginForm

bp = Blueprint("auth", __name__)


def rotate_csrf() -> None:
    """Forget the CSRF token held before login, so a token planted or seen before it is worthless after (issue 19).

    Flask-WTF keeps the raw token in the session (``csrf_token``) and caches
    it on ``g`` for the request; the next form rendered makes a new one.
    It runs on Flask-Login's ``user_logged_in`` signal, so every way of
    logging in (password, single sign-on) rotates the token.
    """
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)


@user_logged_in.connect
def _rotate_csrf_on_login(_app, **_extra) -> None:
    rotate_csrf()


def client_ip() -> str | None:
    """The caller's address as the server saw it (gunicorn behind a proxy: set forwarded_allow_ips)."""
    return request.remote_addr


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success start a server-side session."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user, _token = accounts.authenticate(form.email.data, form.password.data, client_ip())
        except accounts.LoginRefused as exc:
            form.password.errors = [str(exc)]
            return render_template("auth/login.html", form=form), 400
        login_user(user)  # rotates the CSRF token (rotate_csrf, on the user_logged_in signal)
        return redirect(url_for("dashboard.index"))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session on the server and in the browser."""
    accounts.end_session(current_user, client_ip())
    logout_user()
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))
