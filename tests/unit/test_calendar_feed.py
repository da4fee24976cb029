"""The .ics milestone feed (tender.domain.calendar_feed), read back with icalendar."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from tender.domain.calendar_feed import build_calendar, milestone_uid
from tests.helpers import make_milestone

BASE = "https://tender.kent.gov.uk"
NOW = datetime(2022, 3, 29, 8, 30, tzinfo=timezone.utc)


MILESTONES = [
    make_milestone(),
    make_milestone(milestone_id=2, milestone_title="Publish notice", planned_date=date(2022, 3, 1), status="met"),
    make_milestone(milestone_id=3, milestone_title="Clarification deadline", planned_date=date(2022, 3, 25)),
]


def events(ics: bytes):
    cal = Calendar.from_ical(ics)
    return cal, {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_parses_with_one_all_day_event_per_milestone():
    cal, by_uid = events(build_calendar("Alice Smith", MILESTONES, BASE, NOW))
    assert str(cal["X-WR-CALNAME"]) == "Procurement milestones: Alice Smith"
    assert str(cal["VERSION"]) == "2.0"
    assert set(by_uid) == {
        "milestone-1@tender.kent.gov.uk",
        "milestone-2@tender.kent.gov.uk",
        "milestone-3@tender.kent.gov.uk",
    }
    event = by_uid["milestone-1@tender.kent.gov.uk"]
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND")
    assert start == date(2022, 4, 4) and not isinstance(start, datetime)
    assert end == date(2022, 4, 5) and not isinstance(end, datetime)
    assert str(event["SUMMARY"]) == "KCC-22/00033: Invite tender responses"
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["TRANSP"]) == "TRANSPARENT"
    description = str(event["DESCRIPTION"])
    assert "Status: Scheduled" in description
    assert f"{BASE}/procurements/33" in description
    assert str(event["URL"]) == f"{BASE}/procurements/33"
    assert event.walk("VALARM"), "unmet milestones carry a reminder"


def test_status_in_description():
    _, by_uid = events(build_calendar("Alice Smith", MILESTONES, BASE, NOW))
    met = by_uid["milestone-2@tender.kent.gov.uk"]
    assert "Status: Met" in str(met["DESCRIPTION"])
    assert not met.walk("VALARM")
    overdue = by_uid["milestone-3@tender.kent.gov.uk"]
    assert "Status: Overdue (scheduled)" in str(overdue["DESCRIPTION"])


def test_uids_are_stable_across_builds_and_replanning():
    first = build_calendar("Alice Smith", MILESTONES, BASE, NOW)
    replanned = [replace(m, planned_date=m.planned_date + timedelta(days=7)) for m in MILESTONES]
    later = build_calendar("Alice Smith", reversed(replanned), BASE + "/", NOW + timedelta(days=1))
    _, a = events(first)
    _, b = events(later)
    assert set(a) == set(b)
    assert b["milestone-1@tender.kent.gov.uk"].decoded("DTSTART") == date(2022, 4, 11)
    assert milestone_uid(1, BASE) == "milestone-1@tender.kent.gov.uk"


def test_output_is_deterministic_whatever_the_input_order():
    assert build_calendar("A", MILESTONES, BASE, NOW) == build_calendar("A", MILESTONES[::-1], BASE, NOW)


def test_empty_feed_is_valid():
    cal, by_uid = events(build_calendar("Nobody", [], BASE, NOW))
    assert by_uid == {}
    assert str(cal["X-WR-CALNAME"]) == "Procurement milestones: Nobody"


def test_dtstamp_is_utc():
    bst = timezone(timedelta(hours=1))
    _, by_uid = events(build_calendar("A", MILESTONES[:1], BASE, datetime(2022, 4, 1, 9, 30, tzinfo=bst)))
    stamp = by_uid["milestone-1@tender.kent.gov.uk"].decoded("DTSTAMP")
    assert stamp == datetime(2022, 4, 1, 8, 30, tzinfo=timezone.utc)
    assert stamp.utcoffset() == timedelta(0)


def test_naive_now_and_duplicate_milestones_are_rejected():
    with pytest.raises(ValueError, match="time-zone aware"):
        build_calendar("A", MILESTONES, BASE, datetime(2022, 3, 29))
    with pytest.raises(ValueError, match="twice"):
        build_calendar("A", [MILESTONES[0], MILESTONES[0]], BASE, NOW)
