"""Account administration for administrators: invite, change roles, deactivate (never a password)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tender.domain.roles import STAFF_ROLES, Permission, Role, may
from tender.services import users
from tender.services.errors import InvalidRequest, ServiceError
from tender.web.auth import client_ip
from tender.web.account_forms import RoleForm
from tender.web.forms import CreateUserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page(form, status=200, errors=None):
    return render_template("admin/users.html", users=users.list_users(current_user), form=form,
                           errors=errors or [], roles=[r for r in Role if r in STAFF_ROLES],
                           staff_roles={r.value for r in STAFF_ROLES}, no_password=users.NO_PASSWORD), status


@bp.route("/users")
@login_required
def user_list():
    """Every account and a form to add one."""
    if not may(current_user.role, Permission.MANAGE_USERS):
        abort(403)
    return _page(CreateUserForm())


@bp.route("/users", methods=["POST"])
@login_required
def create_user():
    """Invite a person: their account is created with no password and they are e-mailed a link to choose one."""
    if not may(current_user.role, Permission.MANAGE_USERS):
        abort(403)
    form = CreateUserForm()
    if not form.validate():
        anchors = {"role": "role-administrator"}  # the first radio of the group
        return _page(form, 400, [(e, anchors.get(name, getattr(form, name).id))
                                 for name, errs in form.errors.items() for e in errs])
    try:
        user = users.invite(current_user, form.email.data, form.name.data, form.role.data, client_ip())
    except InvalidRequest as exc:
        # With the form valid, only the address is left to refuse (its format, or an account already has it).
        form.email.errors = [str(exc)]
        return _page(form, exc.status, [(str(exc), form.email.id)])
    except ServiceError as exc:
        return _page(form, exc.status, [str(exc)])
    flash(f"Invitation sent to {user.email}. They choose their own password from the link in it.", "success")
    return redirect(url_for(".user_list"))


def _refused(exc: ServiceError):
    return render_template("errors/error.html", title="That could not be done", message=str(exc)), exc.status


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@login_required
def change_role(user_id: int):
    """Give a person another role (audited)."""
    form = RoleForm()
    if not form.validate():
        return _refused(InvalidRequest("Choose one of the roles listed."))
    try:
        user = users.change_role(current_user, user_id, form.role.data, form.expected.data, client_ip())
    except ServiceError as exc:
        return _refused(exc)
    flash(f"{user.email} is now {Role(user.role).label}.", "success")
    return redirect(url_for(".user_list"))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@login_required
def reinvite(user_id: int):
    """Send the invitation again to someone who has not yet chosen a password."""
    try:
        user = users.reinvite(current_user, user_id, client_ip())
    except ServiceError as exc:
        return _refused(exc)
    flash(f"Invitation sent to {user.email} again.", "success")
    return redirect(url_for(".user_list"))


@bp.route("/users/<int:user_id>/<any(activate, deactivate):action>", methods=["POST"])
@login_required
def set_active(user_id: int, action: str):
    """Deactivate or reactivate an account."""
    try:
        user = users.set_active(current_user, user_id, action == "activate", client_ip())
    except ServiceError as exc:
        return render_template("errors/error.html", title="That could not be done", message=str(exc)), exc.status
    flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for(".user_list"))
