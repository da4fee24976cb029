"""What changed between two versions of a procedure, in words a procurement officer can check.

Moving a running procurement to a changed procedure file is a decision
someone must be able to review (and a lawyer to read later in the audit
trail), so the change is listed stage by stage, transition by transition,
rather than left to a text diff alone. Pure: two definitions in, sentences out.
"""
from __future__ import annotations

from tender.domain.workflow_definition import Period, ProcedureDefinition, Transition


def _guards(transition: Transition) -> list[str]:
    return [ref.name + "".join(f" {k}={v}" for k, v in sorted(ref.args.items())) for ref in transition.guards]


def _transition_differences(old: Transition, new: Transition) -> list[str]:
    parts = []
    if old.label != new.label:
        parts.append(f"label “{old.label}” → “{new.label}”")
    if set(old.sources) != set(new.sources):
        parts.append(f"from {', '.join(old.sources)} → from {', '.join(new.sources)}")
    if old.dest != new.dest:
        parts.append(f"to {old.dest} → to {new.dest}")
    if _guards(old) != _guards(new):
        parts.append(f"guards [{', '.join(_guards(old))}] → [{', '.join(_guards(new))}]")
    if old.requires_reason != new.requires_reason:
        parts.append("now needs a reason" if new.requires_reason else "no longer needs a reason")
    return parts


def _period_text(period: Period) -> str:
    variants = "".join(f", {v.days} if {v.when}" for v in period.variants)
    return (f"{period.days} {period.counting} days{variants} from {period.start} to {period.end} "
            f"({period.kind}, {period.source})")


def _named(items, attr: str) -> dict:
    return {getattr(item, attr): item for item in items}


def _compare(kind: str, old: dict, new: dict, describe, differences) -> list[str]:
    lines = [f"{kind} removed: {name}" for name in old if name not in new]
    lines += [f"{kind} added: {name} ({describe(new[name])})" for name in new if name not in old]
    for name in new:
        if name in old:
            parts = differences(old[name], new[name])
            if parts:
                lines.append(f"{kind} changed: {name}: " + "; ".join(parts))
    return lines


def changes_between(old: ProcedureDefinition, new: ProcedureDefinition) -> list[str]:
    """Every difference that matters to a running procurement, one sentence each (empty: none)."""
    lines = []
    if old.version != new.version:
        lines.append(f"version {old.version} → {new.version}")
    for field in ("title", "legal_basis", "enforcement", "min_shortlist", "initial"):
        if getattr(old, field) != getattr(new, field):
            lines.append(f"{field}: {getattr(old, field)!r} → {getattr(new, field)!r}")
    if set(old.regimes) != set(new.regimes):
        lines.append(f"regimes: {', '.join(old.regimes)} → {', '.join(new.regimes)}")
    lines += _compare(
        "stage", _named(old.stages, "name"), _named(new.stages, "name"), lambda s: s.title,
        lambda a, b: [f"{f} {getattr(a, f)!r} → {getattr(b, f)!r}" for f in ("title", "milestone", "final")
                      if getattr(a, f) != getattr(b, f)])
    lines += _compare(
        "transition", _named(old.transitions, "trigger"), _named(new.transitions, "trigger"),
        lambda t: f"“{t.label}”, from {', '.join(t.sources)} to {t.dest}", _transition_differences)
    lines += _compare(
        "milestone", _named(old.milestones, "key"), _named(new.milestones, "key"), lambda m: m.title,
        lambda a, b: [f"{f} {getattr(a, f)!r} → {getattr(b, f)!r}" for f in ("title", "ocds_type", "role")
                      if getattr(a, f) != getattr(b, f)])
    lines += _compare(
        "period", _named(old.periods, "name"), _named(new.periods, "name"), _period_text,
        lambda a, b: [] if _period_text(a) == _period_text(b) and a.enforcement == b.enforcement
        else [f"{_period_text(a)} → {_period_text(b)}"])
    old_order = [m.key for m in old.milestones if m.key in _named(new.milestones, "key")]
    new_order = [m.key for m in new.milestones if m.key in _named(old.milestones, "key")]
    if old_order != new_order:
        lines.append("milestones reordered: " + ", ".join(new_order))
    return lines
