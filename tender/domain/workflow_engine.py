"""Run declared procedures with the ``transitions`` library.

One ``Machine`` is built per procedure definition, once, and procurements are
added to it as models only for the moment a transition fires (a Machine per
object costs ~11x more, and machines hold strong references to their models
until ``remove_model``). ``add_model`` would reset the state to ``initial``,
so the stored state is always passed in.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from transitions import Machine, MachineError

from tender.domain.guards import GuardContext, GuardOutcome, run_guard


class TransitionNotAllowed(Exception):
    """The trigger does not exist, or does not leave the current stage."""


class TransitionBlocked(Exception):
    """Guards stopped the transition; ``outcomes`` say why, in plain English."""

    def __init__(self, outcomes: list[GuardOutcome]):
        self.outcomes = outcomes
        super().__init__(" ".join(o.message for o in outcomes if o.blocks))


@dataclass(frozen=True)
class TransitionOption:
    """A transition out of the current stage, with its guard results."""

    trigger: str
    label: str
    dest: str
    dest_title: str
    requires_reason: bool
    outcomes: tuple[GuardOutcome, ...]

    @property
    def allowed(self) -> bool:
        """True if no guard blocks it."""
        return not any(o.blocks for o in self.outcomes)

    @property
    def blockers(self) -> list[str]:
        """Messages of the guards that block."""
        return [o.message for o in self.outcomes if o.blocks]

    @property
    def warnings(self) -> list[str]:
        """Messages of guards that failed as warnings only."""
        return [o.message for o in self.outcomes if not o.passed and not o.blocks]


class _Run:
    """The model object ``transitions`` moves: a procurement's state plus its guard context."""

    def __init__(self, engine: "ProcedureEngine", context: GuardContext):
        self.engine = engine
        self.context = context
        self.outcomes: list[GuardOutcome] = []

    def guards_allow(self, event) -> bool:
        """Condition callback: evaluate the transition's declared guards."""
        spec = self.engine.definition.transition(event.event.name)
        self.outcomes = [run_guard(self.engine.definition, ref, self.context) for ref in spec.guards]
        return not any(o.blocks for o in self.outcomes)


class ProcedureEngine:
    """One procedure definition and the single Machine that runs it."""

    def __init__(self, definition):
        self.definition = definition
        self._lock = threading.Lock()
        self.machine = Machine(
            model=None,
            states=[stage.name for stage in definition.stages],
            transitions=[
                {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest, "conditions": "guards_allow"}
                for t in definition.transitions
            ],
            initial=definition.initial,
            auto_transitions=False,
            send_event=True,
        )

    def options(self, state: str, context: GuardContext) -> list[TransitionOption]:
        """Every transition out of ``state``, each with its guard outcomes (nothing fires)."""
        result = []
        for spec in self.definition.transitions_from(state):
            outcomes = tuple(run_guard(self.definition, ref, context) for ref in spec.guards)
            result.append(TransitionOption(spec.trigger, spec.label, spec.dest,
                                           self.definition.stage(spec.dest).title, spec.requires_reason, outcomes))
        return result

    def fire(self, state: str, trigger: str, context: GuardContext) -> tuple[str, list[GuardOutcome]]:
        """Fire ``trigger`` from ``state``; return the new state and the guard outcomes.

        Raises TransitionNotAllowed or TransitionBlocked; nothing is stored here,
        so the caller's transaction decides whether the change happens.
        """
        if state not in self.machine.states:
            raise TransitionNotAllowed(f"The stage '{state}' is not part of {self.definition.title}.")
        if trigger not in self.machine.events:
            raise TransitionNotAllowed(f"'{trigger}' is not an action of {self.definition.title}.")
        run = _Run(self, context)
        with self._lock:
            self.machine.add_model(run, initial=state)
            try:
                moved = run.trigger(trigger)
                new_state = run.state
            except MachineError:
                spec = self.definition.transition(trigger)
                raise TransitionNotAllowed(
                    f"'{spec.label}' cannot be done while the procurement is at the stage "
                    f"'{self.definition.stage(state).title}'.") from None
            finally:
                self.machine.remove_model(run)
        if not moved:
            raise TransitionBlocked(run.outcomes)
        return new_state, run.outcomes


class EngineRegistry:
    """The engines for every loaded definition, built once per process."""

    def __init__(self, definitions: dict):
        self.definitions = definitions
        self.engines = {name: ProcedureEngine(defn) for name, defn in definitions.items()}

    def __getitem__(self, name: str) -> ProcedureEngine:
        try:
            return self.engines[name]
        except KeyError:
            raise KeyError(f"No procedure definition named '{name}' is loaded.") from None
