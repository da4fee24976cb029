"""Decide which milestone reminders are due, and for whom.

A procurement runs for a year or more and its milestones belong to many people.
Rather than one e-mail per milestone (which people learn to ignore), each
person gets ONE digest per run listing everything of theirs that needs
attention, grouped by procurement.

This module is pure: it takes plain :class:`MilestoneDue` records and a date,
and returns :class:`Digest` objects. It never reads the database, the clock or
the bank-holiday calendar, so that the rules can be tested with hand-worked
answers. Working days are counted with an ``is_working_day`` callable supplied
by the caller (normally the UK bank-holiday aware one from
``tender.domain.periods``).

Rules
-----
* Met milestones (``status == "met"``) never produce reminders.
* **due_soon** -- the milestone is not yet overdue and the number of working
  days until its planned date is at most the owner's notice period
  (``notice_working_days``, default 5). Sent to the owner.
* **overdue** -- the planned date is before ``as_of`` and the milestone is not
  met. Sent to the owner.
* **escalation** -- overdue by at least ``escalate_after_working_days``
  (default 3) working days. Sent to the procurement's lead officer, in the lead
  officer's own digest. Not sent when the lead officer *is* the owner (they
  already have the overdue item) or when there is no lead officer.

Counting working days
---------------------
"N working days until the planned date" is the number of working days ``d``
with ``as_of < d <= planned_date``: a milestone planned for Monday is 4 working
days away on the Tuesday before (Wed, Thu, Fri, Mon). "Overdue by N working
days" is the number of working days ``d`` with ``planned_date < d <= as_of``:
a milestone planned for Monday is overdue by 1 working day on Tuesday.

Exactly-once delivery
---------------------
Every :class:`ReminderItem` carries a ``key`` that the caller records in a
sent-reminders table with a unique constraint; items whose key is already
recorded are dropped with :func:`exclude_sent` before sending. The key is::

    f"{kind}:{milestone_id}:{planned_date.isoformat()}:{recipient_email}"

Decision: each kind of reminder is sent **once per planned date**. The planned
date is in the key so that a milestone that is re-planned is reminded about
again for its new date, but re-running the job (even daily, for weeks) never
repeats a reminder for the same date. In particular an overdue milestone is
reported to its owner once, and escalated to the lead officer once; a periodic
(e.g. weekly) re-send of overdue items is deliberately out of scope. The
recipient is in the key so that a milestone handed to a new owner is reminded
to the new owner.
"""
from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "STATUSES",
    "MilestoneDue",
    "ReminderItem",
    "ProcurementGroup",
    "Digest",
    "plan_reminders",
    "plan_reminders_from_rows",
    "MILESTONE_FIELDS",
    "milestones_from_rows",
    "exclude_sent",
    "working_days_between",
    "reminder_key",
]

#: Milestone statuses as stored by the workflow (camelCase as in the data model).
STATUSES = ("scheduled", "met", "notMet")

ReminderKind = Literal["due_soon", "overdue", "escalation"]

# Order of kinds within one procurement when milestones share a planned date:
# the most pressing first.
_KIND_ORDER = {"escalation": 0, "overdue": 1, "due_soon": 2}


@lru_cache(maxsize=8192)
def _normalise_email(address: str) -> str:
    """Lower-case and strip an address so that one person gets one digest.

    Mail systems treat addresses case-insensitively in practice, while user
    records are typed by people ("Jo.Bloggs@kent.gov.uk" on one procurement,
    "jo.bloggs@kent.gov.uk" on another).
    """
    return address.strip().lower()


@dataclass(frozen=True)
class MilestoneDue:
    """One milestone, flattened with what a reminder needs to say about it.

    The storage layer builds these from its rows, so this module never needs
    to know about the ORM. ``notice_working_days`` is the owner's own notice
    period (people who need longer warning can ask for it).
    """

    milestone_id: int
    procurement_id: int
    procurement_ref: str
    procurement_title: str
    milestone_title: str
    planned_date: date
    owner_email: str
    owner_name: str
    lead_officer_email: str | None
    lead_officer_name: str | None
    status: str
    notice_working_days: int = 5

    def __post_init__(self) -> None:
        # Fail loudly on bad rows: a silently skipped milestone is a missed
        # statutory deadline.
        if self.status not in STATUSES:
            raise ValueError(
                f"milestone {self.milestone_id}: status {self.status!r} is not one of "
                f"{', '.join(STATUSES)}"
            )
        if self.notice_working_days < 0:
            raise ValueError(
                f"milestone {self.milestone_id}: notice_working_days must not be negative"
            )
        if not self.owner_email or "@" not in self.owner_email:
            raise ValueError(
                f"milestone {self.milestone_id}: owner e-mail {self.owner_email!r} is not an address"
            )

    @property
    def is_met(self) -> bool:
        return self.status == "met"

    @property
    def has_distinct_lead(self) -> bool:
        """True when there is a lead officer who is not also the owner."""
        return bool(self.lead_officer_email) and _normalise_email(
            self.lead_officer_email or ""
        ) != _normalise_email(self.owner_email)


