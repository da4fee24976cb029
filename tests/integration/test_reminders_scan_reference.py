"""The reminder scan on a real database gives exactly what the plain rules give over every milestone.

``reminders.plan`` reads only milestones up to a working-day horizon, as
plain rows, and plans them with the fast ``plan_reminders``; the reference
reads every milestone through the ORM, keeps the unmet ones with an active
owner, builds each ``MilestoneDue`` through its constructor and applies the
rules literally (tests/reminders_reference.py). Generated data covers what
the query and the rules branch on: met, not-applicable and undated
milestones, no owner, inactive owners and lead officers, no lead officer,
a lead officer who owns the milestone, addresses in mixed case, notice
periods from 0 to 15 working days, dates across weekends and bank holidays.
Runs on SQLite by default and on PostgreSQL with TENDER_TEST_DATABASE_URL.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tender.domain.reminders import MilestoneDue
from tender.extensions import db
from tender.models import Milestone, User
from tender.models.milestone import CLOSED, NOT_APPLICABLE
from tender.services import reminders
from tests.helpers import make_procurement, make_user
from tests.reminders_reference import reference_plan

# Easter 2022 (15, 18 April), the May bank holidays (2, 30 May... and 3 June), the state funeral (19 September).
FIRST = date(2022, 4, 1)


def _due(m: Milestone, owner: User, lead: User | None) -> MilestoneDue:
    return MilestoneDue(
        milestone_id=m.id, procurement_id=m.procurement_id, procurement_ref=m.procurement.reference,
        procurement_title=m.procurement.title, milestone_title=m.title, planned_date=m.planned_date,
        owner_email=owner.email, owner_name=owner.name, lead_officer_email=lead.email if lead else None,
        lead_officer_name=lead.name if lead else None, status=m.status,
        notice_working_days=owner.reminder_notice_days)


def reference_milestones() -> list[MilestoneDue]:
    """Every unmet, dated milestone with an active owner, read plainly through the ORM."""
    result = []
    for m in db.session.scalars(select(Milestone).order_by(Milestone.id)):
        if m.status in CLOSED or m.planned_date is None or m.owner is None or not m.owner.active:
            continue
        lead = m.procurement.lead_officer
        result.append(_due(m, m.owner, lead if lead is not None and lead.active else None))
    return result


@pytest.fixture
def generated(ctx):
    rng = random.Random(20221202)
    people = [make_user("procurement_officer", email=email, name=name) for email, name in [
        ("alice@kent.example", "Alice Adams"), ("Bob.Brown@Kent.Example", "Bob Brown"),
        ("carol@kent.example", " Carol Clark "), ("dan@kent.example", "Dan Dare"),
        ("eve@kent.example", "Eve Evans"), ("gone@kent.example", "Gone Away")]]
    for person, notice in zip(people, [5, 0, 12, 1, 15, 5]):
        person.reminder_notice_days = notice
    people[-1].active = False  # an inactive owner is not reminded; an inactive lead is not escalated to
    for n in range(12):
        make_procurement(reference=f"REF-{n % 5:02d}-{n}", lots=0,
                         lead_officer_id=rng.choice([*[p.id for p in people], None]))
    for m in db.session.scalars(select(Milestone)):
        m.owner_id = rng.choice([*[p.id for p in people], None])
        m.planned_date = rng.choice([None, *(FIRST + timedelta(days=d) for d in range(0, 200))])
        m.status = rng.choice(["scheduled", "scheduled", "notMet", "met", NOT_APPLICABLE])
        if rng.random() < 0.2:
            m.title = rng.choice(["Award", "award", "Publish"])
    db.session.commit()
    return people


def test_the_scan_equals_the_plain_rules_over_every_milestone(generated, app):
    milestones = reference_milestones()
    assert len(milestones) > 60
    checked = 0
    for escalate in (0, 3, 7):
        app.config["ESCALATE_AFTER_WORKING_DAYS"] = escalate
        for as_of in [FIRST + timedelta(days=d) for d in range(-5, 205, 4)] + [date(2022, 9, 19), date(2022, 6, 3)]:
            expected = reference_plan(milestones, as_of, reminders.is_working_day, escalate or 3)
            assert reminders.plan(as_of) == expected, (as_of, escalate)
            found = set(reminders.collect_due(as_of))
            assert {i.milestone for d in expected for i in d.items} <= found <= set(milestones)
            checked += sum(len(d.items) for d in expected)
    assert checked > 1000


def test_notifications_equal_each_person_s_digest_of_the_whole_scan(generated):
    milestones = reference_milestones()
    for as_of in (date(2022, 4, 19), date(2022, 6, 6), date(2022, 8, 1), date(2022, 10, 3)):
        expected = {d.recipient_email: d for d in reference_plan(milestones, as_of, reminders.is_working_day)}
        for person in generated[:-1]:
            digest = reminders.notifications_for(person, as_of)
            email = person.email.lower()
            assert digest.items == (expected[email].items if email in expected else ())


def test_a_calendar_feed_lists_each_person_s_milestones_as_the_orm_reads_them(generated):
    for person in generated:
        expected = sorted(
            (_due(m, person, m.procurement.lead_officer) for m in db.session.scalars(
                select(Milestone).where(Milestone.owner_id == person.id))
             if m.planned_date is not None and m.status != NOT_APPLICABLE),
            key=lambda m: m.milestone_id)
        assert sorted(reminders.owned_milestones(person), key=lambda m: m.milestone_id) == expected
        assert expected or person.email == "gone@kent.example"
