"""Procurement procedures declared as data, loaded into immutable definitions.

Each procedure (competitive procedure with negotiation, open, light touch,
competitive flexible...) is one YAML file in ``workflows/``: its stages, the
transitions an officer can make with their guards, the milestone each stage
completes, and the statutory minimum periods with their legal source. Keeping
the law in reviewable data, validated on load (``workflow_validation``), means
a change to a procedure is a diff a procurement lawyer can read, and a
procurement records which definition and version it runs.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tender.domain.workflow_validation import expand_sources, validate_document
from tender.domain.yaml_source import DefinitionError, line_of, load_yaml, load_yaml_file

LIGHT_TOUCH_REGIMES = frozenset({"pcr2015_light_touch", "pa2023_light_touch"})


@dataclass(frozen=True)
class GuardRef:
    """A guard named by a transition, with the arguments the file gave it."""

    name: str
    args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Stage:
    """A state a procurement can be in; entering it completes ``milestone`` if set."""

    name: str
    title: str
    description: str
    milestone: str | None = None
    final: bool = False


@dataclass(frozen=True)
class Transition:
    """An action an officer takes (``trigger``), allowed only when every guard passes."""

    trigger: str
    label: str
    sources: tuple[str, ...]
    dest: str
    guards: tuple[GuardRef, ...] = ()
    requires_reason: bool = False
    description: str = ""
    line: int | None = field(default=None, compare=False)
    #: The notice kind (tender, award, contract) whose publication fires this transition, if any:
    #: the notice is the evidence of the stage, so publishing it is what moves the procurement.
    on_notice: str | None = None


@dataclass(frozen=True)
class PeriodVariant:
    """A shorter statutory minimum that applies when a condition (e.g. ``pin``) holds."""

    when: str
    days: int
    source: str


@dataclass(frozen=True)
class Period:
    """A statutory minimum period between two milestones, with its legal source.

    ``enforcement`` overrides the procedure's default when set (``None``
    otherwise); see ``ProcedureDefinition.enforcement_for``. ``kind`` is
    ``"minimum"`` (the end milestone may fall on the period's last day, like a
    tender deadline) or ``"standstill"`` (the end milestone, entering into the
    contract, must fall *after* the period's last day: PCR reg. 87, PA s.51).
    """

    name: str
    label: str
    start: str
    end: str
    days: int
    counting: str
    source: str
    variants: tuple[PeriodVariant, ...] = ()
    enforcement: str | None = None
    kind: str = "minimum"

    def minimum_for(self, conditions: Collection[str]) -> tuple[int, str]:
        """The smallest minimum that applies given the conditions held, and its source.

        Reductions do not stack: the law gives each as an alternative minimum
        (e.g. PCR reg. 27: 35 days, 30 if electronic, 15 with a PIN), so the
        shortest single applicable one wins.
        """
        best = (self.days, self.source)
        for variant in self.variants:
            if variant.when in conditions and variant.days < best[0]:
                best = (variant.days, variant.source)
        return best


@dataclass(frozen=True)
class MilestoneDef:
    """A dated event in a procurement's timetable; ``ocds_type`` from the OCDS milestoneType codelist.

    ``role`` (one of ``workflow_validation.MILESTONE_ROLES``) tells a service
    what meeting it means, so no service hard-codes a milestone's key.
    """

    key: str
    title: str
    ocds_type: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class ProcedureDefinition:
    """One procedure, as loaded from its YAML file (``source``)."""

    name: str
    title: str
    version: int
    legal_basis: str
    regimes: tuple[str, ...]
    enforcement: str
    min_shortlist: int | None
    min_shortlist_source: str | None
    initial: str
    stages: tuple[Stage, ...]
    milestones: tuple[MilestoneDef, ...]
    transitions: tuple[Transition, ...]
    periods: tuple[Period, ...]
    source: str = ""

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; KeyError if this procedure has none."""
        return _find(self.stages, "name", name, f"stage of {self.name}")

    def transition(self, trigger: str) -> Transition:
        """The transition fired by ``trigger``; KeyError if none."""
        return _find(self.transitions, "trigger", trigger, f"trigger of {self.name}")

    def transitions_from(self, stage_name: str) -> tuple[Transition, ...]:
        """Every transition that can leave ``stage_name``, in file order."""
        return tuple(t for t in self.transitions if stage_name in t.sources)

    def fired_by_notice(self, kind: str, stage_name: str) -> Transition | None:
        """The transition that publishing notice ``kind`` fires from ``stage_name`` (None if it fires none)."""
        return next((t for t in self.transitions_from(stage_name) if t.on_notice == kind), None)

    def transitions_into(self, stage_name: str) -> tuple[Transition, ...]:
        """Every transition that enters ``stage_name``."""
        return tuple(t for t in self.transitions if t.dest == stage_name)

    def period(self, name: str) -> Period:
        """The statutory period called ``name``; KeyError if none."""
        return _find(self.periods, "name", name, f"period of {self.name}")

    def milestone(self, key: str) -> MilestoneDef:
        """The milestone with ``key``; KeyError if none."""
        return _find(self.milestones, "key", key, f"milestone of {self.name}")

    def milestone_with_role(self, role: str) -> str | None:
        """The key of the milestone the file gives ``role`` (validated unique), or None if none has it."""
        return next((m.key for m in self.milestones if m.role == role), None)

    def is_final(self, stage_name: str) -> bool:
        """True if nothing can happen after ``stage_name``."""
        return self.stage(stage_name).final

    def main_path(self) -> tuple[Stage, ...]:
        """The usual route from ``initial`` to a final stage.

        From each stage, follow the transition with the fewest sources (so an
        "abandon from anywhere" transition is a side branch), the first declared
        winning a tie, to a stage not yet on the path.
        """
        path, seen, current = [self.stage(self.initial)], {self.initial}, self.initial
        while True:
            options = sorted(
                ((len(t.sources), i, t.dest) for i, t in enumerate(self.transitions)
                 if current in t.sources and t.dest not in seen),
            )
            if not options:
                return tuple(path)
            current = options[0][2]
            seen.add(current)
            path.append(self.stage(current))

    def ordered_stages(self) -> tuple[Stage, ...]:
        """Every stage for display: the main path first, then side stages in file order."""
        path = self.main_path()
        on_path = {stage.name for stage in path}
        return path + tuple(stage for stage in self.stages if stage.name not in on_path)

    def enforcement_for(self, period_name: str, regime: str) -> str:
        """Whether a short ``period`` blocks or warns for a procurement under ``regime``.

        A period's own ``enforcement`` wins (standstill binds light-touch
        contracts under PCR reg. 87); otherwise a light-touch regime only warns
        (PCR reg. 76(6): "reasonable and proportionate"), else the file's default.
        """
        period = self.period(period_name)
        if period.enforcement:
            return period.enforcement
        return "warn" if regime in LIGHT_TOUCH_REGIMES else self.enforcement


def _find(items, attr: str, value: str, what: str):
    for item in items:
        if getattr(item, attr) == value:
            return item
    raise KeyError(f"no {what} is called {value!r}")


def load_definition(path: str | Path, known_guards: Mapping[str, frozenset[str]]) -> ProcedureDefinition:
    """Read, validate and build one procedure file.

    ``known_guards`` maps each implemented guard name to its required argument
    names; a file naming anything else is refused here, at load time, rather
    than failing when an officer presses the button.
    """
    return _load(Path(path), known_guards, expected_name=None)


def load_definitions(directory: str | Path, known_guards: Mapping[str, frozenset[str]]) -> dict[str, ProcedureDefinition]:
    """Every ``*.yaml`` procedure in ``directory``, keyed by name (which must equal the file stem)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DefinitionError(str(directory), None, "", "is not a directory of procedure files.")
    return {
        path.stem: _load(path, known_guards, expected_name=path.stem)
        for path in sorted(directory.glob("*.yaml"))
    }


def definition_from_text(text: str, source: str, known_guards: Mapping[str, frozenset[str]],
                         expected_name: str | None = None) -> ProcedureDefinition:
    """Validate and build a procedure from the text of its file (``source`` names it in errors).

    A procurement keeps the exact text of the file it started with, so its
    definition is rebuilt from that text, never from whatever the file says today.
    """
    return _checked(load_yaml(text, source), source, known_guards, expected_name)


def _load(path: Path, known_guards, expected_name: str | None) -> ProcedureDefinition:
    return _checked(load_yaml_file(path), str(path), known_guards, expected_name)


def _checked(data: Any, source: str, known_guards, expected_name: str | None) -> ProcedureDefinition:
    validate_document(data, source, known_guards)
    if expected_name is not None and data["name"] != expected_name:
        raise DefinitionError(source, line_of(data, "name"), "name",
                              f"the name '{data['name']}' must match the file name '{expected_name}'.")
    return _build(data, source)


def _build(data: Mapping[str, Any], source: str) -> ProcedureDefinition:
    """Turn validated raw data into the immutable definition."""
    stages = tuple(
        Stage(s["name"], s["title"], s["description"], s.get("milestone"), bool(s.get("final", False)))
        for s in data["stages"]
    )
    names = [stage.name for stage in stages]
    finals = {stage.name for stage in stages if stage.final}
    transitions = tuple(
        Transition(
            trigger=t["trigger"],
            label=t["label"],
            sources=expand_sources(t["source"], names, finals, t["dest"]),
            dest=t["dest"],
            guards=tuple(_guard_ref(t["guards"], j) for j in range(len(t.get("guards") or ()))),
            requires_reason=bool(t.get("requires_reason", False)),
            description=t.get("description", ""),
            line=line_of(data["transitions"], i),
            on_notice=t.get("on_notice"),
        )
        for i, t in enumerate(data["transitions"])
    )
    periods = tuple(
        Period(
            p["name"], p["label"], p["start"], p["end"], p["days"], p["counting"], p["source"],
            tuple(PeriodVariant(v["when"], v["days"], v["source"]) for v in p.get("variants") or ()),
            p.get("enforcement"),
            p.get("kind", "minimum"),
        )
        for p in data["periods"]
    )
    return ProcedureDefinition(
        name=data["name"],
        title=data["title"],
        version=data["version"],
        legal_basis=data["legal_basis"],
        regimes=tuple(data["regimes"]),
        enforcement=data["enforcement"],
        min_shortlist=data["min_shortlist"],
        min_shortlist_source=data["min_shortlist_source"],
        initial=data["initial"],
        stages=stages,
        milestones=tuple(MilestoneDef(m["key"], m["title"], m.get("ocds_type"), m.get("role"))
                         for m in data["milestones"]),
        transitions=transitions,
        periods=periods,
        source=source,
    )


def _guard_ref(guards: list, j: int) -> GuardRef:
    entry = guards[j]
    if isinstance(entry, str):
        return GuardRef(entry, MappingProxyType({}), line_of(guards, j))
    args = {key: value for key, value in entry.items() if key != "guard"}
    return GuardRef(entry["guard"], MappingProxyType(args), line_of(guards, j))
