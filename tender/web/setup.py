"""Setting a procurement up: starting one, then its lots, funders, timetable, responses and tenders.

Views stay thin: parse the form, call one setup service, then redirect, or
re-render with status 400 and the error summary. Every route, GET and POST,
is for procurement officers only.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tender.domain import setup_rules
from tender.domain.roles import Permission, Role, may
from tender.extensions import db
from tender.models import Bid, Lot, SQResponse, Supplier, User
from tender.services.procurement import setup
from tender.services.procurement import responses as setup_responses
from tender.services.procurement import workflow
from tender.services.errors import ServiceError
from tender.services.procurement.definitions import definition_of
from tender.services.procurement.procedures import registry
from tender.web.auth import client_ip
from tender.web.setup_forms import (BidForm, FunderForm, LotForm, NewProcurementForm, PlanMilestoneForm,
                                    SQResponseForm, whole, years)

bp = Blueprint("setup", __name__, url_prefix="/procurements")
UK = ZoneInfo("Europe/London")


@bp.before_request
def officers_only():
    """Everything here is a procurement officer's job; others get 403 before any form is read."""
    if current_user.is_authenticated and not may(current_user.role, Permission.SET_UP_PROCUREMENT):
        abort(403)


def _form_errors(form) -> list[str]:
    return [error for errors in form.errors.values() for error in errors]


def _uk(moment: datetime) -> datetime:
    """A time typed on the page is UK clock time."""
    return moment.replace(tzinfo=UK)


def _uk_time(moment: datetime) -> str:
    """A stored time (UTC; naive from SQLite) as UK clock time for the page."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(UK).strftime("%-d %B %Y %H:%M")


def _render_new(form: NewProcurementForm, status: int = 200, errors: list[str] | None = None):
    officers = db.session.scalars(select(User).where(User.role == Role.OFFICER.value, User.active.is_(True))
                                  .order_by(User.name)).all()
    definitions = sorted(registry().definitions.values(), key=lambda d: d.title)
    return render_template("setup/new.html", form=form, officers=officers, definitions=definitions,
                           regime_labels=setup.REGIME_LABELS, errors=errors or []), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start a new procurement; the officer lands on its page."""
    form = NewProcurementForm()
    if not form.is_submitted():
        form.lead_officer.data = str(current_user.id)
        form.electronic_submission.data = True
        return _render_new(form)
    if not form.validate():
        return _render_new(form, 400, _form_errors(form))
    try:
        procurement = setup.create_procurement(
            current_user, form.reference.data, form.title.data, form.description.data, form.procedure.data,
            form.regime.data, form.estimated_value.data, whole(form.initial_term_years.data),
            years(form.extension_years.data), form.electronic_submission.data, form.qualifying_pin.data,
            form.urgency.data, form.award_on_initial_reserved.data, whole(form.lead_officer.data), ip=client_ip())
    except ServiceError as exc:
        return _render_new(form, exc.status, [str(exc)])
    flash(f"{procurement.reference} is created. Set up its lots, funders and timetable next.", "success")
    return redirect(url_for("procurements.overview", procurement_id=procurement.id))


def _render_page(procurement_id: int, status: int = 200, errors: list[str] | None = None,
                 milestone_id: int | None = None, **forms):
    procurement = workflow.get_procurement(procurement_id)
    definition = definition_of(procurement)
    responses = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement.id)
                                   .order_by(SQResponse.received_at, SQResponse.id)).all()
    if setup_rules.has_shortlist(definition):
        bidders = [r.supplier for r in responses]
    else:
        bidders = db.session.scalars(select(Supplier).order_by(Supplier.name)).all()
    bids = db.session.scalars(select(Bid).join(Lot).where(Lot.procurement_id == procurement.id)
                              .order_by(Lot.number, Bid.round, Bid.received_at)).all()
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    blank = {"formdata": None}  # only the form that failed shows what was sent
    forms = {"lot_form": LotForm(**blank), "funder_form": FunderForm(**blank), "plan_form": PlanMilestoneForm(**blank),
             "sq_form": SQResponseForm(**blank), "bid_form": BidForm(**blank), **forms}
    return render_template(
        "setup/page.html", procurement=procurement, definition=definition, responses=responses, bidders=bidders,
        bids=bids, users=users, rounds=setup_rules.tender_rounds(definition),
        sq_window=setup_rules.sq_window(definition),
        evaluation_models=setup.evaluation_models(), lots_open=procurement.state in setup_rules.lot_stages(definition),
        tenders_open=any(procurement.state in w.stages for w in setup_rules.tender_rounds(definition).values()),
        uk_time=_uk_time, in_draft=procurement.state == definition.initial,
        errors=errors or [], failed_milestone=milestone_id,
        **forms), status


