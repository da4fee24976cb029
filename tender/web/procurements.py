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
from tender.models import SQResponse
from tender.services import clock
from tender.services.award.recommendation import approval_stages
from tender.services.award import standstill
from tender.services.award.contract import page_facts as contract_facts
from tender.services.procurement import milestones
from tender.services.procurement import shortlist
from tender.services.procurement import views
from tender.services.procurement import workflow
from tender.services.errors import (Blocked, ConcurrentChange, InvalidRequest, NotAuthorised, NotFound,
                                    ServiceError)
from tender.services.procurement.definitions import definition_of
from tender.web.auth import client_ip
from tender.web.confirm import Confirmation, ReasonField, render_confirmation
from tender.web.forms import (AdvanceForm, JustificationForm, MilestoneMetForm,
                              MilestoneReplanForm, ShortlistDecisionForm)

bp = Blueprint("procurements", __name__, url_prefix="/procurements")


def _require(permission: Permission) -> None:
    if not may(current_user.role, permission):
        abort(403)


def _render_overview(procurement_id: int, status: int = 200, errors: list[str] | None = None,
                     error_title: str | None = None):
    _require(Permission.VIEW_PROCUREMENTS)
    procurement = views.page_procurement(procurement_id)
    today = clock.today()
    definition = definition_of(procurement)
    approval, standstill_facts = views.approval_of(procurement), standstill.page_facts(procurement, today)
    facts = views.overview_facts(procurement, today, approval, standstill_facts.challenges)
    return render_template(
        "procurements/overview.html", procurement=procurement, definition=definition,
        stage_title=views.stage_title(procurement), options=facts.options, evaluation_rows=facts.evaluation_rows,
        lots=facts.context.lots,
        diagram_svg=views.diagram_svg(definition, procurement.state),
        timeline_svg=timeline.to_svg(timeline.rows_from(procurement.milestones), today),
        funder_values=views.funder_values(procurement), approval=approval, today=today,
        form=AdvanceForm(), errors=errors or [], error_title=error_title,
        met_form=MilestoneMetForm(), replan_form=MilestoneReplanForm(), award_stages=approval_stages(procurement),
        standstill=standstill_facts, contract=contract_facts(procurement, today),
    ), status


@bp.route("/<int:procurement_id>")
@login_required
def overview(procurement_id: int):
    """Stage, what blocks the next one, timeline, lots, funders and the procedure diagram."""
    return _render_overview(procurement_id)


def _refused(procurement_id: int, exc: ServiceError):
    """Post/Redirect/Get for a refusal that is not about what was typed (blocked, someone else moved first):
    the message is flashed and the officer is sent back, so refreshing the page does not send the form again."""
    reasons = getattr(exc, "reasons", [])
    flash(" ".join([str(exc), *reasons]), "warning")
    return redirect(url_for(".overview", procurement_id=procurement_id, _anchor="next-steps"))


def _stage_move(procurement, trigger: str, version: str, reason: str = "", error: str | None = None) -> Confirmation:
    """The "Are you sure?" page for one transition; the reason, where one is required, is asked for here."""
    option = next((o for o in workflow.available_transitions(procurement, clock.today()) if o.trigger == trigger),
                  None)
    if option is None:
        abort(404)
    overview_url = url_for(".overview", procurement_id=procurement.id)
    reason_field = ReasonField("reason", "Reason (required; kept in the audit trail)", value=reason, error=error,
                               hint="Say why. Tenderers may be told this reason.") if option.requires_reason else None
    return Confirmation(
        question=f"Are you sure you want to move the procurement to “{option.dest_title}”?",
        caption=f"{procurement.reference} · {option.label}",
        consequences=(f"This moves {procurement.reference} from “{views.stage_title(procurement)}” to "
                      f"“{option.dest_title}”.",
                      "A stage change cannot be undone. The audit trail records it with your name."),
        warning=" ".join(option.warnings) or None,
        action_url=url_for(".advance", procurement_id=procurement.id), button=f"Yes, {option.label[0].lower()}"
        f"{option.label[1:]}", cancel_url=overview_url, hidden={"trigger": trigger, "version": version},
        reason=reason_field, danger=option.requires_reason)


@bp.route("/<int:procurement_id>/advance/<trigger>")
@login_required
def confirm_advance(procurement_id: int, trigger: str):
    """Ask the officer to confirm a stage move; the POST from this page makes it."""
    _require(Permission.ADVANCE_STAGE)
    procurement = workflow.get_procurement(procurement_id)
    option = next((o for o in workflow.available_transitions(procurement, clock.today()) if o.trigger == trigger),
                  None)
    if option is not None and not option.allowed:
        flash(f"“{option.label}” is not available yet: {' '.join(option.blockers)}", "warning")
        return redirect(url_for(".overview", procurement_id=procurement_id, _anchor="next-steps"))
    version = request.args.get("version", "")
    if version.isdigit() and int(version) != procurement.version:
        flash(workflow.CONCURRENT_MESSAGE, "warning")  # the page the officer pressed on is out of date
        return redirect(url_for(".overview", procurement_id=procurement_id, _anchor="next-steps"))
    return render_confirmation(_stage_move(procurement, trigger, version or str(procurement.version)))


