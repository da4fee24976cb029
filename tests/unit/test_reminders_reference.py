"""The fast reminder planning gives exactly what the plain rules give (tests/reminders_reference.py).

Generated milestones mix what makes the rules branch: weekends and bank
holidays (the real England and Wales calendar, Easter and the 2022 jubilee
and state funeral among them), met milestones, the same milestone listed
twice, one person's address in several spellings and with stray spaces,
lead officers who are the owner under another spelling, no lead officer,
blank and differently spelt names, notice periods from 0 to 12 working days
and escalation after 0 to 5. The comparison is of whole digests: items,
their order, working days, keys and names.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tender.domain.calendars import WorkingDays
from tender.domain.reminders import (
    MILESTONE_FIELDS,
    MilestoneDue,
    milestones_from_rows,
    plan_reminders,
    plan_reminders_from_rows,
)
from tests.reminders_reference import reference_plan

ENGLAND = WorkingDays("england-and-wales")
START = date(2022, 3, 1)  # Easter (15, 18 April), May bank holidays, the jubilee (2, 3 June), 19 September 2022

ADDRESSES = ["alice@kent.gov.uk", "Alice@Kent.gov.uk ", "bob@kent.gov.uk", " BOB@kent.gov.uk", "carol@kent.gov.uk",
             "dan@medway.gov.uk"]
NAMES = ["Alice Smith", "alice smith", "Bob Jones", "", "  ", None, " Carol  "]


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


@st.composite
def milestone_rows(draw, max_size=40):
    """Plain rows in MILESTONE_FIELDS order, some repeated (a milestone listed twice)."""
    rows = []
    for milestone_id in range(1, draw(st.integers(0, max_size)) + 1):
        procurement_id = draw(st.integers(1, 4))
        lead = draw(st.sampled_from([*ADDRESSES, None]))
        rows.append((
            milestone_id, procurement_id, draw(st.sampled_from(["KCC-22/00001", "KCC-22/00002", "AAA", "kcc"])),
            f"Procurement {procurement_id}", draw(st.sampled_from(["Publish", "Evaluate", "Award", "award", ""])),
            START + timedelta(days=draw(st.integers(0, 240))), draw(st.sampled_from(ADDRESSES)),
            draw(st.sampled_from(NAMES)), lead, draw(st.sampled_from(NAMES)) if lead else None,
            draw(st.sampled_from(["scheduled", "met", "notMet"])), draw(st.integers(0, 12)),
        ))
    if rows:
        rows += draw(st.lists(st.sampled_from(rows), max_size=5))
    return rows


@settings(max_examples=300, deadline=None)
@given(rows=milestone_rows(), as_of=st.integers(0, 240).map(lambda n: START + timedelta(days=n)),
       escalate=st.integers(0, 5), calendar=st.sampled_from([ENGLAND, weekdays_only]))
def test_plan_equals_the_plain_rules(rows, as_of, escalate, calendar):
    milestones = milestones_from_rows(rows)
    assert milestones == [MilestoneDue(*row) for row in rows]
    fast = plan_reminders_from_rows(rows, as_of, calendar, escalate)
    assert fast == reference_plan(milestones, as_of, calendar, escalate)
    assert plan_reminders(milestones, as_of, calendar, escalate) == fast
    # Equal dataclasses could still differ in what the e-mail shows; compare that too.
    assert [(d.recipient_name, [(i.kind, i.working_days, i.key, i.status_text, i.as_of) for i in d.items])
            for d in fast] == [
        (d.recipient_name, [(i.kind, i.working_days, i.key, i.status_text, i.as_of) for i in d.items])
        for d in reference_plan(milestones, as_of, calendar, escalate)]


def test_a_busy_scan_equals_the_plain_rules():
    """Thousands of milestones sharing dates and people, as in the benchmark (many items per digest)."""
    import random

    rng = random.Random(10)
    as_of = date(2022, 6, 1)  # the jubilee bank holidays are 2 and 3 June
    rows = [
        (n, n // 7, f"KCC-22/{n // 7:05d}", f"Procurement {n // 7}", rng.choice(["Publish", "Award", "Evaluate"]),
         as_of + timedelta(days=rng.randint(-60, 20)), rng.choice(ADDRESSES), rng.choice(NAMES),
         rng.choice([*ADDRESSES, None]), rng.choice(NAMES), rng.choice(["scheduled", "met", "notMet"]),
         rng.choice([5, 5, 10, 0]))
        for n in range(3000)
    ]
    milestones = milestones_from_rows(rows)
    fast = plan_reminders_from_rows(rows, as_of, ENGLAND, 3)
    assert sum(len(d.items) for d in fast) > 2000
    assert fast == reference_plan(milestones, as_of, ENGLAND, 3)


@pytest.mark.parametrize("field, value, message", [
    ("status", "done", "status 'done' is not one of"),
    ("status", "notApplicable", "status 'notApplicable' is not one of"),
    ("notice_working_days", -1, "notice_working_days must not be negative"),
    ("owner_email", "nobody", "owner e-mail 'nobody' is not an address"),
    ("owner_email", "", "owner e-mail '' is not an address"),
    ("owner_email", None, "owner e-mail None is not an address"),
])
def test_bad_rows_are_refused_as_the_constructor_refuses_them(field, value, message):
    good = (7, 1, "KCC-22/00001", "P", "Publish", START, "alice@kent.gov.uk", "Alice", None, None, "scheduled", 5)
    bad = list(good)
    bad[MILESTONE_FIELDS.index(field)] = value
    with pytest.raises(ValueError, match="milestone 7: " + message) as constructor:
        MilestoneDue(*bad)
    # A bad row after good ones sharing its address is still refused, with the same words,
    # by planning too (even a row that would produce no reminder).
    with pytest.raises(ValueError) as fast:
        milestones_from_rows([good, good, tuple(bad)])
    assert str(fast.value) == str(constructor.value)
    far_away = tuple(bad[:5]) + (START + timedelta(days=300),) + tuple(bad[6:])
    with pytest.raises(ValueError) as planned:
        plan_reminders_from_rows([good, good, far_away], START, ENGLAND)
    assert str(planned.value) == str(constructor.value)
