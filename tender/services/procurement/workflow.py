"""The one way a procurement changes stage.

``advance`` authorises the user, checks the version the user saw, evaluates
the guards, fires the transition through the procedure's Machine, completes
the stage's milestone, writes the audit event and commits: all in one
transaction, so a failure anywhere leaves nothing changed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time

from sqlalchemy import select

from tender.services.use_case import get_procurement, transaction  # noqa: F401  (get_procurement: old imports)
from tender.domain import periods
from tender.domain.guards import (BLOCK, LIGHT_TOUCH_REGIMES, contract_award_notice_published, no_challenge_suspension,
                                  period_meets_minimum, standstill_over)
from tender.domain.roles import Permission
from tender.domain.workflow_engine import TransitionBlocked, TransitionNotAllowed, TransitionOption
from tender.extensions import db
from tender.models import Milestone, Procurement
from tender.models.milestone import CLOSED, MET
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import Blocked, ConcurrentChange, InvalidRequest
from tender.services.procurement import milestone_scope
from tender.services.procurement.guard_context import (ALL, CHALLENGES, MILESTONES, NOTICES, STANDSTILL_CHOICE,
                                                       build_context, reads_of)
from tender.services.procurement.definitions import engine_of
from tender.services import clock

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
    engine = engine_of(procurement)
    return engine.options(procurement.state, build_context(procurement, today))


def advance(procurement_id: int, trigger: str, user, *, expected_version: int | None, today: date,
            reason: str | None = None, ip: str | None = None, now: datetime | None = None) -> StageChange:
    """Fire ``trigger`` on the procurement for ``user``; see the module docstring.

    ``now`` (timezone-aware) is the moment of the change; by default the
    present moment if it is ``today`` in the UK, else midday UK time on
    ``today``. A stage that a notice evidences is entered by publishing the
    notice (:func:`fire_on_notice`); its button is refused until the notice
    is on record.
    """
    with transaction(CONCURRENT_MESSAGE):
        authorise(user, Permission.ADVANCE_STAGE)
        procurement = get_procurement(procurement_id)
        if expected_version is not None and procurement.version != expected_version:
            raise ConcurrentChange(CONCURRENT_MESSAGE)
        engine = engine_of(procurement)
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
        _refuse_contract_unless_lawful(procurement, definition, spec, to_stage, today)
        change = _apply(procurement, definition, spec, from_stage, to_stage, outcomes, audit.Actor.of(user, ip),
                        today, now or _moment_on(today), reason)
    return change


def fire_on_notice(procurement: Procurement, kind: str, actor: audit.Actor, *, today: date, now: datetime,
                   award_notice_published_at: datetime | None = None) -> StageChange | None:
    """Fire the transition that publishing notice ``kind`` evidences from the current stage (``on_notice``).

    Called by ``tender.services.award.standstill.notice_published`` inside the
    publishing transaction, before the notice row is stored: the guards see
    the notice as on record. ``today`` is the UK day it was published (its
    milestone is met on that day). Nothing fires if the stage has no such
    transition (the notice came later on the path); a guard that blocks
    refuses the notice (InvalidRequest) and nothing changes. The caller commits.
    """
    engine = engine_of(procurement)
    definition = engine.definition
    spec = definition.fired_by_notice(kind, procurement.state)
    if spec is None:
        return None
    reads = reads_of(ref.name for ref in spec.guards) | {MILESTONES}
    context = build_context(procurement, today, reads)
    context = replace(context, notices=context.notices | {kind},
                      **({"award_notice_published_at": award_notice_published_at}
                         if award_notice_published_at is not None else {}))
    from_stage = procurement.state
    try:
        to_stage, outcomes = engine.fire(from_stage, spec.trigger, context)
    except TransitionBlocked as exc:
        reasons = " ".join(o.message for o in exc.outcomes if o.blocks)
        raise InvalidRequest(f"This notice cannot be published now: it would move the procurement to "
                             f"'{definition.stage(spec.dest).title}', and {reasons}") from None
    _refuse_contract_unless_lawful(procurement, definition, spec, to_stage, today)
    return _apply(procurement, definition, spec, from_stage, to_stage, outcomes, actor, today, now, None,
                  {"notice": kind})


#: Guards that read the recorded sending of the award letters or assessment summaries.
SENDING_GUARDS = frozenset({"award_notices_sent", "assessment_summaries_sent"})


def fire_on_sending(procurement: Procurement, actor: audit.Actor, *, today: date,
                    now: datetime) -> StageChange | None:
    """Move the procurement on once the letters sent through Tender have all gone (their moment just recorded).

    Sending the letters through Tender is the one step: the transition out of
    the current stage that waits for the sending (a guard reads it) fires as
    if the officer had pressed it, so its stage move is not offered again as
    if nothing had happened. ``today`` is the UK day the last letter went (the
    milestone is met on it). Nothing fires if the stage has no such
    transition or a guard blocks it: the stage move then stays on the
    procurement page with its reasons. The caller commits.
    """
    engine = engine_of(procurement)
    definition = engine.definition
    spec = next((t for t in definition.transitions if procurement.state in t.sources
                 and any(ref.name in SENDING_GUARDS for ref in t.guards)), None)
    if spec is None:
        return None
    reads = reads_of(ref.name for ref in spec.guards) | {MILESTONES}
    from_stage = procurement.state
    try:
        to_stage, outcomes = engine.fire(from_stage, spec.trigger, build_context(procurement, today, reads))
    except (TransitionBlocked, TransitionNotAllowed):
        return None
    return _apply(procurement, definition, spec, from_stage, to_stage, outcomes, actor, today, now, None,
                  {"letters_sent_through_tender": True})


#: Milestones the contract stage meets: entering it must be lawful whatever the workflow file says.
CONTRACT_MILESTONES = ("contract_entered", "contract_awarded")


def _refuse_contract_unless_lawful(procurement: Procurement, definition, spec, to_stage: str, today: date) -> None:
    """The service's own check behind the guards on every way into the contract stage."""
    milestone = definition.stage(to_stage).milestone
    if milestone is None or (milestone not in CONTRACT_MILESTONES
                             and milestone != definition.milestone_with_role("contract_entered")):
        return
    blockers = contract_entry_blockers(procurement, today)
    if blockers:
        raise Blocked(f"'{spec.label}' is blocked.", blockers)


