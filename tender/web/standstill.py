"""Standstill pages: record when the award notices went, record and lift legal challenges.

The actions live on the procurement page (``_standstill.html``); a failure
re-renders that page with the error and status 400.
"""
from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from tender.domain.periods import UK_TIME
from tender.services import clock
from tender.services.award import standstill
from tender.services.errors import ServiceError
from tender.services.procurement import workflow
from tender.web.auth import client_ip
from tender.web.procurements import _render_overview
from tender.web.standstill_forms import ChallengeForm, LiftSuspensionForm, RecordNoticesForm

bp = Blueprint("standstill", __name__, url_prefix="/procurements")


def _errors(form) -> list[str]:
    return [error for errors in form.errors.values() for error in errors]


@bp.route("/<int:procurement_id>/award/notices-sent", methods=["POST"])
@login_required
def notices_sent(procurement_id: int):
    """Record the moment the last award decision letter or assessment summary was sent (UK time)."""
    form = RecordNoticesForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, _errors(form))
    hour, minute = (int(part) for part in form.sent_time.data.split(":"))
    sent_at = datetime.combine(form.sent_on.data, time(hour, minute), tzinfo=UK_TIME)
    try:
        procurement = standstill.record_notices_sent(
            procurement_id, sent_at, current_user, client_ip(), now=clock.now(),
            electronic=form.electronic.data == "yes", last_received_on=form.received_on.data)
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash(f"The {standstill.notice_words(procurement)} are recorded as sent.", "success")
    return redirect(url_for("procurements.overview", procurement_id=procurement_id, _anchor="standstill"))


@bp.route("/<int:procurement_id>/challenges", methods=["POST"])
@login_required
def record_challenge(procurement_id: int):
    """Record a claim form issued against the award decision; the contract is suspended."""
    form = ChallengeForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, _errors(form))
    try:
        challenge = standstill.record_challenge(procurement_id, form.reference.data, form.issued_on.data,
                                                form.aware_on.data, form.note.data, current_user, clock.today(),
                                                client_ip())
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash(f"Challenge {challenge.reference} recorded: the contract cannot be entered into while it suspends it.",
          "success")
    return redirect(url_for("procurements.overview", procurement_id=procurement_id, _anchor="standstill"))


@bp.route("/<int:procurement_id>/challenges/<int:challenge_id>/lift", methods=["POST"])
@login_required
def lift(procurement_id: int, challenge_id: int):
    """Record that a court order or the end of the proceedings lifted the suspension."""
    form = LiftSuspensionForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, _errors(form))
    try:
        challenge = standstill.lift_suspension(procurement_id, challenge_id, form.lifted_on.data, form.reason.data,
                                               current_user, clock.today(), client_ip(),
                                               expected_version=form.version.data)
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash(f"The suspension by challenge {challenge.reference} is recorded as lifted.", "success")
    return redirect(url_for("procurements.overview", procurement_id=procurement_id, _anchor="standstill"))


__all__ = ["bp", "workflow"]
