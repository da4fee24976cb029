"""How the audit trail page reads: events grouped by procurement and day, each change "field: before → after".

Events store ``before`` and ``after`` as canonical JSON objects with the
services' own keys ("planned_date", "has_conflict"). A legal reviewer reads
labels, not keys: each key is shown through :data:`FIELD_LABELS` where the
plain words differ from the key, else the key with its underscores as spaces.
Nested values (a score sheet) show their path, "Scores › Q1.1 › Score"
(question ids keep their dots). The stored JSON is never changed: exports
carry the keys as recorded.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field as dataclass_field
from datetime import date

from tender.domain.audit_actions import describe
from tender.domain.periods import format_uk_date
from tender.domain.roles import ROLE_LABELS, Role

ABSENT = "–"
PATH_SEPARATOR = " › "
_ROLES = {role.value: ROLE_LABELS[role] for role in Role}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Keys whose plain words are not just the key with spaces (the rest read well as they are: "planned_date").
FIELD_LABELS = {
    "has_conflict": "Conflict of interest",
    "is_lead": "Lead funder",
    "bid_id": "Bid number",
    "supplier_id": "Supplier number",
    "definition_sha256": "Procedure definition (SHA-256)",
    "price_commitment": "Price commitment (SHA-256)",
    "commitment": "Price commitment (SHA-256)",
    "digest": "Digest (SHA-256)",
    "cpv_code": "CPV code",
    "vat_percent": "VAT (%)",
    "annual_uplift_percent": "Annual uplift (%)",
    "ppon": "PPON",
    "vcse": "VCSE",
    "url": "Web address",
    "submission_url": "Submission address",
    "email": "E-mail address",
    "contact_email": "Contact e-mail address",
    "contact_telephone": "Contact telephone",
    "no_award_reason": "Reason for no award",
    "award_on_initial_reserved": "Right to award on initial tenders reserved",
    "initial_term_years": "Initial term (years)",
    "extension_years": "Extensions (years)",
    "total_years": "Total term (years)",
    "key": "Milestone",
    "ip": "IP address",
    "scores_frozen": "Scores frozen",
    "received_via": "Received by",
    "new_supplier": "New supplier",
    "withdrawn_from_lot": "Withdrawn from the lot",
    "fts_numbers": "Find a Tender notice numbers",
    "ocds_id": "OCDS identifier",
}


def label(key: str) -> str:
    """The plain label of one key: "planned_date" → "Planned date", "has_conflict" → "Conflict of interest".

    Keys that are data rather than names (a question id "Q1.1", a supplier's name) are shown as they are.
    """
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    if not key.islower() or not key.replace("_", "").isalpha():
        return key
    words = key.replace("_", " ")
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class FieldChange:
    """One field of an event: its label, the value before (or "–") and after (or "–")."""

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


def _flatten(value, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    if isinstance(value, dict) and value:
        out: dict[tuple[str, ...], str] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, (*path, str(key))))
        return out
    return {path: _text(value, path[-1] if path else "")}


def _text(value, key: str = "") -> str:
    if value is None or value == [] or value == {}:
        return ABSENT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        parts = [_text(v, key) for v in value]
        return ("; " if any(isinstance(v, dict) for v in value) else ", ").join(parts)
    if isinstance(value, dict):  # inside a list: "Lot: 1, Supplier: Porchlight"
        return ", ".join(f"{label(str(k))}: {_text(v, str(k))}" for k, v in value.items())
    if key.endswith("role") and value in _ROLES:
        return _ROLES[value]
    return str(value)


def field_changes(before: str | None, after: str | None) -> list[FieldChange]:
    """Every field named in ``before`` or ``after``, in the order first seen, under its plain label."""
    old, new = _flatten(_load(before)), _flatten(_load(after))
    paths = list(dict.fromkeys([*old, *new]))
    return [FieldChange(PATH_SEPARATOR.join(label(part) for part in path), old.get(path, ABSENT),
                        new.get(path, ABSENT)) for path in paths if path]


def long_day(day: date) -> str:
    """ "Monday 7 December 2026": a day heading of the trail."""
    return f"{_WEEKDAYS[day.weekday()]} {format_uk_date(day)}"


@dataclass(frozen=True)
class Entry:
    """One event as the page shows it."""

    seq: int
    time: str
    actor: str
    role: str
    action: str
    description: str
    subject: str
    reason: str
    changes: list[FieldChange]


@dataclass
class Day:
    """The events of one day (UTC) within one procurement's group."""

    day: date
    entries: list[Entry] = dataclass_field(default_factory=list)

    @property
    def heading(self) -> str:
        return long_day(self.day)


@dataclass
class Group:
    """The events of one procurement on this page (reference None: accounts, sign-ins, the system)."""

    reference: str | None
    title: str | None
    days: list[Day] = dataclass_field(default_factory=list)

    @property
    def heading(self) -> str:
        if self.reference is None:
            return "Not about a procurement (accounts, sign-in, the system)"
        return f"{self.reference}: {self.title}" if self.title else self.reference


def entry(event) -> Entry:
    """An AuditEvent as the page reads it."""
    subject = " ".join(part for part in (label(event.object_type or ""), event.object_id or "") if part)
    if event.lot:
        subject += f", lot {event.lot}"
    return Entry(seq=event.seq, time=event.occurred_at[11:19], actor=event.actor,
                 role=_ROLES.get(event.actor_role or "", event.actor_role or ""), action=event.action,
                 description=describe(event.action), subject=subject, reason=event.reason or "",
                 changes=field_changes(event.before, event.after))


def grouped(events, titles: dict[str, str]) -> list[Group]:
    """Consecutive events (already ordered by procurement, then sequence) grouped by procurement, then day."""
    groups: list[Group] = []
    for event in events:
        if not groups or groups[-1].reference != event.procurement_ref:
            groups.append(Group(event.procurement_ref, titles.get(event.procurement_ref or "")))
        day = date.fromisoformat(event.occurred_at[:10])
        days = groups[-1].days
        if not days or days[-1].day != day:
            days.append(Day(day))
        days[-1].entries.append(entry(event))
    return groups
