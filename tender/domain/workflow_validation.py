"""Check a procedure file (``workflows/*.yaml``) before Tender runs anything from it.

A procedure is law written down as data by people, so a mistake in it must
stop the application at start-up, not surface as a wrong transition in the
middle of a live procurement. Every check here names the file, the line and
the field (as a path such as ``transitions[3].guards[0].period``) so whoever
edits the file can fix it without reading Python.

The checks run on the raw YAML (``LineDict``/``LineList`` values that remember
their line numbers); ``workflow_definition`` builds its dataclasses only from
data that passed.
"""
from __future__ import annotations

import difflib
import keyword
from collections import deque
from collections.abc import Mapping
from typing import Any, NoReturn

from tender.domain import bounds
from tender.domain.yaml_source import DefinitionError, line_of

REGIMES = ("pcr2015", "pcr2015_light_touch", "pa2023", "pa2023_light_touch")
ENFORCEMENTS = ("block", "warn")
COUNTINGS = ("calendar", "days", "working")
PERIOD_KINDS = ("minimum", "standstill")
#: Facts a procurement can hold that shorten a statutory minimum period.
CONDITIONS = ("electronic", "pin", "urgency", "agreed_with_candidates")
ROUNDS = ("initial", "final")
#: OCDS 1.1 milestoneType codelist (codelists/milestoneType.csv).
OCDS_MILESTONE_TYPES = (
    "preProcurement", "approval", "engagement", "assessment",
    "delivery", "reporting", "financing", "payment",
)
#: What a milestone can mean to Tender's services beyond its place in the timetable
#: (``role:`` on the milestone; at most one milestone per role): meeting the
#: ``contract_award_notice_published`` one records when the award notice went out
#: (Procurement Act s.51 standstill counts from it); meeting ``contract_entered``
#: sets the due date of the ``contract_details_published`` one (s.53).
MILESTONE_ROLES = ("contract_award_notice_published", "contract_entered", "contract_details_published")
#: Every number a file may give is bounded (``tender.domain.bounds``): version,
#: min_shortlist, and the days of each period and variant.
MAX_VERSION = bounds.MAX_DEFINITION_VERSION
MAX_SHORTLIST = bounds.MAX_SHORTLIST
MAX_PERIOD_DAYS = bounds.MAX_PERIOD_DAYS
#: ``source: "*"`` means every stage that is not final.
ANY_STAGE = "*"

#: Names a trigger must not take. ``transitions`` adds ``trigger``, ``state``,
#: ``to_<stage>``, ``may_<trigger>`` and ``is_<stage>`` to the model, and it only
#: warns (and skips the event) on a clash; the engine's model also carries
#: ``engine``, ``context``, ``outcomes`` and ``guards_allow``; and a trigger
#: named like a persistence method (``save``, ``delete``) invites disaster.
RESERVED_TRIGGERS = frozenset({
    "trigger", "state", "machine", "model", "save", "delete", "update", "refresh",
    "get", "set", "add", "remove", "query", "id", "pk", "engine", "context",
    "outcomes", "guards_allow",
})
RESERVED_PREFIXES = ("to_", "may_", "is_", "_")

TOP_REQUIRED = (
    "name", "title", "version", "legal_basis", "regimes", "enforcement", "min_shortlist",
    "min_shortlist_source", "initial", "stages", "milestones", "transitions", "periods",
)
STAGE_REQUIRED, STAGE_OPTIONAL = ("name", "title", "description"), ("milestone", "final")
MILESTONE_REQUIRED, MILESTONE_OPTIONAL = ("key", "title"), ("ocds_type", "role")
TRANSITION_REQUIRED = ("trigger", "label", "source", "dest")
TRANSITION_OPTIONAL = ("guards", "requires_reason", "description", "on_notice")
#: The notices whose publication may fire a transition, and the guard that checks each is on record
#: (so pressing the stage button without the notice is refused with the same words).
NOTICE_GUARDS = {"tender": "tender_notice_published", "award": "contract_award_notice_published",
                 "contract": "contract_details_notice_published"}
#: Milestones that mean "the contract is entered into": every way into their stage must name these guards,
#: and under the Procurement Act also the contract award notice's (s.50, s.51).
CONTRACT_MILESTONES = ("contract_entered", "contract_awarded")
CONTRACT_GUARDS = ("standstill_over", "no_challenge_suspension")
CONTRACT_GUARDS_PA = ("contract_award_notice_published",)
PERIOD_REQUIRED = ("name", "label", "start", "end", "days", "counting", "source")
PERIOD_OPTIONAL = ("variants", "enforcement", "kind")
VARIANT_REQUIRED = ("when", "days", "source")