#: The fields of :class:`MilestoneDue` in order: the column order of the rows
#: :func:`milestones_from_rows` takes.
MILESTONE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MilestoneDue))
_STATUS_SET = frozenset(STATUSES)
_new = object.__new__


def _record(row: Sequence) -> MilestoneDue:
    """A ``MilestoneDue`` from a row ``_check_row`` passed, without the frozen dataclass's constructor.

    The constructor (``object.__setattr__`` per field, then the checks again)
    was most of a scan's cost; the fields go in as they are.
    """
    m = _new(MilestoneDue)
    m.__dict__.update(zip(MILESTONE_FIELDS, row))
    return m


def _check_row(row: Sequence, good_addresses: set[str]) -> None:
    """``MilestoneDue``'s three checks on a row in ``MILESTONE_FIELDS`` order, without building it.

    A row that fails one goes through the constructor, which raises exactly
    the error it always raised (naming the milestone); an owner address is
    checked once, however many rows share it (``good_addresses``).
    """
    status, notice, owner_email = row[10], row[11], row[6]
    if (status not in _STATUS_SET or notice < 0
            or (owner_email not in good_addresses and not (owner_email and "@" in owner_email))):
        MilestoneDue(*row)  # raises ValueError naming the milestone
    good_addresses.add(owner_email)


def milestones_from_rows(rows: Iterable[tuple]) -> list[MilestoneDue]:
    """:class:`MilestoneDue` records from plain rows in :data:`MILESTONE_FIELDS` order, checked like the constructor.

    A reminder scan turns thousands of rows into records, and the dataclass
    constructor (a ``__setattr__`` call per field, then ``__post_init__``)
    was most of its cost. Here each row gets the same three checks
    (``_check_row``: an owner address is checked once, however many rows
    share it) and its fields are stored directly; a row that fails a check
    goes through the constructor, which raises exactly the error it always
    raised.
    """
    good_addresses: set[str] = set()
    result = []
    for row in rows:
        _check_row(row, good_addresses)
        result.append(_record(row))
    return result


def reminder_key(kind: str, milestone: MilestoneDue, recipient_email: str) -> str:
    """The dedupe key stored in the sent-reminders table (see module docstring)."""
    return (
        f"{kind}:{milestone.milestone_id}:{milestone.planned_date.isoformat()}:"
        f"{_normalise_email(recipient_email)}"
    )


@dataclass(frozen=True)
class ReminderItem:
    """One line in a digest.

    ``working_days`` is "working days until the planned date" for ``due_soon``
    and "working days overdue" for ``overdue`` and ``escalation``. ``as_of`` is
    the date the plan was made for; it lets the wording tell "due today" apart
    from "due before the next working day" (a planned date on a weekend).
    """

    kind: ReminderKind
    milestone: MilestoneDue
    working_days: int
    key: str
    as_of: date | None = None

    @property
    def status_text(self) -> str:
        """Plain-English status, e.g. "Due in 3 working days", "Overdue by 2 working days"."""
        n = self.working_days
        if self.kind == "due_soon":
            if n == 0:
                if self.as_of is None or self.as_of == self.milestone.planned_date:
                    return "Due today"
                return "Due before the next working day"
            return f"Due in {n} working {'day' if n == 1 else 'days'}"
        if n == 0:
            # Planned date passed, but only non-working days since then.
            return "Overdue"
        return f"Overdue by {n} working {'day' if n == 1 else 'days'}"

    @property
    def sort_key(self) -> tuple:
        m = self.milestone
        return (
            m.procurement_ref,
            m.procurement_id,
            m.planned_date,
            _KIND_ORDER[self.kind],
            m.milestone_title,
            m.milestone_id,
            self.key,
        )


