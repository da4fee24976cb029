"""The Open Contracting Data download: the stored notices, as a release package."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from tender.demo import REFERENCE, load_demo
from tender.extensions import db
from tender.models import AuditEvent, Procurement
from tests.helpers import login
from tests.ocds_support import check_uk_package, require_ocds_dir
from tests.publishing_support import publish, user

DEMO_PASSWORD = "demo-password-2022"


def demo_id(app, with_notice: bool = False) -> int:
    with app.app_context():
        load_demo(DEMO_PASSWORD)
        procurement_id = db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))
        if with_notice:
            publish(procurement_id, "tender", user("luke.edwards@kent.example"),
                    datetime(2022, 4, 1, 10, tzinfo=timezone.utc))
        return procurement_id


def test_an_officer_downloads_the_release_package_linked_from_the_overview(app, client):
    require_ocds_dir()
    procurement_id = demo_id(app, with_notice=True)
    login(client, "luke.edwards@kent.example", DEMO_PASSWORD)

    overview = client.get(f"/procurements/{procurement_id}").get_data(as_text=True)
    response = client.get(f"/procurements/{procurement_id}/ocds.json")

    assert f'href="/procurements/{procurement_id}/ocds.json"' in overview
    assert f'href="/procurements/{procurement_id}/notices"' in overview
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ocds-KCC-22-00033.json"'
    package = json.loads(response.get_data(as_text=True))
    check_uk_package(package)
    assert [r["tender"]["documents"][0]["noticeType"] for r in package["releases"]] == ["F21"]
    assert client.get(f"/procurements/{procurement_id}/ocds.json").get_data() == response.get_data()
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ocds.exported"))
        assert event.actor == "luke.edwards@kent.example" and event.procurement_ref == REFERENCE


def test_an_evaluator_is_refused_and_a_visitor_must_log_in(app, client):
    procurement_id = demo_id(app)

    assert client.get(f"/procurements/{procurement_id}/ocds.json").status_code == 302
    login(client, "sam.evans@kent.example", DEMO_PASSWORD)
    assert client.get(f"/procurements/{procurement_id}/ocds.json").status_code == 403
    assert client.get("/procurements/99999/ocds.json").status_code == 403


def test_an_unknown_procurement_or_one_with_no_notice_is_not_found(app, client):
    procurement_id = demo_id(app)
    login(client, "morgan.lee@kent.example", DEMO_PASSWORD)

    assert client.get("/procurements/99999/ocds.json").status_code == 404
    response = client.get(f"/procurements/{procurement_id}/ocds.json")
    assert response.status_code == 404 and "No notice has been published" in response.get_data(as_text=True)
