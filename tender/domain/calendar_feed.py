"""An iCalendar (.ics) feed of one person's milestones.

People live in Outlook, not in Tender. Subscribing to this feed puts their
milestones in their own calendar, and because the feed is re-fetched
periodically, re-planned milestones move there too.

Choices, and why:

* **All-day events** (``DTSTART;VALUE=DATE`` with an exclusive ``DTEND`` the
  next day): a milestone is due on a date, not at a time, and date values have
  no time zone to get wrong across BST changes.
* **Stable UIDs** ``milestone-{milestone_id}@{host of base_url}``: the UID
  depends only on the milestone, not its date or title, so a client replaces
  the event when the milestone is re-planned or renamed instead of showing a
  duplicate. The host makes UIDs unique between two Tender installations
  that one person subscribes to.
* **Transparent** (``TRANSP:TRANSPARENT`` and Outlook's
  ``X-MICROSOFT-CDO-BUSYSTATUS:FREE``): a milestone must not mark the whole
  day as busy in the person's free/busy diary.
* **DTSTAMP** is the ``now`` passed in (the feed's creation time, in UTC), so
  that the output is a pure function of the arguments and testable.
* A **VALARM** (display reminder at 09:00 the calendar day before) is added
  to milestones not yet met; clients that ignore alarms in subscribed
  calendars lose nothing.
* The description says "Overdue" for a milestone whose planned date is
  before ``now``'s date and that is not met, because a calendar entry in the
  past reading "Scheduled" looks as if nothing is wrong.

* **Standstill ends** appear as all-day events on the last day of
  standstill (UID ``standstill-{procurement_id}@host``), saying that it ends
  at 23:59:59 UK time and from which day the contract may be entered into:
  the person who owns a milestone of that procurement must not sign early.

Pure: imports ``icalendar`` but not Flask or SQLAlchemy.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from icalendar import Alarm, Calendar, Event

from tender.domain.periods import format_uk_date
from tender.domain.reminders import MilestoneDue

__all__ = ["build_calendar", "milestone_uid", "STATUS_TEXT", "StandstillEnd"]

PRODID = "-//Tender//Procurement milestones//EN"

#: How each stored status reads in the event description.
STATUS_TEXT = {"scheduled": "Scheduled", "met": "Met", "notMet": "Not met"}


@dataclass(frozen=True)
class StandstillEnd:
    """The end of one procurement's standstill period, for the feed."""

    procurement_id: int
    procurement_ref: str
    procurement_title: str
    last_day: date
    contract_from: date
    rule: str


def _uid_host(base_url: str) -> str:
    host = urlsplit(base_url).hostname
    return host or "tender"


def milestone_uid(milestone_id: int, base_url: str) -> str:
    """The event UID for a milestone: stable for the life of the milestone."""
    return f"milestone-{milestone_id}@{_uid_host(base_url)}"


def build_calendar(
    owner_name: str,
    milestones: Iterable[MilestoneDue],
    base_url: str,
    now: datetime,
    standstill_ends: Iterable[StandstillEnd] = (),
) -> bytes:
    """Return the .ics feed for ``owner_name``'s ``milestones``.

    ``milestones`` should be the person's own milestones, in any order; events
    are written sorted by planned date then id so the same input always gives
    the same bytes. ``now`` must be time-zone aware: DTSTAMP is UTC, and a
    naive time would be an hour out during British Summer Time.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a time-zone aware datetime (for example, in UTC)")
    stamp = now.astimezone(timezone.utc).replace(microsecond=0)
    base = base_url.rstrip("/")
    today = now.date()  # in the caller's time zone: pass UK time for UK dates

    ordered = sorted(milestones, key=lambda m: (m.planned_date, m.milestone_id))
    seen: set[int] = set()
    for m in ordered:
        if m.milestone_id in seen:
            # Two events with one UID would make clients drop one at random.
            raise ValueError(f"milestone {m.milestone_id} appears twice in the calendar feed")
        seen.add(m.milestone_id)

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Procurement milestones: {owner_name}")
    cal.add("x-wr-caldesc", f"Milestones owned by {owner_name} in Tender")
    # Ask clients to refresh hourly; Outlook otherwise picks its own interval.
    cal.add("x-published-ttl", "PT1H")

    for m in ordered:
        link = f"{base}/procurements/{m.procurement_id}"
        status = STATUS_TEXT.get(m.status, m.status)
        if m.status != "met" and m.planned_date < today:
            status = f"Overdue ({status.lower()})"
        event = Event()
        event.add("uid", milestone_uid(m.milestone_id, base_url))
        event.add("dtstamp", stamp)
        event.add("dtstart", m.planned_date)
        event.add("dtend", m.planned_date + timedelta(days=1))
        event.add("summary", f"{m.procurement_ref}: {m.milestone_title}")
        event.add(
            "description",
            "\n".join(
                [
                    f"Status: {status}",
                    f"Procurement: {m.procurement_ref} {m.procurement_title}",
                    f"Owner: {m.owner_name}",
                    f"Open in Tender: {link}",
                ]
            ),
        )
        event.add("url", link)
        event.add("transp", "TRANSPARENT")
        event.add("x-microsoft-cdo-busystatus", "FREE")
        event.add("x-microsoft-cdo-alldayevent", "TRUE")
        event.add("categories", ["Procurement milestone"])
        if m.status != "met":
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{m.procurement_ref}: {m.milestone_title} is due tomorrow")
            alarm.add("trigger", timedelta(hours=-15))
            event.add_component(alarm)
        cal.add_component(event)

    for end in sorted(standstill_ends, key=lambda e: (e.last_day, e.procurement_id)):
        cal.add_component(_standstill_event(end, base, base_url, stamp))
    return cal.to_ical()


def _standstill_event(end: StandstillEnd, base: str, base_url: str, stamp: datetime) -> Event:
    link = f"{base}/procurements/{end.procurement_id}"
    event = Event()
    event.add("uid", f"standstill-{end.procurement_id}@{_uid_host(base_url)}")
    event.add("dtstamp", stamp)
    event.add("dtstart", end.last_day)
    event.add("dtend", end.last_day + timedelta(days=1))
    event.add("summary", f"{end.procurement_ref}: standstill ends at 23:59:59")
    event.add("description", "\n".join([
        f"Standstill ends at midnight at the end of {format_uk_date(end.last_day)} (23:59:59 UK time, {end.rule}).",
        f"The contract can be entered into from {format_uk_date(end.contract_from)}, unless a legal challenge "
        "suspends it.",
        f"Procurement: {end.procurement_ref} {end.procurement_title}",
        f"Open in Tender: {link}",
    ]))
    event.add("url", link)
    event.add("transp", "TRANSPARENT")
    event.add("x-microsoft-cdo-busystatus", "FREE")
    event.add("x-microsoft-cdo-alldayevent", "TRUE")
    event.add("categories", ["Standstill"])
    return event
