"""The whole timetable on one page: one submit, all or nothing, each problem beside its milestone."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Milestone
from tests.helpers import CPN_TIMETABLE, csrf_post, login, make_procurement, make_user


@pytest.fixture
def officer(app, client):
    app.config["TENDER_TODAY"] = "2022-03-01"
    with app.app_context():
        user = make_user("procurement_officer")
        p = make_procurement(regime="pcr2015")  # the full regime: short periods are refused
        ids = {m.key: m.id for m in p.milestones}
        email, user_id, pid = user.email, user.id, p.id
    assert login(client, email).status_code == 302
    return pid, ids, user_id


def form_for(ids: dict, owner: int, dates: dict) -> dict:
    data = {}
    for key, mid in ids.items():
        data[f"owner-{mid}"] = str(owner)
        if key in dates:
            data[f"date-{mid}"] = dates[key] if isinstance(dates[key], str) else dates[key].isoformat()
    return data


def planned(app, pid) -> dict:
    with app.app_context():
        return {m.key: m.planned_date for m in db.session.scalars(select(Milestone).where(
            Milestone.procurement_id == pid)) if m.planned_date}


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "milestone.planned"))


def test_the_page_offers_every_milestone_with_one_submit(app, client, officer):
    pid, ids, _ = officer
    page = client.get(f"/procurements/{pid}/set-up/timetable").get_data(as_text=True)
    assert page.count('type="date"') == len(ids) == 13
    assert page.split('<main')[1].count('<button type="submit"') == 1  # (the header has Log out)
    assert f'href="/procurements/{pid}/set-up/timetable"' in client.get(f"/procurements/{pid}/set-up").get_data(
        as_text=True)


def test_the_whole_timetable_is_saved_at_once_each_milestone_audited(app, client, officer):
    pid, ids, owner = officer
    response = csrf_post(client, f"/procurements/{pid}/set-up/timetable", form_for(ids, owner, CPN_TIMETABLE))
    assert response.status_code == 302 and response.headers["Location"].endswith("/set-up#timetable")
    assert planned(app, pid) == CPN_TIMETABLE
    assert audit_count(app) == 13
    with app.app_context():
        assert {m.owner_id for m in db.session.scalars(select(Milestone).where(Milestone.procurement_id == pid))} == {
            owner}


def test_one_bad_row_saves_nothing_and_each_problem_is_shown_beside_its_milestone(app, client, officer):
    pid, ids, owner = officer
    dates = {**CPN_TIMETABLE, "sq_deadline": date(2022, 4, 20)}  # 16 days: reg. 29 wants 30
    data = form_for(ids, owner, dates)
    data[f"owner-{ids['itt_issued']}"] = "abc"

    response = csrf_post(client, f"/procurements/{pid}/set-up/timetable", data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', page.split('govuk-error-summary__list')[1].split("</ul>")[0])
    assert [target for target, _ in links] == [f"owner-{ids['itt_issued']}"]
    assert "Choose who owns “Invitation to tender issued” from the list" in html.unescape(links[0][1])
    assert planned(app, pid) == {} and audit_count(app) == 0
    assert 'value="2022-04-20"' in page  # what was typed is kept

    data[f"owner-{ids['itt_issued']}"] = str(owner)
    response = csrf_post(client, f"/procurements/{pid}/set-up/timetable", data)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f'<a href="#date-{ids["sq_deadline"]}">' in page
    assert f'id="date-{ids["sq_deadline"]}-error"' in page and "PCR 2015 reg. 29" in page
    assert planned(app, pid) == {} and audit_count(app) == 0


def test_a_date_that_is_not_a_date_is_an_instruction(app, client, officer):
    pid, ids, owner = officer
    response = csrf_post(client, f"/procurements/{pid}/set-up/timetable",
                         form_for(ids, owner, {"sq_published": "2022-02-30"}))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert (f'<a href="#date-{ids["sq_published"]}">Enter the planned date for “Selection questionnaire published” '
            "as a real date, like 4 April 2022</a>") in page


def test_rows_left_blank_are_planned_later(app, client, officer):
    pid, ids, owner = officer
    response = csrf_post(client, f"/procurements/{pid}/set-up/timetable",
                         form_for(ids, owner, {"sq_published": date(2022, 4, 4)}))
    assert response.status_code == 302
    assert planned(app, pid) == {"sq_published": date(2022, 4, 4)}
    page = client.get(f"/procurements/{pid}/set-up/timetable").get_data(as_text=True)
    assert page.count('type="date"') == 12 and "Planned for 4 April 2022" in page
