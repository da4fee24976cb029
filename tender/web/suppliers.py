"""Supplier organisations: the supplier's own pages, registering, and the officer's invitations (issue 18).

``supplier`` (``/supplier``) is for people at supplier organisations: their
home page (their organisation's invitations), one invited procurement, their
organisation's details, procurements open to expressions of interest, and
registering. ``invitations`` (``/procurements/<id>/suppliers``) is the
officer's: which supplier organisations are invited, and who at each gets an
e-mail invitation. Views stay thin: ``tender.services.suppliers`` decides.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from tender.domain.ocds.codelists import IDENTIFIER_SCHEMES
from tender.domain.roles import Permission, may
from tender.domain.supplier_access import open_to_interest
from tender.services import suppliers
from tender.services.use_case import get_procurement
from tender.web import supplier_access
from tender.web.auth import client_ip
from tender.web.publishing_forms import OrganisationForm

bp = Blueprint("supplier", __name__, url_prefix="/supplier")
officer_bp = Blueprint("invitations", __name__, url_prefix="/procurements")


class SupplierOrganisationForm(OrganisationForm):
    """The organisation's details as its own users keep them (the version they saw, for a race)."""

    version = HiddenField()


class RegisterForm(FlaskForm):
    organisation_name = StringField("Your organisation's legal name", validators=[Length(max=200)])
    person_name = StringField("Your full name", validators=[Length(max=200)])
    email = StringField("Your e-mail address", validators=[Length(max=254)])


class InviteSupplierForm(FlaskForm):
    name = StringField("Supplier organisation's legal name", validators=[Length(max=200)])
    contact_email = StringField("Organisation's e-mail address (optional)", validators=[Optional(), Length(max=254)])


class InvitePersonForm(FlaskForm):
    name = StringField("Full name", validators=[Length(max=200)])
    email = StringField("E-mail address", validators=[Length(max=254)])


def _errors(form_prefix: str, problems: dict[str, str]) -> list[tuple[str, str]]:
    return [(message, f"{form_prefix}-{name.replace('_', '-')}") for name, message in problems.items()]


# --------------------------------------------------------------------------- the supplier's own pages


@bp.route("/")
@login_required
def home():
    """The supplier's landing page: its organisation's invitations, and what it can do on each."""
    supplier = suppliers.require_supplier(current_user)
    invitations = suppliers.invitations_for(supplier.id)
    return render_template("supplier/home.html", supplier=supplier, invitations=invitations,
                           organisation=suppliers.organisation_of(supplier.id),
                           links=supplier_access.invitation_links(), sections=supplier_access.HOME_SECTIONS,
                           opportunities=len(suppliers.open_opportunities(supplier.id)))


@bp.route("/procurements/<int:procurement_id>")
@login_required
def procurement(procurement_id: int):
    """One procurement the supplier's organisation is invited to (404 for any other)."""
    supplier = suppliers.require_supplier(current_user)
    procurement = suppliers.invited_procurement(current_user, procurement_id)
    (row,) = [r for r in suppliers.invitations_for(supplier.id) if r.procurement_id == procurement.id]
    return render_template("supplier/procurement.html", supplier=supplier, row=row,
                           links=supplier_access.invitation_links())


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation():
    """The organisation's legal name, identifiers, address and contact point, as notices publish them."""
    supplier = suppliers.require_supplier(current_user)
    row = suppliers.organisation_of(supplier.id)
    form = SupplierOrganisationForm()
    if not form.is_submitted():
        if row is not None:
            form.process(obj=row)
        else:
            form.name.data = supplier.name
            form.contact_email.data = supplier.contact_email
        form.version.data = str(row.version) if row is not None else ""
        return _organisation_page(form)
    if not form.validate():
        return _organisation_page(form, 400, [(e, f"party-{n.replace('_', '-')}")
                                              for n, es in form.errors.items() for e in es])
    version = int(form.version.data) if (form.version.data or "").isdigit() and len(form.version.data) < 10 else None
    try:
        suppliers.save_organisation(current_user, form.data, version, ip=client_ip())
    except suppliers.OrganisationInvalid as exc:
        for name, message in exc.problems.items():
            if name in form:
                form[name].errors = [message]
        return _organisation_page(form, 400, _errors("party", exc.problems))
    flash("Your organisation's details are saved.", "success")
    return redirect(url_for("supplier.home"))


def _organisation_page(form, status: int = 200, errors=None):
    return render_template("supplier/organisation.html", form=form, schemes=IDENTIFIER_SCHEMES,
                           errors=errors or []), status


@bp.route("/opportunities")
@login_required
def opportunities():
    """Open and competitive flexible procurements whose notice invites any supplier, not yet joined."""
    supplier = suppliers.require_supplier(current_user)
    return render_template("supplier/opportunities.html", procurements=suppliers.open_opportunities(supplier.id))


