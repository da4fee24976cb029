"""The reminder rules written out plainly, as they were before the scan was made fast.

``tender.domain.reminders.plan_reminders`` and ``tender.services.reminders``
take short cuts (working days once per planned date, items built without
their constructor, rows without the ORM, a date bound in the query); the
tests compare them with this: every milestone through the ``MilestoneDue``
constructor, working days counted by walking the calendar day by day, one
``ReminderItem`` per reminder through its constructor and ``reminder_key``,
and every unmet milestone read (no horizon). Kept out of ``tender`` so that
nothing but the tests can use it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from tender.domain.reminders import Digest, MilestoneDue, ReminderItem, _normalise_email, reminder_key


def walked_working_days(start: date, end: date, is_working_day: Callable[[date], bool]) -> int:
    """Working days ``d`` with ``start < d <= end``, one day at a time."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += bool(is_working_day(day))
        day += timedelta(days=1)
    return count


def reference_plan(milestones: Iterable[MilestoneDue], as_of: date, is_working_day: Callable[[date], bool],
                   escalate_after_working_days: int = 3) -> list[Digest]:
    """The module docstring's rules, literally (see tender/domain/reminders.py)."""
    walk = (lambda start, end: walked_working_days(start, end, is_working_day))
    items: dict[str, dict[str, ReminderItem]] = {}
    names: dict[str, set[str]] = {}

    def add(kind, m, days, email, name):
        recipient = _normalise_email(email)
        key = reminder_key(kind, m, recipient)
        items.setdefault(recipient, {})[key] = ReminderItem(kind=kind, milestone=m, working_days=days, key=key,
                                                            as_of=as_of)
        known = names.setdefault(recipient, set())
        if name and name.strip():
            known.add(name.strip())

    for m in milestones:
        if m.is_met:
            continue
        if m.planned_date < as_of:
            overdue_by = walk(m.planned_date, as_of)
            add("overdue", m, overdue_by, m.owner_email, m.owner_name)
            if overdue_by >= escalate_after_working_days and m.has_distinct_lead:
                add("escalation", m, overdue_by, m.lead_officer_email, m.lead_officer_name)
        else:
            until = walk(as_of, m.planned_date)
            if until <= m.notice_working_days:
                add("due_soon", m, until, m.owner_email, m.owner_name)
    return [
        Digest(recipient_email=recipient, recipient_name=min(names[recipient]) if names[recipient] else recipient,
               items=tuple(sorted(items[recipient].values(), key=lambda i: i.sort_key)))
        for recipient in sorted(items)
    ]
