"""Marking milestones "not applicable" when a stage change puts them out of reach (audited).

Called by ``workflow.advance`` inside its transaction: the stage change and
the milestones it retires commit together, each with its own audit event
and reason, so the reminder scan, the dashboard and the notifications stop
counting them as overdue.
"""
from __future__ import annotations

from sqlalchemy import select

from tender.domain.milestone_scope import left_behind
from tender.domain.workflow_definition import ProcedureDefinition
from tender.extensions import db
from tender.models import Milestone, Procurement
from tender.models.milestone import CLOSED, NOT_APPLICABLE
from tender.services import audit


def _reason(definition: ProcedureDefinition, label: str, to_stage: str, skipped: str | None,
            officer_reason: str | None) -> str:
    destination = definition.stage(to_stage).title
    if definition.is_final(to_stage) and to_stage not in {stage.name for stage in definition.main_path()}:
        why = f" Reason given: {officer_reason}" if officer_reason else ""
        return f"“{label}” ended the procurement at “{destination}”, so this will not happen.{why}"
    if skipped:
        return f"“{label}” moved the procurement to “{destination}”, so the stage “{skipped}” is skipped."
    return f"The procurement reached “{destination}” without this milestone."


def retire_unreachable(procurement: Procurement, definition: ProcedureDefinition, from_stage: str, to_stage: str,
                       label: str, actor: audit.Actor, officer_reason: str | None = None) -> list[str]:
    """Mark open milestones the move from ``from_stage`` to ``to_stage`` puts out of reach as not applicable.

    Returns their keys, in timetable order.
    """
    out_of_reach = left_behind(definition, from_stage, to_stage)
    if not out_of_reach:
        return []
    milestones = db.session.scalars(select(Milestone).where(
        Milestone.procurement_id == procurement.id, Milestone.key.in_(out_of_reach),
        Milestone.status.not_in(CLOSED)).order_by(Milestone.position)).all()
    for milestone in milestones:
        reason = _reason(definition, label, to_stage, out_of_reach[milestone.key], officer_reason)
        before = {"status": milestone.status}
        milestone.status, milestone.not_applicable_reason = NOT_APPLICABLE, reason
        audit.record(actor, "milestone.not_applicable", "milestone", milestone.id,
                     procurement_ref=procurement.reference, before=before,
                     after={"key": milestone.key, "status": NOT_APPLICABLE}, reason=reason)
    return [m.key for m in milestones]
