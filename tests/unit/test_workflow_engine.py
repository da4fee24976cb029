"""The transitions library runs each procedure: one Machine per definition, models added only to fire."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tender.domain import guards
from tender.domain.guards import GuardContext, LotFacts, MilestoneFacts
from tender.domain.workflow_definition import load_definitions
from tender.domain.workflow_engine import EngineRegistry, TransitionBlocked, TransitionNotAllowed

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = EngineRegistry(load_definitions(ROOT / "workflows", guards.KNOWN_GUARDS))


def permissive_context(definition) -> GuardContext:
    """A context in which every guard passes: a lawful timetable, decisions made, evaluation done."""
    start = date(2021, 1, 4)
    milestones = {m.key: MilestoneFacts(m.key, m.title, date.fromordinal(start.toordinal() + 60 * i))
                  for i, m in enumerate(definition.milestones)}
    lots = (LotFacts(1, "Lot 1", bids={"initial": 2, "final": 2}, evaluation_final={"initial": True, "final": True}),)
    return GuardContext(today=date(2030, 1, 1), regime=definition.regimes[0], conditions=frozenset({"electronic"}),
                        milestones=milestones, candidates=3, shortlisted=3, lots=lots, award_on_initial_reserved=True,
                        award_approved_by="Approver",
                        award_notices_sent_at=datetime(2029, 1, 1, 12, tzinfo=timezone.utc),
                        award_notice_published_at=datetime(2029, 1, 1, 12, tzinfo=timezone.utc),
                        notices=frozenset({"tender", "award", "contract"}),
                        conflicts=guards.ConflictsFacts(date(2020, 12, 1), reviewed_on=date(2020, 12, 2),
                                                        reviewed_by="Reviewer", award_reviewed_on=date(2029, 1, 1)))


@pytest.mark.parametrize("name", sorted(REGISTRY.definitions))
def test_every_transition_fires_when_its_guards_pass(name):
    engine = REGISTRY[name]
    ctx = permissive_context(engine.definition)
    for spec in engine.definition.transitions:
        for source in spec.sources:
            new_state, outcomes = engine.fire(source, spec.trigger, ctx)
            assert new_state == spec.dest, (spec.trigger, source)
            assert all(o.passed for o in outcomes), [o.message for o in outcomes if not o.passed]
    assert engine.machine.models == [], "models must be removed after firing (the machine holds strong references)"


@pytest.mark.parametrize("name", sorted(REGISTRY.definitions))
def test_every_stage_is_reachable_by_firing_transitions_from_the_initial_stage(name):
    engine = REGISTRY[name]
    ctx = permissive_context(engine.definition)
    seen, frontier = {engine.definition.initial}, [engine.definition.initial]
    while frontier:
        state = frontier.pop()
        for option in engine.options(state, ctx):
            new_state, _ = engine.fire(state, option.trigger, ctx)
            if new_state not in seen:
                seen.add(new_state)
                frontier.append(new_state)
    assert seen == {s.name for s in engine.definition.stages}


@pytest.mark.parametrize("name", sorted(REGISTRY.definitions))
def test_each_guarded_transition_blocks_when_its_guards_fail(name):
    engine = REGISTRY[name]
    empty = GuardContext(today=date(2000, 1, 1), regime=engine.definition.regimes[0])
    for spec in engine.definition.transitions:
        if not spec.guards:
            continue
        with pytest.raises(TransitionBlocked) as blocked:
            engine.fire(spec.sources[0], spec.trigger, empty)
        assert blocked.value.outcomes and all(o.message for o in blocked.value.outcomes if o.blocks)
    assert engine.machine.models == []


def test_adding_a_model_keeps_its_stored_state_rather_than_resetting_it_to_initial():
    engine = REGISTRY["competitive_procedure_with_negotiation"]
    ctx = permissive_context(engine.definition)
    new_state, _ = engine.fire("negotiation", "invite_final_tenders", ctx)
    assert new_state == "final_tenders_invited"


def test_a_trigger_from_the_wrong_stage_or_an_unknown_trigger_is_refused_plainly():
    engine = REGISTRY["competitive_procedure_with_negotiation"]
    ctx = permissive_context(engine.definition)
    with pytest.raises(TransitionNotAllowed, match="cannot be done while the procurement is at the stage 'Draft'"):
        engine.fire("draft", "award_contract", ctx)
    with pytest.raises(TransitionNotAllowed, match="not an action"):
        engine.fire("draft", "launch_rockets", ctx)
    with pytest.raises(TransitionNotAllowed, match="not part of"):
        engine.fire("no_such_stage", "publish_sq", ctx)


def test_options_report_blockers_without_firing():
    engine = REGISTRY["competitive_procedure_with_negotiation"]
    ctx = replace(permissive_context(engine.definition), award_on_initial_reserved=False)
    options = {o.trigger: o for o in engine.options("initial_tender_evaluation", ctx)}
    assert options["start_negotiation"].allowed
    assert not options["award_on_initial_tenders"].allowed
    assert "29(15)" in options["award_on_initial_tenders"].blockers[0]
    assert engine.machine.models == []


def test_machines_are_built_once_per_definition():
    engine = REGISTRY["open_procedure"]
    assert REGISTRY["open_procedure"] is engine and REGISTRY["open_procedure"].machine is engine.machine
