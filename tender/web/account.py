"""People's own accounts: choose a password from an invitation, change it, reset it by e-mail (issue 19)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tender.services import account_links, passwords
from tender.services.errors import ServiceError
from tender.web.account_forms import ChangePasswordForm, ForgotPasswordForm, NewPasswordForm
from tender.web.auth import client_ip

bp = Blueprint("account", __name__, url_prefix="/account")

LINK_PAGES = {"invite": ("Choose your password", "Save password"),
              "reset": ("Choose a new password", "Save new password")}
FORGOT_ANSWER = ("If there is an account for that address, we have sent it an e-mail with a link to choose a new "
                 "password. The link works once, for an hour. Check your junk mail if it has not arrived in a few "
                 "minutes.")


def _errors(form, fields):
    return [(e, getattr(form, name).id) for name in fields for e in getattr(form, name).errors]


def _link_page(purpose: str, token: str):
    form = NewPasswordForm()
    title, button = LINK_PAGES[purpose]
    try:
        user = account_links.check(token, purpose)
    except account_links.LinkRefused as exc:
        return render_template("account/link_refused.html", message=str(exc)), 400
    errors = []
    if form.validate_on_submit():
        try:
            passwords.set_from_link(token, purpose, form.password.data, form.confirm.data, client_ip())
        except account_links.LinkRefused as exc:
            return render_template("account/link_refused.html", message=str(exc)), 400
        except ServiceError as exc:
            form.password.errors = [str(exc)]
        else:
            flash("Your password is saved. Log in with it now.", "success")
            return redirect(url_for("auth.login"))
    errors = _errors(form, ("password", "confirm"))
    return render_template("account/new_password.html", form=form, title=title, button=button, user=user,
                           errors=errors), 400 if errors else 200


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """An invited person chooses their first password."""
    return _link_page("invite", token)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """A person chooses a new password from a reset e-mail."""
    return _link_page("reset", token)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset e-mail: the same answer and the same page whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.request_reset(form.email.data, client_ip())
        return render_template("account/forgot_sent.html", message=FORGOT_ANSWER)
    errors = _errors(form, ("email",))
    return render_template("account/forgot.html", form=form, errors=errors), 400 if errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your own password (your other sessions end)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            passwords.change_password(current_user, form.current.data, form.password.data, form.confirm.data,
                                      client_ip())
        except ServiceError as exc:
            target = form.current if "current password" in str(exc) else form.password
            target.errors = [str(exc)]
        else:
            flash("Your password is changed. You have been logged out everywhere else.", "success")
            return redirect(url_for("dashboard.index"))
    errors = _errors(form, ("current", "password", "confirm"))
    return render_template("account/change_password.html", form=form, errors=errors), 400 if errors else 200
