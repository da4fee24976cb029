"""Marking milestones met and re-planning them, within the law's minimum periods."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from tender.domain import bounds
from tender.domain.guards import MilestoneFacts, period_meets_minimum
from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import Milestone
from tender.models.milestone import MET, NOT_APPLICABLE
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.procurement.guard_context import build_context
from tender.services.procurement.definitions import definition_of
from tender.services.procurement.workflow import period_warnings_after_meeting
from tender.services.use_case import check_version, get_procurement, use_case


def _milestone(procurement_id: int, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.procurement_id != procurement_id:
        raise NotFound("That milestone is not part of this procurement.")
    return milestone


def check_statutory_periods(procurement, milestone: Milestone, planned: date, today: date, *,
                            skip_unplanned: bool = False) -> tuple[str, ...]:
    """Check ``planned`` for ``milestone`` against every statutory period it starts or ends.

    Raises InvalidRequest, naming the date and the rule, for a period the regime
    enforces; returns the messages of periods that are only warnings (the light
    touch regime). With ``skip_unplanned`` a period whose other end has no date
    yet is left for later, which is what planning a fresh timetable one
    milestone at a time needs; re-planning checks every period.
    """
    definition = definition_of(procurement)
    context = build_context(procurement, today)
    facts = dict(context.milestones)
    facts[milestone.key] = MilestoneFacts(milestone.key, milestone.title, planned, milestone.actual_date)
    context = replace(context, milestones=facts)
    warnings = []
    for period in definition.periods:
        if milestone.key not in (period.start, period.end):
            continue
        other = facts.get(period.end if milestone.key == period.start else period.start)
        if skip_unplanned and (other is None or other.planned is None):
            continue
        outcome = period_meets_minimum(definition, context, period.name)
        if outcome.blocks:
            raise InvalidRequest(f"{format_uk_date(planned)} cannot be used. {outcome.message}")
        if not outcome.passed:
            warnings.append(outcome.message)
    return tuple(warnings)


def _within_bounds(value: date, what: str) -> None:
    if not isinstance(value, date):
        raise InvalidRequest(f"Enter the {what}.")
    try:
        bounds.check_date(value, what)
    except bounds.OutOfBounds as exc:
        raise InvalidRequest(str(exc)) from None


def _refuse_not_applicable(milestone: Milestone) -> None:
    if milestone.status == NOT_APPLICABLE:
        raise InvalidRequest(f"“{milestone.title}” is not applicable: {milestone.not_applicable_reason or ''} "
                             "It cannot be met or re-planned.")


MOVED = ("Someone else changed this milestone while you were looking at it. "
         "The page now shows it as it is: check it before you try again.")


def mark_met(procurement_id: int, milestone_id: int, actual: date, user, today: date, ip=None, *,
             expected_version: int | None = None) -> Milestone:
    """Record that a milestone happened, on ``actual`` (not in the future)."""
    return mark_met_with_warnings(procurement_id, milestone_id, actual, user, today, ip,
                                  expected_version=expected_version)[0]


@use_case(MOVED)
def mark_met_with_warnings(procurement_id: int, milestone_id: int, actual: date, user, today: date, ip=None, *,
                           expected_version: int | None = None) -> tuple[Milestone, tuple[str, ...]]:
    """:func:`mark_met`, also returning the periods a late start has made too short (warnings only)."""
    authorise(user, Permission.MANAGE_MILESTONES)
    procurement = get_procurement(procurement_id)
    milestone = _milestone(procurement.id, milestone_id)
    check_version(milestone, expected_version, MOVED)
    _refuse_not_applicable(milestone)
    _within_bounds(actual, "date it was met")
    if actual > today:
        raise InvalidRequest("The date it was met cannot be in the future.")
    before = {"status": milestone.status, "actual_date": milestone.actual_date}
    milestone.status, milestone.actual_date = MET, actual
    warnings = period_warnings_after_meeting(procurement, definition_of(procurement),
                                             milestone.key, today)
    audit.record(audit.Actor.of(user, ip), "milestone.met", "milestone", milestone.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"key": milestone.key, "status": MET, "actual_date": actual,
                        **({"warnings": list(warnings)} if warnings else {})})
    return milestone, warnings


def replan(procurement_id: int, milestone_id: int, planned: date, reason: str, user, today: date, ip=None, *,
           expected_version: int | None = None) -> Milestone:
    """Move a milestone's planned date, refusing one that breaks a statutory minimum period."""
    return replan_with_warnings(procurement_id, milestone_id, planned, reason, user, today, ip,
                                expected_version=expected_version)[0]


@use_case(MOVED)
def replan_with_warnings(procurement_id: int, milestone_id: int, planned: date, reason: str, user, today: date,
                         ip=None, *, expected_version: int | None = None) -> tuple[Milestone, tuple[str, ...]]:
    """:func:`replan`, also returning the warnings of periods only the light touch regime lets through.

    The officer sees them as they do when setting up or advancing a stage; the
    audit event keeps them.
    """
    authorise(user, Permission.MANAGE_MILESTONES)
    procurement = get_procurement(procurement_id)
    milestone = _milestone(procurement.id, milestone_id)
    check_version(milestone, expected_version, MOVED)
    _within_bounds(planned, "new planned date")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter the reason for re-planning this milestone.")
    if milestone.status == MET:
        raise InvalidRequest("This milestone has been met; it cannot be re-planned.")
    _refuse_not_applicable(milestone)
    warnings = check_statutory_periods(procurement, milestone, planned, today)
    before = {"planned_date": milestone.planned_date}
    milestone.planned_date, milestone.replan_reason = planned, reason
    audit.record(audit.Actor.of(user, ip), "milestone.replanned", "milestone", milestone.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"key": milestone.key, "planned_date": planned,
                        **({"warnings": list(warnings)} if warnings else {})}, reason=reason)
    return milestone, warnings
