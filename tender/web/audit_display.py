"""How an audit event's change reads on the audit trail page: one line per field, "before → after".

Events store ``before`` and ``after`` as canonical JSON objects. The page
shows each field once, with its old and new value in words a reviewer can
scan; nested values (a score sheet) are flattened to "scores.Q1.score".
"""
from __future__ import annotations

import json
from dataclasses import dataclass

ABSENT = "–"


@dataclass(frozen=True)
class FieldChange:
    """One field of an event: its name, the value before (or "–") and after (or "–")."""

    field: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _load(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"value": text}
    return value if isinstance(value, dict) else {"value": value}


def _flatten(value, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict) and value:
        out: dict[str, str] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: _text(value)}


def _text(value) -> str:
    if value is None or value == [] or value == {}:
        return ABSENT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def field_changes(before: str | None, after: str | None) -> list[FieldChange]:
    """Every field named in ``before`` or ``after``, in the order first seen."""
    old, new = _flatten(_load(before)), _flatten(_load(after))
    names = list(dict.fromkeys([*old, *new]))
    return [FieldChange(name, old.get(name, ABSENT), new.get(name, ABSENT)) for name in names if name]
