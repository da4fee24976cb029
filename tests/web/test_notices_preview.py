"""Previewing notices of a new Procurement Act procurement, on the clock's day; recording one published elsewhere."""
from __future__ import annotations

import html
import json
import re
from decimal import Decimal

from sqlalchemy import select

from tender.extensions import db
from tender.models import Notice, ProcurementPublishing
from tender.services.procurement import setup
from tests.helpers import csrf_post, login, make_user


def new_act_procurement(app) -> tuple[int, str]:
    """A procurement under the Act just created: one lot, no CPV code, no party details, no timetable."""
    with app.app_context():
        officer = make_user("procurement_officer")
        p = setup.create_procurement(officer, "KCC-25/0099", "Day opportunities", "", "competitive_flexible_procedure",
                                     "pa2023", Decimal("900000.00"), 3, [1], True, False, False, False, officer.id)
        setup.add_lot(officer, p.id, 1, "Kent-wide day opportunities", Decimal("300000.00"), None)
        return p.id, officer.email


def preview_json(client, pid: int) -> dict:
    page = client.get(f"/procurements/{pid}/notices/tender/preview")
    assert page.status_code == 200, page.status_code
    text = html.unescape(page.get_data(as_text=True))
    return json.loads(re.search(r"<pre>(.*?)</pre>", text, re.S).group(1))


def test_the_tender_notice_preview_of_a_new_act_procurement_is_a_page_listing_what_to_enter(app, client):
    pid, email = new_act_procurement(app)
    login(client, email)

    page = client.get(f"/procurements/{pid}/notices/tender/preview")
    text = html.unescape(page.get_data(as_text=True))

    assert page.status_code == 200
    assert "Preview: Tender notice (UK4): Day opportunities" in text
    assert "This notice cannot be published yet" in text and "Publish this notice" not in text
    assert "enter the contracting authority's details" in text
    assert "CPV codes" in text and "Missing" in text  # no CPV code yet: said so, not a server error


def test_the_preview_is_dated_by_the_clock_so_tender_today_changes_its_dates(app, client):
    pid, email = new_act_procurement(app)
    login(client, email)

    app.config["TENDER_TODAY"] = "2025-03-03"
    first = preview_json(client, pid)
    app.config["TENDER_TODAY"] = "2025-04-07"
    second = preview_json(client, pid)

    assert first["date"].startswith("2025-03-03T") and second["date"].startswith("2025-04-07T")
    assert first["tender"]["documents"][0]["datePublished"].startswith("2025-03-03T")
    assert first["id"] == second["id"] and first["ocid"] == second["ocid"]


def test_an_officer_records_a_tender_notice_published_on_find_a_tender(app, client):
    pid, email = new_act_procurement(app)
    login(client, email)
    path = f"/procurements/{pid}/notices/tender/elsewhere"
    assert f'href="{path}"' in client.get(f"/procurements/{pid}/notices").get_data(as_text=True)
    form = {"notice_number": "011531-2025", "fts_ocid": "ocds-h6vhtk-04eac3", "published_on": "2025-03-03",
            "published_time": "25:00"}

    refused = csrf_post(client, path, form, token_from=path)
    assert refused.status_code == 400
    assert "Enter the time published in 24-hour format, like 14:30" in refused.get_data(as_text=True)
    refused = csrf_post(client, path, {**form, "published_time": "09:30", "published_on": "2024-03-03"},
                        token_from=path)
    assert refused.status_code == 400 and "numbered in 2025" in html.unescape(refused.get_data(as_text=True))
    # A tender notice published elsewhere still needs the conflicts assessment first (Act s.83): no way round it.
    refused = csrf_post(client, path, {**form, "published_time": "09:30"}, token_from=path)
    assert refused.status_code == 400 and "conflicts assessment" in html.unescape(refused.get_data(as_text=True))
    with app.app_context():
        from datetime import date

        from tender.models import Milestone, User
        from tests.act_support import ACT_TIMETABLE, assess_conflicts

        officer = db.session.scalar(select(User).where(User.email == email))
        assess_conflicts(pid, officer, make_user("procurement_officer", email="reviewer@kent.example"))
        # Recording the UK4 moves the procurement on as publishing it would, so its stage's checks apply too.
        for m in db.session.scalars(select(Milestone).where(Milestone.procurement_id == pid)):
            setup.plan_milestone(officer, pid, m.id, date.fromisoformat(ACT_TIMETABLE[m.key]), officer.id,
                                 today=date(2025, 2, 24))

    recorded = csrf_post(client, path, {**form, "published_time": "09:30"}, token_from=path)
    assert recorded.status_code == 302
    page = client.get(f"/procurements/{pid}/notices").get_data(as_text=True)
    assert "Published on Find a Tender" in page and "notice 011531-2025" in page
    notice_page = client.get(f"/procurements/{pid}/notices/tender")
    assert notice_page.status_code == 200 and "find-tender.service.gov.uk/Notice/011531-2025" in \
        notice_page.get_data(as_text=True)
    assert client.get(f"/procurements/{pid}/notices/tender.json").status_code == 404  # Tender holds no copy
    with app.app_context():
        notice = db.session.scalar(select(Notice).where(Notice.procurement_id == pid))
        assert notice.published_at.replace(tzinfo=None).isoformat() == "2025-03-03T09:30:00"  # 09:30 UK is GMT
        from tender.models import Procurement

        assert db.session.get(Procurement, pid).state != "draft"  # the notice moved the stage it evidences


def test_the_vat_rate_is_entered_with_the_cpv_codes_and_checked(app, client):
    pid, email = new_act_procurement(app)
    login(client, email)
    path = f"/procurements/{pid}/notices/classification"
    assert 'value="20.00"' in client.get(path).get_data(as_text=True)  # the standard rate, until changed
    fields = {"cpv_code": "85323000-9", "submission_method": "electronicSubmission", "lot_1": ""}

    refused = csrf_post(client, path, {**fields, "vat_percent": "120"}, token_from=path)
    assert refused.status_code == 400 and "Enter the VAT rate as a percentage from 0 to 100" in \
        refused.get_data(as_text=True)
    saved = csrf_post(client, path, {**fields, "vat_percent": "0"}, token_from=path)
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ProcurementPublishing.vat_percent)) == Decimal("0")
    assert preview_json(client, pid)["tender"]["value"] == {"amount": 900000, "amountGross": 900000,
                                                            "currency": "GBP"}