@dataclass(frozen=True)
class ProcurementGroup:
    """The items of one digest that belong to one procurement."""

    procurement_id: int
    procurement_ref: str
    procurement_title: str
    items: tuple[ReminderItem, ...]


@dataclass(frozen=True)
class Digest:
    """Everything one person is to be told in one e-mail.

    ``items`` are sorted (by procurement reference, then planned date), so
    equal inputs always give equal digests and e-mails.
    """

    recipient_email: str
    recipient_name: str
    items: tuple[ReminderItem, ...] = field(default=())

    def by_procurement(self) -> tuple[ProcurementGroup, ...]:
        """Group items by procurement, keeping the sorted order.

        The e-mail has one heading per procurement because people think about
        their work procurement by procurement.
        """
        groups: dict[int, list[ReminderItem]] = {}
        for item in sorted(self.items, key=lambda i: i.sort_key):
            groups.setdefault(item.milestone.procurement_id, []).append(item)
        return tuple(
            ProcurementGroup(
                procurement_id=pid,
                procurement_ref=items[0].milestone.procurement_ref,
                procurement_title=items[0].milestone.procurement_title,
                items=tuple(items),
            )
            for pid, items in groups.items()
        )

    def count(self, kind: str) -> int:
        return sum(1 for item in self.items if item.kind == kind)

    @property
    def keys(self) -> tuple[str, ...]:
        """The dedupe keys to record once this digest has been sent."""
        return tuple(item.key for item in self.items)


def working_days_between(
    start: date,
    end: date,
    is_working_day: Callable[[date], bool],
    *,
    stop_after: int | None = None,
) -> int:
    """Count working days ``d`` with ``start < d <= end`` (0 if ``end <= start``).

    ``stop_after`` stops counting once the count exceeds it: for a milestone a
    year away we only need to know that it is "more than 5", not the exact
    number, and each ``is_working_day`` call may consult a holiday table.
    When ``is_working_day`` also has a ``count(start, end)`` method (as
    ``tender.domain.calendars.WorkingDays`` has), that arithmetic is used
    instead of walking the days one by one.
    """
    fast_count = getattr(is_working_day, "count", None)
    if fast_count is not None:
        count = fast_count(start, end)
        return count if stop_after is None else min(count, stop_after + 1)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day):
            count += 1
            if stop_after is not None and count > stop_after:
                return count
        day += timedelta(days=1)
    return count


def plan_reminders(
    milestones: Iterable[MilestoneDue],
    as_of: date,
    is_working_day: Callable[[date], bool],
    escalate_after_working_days: int = 3,
) -> list[Digest]:
    """Work out every reminder due on ``as_of``, as one digest per recipient.

    Pure and deterministic: the result depends only on the *set* of
    milestones, not their order, and is sorted by recipient e-mail address.
    The result includes reminders that may already have been sent on an
    earlier run; pass it through :func:`exclude_sent` with the recorded keys.
    The work is :func:`plan_reminders_from_rows`'s (items hold equal copies
    of the milestones given).
    """
    return plan_reminders_from_rows(
        ((m.milestone_id, m.procurement_id, m.procurement_ref, m.procurement_title, m.milestone_title,
          m.planned_date, m.owner_email, m.owner_name, m.lead_officer_email, m.lead_officer_name, m.status,
          m.notice_working_days) for m in milestones),
        as_of, is_working_day, escalate_after_working_days)