@bp.route("/<int:procurement_id>/advance", methods=["POST"])
@login_required
def advance(procurement_id: int):
    """Fire one transition through the workflow service (the POST from the confirmation page)."""
    form = AdvanceForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, ["The request was incomplete. Reload the page and try again."])
    try:
        change = workflow.advance(procurement_id, form.trigger.data, current_user, expected_version=form.version.data,
                                  reason=form.reason.data, today=clock.today(), ip=client_ip(), now=clock.now())
    except (Blocked, ConcurrentChange) as exc:
        return _refused(procurement_id, exc)
    except InvalidRequest as exc:
        procurement = workflow.get_procurement(procurement_id)
        spec = next((t for t in definition_of(procurement).transitions
                     if t.trigger == form.trigger.data), None)
        if spec is None or not spec.requires_reason or (form.reason.data or "").strip():
            return _render_overview(procurement_id, exc.status, [str(exc)])
        confirmation = _stage_move(procurement, form.trigger.data, str(form.version.data), error=str(exc))
        return render_confirmation(confirmation, 400, [(str(exc), confirmation.reason.id)])
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    definition = definition_of(workflow.get_procurement(procurement_id))
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
    definition = definition_of(procurement)
    makers = {"mmd": workflow_diagram.to_mermaid, "dot": workflow_diagram.to_dot}
    if fmt not in makers:
        abort(404)
    return Response(makers[fmt](definition, procurement.state), mimetype="text/plain")


def _render_shortlist(procurement_id: int, status: int = 200, errors: list | None = None,
                      failed: dict | None = None):
    """The shortlist page; ``failed`` keeps what was posted for one candidate, with its errors by field."""
    _require(Permission.VIEW_PROCUREMENTS)
    procurement = workflow.get_procurement(procurement_id)
    responses = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement.id)
                                   .order_by(SQResponse.id)).all()
    definition = definition_of(procurement)
    return render_template("procurements/shortlist.html", procurement=procurement, responses=responses,
                           definition=definition, form=ShortlistDecisionForm(),
                           justification_form=JustificationForm(), errors=errors or [], failed=failed or {},
                           editable=procurement.state in shortlist.shortlist_stages(procurement)), status


SHORTLIST_MESSAGES = {"decision": "Choose whether to shortlist or reject {name}",
                      "reason": "Enter the reasons for the decision on {name}"}


def _shortlist_failure(response: SQResponse, form: ShortlistDecisionForm, service_error: str | None = None):
    """Errors linked to the candidate's own fields, naming the candidate; the posted choice is kept."""
    name = response.supplier.name
    ids = {"decision": f"d-{response.id}-s", "reason": f"reason-{response.id}"}
    by_field = {field: SHORTLIST_MESSAGES[field].format(name=name) for field in form.errors if field in ids}
    if service_error:
        by_field.setdefault("reason" if "reason" in service_error.lower() else "decision",
                            f"{name}: {service_error}")
    failed = {"id": response.id, "decision": form.decision.data if form.decision.data in ("shortlisted", "rejected")
              else None, "reason": form.reason.data or "", "errors": by_field}
    return [(message, ids[field]) for field, message in by_field.items()], failed


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
    response = db.session.get(SQResponse, response_id)
    if response is None or response.procurement_id != procurement_id:
        response = None  # the service says so, in its own words
    if response is not None and not form.validate():
        errors, failed = _shortlist_failure(response, form)
        return _render_shortlist(procurement_id, 400, errors or ["The request was incomplete. Reload the page and "
                                                                 "try again."], failed)
    try:
        shortlist.record_decision(procurement_id, response_id, form.decision.data, form.reason.data,
                                  current_user, client_ip(), expected_version=form.version.data)
    except (NotAuthorised, NotFound):
        raise
    except ServiceError as exc:
        if exc.status != 400 or response is None:
            flash(str(exc), "warning")  # Post/Redirect/Get: a refresh must not send the decision again
            return redirect(url_for(".shortlist_page", procurement_id=procurement_id))
        errors, failed = _shortlist_failure(response, form, str(exc))
        return _render_shortlist(procurement_id, exc.status, errors, failed)
    flash(f"Decision on {response.supplier.name} recorded.", "success")
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
        _, warnings = milestones.mark_met_with_warnings(
            procurement_id, milestone_id, form.actual_date.data, current_user, clock.today(), client_ip(),
            expected_version=form.version.data)
    except ConcurrentChange as exc:
        return _refused(procurement_id, exc)
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash("Milestone marked as met.", "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for(".overview", procurement_id=procurement_id))


@bp.route("/<int:procurement_id>/milestones/<int:milestone_id>/replan", methods=["POST"])
@login_required
def milestone_replan(procurement_id: int, milestone_id: int):
    """Move a milestone's planned date, with a reason."""
    form = MilestoneReplanForm()
    if not form.validate():
        return _render_overview(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        _, warnings = milestones.replan_with_warnings(
            procurement_id, milestone_id, form.planned_date.data, form.reason.data, current_user, clock.today(),
            client_ip(), expected_version=form.version.data)
    except ConcurrentChange as exc:
        return _refused(procurement_id, exc)
    except ServiceError as exc:
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash("Milestone re-planned.", "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for(".overview", procurement_id=procurement_id))


__all__ = ["bp", "request"]
