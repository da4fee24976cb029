"""The Procurement Act's standstill and notices: a voluntary standstill, a late contract details notice.

Under the Act standstill starts with the contract award notice (s.51), not
with the assessment summaries; a light touch contract has none unless the
authority records one before the summaries go; the contract details notice
is due 30 days from the contract (120 light touch, s.53), and a late one
needs its reason recorded first. Thin views over
``tender.services.award.standstill``.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tender.services import clock
from tender.services.award import standstill
from tender.services.errors import ServiceError
from tender.web.act_forms import ReasonForm
from tender.web.auth import client_ip

bp = Blueprint("act_standstill", __name__, url_prefix="/procurements/<int:procurement_id>/standstill-and-notices")


def _render(procurement_id: int, status: int = 200, errors=None):
    facts = standstill.act_facts(procurement_id, current_user, clock.today())
    return render_template("procurements/act_standstill.html", facts=facts, procurement=facts.procurement,
                           errors=errors or []), status


def _act(procurement_id: int, action, done: str):
    form = ReasonForm()
    if not form.validate():
        return _render(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        action(form.reason.data)
    except ServiceError as exc:
        return _render(procurement_id, exc.status, [str(exc)])
    flash(done, "success")
    return redirect(url_for(".page", procurement_id=procurement_id))


@bp.route("")
@login_required
def page(procurement_id: int):
    """When standstill runs under the Act, and when the contract details notice is due."""
    return _render(procurement_id)


@bp.route("/voluntary", methods=["POST"])
@login_required
def volunteer(procurement_id: int):
    """Commit a light touch contract to a voluntary standstill (before the assessment summaries go)."""
    return _act(procurement_id, lambda reason: standstill.record_voluntary_standstill(
        procurement_id, current_user, reason, client_ip()),
        "A voluntary standstill is recorded: the assessment summaries will promise it and the contract waits for it.")


@bp.route("/late-contract-details-notice", methods=["POST"])
@login_required
def late_reason(procurement_id: int):
    """Record why the contract details notice is published after its due date."""
    return _act(procurement_id, lambda reason: standstill.record_late_reason(
        procurement_id, current_user, reason, "contract", client_ip()),
        "The reason is recorded: the contract details notice can now be published.")


__all__ = ["bp"]