def plan_reminders_from_rows(
    rows: Iterable[tuple],
    as_of: date,
    is_working_day: Callable[[date], bool],
    escalate_after_working_days: int = 3,
) -> list[Digest]:
    """:func:`plan_reminders` for plain rows in :data:`MILESTONE_FIELDS` order, as a scan reads them.

    Every row is checked as :class:`MilestoneDue` checks it (a bad row raises
    the constructor's error), but a record is built only for a row that
    produces a reminder. A scan plans thousands of rows that share a few
    hundred planned dates and a few hundred people, so the working days (and
    the date's text in the key) are worked out once per distinct planned
    date (and notice period), an address is normalised once per spelling,
    and records and items are built without their constructors (which set
    each field through ``object.__setattr__``: about three times the cost).
    ``tests/unit/test_reminders_reference.py`` checks the result equals the
    rules in the module docstring written out plainly.
    """
    if escalate_after_working_days < 0:
        raise ValueError("escalate_after_working_days must not be negative")

    # recipient -> dedupe key -> ReminderItem.sort_key with the item in place
    # of its last element (the key). Keyed by dedupe key so that a milestone
    # listed twice still yields one line. Within one recipient (kind,
    # milestone, planned date) is unique, so the key never decides the order
    # and items are never compared.
    items_by_recipient: dict[str, dict[str, tuple]] = {}
    names_by_recipient: dict[str, set[str | None]] = {}  # names as written; stripped at the end
    by_address: dict[str, tuple[str, dict, set]] = {}  # address as written -> (recipient, items, names)
    overdue_by_date: dict[date, tuple[int, str]] = {}  # planned date -> (working days overdue, ISO date)
    until_by_date: dict[tuple[date, int], tuple[int, str]] = {}  # (planned date, notice) -> (working days, ISO)
    good_addresses: set[str] = set()
    escalation_order, overdue_order, due_soon_order = (
        _KIND_ORDER["escalation"], _KIND_ORDER["overdue"], _KIND_ORDER["due_soon"])

    def recipient_of(address: str) -> tuple[str, dict, set]:
        recipient = _normalise_email(address)
        entry = by_address[address] = (recipient, items_by_recipient.setdefault(recipient, {}),
                                       names_by_recipient.setdefault(recipient, set()))
        return entry

    for row in rows:
        _check_row(row, good_addresses)
        (milestone_id, procurement_id, procurement_ref, procurement_title, milestone_title, planned,
         owner_email, owner_name, lead_email, lead_name, status, notice) = row
        if status == "met":
            continue
        if planned < as_of:
            known = overdue_by_date.get(planned)
            if known is None:
                known = overdue_by_date[planned] = (
                    working_days_between(planned, as_of, is_working_day), planned.isoformat())
            kind, order = "overdue", overdue_order
        else:
            known = until_by_date.get((planned, notice))
            if known is None:
                known = until_by_date[(planned, notice)] = (
                    working_days_between(as_of, planned, is_working_day, stop_after=notice), planned.isoformat())
            if known[0] > notice:
                continue
            kind, order = "due_soon", due_soon_order
        days, iso = known

        m = _record(row)

        recipient, items, names = by_address.get(owner_email) or recipient_of(owner_email)
        key = f"{kind}:{milestone_id}:{iso}:{recipient}"
        item = _new(ReminderItem)
        values = item.__dict__
        values["kind"] = kind
        values["milestone"] = m
        values["working_days"] = days
        values["key"] = key
        values["as_of"] = as_of
        items[key] = (procurement_ref, procurement_id, planned, order, milestone_title, milestone_id, item)
        names.add(owner_name)

        if order == overdue_order and lead_email and days >= escalate_after_working_days:
            lead_recipient, lead_items, lead_names = by_address.get(lead_email) or recipient_of(lead_email)
            if lead_recipient != recipient:  # MilestoneDue.has_distinct_lead
                key = f"escalation:{milestone_id}:{iso}:{lead_recipient}"
                item = _new(ReminderItem)
                values = item.__dict__
                values["kind"] = "escalation"
                values["milestone"] = m
                values["working_days"] = days
                values["key"] = key
                values["as_of"] = as_of
                lead_items[key] = (procurement_ref, procurement_id, planned, escalation_order, milestone_title,
                                   milestone_id, item)
                lead_names.add(lead_name)

    digests = []
    for recipient in sorted(items_by_recipient):
        items = items_by_recipient[recipient]
        if not items:  # an address seen only on milestones with nothing to say to it
            continue
        names = {name.strip() for name in names_by_recipient[recipient] if name and name.strip()}
        # Several spellings of one person's name: pick one independent of input
        # order so that output is deterministic.
        name = min(names) if names else recipient
        ordered = tuple(entry[-1] for entry in sorted(items.values()))
        digests.append(Digest(recipient_email=recipient, recipient_name=name, items=ordered))
    return digests


def exclude_sent(digests: Iterable[Digest], already_sent: Container[str]) -> list[Digest]:
    """Drop items whose key is in ``already_sent``, and digests left empty.

    This is how a second run on the same day (or the next day) sends nothing
    new: the storage layer passes the keys of its sent-reminders table.
    """
    result = []
    for digest in digests:
        remaining = tuple(item for item in digest.items if item.key not in already_sent)
        if remaining:
            result.append(replace(digest, items=remaining))
    return result
