"""The award pages: the officer records each lot's recommendation; the approver declares, reads and approves it.

Views stay thin: the services decide who may do what, when, and refuse a
stale approval (the digest the page showed must still be the current one).
What of which lot a person may see is decided in ``tender.services.award.access``.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tender.domain.roles import Permission, may
from tender.services.award import access as award_access
from tender.services.award import approval as award_approval
from tender.services.award import recommendation
from tender.services.errors import NotAuthorised, ServiceError
from tender.services.evaluation import envelope
from tender.web.auth import client_ip
from tender.web.award_forms import (ApproveForm, ConfirmFinalForm, LotDeclarationForm, RecommendForm, ReopenForm,
                                    declaration_answers)

bp = Blueprint("award", __name__, url_prefix="/procurements/<int:procurement_id>")


@bp.app_context_processor
def award_helpers():
    """Lazy: ``award_lot_access(procurement)`` is what the signed-in person may see of each lot (letters list)."""
    return {"award_lot_access": lambda procurement: award_access.lot_access(current_user, procurement)}


def _require(permission: Permission) -> None:
    """Refuse (403) before reading the form: the service would refuse too, but only after it."""
    if not may(current_user.role, permission):
        raise NotAuthorised("You do not have permission to do that. Ask a procurement officer or an administrator.")


def _render(procurement_id: int, status: int = 200, errors=None, approve_form=None):
    view = award_approval.approval_view(procurement_id, current_user)
    # The service's own checks decide whether "Record the recommendation" is offered, or why not (no dead ends).
    refusals = {row.lot.number: recommendation.refusal(view.procurement, row.lot.number) for row in view.lots
                if row.recommendation is None and not row.hidden and not view.approval
                and may(current_user.role, Permission.RECORD_RECOMMENDATION)}
    return render_template("award/decision.html", view=view, procurement=view.procurement, errors=errors or [],
                           refusals=refusals,
                           approve_form=approve_form or ApproveForm(), recommend_form=RecommendForm(),
                           declaration_form=LotDeclarationForm(), may=may, Permission=Permission), status


def _service_errors(procurement_id: int, exc: ServiceError):
    """A refusal: shown on the award page with its status (403, 409 or 400)."""
    return _render(procurement_id, exc.status, [str(exc)])


@bp.route("/award")
@login_required
def decision(procurement_id: int):
    """Each lot's recommendation, contract value and whole ranking; the approver approves from here."""
    return _render(procurement_id)


@bp.route("/award/lots/<int:lot_number>/recommend", methods=["POST"])
@login_required
def recommend(procurement_id: int, lot_number: int):
    """The officer records a lot's recommendation from its frozen ranking (or no award, with the reason)."""
    _require(Permission.RECORD_RECOMMENDATION)
    form = RecommendForm()
    if not form.validate():
        return _render(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        rec = recommendation.record(procurement_id, lot_number, current_user, form.no_award_reason.data or None,
                                    client_ip())
    except ServiceError as exc:
        return _service_errors(procurement_id, exc)
    flash(f"Lot {lot_number}'s recommendation is recorded (digest {rec.digest[:12]}…).", "success")
    return redirect(url_for(".decision", procurement_id=procurement_id))


@bp.route("/award/declarations", methods=["POST"])
@login_required
def declare(procurement_id: int):
    """The approver declares, per lot, any conflict of interest with the suppliers concerned."""
    _require(Permission.APPROVE_AWARD)
    view = award_approval.approval_view(procurement_id, current_user)
    if not LotDeclarationForm().validate():
        return _render(procurement_id, 400, ["Reload the page and answer the declarations again"])
    pending = [r.lot.number for r in view.lots if r.declaration is None]
    answers, errors = declaration_answers(request.form, pending)
    if errors:
        return _render(procurement_id, 400, errors)
    try:
        award_approval.declare_conflicts(procurement_id, current_user, answers, client_ip())
    except ServiceError as exc:
        return _service_errors(procurement_id, exc)
    flash("Your declarations are recorded.", "success")
    return redirect(url_for(".decision", procurement_id=procurement_id))


@bp.route("/award/approve", methods=["POST"])
@login_required
def approve(procurement_id: int):
    """The approver approves exactly the recommendations the page showed (their digest)."""
    _require(Permission.APPROVE_AWARD)
    form = ApproveForm()
    if not form.validate():
        errors = [(e, f"approve-{name}") for name, errs in form.errors.items() for e in errs]
        return _render(procurement_id, 400, errors, approve_form=form)
    try:
        award_approval.approve_award(procurement_id, current_user, form.authority.data, form.note.data, client_ip(),
                                     digest_seen=form.digest.data)
    except ServiceError as exc:
        return _render(procurement_id, exc.status, [str(exc)], approve_form=form)
    flash("The award decision is approved.", "success")
    return redirect(url_for(".decision", procurement_id=procurement_id))


@bp.route("/lots/<int:lot_number>/evaluation/<round_>/reopen", methods=["POST"])
@login_required
def reopen(procurement_id: int, lot_number: int, round_: str):
    """The officer reopens a lot's frozen scores, giving the reason; voids the lot's recommendation."""
    _require(Permission.REOPEN_SCORES)
    form = ReopenForm()
    if not form.validate():
        return _ranking_errors(procurement_id, lot_number, round_, form)
    try:
        envelope.reopen_scores(procurement_id, lot_number, round_, current_user, form.reason.data,
                               form.version.data, client_ip())
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("evaluation.ranking", procurement_id=procurement_id, lot_number=lot_number,
                                round_=round_)), 303
    flash(f"Lot {lot_number}'s scores are reopened and its recommendation is void. Confirm the scores final "
          "when the panel has settled them.", "success")
    return redirect(url_for("evaluation.ranking", procurement_id=procurement_id, lot_number=lot_number,
                            round_=round_))


@bp.route("/lots/<int:lot_number>/evaluation/<round_>/confirm-final", methods=["POST"])
@login_required
def confirm_final(procurement_id: int, lot_number: int, round_: str):
    """The officer confirms reopened scores final, freezing them again."""
    _require(Permission.REOPEN_SCORES)
    form = ConfirmFinalForm()
    if not form.validate():
        return _ranking_errors(procurement_id, lot_number, round_, form)
    try:
        envelope.confirm_scores_final(procurement_id, lot_number, round_, current_user, form.version.data,
                                      client_ip())
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("evaluation.ranking", procurement_id=procurement_id, lot_number=lot_number,
                                round_=round_)), 303
    flash(f"Lot {lot_number}'s scores are final again and frozen.", "success")
    return redirect(url_for("evaluation.ranking", procurement_id=procurement_id, lot_number=lot_number,
                            round_=round_))


def _ranking_errors(procurement_id, lot_number, round_, form):
    for errs in form.errors.values():
        for e in errs:
            flash(e, "error")
    return redirect(url_for("evaluation.ranking", procurement_id=procurement_id, lot_number=lot_number,
                            round_=round_)), 303


__all__ = ["bp"]
