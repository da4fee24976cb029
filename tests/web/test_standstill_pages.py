"""Standstill on the pages: recording the letters, the end on the page, the dashboard and the calendar feed.

PCR 2015 example: the demo timetable sends the award decision letters on
Mon 26 September 2022; the 10th day after is Thu 6 October, so standstill ends
at 23:59:59 on 6 October 2022 and the contract may be awarded from Fri 7 October.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, AwardApproval, Procurement
from tests.helpers import CPN_TIMETABLE, csrf_post, login, make_procurement, make_user


def text_of(response) -> str:
    body = re.sub(r"<svg.*?</svg>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").split())


@pytest.fixture
def world(app):
    """A CPN procurement at award decision, approved, led by an officer who is logged in elsewhere."""
    app.config["TENDER_TODAY"] = "2022-09-26"
    with app.app_context():
        officer = make_user("procurement_officer")
        approver = make_user("approver")
        p = make_procurement(timetable=CPN_TIMETABLE, lead_officer_id=officer.id, electronic_submission=True)
        p.state = "award_decision"
        db.session.add(AwardApproval(procurement_id=p.id, approved_by_id=approver.id,
                                     approved_at=datetime(2022, 9, 23, 15, tzinfo=timezone.utc),
                                     authority="Decision 22/00033"))
        db.session.commit()
        return {"id": p.id, "officer": officer.email, "token": officer.calendar_token,
                "evaluator": make_user("evaluator").email}


def record(client, pid: int, **data):
    return csrf_post(client, f"/procurements/{pid}/award/notices-sent", data, f"/procurements/{pid}")


def test_an_officer_records_the_letters_and_sees_when_standstill_ends_everywhere(app, client, world):
    pid = world["id"]
    login(client, world["officer"])
    page = text_of(client.get(f"/procurements/{pid}"))
    assert "Record that the award decision letters were sent" in page
    assert "Standstill is counted from that day (PCR 2015 reg. 87)" in page

    bad = record(client, pid, sent_on="2022-09-26", sent_time="25:00", electronic="yes")
    assert bad.status_code == 400 and "Enter the time sent in 24-hour format, like 14:30" in text_of(bad)
    missing = record(client, pid, sent_time="09:00", electronic="yes")
    assert missing.status_code == 400 and "Enter the date the last one was sent" in text_of(missing)

    assert record(client, pid, sent_on="2022-09-26", sent_time="9.40", electronic="yes").status_code == 302
    with app.app_context():
        stored = db.session.get(Procurement, pid)
        sent = stored.award_notices_sent_at
        assert (sent if sent.tzinfo else sent.replace(tzinfo=timezone.utc)) == \
            datetime(2022, 9, 26, 8, 40, tzinfo=timezone.utc)  # 09:40 BST
        version = stored.version
        assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first() == \
            "award.notices_sent"
    assert "sent on 26 September 2022 at 09:40 (UK time)" in text_of(client.get(f"/procurements/{pid}"))

    moved = csrf_post(client, f"/procurements/{pid}/advance", {"trigger": "send_award_letters",
                                                               "version": str(version)}, f"/procurements/{pid}")
    assert moved.status_code == 302
    page = text_of(client.get(f"/procurements/{pid}"))
    assert "Standstill ends at 23:59:59 on 6 October 2022 (midnight at the end of that day, PCR 2015 reg. 87(2)(a))" \
        in page
    assert "The contract can be entered into from 7 October 2022" in page
    assert "Standstill ends 23:59:59 on 6 October 2022; contract from 7 October 2022" in text_of(client.get("/"))

    feed = Calendar.from_ical(client.get(f"/calendar/{world['token']}.ics").get_data())
    (event,) = [e for e in feed.walk("VEVENT") if str(e["uid"]).startswith("standstill-")]
    assert event.decoded("dtstart") == date(2022, 10, 6)
    assert "entered into from 7 October 2022" in str(event["description"])


def test_only_officers_record_letters_and_challenges(app, client, world):
    pid = world["id"]
    login(client, world["evaluator"])
    assert record(client, pid, sent_on="2022-09-26", sent_time="09:40", electronic="yes").status_code == 403
    response = client.post(f"/procurements/{pid}/challenges", data={
        "reference": "HT-1", "issued_on": "2022-09-26", "aware_on": "2022-09-26"})
    assert response.status_code == 400  # no CSRF token: refused before anything else
    with app.app_context():
        assert db.session.get(Procurement, pid).award_notices_sent_at is None


def test_a_challenge_form_with_gaps_is_re_shown_with_instructions(app, client, world):
    pid = world["id"]
    login(client, world["officer"])
    assert record(client, pid, sent_on="2022-09-26", sent_time="09:40", electronic="yes").status_code == 302
    response = csrf_post(client, f"/procurements/{pid}/challenges", {"reference": " "}, f"/procurements/{pid}")
    assert response.status_code == 400
    text = text_of(response)
    assert "Enter the claim number from the claim form" in text
    assert "Enter the date the claim form was issued" in text
    response = csrf_post(client, f"/procurements/{pid}/challenges", {
        "reference": "HT-2022-000123", "issued_on": "2022-09-26", "aware_on": "2022-09-26"}, f"/procurements/{pid}")
    assert response.status_code == 302
    page = text_of(client.get(f"/procurements/{pid}"))
    assert "HT-2022-000123" in page and "Suspends the contract" in page
    assert "A legal challenge suspends entering into the contract until the suspension is lifted." in page
