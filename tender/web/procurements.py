"""Procurement pages: the overview, stage changes, shortlisting, milestones, award approval.

Views stay thin: parse the form, call one service, redirect or re-render with
the error. Services authorise; ``_require`` only hides pages a role cannot use.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tender.domain import timeline
from tender.domain.roles import Permission, may
from tender.extensions import db
from tender.models import AwardApproval, SQResponse
from tender.services import clock
from tender.services.award.recommendation import approval_stages
from tender.services.procurement import milestones
from tender.services.procurement import shortlist
from tender.services.procurement import views
from tender.services.procurement import workflow
from tender.services.errors import Blocked, ServiceError
from tender.services.procurement.procedures import registry
from tender.web.auth import client_ip
from tender.web.forms import (AdvanceForm, JustificationForm, MilestoneMetForm,
                              MilestoneReplanForm, ShortlistDecisionForm)

bp = Blueprint("procurements", __name__, url_prefix="/procurements")


def _require(permission: Permission) -> None:
    if not may(current_user.role, permission):
        abort(403)


def _render_overview(procurement_id: int, status: int = 200, errors: list[str] | None = None,
                     error_title: str | None = None):
    from tender.domain import workflow_diagram

    _require(Permission.VIEW_PROCUREMENTS)
    procurement = workflow.get_procurement(procurement_id)
    today = clock.today()
    definition = registry().definitions[procurement.procedure]
    approval = db.session.scalar(select(AwardApproval).where(AwardApproval.procurement_id == procurement.id))
    return render_template(
        "procurements/overview.html", procurement=procurement, definition=definition,
        stage_title=views.stage_title(procurement), options=workflow.available_transitions(procurement, today),
        diagram_svg=workflow_diagram.to_svg(definition, procurement.state),
        timeline_svg=timeline.to_svg(timeline.rows_from(procurement.milestones), today),
        funder_values=views.funder_values(procurement), approval=approval, today=today,
        form=AdvanceForm(), errors=errors or [], error_title=error_title,
        met_form=MilestoneMetForm(), replan_form=MilestoneReplanForm(), award_stages=approval_stages(procurement),
    ), status


@bp.route("/<int:procurement_id>")
@login_required
def overview(procurement_id: int):
    """Stage, what blocks the next one, timeline, lots, funders and the procedure diagram."""
    return _render_overview(procurement_id)


@bp.route("/<int:procurement_id>/advance", methods=["POST"])
@login_required
def advance(procurement_id: int):
    """Fire one transition through the workflow service."""
    form = AdvanceForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, ["The request was incomplete. Reload the page and try again."])
    try:
        change = workflow.advance(procurement_id, form.trigger.data, current_user, expected_version=form.version.data,
                                  reason=form.reason.data, today=clock.today(), ip=client_ip())
    except Blocked as exc:
        return _render_overview(procurement_id, exc.status, exc.reasons, str(exc))
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    definition = registry().definitions[workflow.get_procurement(procurement_id).procedure]
    flash(f"The procurement moved to '{definition.stage(change.to_stage).title}'.", "success")
    for warning in change.warnings:
        flash(warning, "warning")
    return redirect(url_for(".overview", procurement_id=procurement_id))


@bp.route("/<int:procurement_id>/diagram.<fmt>")
@login_required
def diagram(procurement_id: int, fmt: str):
    """The procedure diagram as Mermaid or Graphviz DOT text, current stage marked."""
    from tender.domain import workflow_diagram

    _require(Permission.VIEW_PROCUREMENTS)
    procurement = workflow.get_procurement(procurement_id)
    definition = registry().definitions[procurement.procedure]
    makers = {"mmd": workflow_diagram.to_mermaid, "dot": workflow_diagram.to_dot}
    if fmt not in makers:
        abort(404)
    return Response(makers[fmt](definition, procurement.state), mimetype="text/plain")


def _render_shortlist(procurement_id: int, status: int = 200, errors: list[str] | None = None):
    _require(Permission.VIEW_PROCUREMENTS)
    procurement = workflow.get_procurement(procurement_id)
    responses = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement.id)
                                   .order_by(SQResponse.id)).all()
    definition = registry().definitions[procurement.procedure]
    return render_template("procurements/shortlist.html", procurement=procurement, responses=responses,
                           definition=definition, form=ShortlistDecisionForm(),
                           justification_form=JustificationForm(), errors=errors or [],
                           editable=procurement.state in shortlist.SHORTLIST_STAGES), status


@bp.route("/<int:procurement_id>/shortlist")
@login_required
def shortlist_page(procurement_id: int):
    """Candidates and the decision on each."""
    return _render_shortlist(procurement_id)


@bp.route("/<int:procurement_id>/shortlist/<int:response_id>", methods=["POST"])
@login_required
def decide(procurement_id: int, response_id: int):
    """Record one shortlisting decision."""
    form = ShortlistDecisionForm()
    if not form.validate():
        return _render_shortlist(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        shortlist.record_decision(procurement_id, response_id, form.decision.data, form.reason.data,
                                  current_user, client_ip(), expected_version=form.version.data)
    except ServiceError as exc:
        return _render_shortlist(procurement_id, exc.status, [str(exc)])
    flash("Decision recorded.", "success")
    return redirect(url_for(".shortlist_page", procurement_id=procurement_id))


@bp.route("/<int:procurement_id>/shortlist/justification", methods=["POST"])
@login_required
def justify(procurement_id: int):
    """Record why fewer than the minimum are shortlisted."""
    form = JustificationForm()
    if not form.validate():
        return _render_shortlist(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        shortlist.record_justification(procurement_id, form.justification.data, current_user, client_ip())
    except ServiceError as exc:
        return _render_shortlist(procurement_id, exc.status, [str(exc)])
    flash("Justification recorded.", "success")
    return redirect(url_for(".shortlist_page", procurement_id=procurement_id))


@bp.route("/<int:procurement_id>/milestones/<int:milestone_id>/met", methods=["POST"])
@login_required
def milestone_met(procurement_id: int, milestone_id: int):
    """Mark a milestone met on a date."""
    form = MilestoneMetForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        milestones.mark_met(procurement_id, milestone_id, form.actual_date.data, current_user, clock.today(),
                            client_ip(), expected_version=form.version.data)
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash("Milestone marked as met.", "success")
    return redirect(url_for(".overview", procurement_id=procurement_id))


@bp.route("/<int:procurement_id>/milestones/<int:milestone_id>/replan", methods=["POST"])
@login_required
def milestone_replan(procurement_id: int, milestone_id: int):
    """Move a milestone's planned date, with a reason."""
    form = MilestoneReplanForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        milestones.replan(procurement_id, milestone_id, form.planned_date.data, form.reason.data,
                          current_user, clock.today(), client_ip(), expected_version=form.version.data)
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash("Milestone re-planned.", "success")
    return redirect(url_for(".overview", procurement_id=procurement_id))


__all__ = ["bp", "request"]