def expand_sources(raw: Any, stage_names: list[str], finals: set[str], dest: str) -> tuple[str, ...]:
    """The stages a transition leaves from: ``"*"`` is every non-final stage except ``dest``."""
    if raw == ANY_STAGE:
        return tuple(name for name in stage_names if name not in finals and name != dest)
    if isinstance(raw, str):
        return (raw,)
    return tuple(raw)


def _join(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def _choices(values) -> str:
    return ", ".join(sorted(values))


class _Checker:
    """Holds the file name so every check can raise a precise DefinitionError."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, container: Any, key: Any, path: str, message: str) -> NoReturn:
        raise DefinitionError(self.source, line_of(container, key, 1), path, message)

    def keys(self, mapping: Any, path: str, required, optional=()) -> None:
        """Reject a key nobody reads (typo protection), then a missing required key."""
        allowed = (*required, *optional)
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else f" Use one of: {', '.join(allowed)}."
                self.fail(mapping, key, _join(path, key), f"unknown key '{key}'.{hint}")
        for key in required:
            if key not in mapping:
                raise DefinitionError(self.source, getattr(mapping, "line", None) or 1, _join(path, key),
                                      f"Add the required key '{key}'.")

    def mapping(self, parent: Any, key: Any, path: str, what: str) -> Mapping:
        value = parent[key]
        if not isinstance(value, Mapping):
            self.fail(parent, key, path, f"each {what} must be a mapping of keys, not {type(value).__name__}.")
        return value

    def items(self, parent: Mapping, key: str, path: str, allow_empty: bool = True) -> list:
        value = parent[key]
        if not isinstance(value, list):
            self.fail(parent, key, _join(path, key), "must be a list.")
        if not value and not allow_empty:
            self.fail(parent, key, _join(path, key), "must list at least one entry.")
        return value

    def text(self, mapping: Mapping, key: str, path: str) -> str:
        value = mapping[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(mapping, key, _join(path, key), "Enter some text (it must not be empty).")
        return value

    def identifier(self, mapping: Mapping, key: str, path: str) -> str:
        value = mapping[key]
        if not isinstance(value, str) or not value.isidentifier() or keyword.iskeyword(value):
            self.fail(mapping, key, _join(path, key),
                      f"{value!r} is not a valid name: use lower-case letters, digits and underscores.")
        return value

    def positive_int(self, mapping: Mapping, key: str, path: str, maximum: int) -> int:
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(mapping, key, _join(path, key), f"must be a whole number of at least 1, not {value!r}.")
        if value > maximum:
            self.fail(mapping, key, _join(path, key), f"must be a whole number from 1 to {maximum}, not {value}.")
        return value

    def boolean(self, mapping: Mapping, key: str, path: str) -> None:
        if key in mapping and not isinstance(mapping[key], bool):
            self.fail(mapping, key, _join(path, key), f"must be true or false, not {mapping[key]!r}.")

    def choice(self, mapping: Mapping, key: str, path: str, allowed) -> str:
        value = mapping[key]
        if value not in allowed:
            self.fail(mapping, key, _join(path, key), f"{value!r} is not allowed: use one of {_choices(allowed)}.")
        return value

    def reference(self, mapping: Mapping, key: str, path: str, declared, what: str) -> str:
        value = mapping[key]
        if not isinstance(value, str) or value not in declared:
            self.fail(mapping, key, _join(path, key),
                      f"unknown {what} {value!r}: declare it first, or use one of {_choices(declared)}.")
        return value


def validate_document(data: Any, source: str, known_guards: Mapping[str, frozenset[str]]) -> None:
    """Raise DefinitionError for the first problem in a parsed procedure file."""
    check = _Checker(source)
    if not isinstance(data, Mapping):
        raise DefinitionError(source, getattr(data, "line", None) or 1, "",
                              "must be a mapping with keys such as name, title, stages and transitions.")
    check.keys(data, "", TOP_REQUIRED)
    _check_metadata(check, data)
    milestones = _check_milestones(check, data)
    stages, finals = _check_stages(check, data, milestones)
    periods = _check_periods(check, data, milestones)
    refs = {"period": periods, "milestone": milestones, "round": set(ROUNDS)}
    edges = _check_transitions(check, data, stages, finals, refs, known_guards)
    _check_graph(check, data, stages, finals, edges)
    _check_contract_entry(check, data, known_guards)


def _check_metadata(check: _Checker, data: Mapping) -> None:
    check.identifier(data, "name", "")
    check.text(data, "title", "")
    check.positive_int(data, "version", "", MAX_VERSION)
    check.text(data, "legal_basis", "")
    regimes = check.items(data, "regimes", "", allow_empty=False)
    for i, regime in enumerate(regimes):
        if regime not in REGIMES:
            check.fail(regimes, i, f"regimes[{i}]", f"{regime!r} is not a regime Tender knows: use {_choices(REGIMES)}.")
        if regime in regimes[:i]:
            check.fail(regimes, i, f"regimes[{i}]", f"{regime!r} is listed twice.")
    check.choice(data, "enforcement", "", ENFORCEMENTS)
    if data["min_shortlist"] is not None:
        check.positive_int(data, "min_shortlist", "", MAX_SHORTLIST)
        check.text(data, "min_shortlist_source", "")
    elif data["min_shortlist_source"] is not None:
        check.text(data, "min_shortlist_source", "")


def _check_milestones(check: _Checker, data: Mapping) -> set[str]:
    keys: set[str] = set()
    roles: dict[str, str] = {}
    items = check.items(data, "milestones", "", allow_empty=False)
    for i in range(len(items)):
        path = f"milestones[{i}]"
        item = check.mapping(items, i, path, "milestone")
        check.keys(item, path, MILESTONE_REQUIRED, MILESTONE_OPTIONAL)
        key = check.identifier(item, "key", path)
        if key in keys:
            check.fail(item, "key", f"{path}.key", f"the milestone '{key}' is declared twice.")
        keys.add(key)
        check.text(item, "title", path)
        if "ocds_type" in item:
            check.choice(item, "ocds_type", path, OCDS_MILESTONE_TYPES)
        if "role" in item:
            role = check.choice(item, "role", path, MILESTONE_ROLES)
            if role in roles:
                check.fail(item, "role", f"{path}.role",
                           f"the role '{role}' is already given to the milestone '{roles[role]}'.")
            roles[role] = key
    return keys


def _check_stages(check: _Checker, data: Mapping, milestones: set[str]) -> tuple[list[str], set[str]]:
    names: list[str] = []
    finals: set[str] = set()
    completed_by: dict[str, str] = {}
    items = check.items(data, "stages", "", allow_empty=False)
    for i in range(len(items)):
        path = f"stages[{i}]"
        item = check.mapping(items, i, path, "stage")
        check.keys(item, path, STAGE_REQUIRED, STAGE_OPTIONAL)
        name = check.identifier(item, "name", path)
        if name in names:
            check.fail(item, "name", f"{path}.name", f"the stage '{name}' is declared twice.")
        names.append(name)
        check.text(item, "title", path)
        check.text(item, "description", path)
        if item.get("milestone") is not None:
            key = check.reference(item, "milestone", path, milestones, "milestone")
            if key in completed_by:
                check.fail(item, "milestone", f"{path}.milestone",
                           f"the milestone '{key}' is already completed by the stage '{completed_by[key]}'.")
            completed_by[key] = name
        check.boolean(item, "final", path)
        if item.get("final"):
            finals.add(name)
    initial = check.reference(data, "initial", "", set(names), "stage")
    if initial in finals:
        check.fail(data, "initial", "initial", f"the initial stage '{initial}' cannot be final.")
    if not finals:
        check.fail(data, "stages", "stages", "Mark at least one stage 'final: true' (for example 'live').")
    return names, finals


def _check_periods(check: _Checker, data: Mapping, milestones: set[str]) -> set[str]:
    names: set[str] = set()
    items = check.items(data, "periods", "")
    for i in range(len(items)):
        path = f"periods[{i}]"
        item = check.mapping(items, i, path, "period")
        check.keys(item, path, PERIOD_REQUIRED, PERIOD_OPTIONAL)
        name = check.identifier(item, "name", path)
        if name in names:
            check.fail(item, "name", f"{path}.name", f"the period '{name}' is declared twice.")
        names.add(name)
        check.text(item, "label", path)
        start = check.reference(item, "start", path, milestones, "milestone")
        if check.reference(item, "end", path, milestones, "milestone") == start:
            check.fail(item, "end", f"{path}.end", "a period must end at a different milestone from its start.")
        days = check.positive_int(item, "days", path, MAX_PERIOD_DAYS)
        check.choice(item, "counting", path, COUNTINGS)
        check.text(item, "source", path)
        if "enforcement" in item:
            check.choice(item, "enforcement", path, ENFORCEMENTS)
        if "kind" in item:
            check.choice(item, "kind", path, PERIOD_KINDS)
        if "variants" in item:
            _check_variants(check, item, path, days)
    return names


def _check_variants(check: _Checker, period: Mapping, path: str, days: int) -> None:
    seen: set[str] = set()
    variants = check.items(period, "variants", path)
    for j in range(len(variants)):
        vpath = f"{path}.variants[{j}]"
        variant = check.mapping(variants, j, vpath, "variant")
        check.keys(variant, vpath, VARIANT_REQUIRED)
        when = check.choice(variant, "when", vpath, CONDITIONS)
        if when in seen:
            check.fail(variant, "when", f"{vpath}.when", f"the condition '{when}' already has a variant.")
        seen.add(when)
        if check.positive_int(variant, "days", vpath, MAX_PERIOD_DAYS) >= days:
            check.fail(variant, "days", f"{vpath}.days",
                       f"a variant gives a shorter minimum: make it fewer than the period's {days} days.")
        check.text(variant, "source", vpath)


def _check_transitions(check, data, stages, finals, refs, known_guards) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in stages}
    triggers: set[str] = set()
    items = check.items(data, "transitions", "", allow_empty=False)
    for i in range(len(items)):
        path = f"transitions[{i}]"
        item = check.mapping(items, i, path, "transition")
        check.keys(item, path, TRANSITION_REQUIRED, TRANSITION_OPTIONAL)
        trigger = check.identifier(item, "trigger", path)
        if trigger in RESERVED_TRIGGERS or trigger.startswith(RESERVED_PREFIXES):
            check.fail(item, "trigger", f"{path}.trigger",
                       f"'{trigger}' clashes with a name the workflow engine uses: choose another verb "
                       f"(not {', '.join(sorted(RESERVED_TRIGGERS))}, nor starting {', '.join(RESERVED_PREFIXES)}).")
        if trigger in triggers:
            check.fail(item, "trigger", f"{path}.trigger", f"the trigger '{trigger}' is declared twice.")
        triggers.add(trigger)
        check.text(item, "label", path)
        dest = check.reference(item, "dest", path, set(stages), "stage")
        _check_sources(check, item, path, stages, finals)
        check.boolean(item, "requires_reason", path)
        if "description" in item:
            check.text(item, "description", path)
        if "on_notice" in item:
            _check_on_notice(check, item, path, known_guards)
        if "guards" in item:
            guards = check.items(item, "guards", path)
            for j in range(len(guards)):
                _check_guard(check, guards, j, f"{path}.guards[{j}]", known_guards, refs)
        for source in expand_sources(item["source"], stages, finals, dest):
            edges[source].add(dest)
    return edges


def _guard_names(item: Mapping) -> set[str]:
    return {g if isinstance(g, str) else g.get("guard") for g in item.get("guards") or ()
            if isinstance(g, (str, Mapping))}


def _check_on_notice(check: _Checker, item: Mapping, path: str, known_guards) -> None:
    """A transition a notice fires also names the guard that checks the notice, so its button says why not."""
    kind = check.choice(item, "on_notice", path, tuple(NOTICE_GUARDS))
    guard = NOTICE_GUARDS[kind]
    if guard in known_guards and guard not in _guard_names(item):
        check.fail(item, "on_notice", f"{path}.on_notice",
                   f"a transition the {kind} notice fires must also name the guard '{guard}'.")


def _check_contract_entry(check: _Checker, data: Mapping, known_guards) -> None:
    """Every way into the contract stage names the guards that keep the law on entering the contract."""
    contract_stages = {s["name"] for s in data["stages"] if s.get("milestone") in CONTRACT_MILESTONES}
    under_act = any(str(r).startswith("pa2023") for r in data["regimes"])
    needed = CONTRACT_GUARDS + (CONTRACT_GUARDS_PA if under_act else ())
    items = data["transitions"]
    for i, item in enumerate(items):
        if item["dest"] not in contract_stages:
            continue
        missing = [g for g in needed if g in known_guards and g not in _guard_names(item)]
        if missing:
            check.fail(items, i, f"transitions[{i}].guards",
                       f"the transition '{item['trigger']}' enters the contract stage '{item['dest']}', so it must "
                       f"name the guard{'s' if len(missing) > 1 else ''} {', '.join(missing)}.")
    notices_fired: dict[tuple[str, str], str] = {}
    stage_names = [s["name"] for s in data["stages"]]
    finals = {s["name"] for s in data["stages"] if s.get("final")}
    for i, item in enumerate(items):
        if "on_notice" not in item:
            continue
        for source in expand_sources(item["source"], stage_names, finals, item["dest"]):
            key = (item["on_notice"], source)
            if key in notices_fired:
                check.fail(item, "on_notice", f"transitions[{i}].on_notice",
                           f"publishing the {key[0]} notice at the stage '{source}' already fires "
                           f"'{notices_fired[key]}'.")
            notices_fired[key] = item["trigger"]


def _check_sources(check: _Checker, item: Mapping, path: str, stages: list[str], finals: set[str]) -> None:
    raw = item["source"]
    if raw == ANY_STAGE:
        return
    if isinstance(raw, str):
        entries, container, keys = [raw], item, ["source"]
    elif isinstance(raw, list) and raw:
        entries, container, keys = list(raw), raw, list(range(len(raw)))
    else:
        check.fail(item, "source", f"{path}.source", 'must be a stage name, a list of stage names, or "*".')
    for entry, key in zip(entries, keys):
        field = f"{path}.source" if key == "source" else f"{path}.source[{key}]"
        if not isinstance(entry, str) or entry not in stages:
            check.fail(container, key, field, f"unknown stage {entry!r}: use one of {_choices(stages)}.")
        if entry in finals:
            check.fail(container, key, field, f"'{entry}' is a final stage: nothing can happen after it.")
        if entries.count(entry) > 1:
            check.fail(container, key, field, f"'{entry}' is listed twice.")


def _check_guard(check, guards: list, j: int, path: str, known_guards, refs) -> None:
    entry = guards[j]
    if isinstance(entry, str):
        name, args, container, name_key = entry, {}, guards, j
    elif isinstance(entry, Mapping):
        if "guard" not in entry:
            raise DefinitionError(check.source, line_of(guards, j, 1), f"{path}.guard",
                                  "Add 'guard: NAME' to say which guard this is.")
        name, container, name_key = entry["guard"], entry, "guard"
        args = {key: value for key, value in entry.items() if key != "guard"}
    else:
        check.fail(guards, j, path, "a guard is a name, or a mapping 'guard: NAME' with its arguments.")
    field = path if isinstance(entry, str) else f"{path}.guard"
    if not isinstance(name, str) or name not in known_guards:
        close = difflib.get_close_matches(str(name), list(known_guards), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        check.fail(container, name_key, field, f"no guard named {name!r} is implemented.{hint}")
    required = known_guards[name]
    for arg in args:
        if arg not in required:
            expected = f"it takes {_choices(required)}" if required else "it takes no arguments"
            check.fail(entry, arg, f"{path}.{arg}", f"the guard '{name}' has no argument '{arg}': {expected}.")
    for arg in sorted(required):
        if arg not in args:
            check.fail(guards, j, f"{path}.{arg}", f"the guard '{name}' needs the argument '{arg}'.")
        if arg in refs:
            check.reference(entry, arg, path, refs[arg], arg)
        elif not isinstance(args[arg], str):
            check.fail(entry, arg, f"{path}.{arg}", "a guard argument must be text.")


def _check_graph(check: _Checker, data: Mapping, stages: list[str], finals: set[str], edges) -> None:
    """Every stage reachable from ``initial``; every non-final stage has a way out and a way to finish."""
    items = data["stages"]
    reached = _reachable(data["initial"], edges)
    for i, name in enumerate(stages):
        if name not in reached:
            check.fail(items[i], "name", f"stages[{i}].name",
                       f"the stage '{name}' cannot be reached from the initial stage '{data['initial']}'.")
    for i, name in enumerate(stages):
        if name in finals:
            continue
        if not edges[name]:
            check.fail(items[i], "name", f"stages[{i}].name",
                       f"the stage '{name}' has no transition out: add one, or mark it 'final: true'.")
        if not _reachable(name, edges) & finals:
            check.fail(items[i], "name", f"stages[{i}].name",
                       f"from the stage '{name}' no final stage can be reached: the procedure would loop forever.")


def _reachable(start: str, edges: Mapping[str, set[str]]) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
