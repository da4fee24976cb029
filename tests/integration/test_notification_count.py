"""The header's notification count: the same number the notifications page lists, at a fixed query cost."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from tender.extensions import db
from tender.models import Milestone, User
from tender.services import reminders
from tests.helpers import CPN_TIMETABLE, counted, login, make_procurement, make_user

AS_OF = date(2022, 7, 5)


def own_milestones(procurement, owner) -> None:
    db.session.execute(update(Milestone).where(Milestone.procurement_id == procurement.id).values(owner_id=owner.id))


def test_the_count_is_what_the_page_lists_for_owners_and_leads(ctx):
    alice = make_user("procurement_officer", email="alice@kent.example", name="Alice Adams")
    bob = make_user("procurement_officer", email="bob@kent.example", name="Bob Brown")
    eve = make_user("evaluator", email="eve@kent.example", name="Eve Evans")
    carol = make_user("procurement_officer", email="carol@kent.example", name="Carol Clark")
    carol.reminder_notice_days = 12
    led_by_alice = make_procurement(timetable=CPN_TIMETABLE, reference="A-1", lead_officer_id=alice.id)
    own_milestones(led_by_alice, bob)  # Bob's overdue milestones escalate to Alice
    mine = make_procurement(timetable=CPN_TIMETABLE, reference="A-2", lead_officer_id=bob.id)
    own_milestones(mine, alice)
    evaluators = make_procurement(timetable=CPN_TIMETABLE, reference="A-3", lead_officer_id=alice.id)
    own_milestones(evaluators, eve)
    carols = make_procurement(timetable=CPN_TIMETABLE, reference="C-1", lead_officer_id=carol.id)
    own_milestones(carols, carol)
    db.session.commit()

    for as_of in [AS_OF + timedelta(days=n) for n in range(-100, 120, 3)] + [date(2022, 4, 15), date(2022, 12, 27)]:
        for user in (alice, bob, eve, carol):
            listed = len(reminders.notifications_for(user, as_of).items)
            assert reminders.notification_count(user, as_of) == listed, (user.email, as_of)
    assert reminders.notification_count(alice, AS_OF) > 0


def test_the_header_costs_the_same_queries_however_many_milestones(client, app):
    app.config["TENDER_TODAY"] = AS_OF.isoformat()
    with app.app_context():
        alice = make_user("procurement_officer", email="alice@kent.example", name="Alice Adams")
        few = make_procurement(timetable=CPN_TIMETABLE, reference="FEW-1", lead_officer_id=alice.id)
        own_milestones(few, alice)
        db.session.commit()
        few_id = few.id
    login(client, "alice@kent.example")

    def page() -> tuple[int, str]:
        # One procurement's page: its own content does not grow with the others, so only the header could
        # (the dashboard lists each led procurement's next tasks, so its cost grows with them by design).
        with app.app_context(), counted() as statements:
            html = client.get(f"/procurements/{few_id}").get_data(as_text=True)
        return len(statements), html

    before, html = page()
    assert "Notifications (5)" in html
    with app.app_context():
        alice = db.session.scalar(select(User).where(User.email == "alice@kent.example"))
        for n in range(40):
            many = make_procurement(timetable={k: d - timedelta(days=n) for k, d in CPN_TIMETABLE.items()},
                                    reference=f"MANY-{n}", lead_officer_id=alice.id)
            own_milestones(many, alice)
        db.session.commit()
    after, html = page()
    assert "Notifications (5)" not in html and "Notifications (" in html
    assert after == before


@pytest.mark.parametrize("escalate", ["0", "3", "7"])
def test_the_count_follows_the_escalation_setting(app, escalate):
    app.config["ESCALATE_AFTER_WORKING_DAYS"] = escalate
    with app.app_context():
        alice = make_user("procurement_officer", email="alice@kent.example")
        bob = make_user("procurement_officer", email="bob@kent.example")
        led = make_procurement(timetable=CPN_TIMETABLE, reference="A-1", lead_officer_id=alice.id)
        own_milestones(led, bob)
        db.session.commit()
        for as_of in (date(2022, 4, 5), date(2022, 5, 10), date(2022, 5, 13), date(2022, 6, 9)):
            assert reminders.notification_count(alice, as_of) == len(reminders.notifications_for(alice, as_of).items)
