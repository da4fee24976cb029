"""Known answers for milestone reminder planning (tender.domain.reminders).

Dates are worked by hand on a 2022 calendar: 4 April 2022 is a Monday, and
Good Friday / Easter Monday 2022 were 15 and 18 April. Working days are passed
in, so these tests do not depend on tender.domain.periods.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tender.domain.reminders import (
    Digest,
    MilestoneDue,
    exclude_sent,
    plan_reminders,
    working_days_between,
)
from tests.helpers import make_milestone


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


EASTER_2022 = {date(2022, 4, 15), date(2022, 4, 18)}


def with_easter_2022(day: date) -> bool:
    return day.weekday() < 5 and day not in EASTER_2022


def items_for(digests: list[Digest], email: str):
    for digest in digests:
        if digest.recipient_email == email:
            return digest.items
    return ()


# --- working days --------------------------------------------------------


def test_working_days_between_counts_after_start_up_to_and_including_end():
    # Tue 29 Mar -> Mon 4 Apr: Wed, Thu, Fri, Mon.
    assert working_days_between(date(2022, 3, 29), date(2022, 4, 4), weekdays_only) == 4
    assert working_days_between(date(2022, 4, 4), date(2022, 4, 4), weekdays_only) == 0
    assert working_days_between(date(2022, 4, 5), date(2022, 4, 4), weekdays_only) == 0
    # Thu 14 Apr -> Tue 19 Apr over Easter: only the Tuesday.
    assert working_days_between(date(2022, 4, 14), date(2022, 4, 19), with_easter_2022) == 1


def test_working_days_between_stops_early_when_asked():
    far = working_days_between(date(2022, 1, 1), date(2023, 1, 1), weekdays_only, stop_after=5)
    assert far == 6


# --- due soon ------------------------------------------------------------


def test_monday_milestone_is_due_soon_on_the_previous_tuesday():
    digests = plan_reminders([make_milestone()], date(2022, 3, 29), weekdays_only)
    [digest] = digests
    [item] = digest.items
    assert digest.recipient_email == "alice@kent.gov.uk"
    assert digest.recipient_name == "Alice Smith"
    assert item.kind == "due_soon"
    assert item.working_days == 4
    assert item.status_text == "Due in 4 working days"


def test_monday_milestone_is_not_due_soon_on_the_wednesday_before_last():
    # Wed 23 Mar -> Mon 4 Apr is 8 working days.
    assert plan_reminders([make_milestone()], date(2022, 3, 23), weekdays_only) == []


def test_notice_period_boundary_is_inclusive():
    # Mon 28 Mar: exactly 5 working days before; Fri 25 Mar: 6.
    [digest] = plan_reminders([make_milestone()], date(2022, 3, 28), weekdays_only)
    assert digest.items[0].working_days == 5
    assert plan_reminders([make_milestone()], date(2022, 3, 25), weekdays_only) == []


def test_owner_notice_period_is_respected():
    m = make_milestone(notice_working_days=10)
    [digest] = plan_reminders([m], date(2022, 3, 23), weekdays_only)
    assert digest.items[0].working_days == 8


def test_due_today():
    [digest] = plan_reminders([make_milestone()], date(2022, 4, 4), weekdays_only)
    [item] = digest.items
    assert (item.kind, item.working_days, item.status_text) == ("due_soon", 0, "Due today")


def test_due_on_a_saturday_seen_on_the_friday():
    m = make_milestone(planned_date=date(2022, 4, 2))
    [digest] = plan_reminders([m], date(2022, 4, 1), weekdays_only)
    assert digest.items[0].status_text == "Due before the next working day"


def test_bank_holidays_are_not_working_days():
    # Tue 19 Apr 2022 seen on Fri 8 Apr: 7 weekdays, but 5 working days over Easter.
    m = make_milestone(planned_date=date(2022, 4, 19))
    assert plan_reminders([m], date(2022, 4, 8), weekdays_only) == []
    [digest] = plan_reminders([m], date(2022, 4, 8), with_easter_2022)
    assert digest.items[0].working_days == 5


# --- overdue and escalation ----------------------------------------------


def test_overdue_goes_to_owner_with_working_days_overdue():
    [digest] = plan_reminders([make_milestone()], date(2022, 4, 5), weekdays_only)
    [item] = digest.items
    assert digest.recipient_email == "alice@kent.gov.uk"
    assert item.kind == "overdue"
    assert item.working_days == 1
    assert item.status_text == "Overdue by 1 working day"


def test_not_met_status_is_still_overdue():
    [digest] = plan_reminders([make_milestone(status="notMet")], date(2022, 4, 6), weekdays_only)
    assert [i.kind for i in digest.items] == ["overdue"]
    assert digest.items[0].status_text == "Overdue by 2 working days"


def test_overdue_over_a_weekend_only():
    # Planned Friday 1 Apr, seen on Sunday 3 Apr: past, but no working day since.
    m = make_milestone(planned_date=date(2022, 4, 1))
    [digest] = plan_reminders([m], date(2022, 4, 3), weekdays_only)
    assert digest.items[0].working_days == 0
    assert digest.items[0].status_text == "Overdue"


def test_escalation_after_three_working_days_goes_to_lead_officer():
    # Planned Mon 4 Apr. Wed 6 Apr: 2 working days overdue, no escalation.
    digests = plan_reminders([make_milestone()], date(2022, 4, 6), weekdays_only)
    assert [d.recipient_email for d in digests] == ["alice@kent.gov.uk"]
    # Thu 7 Apr: 3 working days overdue, escalated to the lead in their own digest.
    digests = plan_reminders([make_milestone()], date(2022, 4, 7), weekdays_only)
    assert [d.recipient_email for d in digests] == ["alice@kent.gov.uk", "lead@kent.gov.uk"]
    [owner_item] = items_for(digests, "alice@kent.gov.uk")
    [lead_item] = items_for(digests, "lead@kent.gov.uk")
    assert owner_item.kind == "overdue"
    assert lead_item.kind == "escalation"
    assert lead_item.working_days == 3
    lead_digest = digests[1]
    assert lead_digest.recipient_name == "Lee Lead"


def test_escalation_threshold_is_configurable_and_counts_bank_holidays():
    m = make_milestone(planned_date=date(2022, 4, 14))
    # Tue 19 Apr: 3 weekdays later (Fri, Mon, Tue) but 1 working day over Easter.
    assert len(plan_reminders([m], date(2022, 4, 19), weekdays_only)) == 2
    assert len(plan_reminders([m], date(2022, 4, 19), with_easter_2022)) == 1
    assert len(plan_reminders([m], date(2022, 4, 19), with_easter_2022, escalate_after_working_days=1)) == 2


def test_no_escalation_duplicate_when_owner_is_lead_officer():
    m = make_milestone(lead_officer_email="Alice@Kent.gov.uk", lead_officer_name="Alice Smith")
    [digest] = plan_reminders([m], date(2022, 4, 20), weekdays_only)
    assert [i.kind for i in digest.items] == ["overdue"]


def test_no_escalation_without_lead_officer():
    m = make_milestone(lead_officer_email=None, lead_officer_name=None)
    [digest] = plan_reminders([m], date(2022, 4, 20), weekdays_only)
    assert [i.kind for i in digest.items] == ["overdue"]


def test_met_milestones_are_ignored():
    for as_of in (date(2022, 3, 29), date(2022, 4, 4), date(2022, 4, 20)):
        assert plan_reminders([make_milestone(status="met")], as_of, weekdays_only) == []


# --- digests ---------------------------------------------------------------


def test_one_digest_per_recipient_grouped_by_procurement():
    ms = [
        make_milestone(milestone_id=1),
        make_milestone(milestone_id=2, planned_date=date(2022, 3, 30), milestone_title="Clarification deadline"),
        make_milestone(
            milestone_id=3,
            procurement_id=7,
            procurement_ref="KCC-21/00007",
            procurement_title="School meals",
            planned_date=date(2022, 3, 23),
            milestone_title="Publish contract notice",
        ),
        make_milestone(milestone_id=4, owner_email="bob@kent.gov.uk", owner_name="Bob"),
        # The lead officer also owns a milestone, and gets an escalation: one digest.
        make_milestone(
            milestone_id=5,
            owner_email="LEAD@kent.gov.uk",
            owner_name="Lee Lead",
            planned_date=date(2022, 3, 31),
        ),
    ]
    digests = plan_reminders(ms, date(2022, 3, 29), weekdays_only)
    assert [d.recipient_email for d in digests] == [
        "alice@kent.gov.uk",
        "bob@kent.gov.uk",
        "lead@kent.gov.uk",
    ]
    alice = digests[0]
    groups = alice.by_procurement()
    assert [g.procurement_ref for g in groups] == ["KCC-21/00007", "KCC-22/00033"]
    assert [i.milestone.milestone_id for i in groups[0].items] == [3]
    assert [i.milestone.milestone_id for i in groups[1].items] == [2, 1]
    assert [i.kind for i in alice.items] == ["overdue", "due_soon", "due_soon"]
    lead = digests[2]
    # Milestone 3 is 4 working days overdue (escalated); milestone 5 is the lead's own.
    assert sorted((i.kind, i.milestone.milestone_id) for i in lead.items) == [
        ("due_soon", 5),
        ("escalation", 3),
    ]


def test_keys_are_stable_unique_and_include_planned_date_and_recipient():
    ms = [make_milestone(milestone_id=i, planned_date=date(2022, 3, 20 + i)) for i in range(1, 12)]
    first = plan_reminders(ms, date(2022, 3, 29), weekdays_only)
    second = plan_reminders(ms, date(2022, 3, 29), weekdays_only)
    assert first == second
    keys = [k for d in first for k in d.keys]
    assert len(keys) == len(set(keys))
    assert "overdue:1:2022-03-21:alice@kent.gov.uk" in keys
    assert "escalation:1:2022-03-21:lead@kent.gov.uk" in keys
    assert "due_soon:11:2022-03-31:alice@kent.gov.uk" in keys


def test_overdue_key_is_the_same_on_later_days_so_it_is_sent_once():
    day1 = plan_reminders([make_milestone()], date(2022, 4, 5), weekdays_only)
    day2 = plan_reminders([make_milestone()], date(2022, 4, 6), weekdays_only)
    assert day1[0].keys == day2[0].keys == ("overdue:1:2022-04-04:alice@kent.gov.uk",)
    assert exclude_sent(day2, set(day1[0].keys)) == []


def test_replanned_milestone_gets_a_new_key():
    before = plan_reminders([make_milestone()], date(2022, 3, 29), weekdays_only)
    after = plan_reminders([make_milestone(planned_date=date(2022, 4, 5))], date(2022, 3, 29), weekdays_only)
    assert before[0].keys != after[0].keys


def test_exclude_sent_keeps_only_new_items_and_drops_empty_digests():
    ms = [make_milestone(), make_milestone(milestone_id=2, planned_date=date(2022, 3, 21))]
    digests = plan_reminders(ms, date(2022, 3, 29), weekdays_only)
    sent = {"due_soon:1:2022-04-04:alice@kent.gov.uk", "escalation:2:2022-03-21:lead@kent.gov.uk"}
    remaining = exclude_sent(digests, sent)
    assert [(d.recipient_email, d.keys) for d in remaining] == [
        ("alice@kent.gov.uk", ("overdue:2:2022-03-21:alice@kent.gov.uk",))
    ]


def test_duplicate_input_rows_give_one_item():
    [digest] = plan_reminders([make_milestone(), make_milestone()], date(2022, 3, 29), weekdays_only)
    assert len(digest.items) == 1


def test_bad_rows_are_rejected():
    with pytest.raises(ValueError, match="status"):
        make_milestone(status="done")
    with pytest.raises(ValueError, match="notice_working_days"):
        make_milestone(notice_working_days=-1)
    with pytest.raises(ValueError, match="escalate_after"):
        plan_reminders([], date(2022, 1, 1), weekdays_only, escalate_after_working_days=-1)


# --- properties ------------------------------------------------------------

PEOPLE = ["alice@kent.gov.uk", "bob@kent.gov.uk", "carol@kent.gov.uk", "Bob@Kent.gov.uk"]


@st.composite
def milestone_sets(draw):
    count = draw(st.integers(min_value=0, max_value=15))
    result = []
    for milestone_id in range(1, count + 1):
        procurement_id = draw(st.integers(min_value=1, max_value=3))
        owner = draw(st.sampled_from(PEOPLE))
        lead = draw(st.sampled_from(PEOPLE + [None]))
        result.append(
            MilestoneDue(
                milestone_id=milestone_id,
                procurement_id=procurement_id,
                procurement_ref=f"KCC-22/{procurement_id:05d}",
                procurement_title=f"Procurement {procurement_id}",
                milestone_title=draw(st.sampled_from(["Publish", "Evaluate", "Award"])),
                planned_date=date(2022, 4, 4) + timedelta(days=draw(st.integers(-30, 30))),
                owner_email=owner,
                owner_name=owner.split("@")[0].title(),
                lead_officer_email=lead,
                lead_officer_name=lead.split("@")[0].title() if lead else None,
                status=draw(st.sampled_from(["scheduled", "met", "notMet"])),
                notice_working_days=draw(st.integers(0, 10)),
            )
        )
    return result


@settings(max_examples=150, deadline=None)
@given(ms=milestone_sets(), data=st.data(), as_of_offset=st.integers(-10, 10))
def test_input_order_does_not_change_output(ms, data, as_of_offset):
    as_of = date(2022, 4, 4) + timedelta(days=as_of_offset)
    shuffled = data.draw(st.permutations(ms))
    assert plan_reminders(shuffled, as_of, with_easter_2022) == plan_reminders(ms, as_of, with_easter_2022)


@settings(max_examples=150, deadline=None)
@given(ms=milestone_sets(), as_of_offset=st.integers(-10, 10))
def test_plan_invariants(ms, as_of_offset):
    as_of = date(2022, 4, 4) + timedelta(days=as_of_offset)
    digests = plan_reminders(ms, as_of, weekdays_only)
    recipients = [d.recipient_email for d in digests]
    assert recipients == sorted(set(recipients)), "one digest per recipient, sorted"
    keys = [k for d in digests for k in d.keys]
    assert len(keys) == len(set(keys)), "keys unique"
    for digest in digests:
        assert digest.items
        for item in digest.items:
            m = item.milestone
            assert m.status != "met"
            assert item.key.endswith(":" + digest.recipient_email)
            if item.kind == "escalation":
                assert m.lead_officer_email and m.lead_officer_email.lower() == digest.recipient_email
                assert m.owner_email.lower() != digest.recipient_email
            else:
                assert m.owner_email.lower() == digest.recipient_email
            assert (item.kind == "due_soon") == (m.planned_date >= as_of)
    assert exclude_sent(digests, set(keys)) == []
    # Re-planning a milestone with a copy must not disturb anything else.
    assert plan_reminders([replace(m) for m in ms], as_of, weekdays_only) == digests