@bp.route("/<int:procurement_id>/set-up")
@login_required
def page(procurement_id: int):
    """Lots, funders, the timetable, SQ responses and tenders, each with a form to add one."""
    return _render_page(procurement_id)


def _done(procurement_id: int, message: str, warnings=()):
    flash(message, "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for(".page", procurement_id=procurement_id))


@bp.route("/<int:procurement_id>/set-up/lots", methods=["POST"])
@login_required
def add_lot(procurement_id: int):
    """Add a lot."""
    form = LotForm()
    if not form.validate():
        return _render_page(procurement_id, 400, _form_errors(form), lot_form=form)
    try:
        lot = setup.add_lot(current_user, procurement_id, whole(form.number.data), form.title.data,
                            form.annual_budget.data, form.evaluation_model.data, ip=client_ip())
    except ServiceError as exc:
        return _render_page(procurement_id, exc.status, [str(exc)], lot_form=form)
    return _done(procurement_id, f"Lot {lot.number} added.")


@bp.route("/<int:procurement_id>/set-up/funders", methods=["POST"])
@login_required
def add_funder(procurement_id: int):
    """Add a funder."""
    form = FunderForm()
    if not form.validate():
        return _render_page(procurement_id, 400, _form_errors(form), funder_form=form)
    try:
        funder = setup.add_funder(current_user, procurement_id, form.name.data, form.annual_amount.data,
                                  form.annual_uplift_percent.data, is_lead=form.is_lead.data, ip=client_ip())
    except ServiceError as exc:
        return _render_page(procurement_id, exc.status, [str(exc)], funder_form=form)
    return _done(procurement_id, f"{funder.name} added as a funder.")


@bp.route("/<int:procurement_id>/set-up/milestones/<int:milestone_id>", methods=["POST"])
@login_required
def plan_milestone(procurement_id: int, milestone_id: int):
    """Give a milestone its first planned date and owner."""
    form = PlanMilestoneForm()
    if not form.validate():
        return _render_page(procurement_id, 400, _form_errors(form), plan_form=form, milestone_id=milestone_id)
    try:
        planned = setup.plan_milestone(current_user, procurement_id, milestone_id, form.planned_date.data,
                                       whole(form.owner.data), ip=client_ip())
    except ServiceError as exc:
        return _render_page(procurement_id, exc.status, [str(exc)], plan_form=form, milestone_id=milestone_id)
    return _done(procurement_id, "Milestone planned.", planned.warnings)


@bp.route("/<int:procurement_id>/set-up/sq-responses", methods=["POST"])
@login_required
def register_sq_response(procurement_id: int):
    """Register a selection questionnaire response."""
    form = SQResponseForm()
    if not form.validate():
        return _render_page(procurement_id, 400, _form_errors(form), sq_form=form)
    try:
        response = setup_responses.register_sq_response(current_user, procurement_id, form.supplier_name.data,
                                                         _uk(form.received_at.data), ip=client_ip())
    except ServiceError as exc:
        return _render_page(procurement_id, exc.status, [str(exc)], sq_form=form)
    return _done(procurement_id, f"Response from {response.supplier.name} registered.")


@bp.route("/<int:procurement_id>/set-up/bids", methods=["POST"])
@login_required
def record_bid(procurement_id: int):
    """Record a tender. Its price stays sealed on the pages until prices are opened."""
    form = BidForm()
    if not form.validate():
        return _render_page(procurement_id, 400, _form_errors(form), bid_form=form)
    try:
        bid = setup_responses.record_bid(current_user, procurement_id, whole(form.lot_number.data),
                                         whole(form.supplier.data), form.round.data, _uk(form.received_at.data),
                                         form.price.data, ip=client_ip(),
                                         received_via=form.received_via.data or "post")
    except ServiceError as exc:
        return _render_page(procurement_id, exc.status, [str(exc)], bid_form=form)
    return _done(procurement_id, f"{bid.round.capitalize()} tender from {bid.supplier.name} for lot "
                                 f"{bid.lot.number} recorded.")
