"""The notifications page and the private calendar feed."""
from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from tender.extensions import db
from tender.models import AuditEvent, Milestone, User
from tests.helpers import CPN_TIMETABLE, csrf_post, login, make_procurement, make_user

AS_OF = date(2022, 7, 5)


@pytest.fixture
def people(app):
    """Two officers, each owning every milestone of their own procurement."""
    app.config["TENDER_TODAY"] = AS_OF.isoformat()
    with app.app_context():
        alice = make_user("procurement_officer", email="alice@kent.example", name="Alice Adams")
        bob = make_user("procurement_officer", email="bob@kent.example", name="Bob Brown")
        mine = make_procurement(timetable=CPN_TIMETABLE, reference="ALICE-1", lead_officer_id=alice.id)
        theirs = make_procurement(timetable=CPN_TIMETABLE, reference="BOB-1", lead_officer_id=bob.id)
        for procurement, owner in ((mine, alice), (theirs, bob)):
            db.session.execute(update(Milestone).where(Milestone.procurement_id == procurement.id)
                               .values(owner_id=owner.id))
        db.session.commit()
        return {"alice": (alice.id, alice.email, alice.calendar_token, mine.id),
                "bob": (bob.id, bob.email, bob.calendar_token, theirs.id)}


def test_the_page_lists_my_overdue_and_due_soon_milestones_only(client, people):
    login(client, "alice@kent.example")

    html = client.get("/notifications").get_data(as_text=True)

    # 5 July 2022: SQ published, SQ deadline, SQ evaluation and ITT issued are overdue;
    # the initial tender deadline (11 July) is due in 4 working days.
    assert "Overdue (4)" in html and "Due soon (1)" in html
    assert "Invitation to tender issued" in html and "Due in 4 working days" in html
    assert "ALICE-1" in html and "BOB-1" not in html
    assert '<th scope="col" class="govuk-table__header">Planned date</th>' in html
    assert "Notifications (5)" in html  # the header count
    assert "Notifications (5)" in client.get("/").get_data(as_text=True)


def test_the_page_needs_a_login(client, people):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_someone_with_nothing_due_is_told_so(client, app, people):
    with app.app_context():
        make_user("evaluator", email="eve@kent.example")
    login(client, "eve@kent.example")

    html = client.get("/notifications").get_data(as_text=True)

    assert "Nothing needs your attention" in html
    assert ">Notifications</a>" in html


def test_the_calendar_feed_parses_and_holds_only_my_milestones(client, app, people):
    _, _, token, procurement_id = people["alice"]

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    with app.app_context():
        mine = set(db.session.scalars(select(Milestone.id).where(Milestone.procurement_id == procurement_id,
                                                                 Milestone.planned_date.is_not(None))))
    host = app.config["BASE_URL"].split("://")[1].split(":")[0].split("/")[0]
    assert sorted(str(e["UID"]) for e in events) == sorted(f"milestone-{mid}@{host}" for mid in mine)
    assert all(str(e["SUMMARY"]).startswith("ALICE-1: ") for e in events)
    assert "Alice Adams" in str(calendar["X-WR-CALNAME"])


def test_an_unknown_token_is_404(client, people):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 200 + ".ics").status_code == 404


def test_reset_link_invalidates_the_old_url_and_is_audited(client, app, people):
    user_id, _, old_token, _ = people["alice"]
    login(client, "alice@kent.example")
    page = client.get("/notifications").get_data(as_text=True)
    assert f"/calendar/{old_token}.ics" in page

    response = csrf_post(client, "/notifications/calendar-link", {}, token_from="/notifications")

    assert response.status_code == 302
    with app.app_context():
        new_token = db.session.get(User, user_id).calendar_token
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.calendar_token_reset"))
    assert new_token and new_token != old_token
    assert event is not None and event.actor == "alice@kent.example" and old_token not in (event.after or "")
    assert client.get(f"/calendar/{old_token}.ics").status_code == 404
    assert client.get(f"/calendar/{new_token}.ics").status_code == 200
    assert f"/calendar/{new_token}.ics" in client.get("/notifications").get_data(as_text=True)


def test_reset_without_a_csrf_token_changes_nothing(client, app, people):
    user_id, _, old_token, _ = people["alice"]
    login(client, "alice@kent.example")

    response = client.post("/notifications/calendar-link", data={})

    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, user_id).calendar_token == old_token


def test_a_person_sets_how_many_working_days_ahead_they_are_reminded(app, client):
    from sqlalchemy import select

    from tender.extensions import db
    from tender.models import AuditEvent, User
    from tests.helpers import csrf_post, login, make_user

    with app.app_context():
        email = make_user("procurement_officer").email
    login(client, email)
    refused = csrf_post(client, "/notifications/notice-period", {"working_days": "0"}, token_from="/notifications")
    assert refused.status_code == 400 and "from 1 to 30" in refused.get_data(as_text=True)
    saved = csrf_post(client, "/notifications/notice-period", {"working_days": "10"}, token_from="/notifications")
    assert saved.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.reminder_notice_days == 10
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
        assert event.action == "user.notice_period_set" and event.to_record()["after"] == {"notice_working_days": 10}
