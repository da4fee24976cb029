"""The one way a procurement changes stage.

``advance`` authorises the user, checks the version the user saw, evaluates
the guards, fires the transition through the procedure's Machine, completes
the stage's milestone, writes the audit event and commits: all in one
transaction, so a failure anywhere leaves nothing changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tender.domain.bounds import MAX_ID  # noqa: F401
from tender.services.use_case import get_procurement  # noqa: F401  (moved; old imports keep working)
from tender.domain import periods
from tender.domain.guards import BLOCK, LIGHT_TOUCH_REGIMES, period_meets_minimum
from tender.domain.roles import Permission
from tender.domain.workflow_engine import TransitionBlocked, TransitionNotAllowed, TransitionOption
from tender.extensions import db
from tender.models import Milestone, Procurement
from tender.models.milestone import MET
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import Blocked, ConcurrentChange, InvalidRequest, NotFound
from tender.services.procurement import milestone_scope
from tender.services.procurement.guard_context import ALL, MILESTONES, build_context, reads_of
from tender.services.procurement.procedures import registry

CONCURRENT_MESSAGE = ("Someone else moved this procurement while you were looking at it. "
                      "The page now shows its current stage: check it before you try again.")


@dataclass(frozen=True)
class StageChange:
    """What ``advance`` did."""

    procurement_id: int
    from_stage: str
    to_stage: str
    version: int
    warnings: tuple[str, ...]




def available_transitions(procurement: Procurement, today: date) -> list[TransitionOption]:
    """The transitions out of the current stage, each allowed or with its blockers."""
    engine = registry()[procurement.procedure]
    return engine.options(procurement.state, build_context(procurement, today))


def advance(procurement_id: int, trigger: str, user, *, expected_version: int | None, today: date,
            reason: str | None = None, ip: str | None = None, now: datetime | None = None) -> StageChange:
    """Fire ``trigger`` on the procurement for ``user``; see the module docstring.

    ``now`` (timezone-aware) is the moment of the change, for the contract
    award notice's publication; by default the present moment if it is
    ``today`` in the UK, else midday UK time on ``today``.
    """
    try:
        authorise(user, Permission.ADVANCE_STAGE)
        procurement = get_procurement(procurement_id)
        if expected_version is not None and procurement.version != expected_version:
            raise ConcurrentChange(CONCURRENT_MESSAGE)
        engine = registry()[procurement.procedure]
        definition = engine.definition
        spec = next((t for t in definition.transitions if t.trigger == trigger), None)
        reason = (reason or "").strip() or None
        if spec is not None and spec.requires_reason and not reason:
            raise InvalidRequest(f"Enter a reason for '{spec.label}'. It is kept in the audit trail.")
        from_stage = procurement.state
        # Only what this transition's guards read, and the milestones if the destination completes one.
        reads = ALL if spec is None else reads_of(ref.name for ref in spec.guards)
        if spec is not None and definition.stage(spec.dest).milestone:
            reads |= {MILESTONES}
        try:
            to_stage, outcomes = engine.fire(from_stage, trigger, build_context(procurement, today, reads))
        except TransitionNotAllowed as exc:
            raise InvalidRequest(str(exc)) from None
        except TransitionBlocked as exc:
            reasons = [o.message for o in exc.outcomes if o.blocks]
            raise Blocked(f"'{spec.label}' is blocked.", reasons) from None
        procurement.state = to_stage
        completed = _complete_stage_milestone(procurement, definition.stage(to_stage).milestone, today)
        retired = milestone_scope.retire_unreachable(procurement, definition, from_stage, to_stage, spec.label,
                                                     audit.Actor.of(user, ip), reason)
        after_facts = _record_stage_facts(procurement, completed, now or _moment_on(today), today)
        warnings = tuple(o.message for o in outcomes if not o.passed and not o.blocks)
        warnings += tuple(w for w in period_warnings_after_meeting(procurement, definition, completed, today)
                          if w not in warnings)
        audit.record(
            audit.Actor.of(user, ip), "procurement.stage_changed", "procurement", procurement.id,
            procurement_ref=procurement.reference,
            before={"stage": from_stage},
            after={"stage": to_stage, "transition": trigger, "milestone_met": completed, "warnings": list(warnings),
                   **({"milestones_not_applicable": retired} if retired else {}), **after_facts},
            reason=reason,
        )
        db.session.flush()
        # Read before the commit expires it: afterwards it would cost a SELECT.
        procurement_id, version = procurement.id, procurement.version
        db.session.commit()
        return StageChange(procurement_id, from_stage, to_stage, version, warnings)
    except StaleDataError:
        db.session.rollback()
        raise ConcurrentChange(CONCURRENT_MESSAGE) from None
    except Exception:
        db.session.rollback()
        raise


def _complete_stage_milestone(procurement: Procurement, key: str | None, today: date) -> str | None:
    """Mark the stage's milestone met today; the milestones are loaded already (the guard context read them)."""
    if not key:
        return None
    milestone = next((m for m in procurement.milestones if m.key == key), None)
    if milestone is None or milestone.status == MET:
        return None
    milestone.status = MET
    milestone.actual_date = today
    return key


def _moment_on(today: date) -> datetime:
    real = datetime.now(timezone.utc)
    if periods.uk_date(real) == today:
        return real
    return datetime.combine(today, time(12, 0), tzinfo=periods.UK_TIME)


def _record_stage_facts(procurement: Procurement, completed: str | None, now: datetime, today: date) -> dict:
    """What meeting some milestones sets: the award notice's moment (PA s.51), the UK7 due date (s.53)."""
    from tender.services.award.standstill import record_award_notice_published

    if completed == "contract_award_notice_published":
        record_award_notice_published(procurement, now)
        return {"award_notice_published_at": procurement.award_notice_published_at.isoformat()}
    if completed == "contract_entered":
        due = periods.contract_details_notice_due(today, procurement.regime in LIGHT_TOUCH_REGIMES)
        details = db.session.scalar(select(Milestone).where(
            Milestone.procurement_id == procurement.id, Milestone.key == "contract_details_published"))
        if details is not None and details.status != MET and (details.planned_date is None
                                                              or details.planned_date > due):
            details.planned_date = due
            details.replan_reason = "Due within 30 days of entering into the contract (120 for light touch), " \
                                    "Procurement Act 2023 s.53."
            return {"contract_details_notice_due": due}
    return {}


def period_warnings_after_meeting(procurement: Procurement, definition, completed: str | None, today: date) -> tuple[str, ...]:
    """Periods made too short by meeting ``completed`` today rather than on its planned date.

    A late invitation shortens the time left before a planned deadline. Under
    the light touch regime that is a warning like any other short period; so
    it is under the full regime, where the guards already refused a plan that
    was too short and the deadline must now be moved.
    """
    if not completed:
        return ()
    # The milestones only: the procurement's are loaded (and hold the change), so this reads nothing.
    context = build_context(procurement, today, frozenset({MILESTONES}))
    messages = []
    for period in definition.periods:
        if completed != period.start or period.kind == "standstill":
            continue
        other = context.milestones.get(period.end if completed == period.start else period.start)
        if other is None or other.planned is None:
            continue
        outcome = period_meets_minimum(definition, context, period.name)
        if not outcome.passed:
            messages.append(outcome.message if outcome.severity != BLOCK else
                            outcome.message + " Move the deadline so the period is long enough.")
    return tuple(messages)
