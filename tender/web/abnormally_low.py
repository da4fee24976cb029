"""Abnormally low tenders of a lot: the request for an explanation, the reply, the decision.

Linked from the ranking and the award pages wherever a price is flagged. Thin
views: each form goes to one service call; a refusal re-renders the page with
the reason and its status.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tender.services.award import abnormally_low as service
from tender.services.errors import ServiceError
from tender.web.act_forms import DecisionForm, ReplyForm, RequestForm
from tender.web.auth import client_ip

bp = Blueprint("abnormally_low", __name__,
               url_prefix="/procurements/<int:procurement_id>/lots/<int:lot_number>/abnormally-low")


@bp.app_template_filter("ranking_note")
def ranking_note(note: str, procurement) -> str:
    """A ranking's note in the words of the procurement's regime (the Act's s.19, not PCR reg. 69)."""
    return service.note_for(procurement, note)


def _render(procurement_id: int, lot_number: int, status: int = 200, errors=None):
    view = service.lot_reviews(procurement_id, lot_number, current_user)
    return render_template("award/abnormally_low.html", view=view, procurement=view.procurement,
                           errors=errors or []), status


def _act(procurement_id: int, lot_number: int, form, action, done: str):
    if not form.validate():
        return _render(procurement_id, lot_number, 400, [e for errs in form.errors.values() for e in errs])
    try:
        action()
    except ServiceError as exc:
        return _render(procurement_id, lot_number, exc.status, [str(exc)])
    flash(done, "success")
    return redirect(url_for(".page", procurement_id=procurement_id, lot_number=lot_number))


@bp.route("")
@login_required
def page(procurement_id: int, lot_number: int):
    """Every flagged tender of the lot and what is recorded about it."""
    return _render(procurement_id, lot_number)


@bp.route("/<int:bid_id>/request", methods=["POST"])
@login_required
def request_explanation(procurement_id: int, lot_number: int, bid_id: int):
    """Record that the supplier was asked to explain its price."""
    form = RequestForm()
    return _act(procurement_id, lot_number, form, lambda: service.request_explanation(
        procurement_id, lot_number, bid_id, current_user, form.requested_on.data, form.request.data, client_ip()),
        "The request for an explanation is recorded.")


@bp.route("/<int:bid_id>/reply", methods=["POST"])
@login_required
def reply(procurement_id: int, lot_number: int, bid_id: int):
    """Record the supplier's explanation."""
    form = ReplyForm()
    return _act(procurement_id, lot_number, form, lambda: service.record_explanation(
        procurement_id, lot_number, bid_id, current_user, form.received_on.data, form.explanation.data,
        client_ip(), expected_version=form.version.data), "The supplier's reply is recorded.")


@bp.route("/<int:bid_id>/decision", methods=["POST"])
@login_required
def decide(procurement_id: int, lot_number: int, bid_id: int):
    """Accept the explanation or reject the tender, with the reasons."""
    form = DecisionForm()
    return _act(procurement_id, lot_number, form, lambda: service.decide(
        procurement_id, lot_number, bid_id, current_user, form.decision.data, form.reasons.data, client_ip(),
        expected_version=form.version.data), "The decision is recorded.")


__all__ = ["bp"]