def contract_entry_blockers(procurement: Procurement, today: date) -> list[str]:
    """Why the contract cannot be entered into today, whatever the workflow file says (empty: it can).

    The service's own check behind the guards every transition into the
    contract stage names: under the Act a UK6 on record and its standstill
    over (s.50, s.51), a voluntary standstill kept; under either regime the
    standstill over and no suspending challenge.
    """
    context = build_context(procurement, today, frozenset({NOTICES, STANDSTILL_CHOICE, CHALLENGES}))
    checks = [standstill_over, no_challenge_suspension]
    if procurement.regime.startswith("pa2023"):
        checks.insert(0, contract_award_notice_published)
    return [outcome.message for outcome in (check(None, context) for check in checks) if outcome.blocks]


def _apply(procurement: Procurement, definition, spec, from_stage: str, to_stage: str, outcomes, actor: audit.Actor,
           today: date, now: datetime, reason: str | None, extra: dict | None = None) -> StageChange:
    """Store a fired transition: the stage, its milestone, milestones now out of reach, the audit event."""
    procurement.state = to_stage
    completed = _complete_stage_milestone(procurement, definition.stage(to_stage).milestone, today)
    retired = milestone_scope.retire_unreachable(procurement, definition, from_stage, to_stage, spec.label,
                                                 actor, reason)
    after_facts = _record_stage_facts(procurement, definition, completed, now, today)
    warnings = tuple(o.message for o in outcomes if not o.passed and not o.blocks)
    warnings += tuple(w for w in period_warnings_after_meeting(procurement, definition, completed, today)
                      if w not in warnings)
    audit.record(
        actor, "procurement.stage_changed", "procurement", procurement.id,
        procurement_ref=procurement.reference,
        before={"stage": from_stage},
        after={"stage": to_stage, "transition": spec.trigger, "milestone_met": completed, "warnings": list(warnings),
               **({"milestones_not_applicable": retired} if retired else {}), **after_facts, **(extra or {})},
        reason=reason,
    )
    db.session.flush()
    # Read before the commit expires it: afterwards it would cost a SELECT.
    return StageChange(procurement.id, from_stage, to_stage, procurement.version, warnings)


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
    now = clock.now()
    if periods.uk_date(now) == today:
        return now
    return datetime.combine(today, time(12, 0), tzinfo=periods.UK_TIME)


def _record_stage_facts(procurement: Procurement, definition, completed: str | None, now: datetime,
                        today: date) -> dict:
    """What meeting some milestones records: the UK6's moment (PA s.51, set when it was published), the UK7 due date.

    The contract details notice's milestone follows the recorded contract
    date (s.53: 30 days beginning with it, 120 for a light touch contract)
    and has an owner (the lead officer if nobody owns it), so reminders nag
    about it from then on. Which milestones these are, the definition says (``role:``).
    """
    if completed is None:
        return {}
    if completed == definition.milestone_with_role("contract_award_notice_published") \
            and procurement.award_notice_published_at is not None:
        return {"award_notice_published_at": procurement.award_notice_published_at.isoformat()}
    if completed == definition.milestone_with_role("contract_entered") and procurement.regime.startswith("pa2023"):
        due = periods.contract_details_notice_due(today, procurement.regime in LIGHT_TOUCH_REGIMES)
        details = db.session.scalar(select(Milestone).where(
            Milestone.procurement_id == procurement.id,
            Milestone.key == definition.milestone_with_role("contract_details_published")))
        if details is None or details.status in CLOSED:
            return {}
        if details.owner_id is None:
            details.owner_id = procurement.lead_officer_id
        if details.planned_date != due:
            details.planned_date = due
            details.replan_reason = ("Due within 30 days beginning with the day the contract was entered into "
                                     "(120 for light touch), Procurement Act 2023 s.53.")
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