@bp.route("/opportunities/<int:procurement_id>/interest", methods=["POST"])
@login_required
def express_interest(procurement_id: int):
    """Take part in an open procurement: the organisation is invited, as if by the officer."""
    invitation = suppliers.express_interest(current_user, procurement_id, ip=client_ip())
    flash(f"Your organisation is now taking part in {invitation.procurement.reference}.", "success")
    return redirect(url_for("supplier.procurement", procurement_id=procurement_id))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """A supplier registers itself and a first user; the e-mailed link confirms the address and sets a password."""
    if current_user.is_authenticated:  # already someone: registering would make a second account
        if request.method == "POST":
            abort(403)
        return redirect(url_for("dashboard.index"))
    form = RegisterForm()
    if not form.is_submitted():
        return _register_page(form)
    if not form.validate():
        return _register_page(form, 400, [(e, f"register-{n.replace('_', '-')}")
                                          for n, es in form.errors.items() for e in es])
    try:
        suppliers.register(form.organisation_name.data, form.person_name.data, form.email.data, ip=client_ip())
    except suppliers.OrganisationInvalid as exc:
        for name, message in exc.problems.items():
            target = "person_name" if name == "name" else name
            if target in form:
                form[target].errors = [message]
        return _register_page(form, 400, _errors("register", {("person_name" if n == "name" else n): m
                                                              for n, m in exc.problems.items()}))
    return render_template("supplier/registered.html", email=form.email.data.strip().lower())


def _register_page(form, status: int = 200, errors=None):
    return render_template("supplier/register.html", form=form, errors=errors or []), status


# --------------------------------------------------------------------------- the officer's invitations


def _officer_only():
    if not may(current_user.role, Permission.INVITE_SUPPLIERS):
        abort(403)


@officer_bp.route("/<int:procurement_id>/suppliers", methods=["GET", "POST"])
@login_required
def index(procurement_id: int):
    """The supplier organisations invited to this procurement, their people, and inviting another."""
    _officer_only()
    procurement = get_procurement(procurement_id)
    form = InviteSupplierForm()
    if form.is_submitted():
        if not form.validate():
            return _invitations_page(procurement, form, 400, [(e, f"invite-{n.replace('_', '-')}")
                                                              for n, es in form.errors.items() for e in es])
        try:
            invitation = suppliers.invite_supplier(current_user, procurement_id, form.name.data,
                                                   form.contact_email.data, ip=client_ip())
        except suppliers.OrganisationInvalid as exc:
            for name, message in exc.problems.items():
                form[name].errors = [message]
            return _invitations_page(procurement, form, 400, _errors("invite", exc.problems))
        flash(f"{invitation.supplier.name} is invited. Now invite the people who will respond for it.", "success")
        return redirect(url_for("invitations.index", procurement_id=procurement_id))
    return _invitations_page(procurement, form)


def _invitations_page(procurement, form, status: int = 200, errors=None, person_form=None, person_for=None):
    return render_template("supplier/invitations.html", procurement=procurement, form=form,
                           rows=suppliers.invitations_to(current_user, procurement.id),
                           person_form=person_form or InvitePersonForm(), person_for=person_for,
                           open_to_interest=open_to_interest(procurement.procedure, procurement.state),
                           errors=errors or []), status


@officer_bp.route("/<int:procurement_id>/suppliers/<int:supplier_id>/people", methods=["POST"])
@login_required
def invite_person(procurement_id: int, supplier_id: int):
    """E-mail a person at an invited supplier a one-time link to set their password."""
    _officer_only()
    procurement = get_procurement(procurement_id)
    suppliers.invitation_of(current_user, procurement_id, supplier_id)  # 404 for a supplier not invited here
    form = InvitePersonForm()
    if not form.validate_on_submit():
        return _invitations_page(procurement, InviteSupplierForm(formdata=None), 400,
                                 [(e, f"person-{supplier_id}-{n}") for n, es in form.errors.items() for e in es],
                                 form, supplier_id)
    try:
        person = suppliers.invite_supplier_user(current_user, procurement_id, supplier_id, form.email.data,
                                                form.name.data, ip=client_ip())
    except suppliers.OrganisationInvalid as exc:
        for name, message in exc.problems.items():
            form[name].errors = [message]
        return _invitations_page(procurement, InviteSupplierForm(formdata=None), 400,
                                 [(m, f"person-{supplier_id}-{n}") for n, m in exc.problems.items()],
                                 form, supplier_id)
    flash(f"An invitation is on its way to {person.email}: a link to set a password, valid for 7 days.", "success")
    return redirect(url_for("invitations.index", procurement_id=procurement_id))
