"""Correcting and removing lots and funders while a procurement is in draft (routes on the setup blueprint).

Change: a page with the lot's or funder's form filled in; errors link to
their fields. Remove: an "Are you sure?" page; only its POST removes.
Refusals from the service (published, tenders recorded) are flashed and the
officer is sent back (Post/Redirect/Get), so a refresh never sends again.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tender.services.errors import InvalidRequest
from tender.services.procurement import corrections, setup
from tender.services.procurement.workflow import get_procurement
from tender.web.auth import client_ip
from tender.web.confirm import Confirmation, render_confirmation
from tender.web.setup import bp
from tender.web.setup_forms import MONEY, FunderForm


class LotChangeForm(FlaskForm):
    """What can be corrected on a lot: its title, budget and evaluation model (its number stays)."""

    title = StringField("Lot title", validators=[DataRequired("Enter the lot title"), Length(max=300)])
    annual_budget = StringField("Annual budget (£, optional)", validators=[
        Optional(), Regexp(MONEY, message="Enter the annual budget in pounds, like 250000.00")])
    evaluation_model = StringField("Evaluation model", validators=[Optional(), Length(max=120)])


def _linked(form, prefix: str) -> list[tuple[str, str]]:
    """Form errors as (message, field id) pairs; ids as templates/setup/_fields.html makes them."""
    return [(message, f"{prefix}-{name.replace('_', '-')}") for name, messages in form.errors.items()
            for message in messages]


def _back(procurement_id: int, anchor: str):
    return redirect(url_for("setup.page", procurement_id=procurement_id, _anchor=anchor))


def _refused(procurement_id: int, anchor: str, exc: InvalidRequest):
    flash(str(exc), "warning")
    return _back(procurement_id, anchor)


@bp.route("/<int:procurement_id>/set-up/lots/<int:lot_id>", methods=["GET", "POST"])
@login_required
def change_lot(procurement_id: int, lot_id: int):
    """Correct a lot before publication."""
    procurement = get_procurement(procurement_id)
    lot = corrections.get_lot(procurement.id, lot_id)
    form = LotChangeForm()
    if not form.is_submitted():
        form.title.data, form.evaluation_model.data = lot.title, lot.evaluation_model
        form.annual_budget.data = f"{lot.annual_budget:.2f}" if lot.annual_budget is not None else ""
    elif form.validate():
        try:
            corrections.update_lot(current_user, procurement.id, lot.id, form.title.data, form.annual_budget.data,
                                   form.evaluation_model.data, ip=client_ip())
        except InvalidRequest as exc:
            return _refused(procurement.id, "lots", exc)
        flash(f"Lot {lot.number} corrected.", "success")
        return _back(procurement.id, "lots")
    errors = _linked(form, "lot")
    return render_template("setup/change_lot.html", procurement=procurement, lot=lot, form=form, errors=errors,
                           evaluation_models=setup.evaluation_models()), 400 if errors else 200


@bp.route("/<int:procurement_id>/set-up/lots/<int:lot_id>/remove", methods=["GET", "POST"])
@login_required
def remove_lot(procurement_id: int, lot_id: int):
    """Ask, then remove a lot before publication."""
    procurement = get_procurement(procurement_id)
    lot = corrections.get_lot(procurement.id, lot_id)
    if FlaskForm().validate_on_submit():
        try:
            described = corrections.remove_lot(current_user, procurement.id, lot.id, ip=client_ip())
        except InvalidRequest as exc:
            return _refused(procurement.id, "lots", exc)
        flash(f"{described} removed.", "success")
        return _back(procurement.id, "lots")
    return render_confirmation(Confirmation(
        question=f"Are you sure you want to remove lot {lot.number}?", caption=procurement.reference,
        consequences=(f"Lot {lot.number}: {lot.title} will be removed from this procurement. The audit trail keeps "
                      "a record of it.",),
        action_url=url_for("setup.remove_lot", procurement_id=procurement.id, lot_id=lot.id),
        button=f"Yes, remove lot {lot.number}", cancel_url=url_for("setup.page", procurement_id=procurement.id,
                                                                   _anchor="lots"), danger=True))


@bp.route("/<int:procurement_id>/set-up/funders/<int:funder_id>", methods=["GET", "POST"])
@login_required
def change_funder(procurement_id: int, funder_id: int):
    """Correct a funder before publication."""
    procurement = get_procurement(procurement_id)
    funder = corrections.get_funder(procurement.id, funder_id)
    form = FunderForm()
    if not form.is_submitted():
        form.name.data, form.is_lead.data = funder.name, funder.is_lead
        form.annual_amount.data = f"{funder.annual_amount:.2f}"
        form.annual_uplift_percent.data = format(funder.annual_uplift_percent.normalize(), "f")
    elif form.validate():
        try:
            corrections.update_funder(current_user, procurement.id, funder.id, form.name.data,
                                      form.annual_amount.data, form.annual_uplift_percent.data,
                                      is_lead=form.is_lead.data, ip=client_ip())
        except InvalidRequest as exc:
            if "already" not in str(exc):
                return _refused(procurement.id, "funders", exc)
            errors = [(str(exc), "funder-is-lead" if "lead" in str(exc) else "funder-name")]
            return render_template("setup/change_funder.html", procurement=procurement, funder=funder, form=form,
                                   errors=errors), 400
        flash(f"{form.name.data} corrected.", "success")
        return _back(procurement.id, "funders")
    errors = _linked(form, "funder")
    return render_template("setup/change_funder.html", procurement=procurement, funder=funder, form=form,
                           errors=errors), 400 if errors else 200


@bp.route("/<int:procurement_id>/set-up/funders/<int:funder_id>/remove", methods=["GET", "POST"])
@login_required
def remove_funder(procurement_id: int, funder_id: int):
    """Ask, then remove a funder before publication."""
    procurement = get_procurement(procurement_id)
    funder = corrections.get_funder(procurement.id, funder_id)
    if FlaskForm().validate_on_submit():
        try:
            name = corrections.remove_funder(current_user, procurement.id, funder.id, ip=client_ip())
        except InvalidRequest as exc:
            return _refused(procurement.id, "funders", exc)
        flash(f"{name} is no longer a funder.", "success")
        return _back(procurement.id, "funders")
    return render_confirmation(Confirmation(
        question=f"Are you sure you want to remove {funder.name} as a funder?", caption=procurement.reference,
        consequences=("The contract value by funder is worked out again without it. The audit trail keeps a "
                      "record of it.",),
        action_url=url_for("setup.remove_funder", procurement_id=procurement.id, funder_id=funder.id),
        button=f"Yes, remove {funder.name}", cancel_url=url_for("setup.page", procurement_id=procurement.id,
                                                                _anchor="funders"), danger=True))
