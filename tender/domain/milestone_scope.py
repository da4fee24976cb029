"""Which milestones a procurement can still reach from a stage.

A procedure's graph says what can happen next: once a procurement is at a
stage, the milestones of stages it can no longer reach (award on initial
tenders skips negotiation) will never be met, and at a final stage
(abandoned, live) nothing further will be. Such milestones are "not
applicable": they must stop showing as overdue and stop being reminded about.
"""
from __future__ import annotations

from tender.domain.workflow_definition import ProcedureDefinition


def reachable_stages(definition: ProcedureDefinition, stage: str) -> frozenset[str]:
    """``stage`` and every stage some sequence of transitions can lead to from it."""
    seen, frontier = {stage}, [stage]
    while frontier:
        for transition in definition.transitions_from(frontier.pop()):
            if transition.dest not in seen:
                seen.add(transition.dest)
                frontier.append(transition.dest)
    return frozenset(seen)


def left_behind(definition: ProcedureDefinition, from_stage: str, to_stage: str) -> dict[str, str | None]:
    """Milestone key -> title of its stage (None if tied to no stage), for milestones this move puts out of reach.

    Those are the milestones of stages that could still happen before the
    move (from ``from_stage``) and cannot after it (from ``to_stage``): the
    stages a transition skips, or everything ahead when the procurement ends.
    Milestones of stages already behind it are left alone (they were met on
    the way, or belong to a history Tender did not see). At a final stage a
    milestone tied to no stage is out of reach too.
    """
    owners = {s.milestone: s for s in definition.stages if s.milestone}
    lost = reachable_stages(definition, from_stage) - reachable_stages(definition, to_stage) - {from_stage}
    gone = {m.key: owners[m.key].title for m in definition.milestones
            if m.key in owners and owners[m.key].name in lost}
    if definition.is_final(to_stage):
        gone.update({m.key: None for m in definition.milestones if m.key not in owners})
    return gone
