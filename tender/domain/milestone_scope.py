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


def left_behind(definition: ProcedureDefinition, stage: str) -> dict[str, str | None]:
    """Milestone key -> title of the skipped stage it belongs to (None if none), for milestones out of reach.

    At a final stage every milestone is out of reach (the caller leaves out
    those already met). Otherwise a milestone is out of reach when it belongs
    to a stage that cannot be reached from ``stage``; one tied to no stage is
    kept, as nothing says it will not happen.
    """
    owners = {s.milestone: s for s in definition.stages if s.milestone}
    if definition.is_final(stage):
        return {m.key: owners[m.key].title if m.key in owners else None for m in definition.milestones}
    reachable = reachable_stages(definition, stage)
    return {m.key: owners[m.key].title for m in definition.milestones
            if m.key in owners and owners[m.key].name not in reachable}
