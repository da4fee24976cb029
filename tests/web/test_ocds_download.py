"""The overview's Open Contracting Data download."""
from __future__ import annotations

import json

from sqlalchemy import select

from tender.demo import REFERENCE, load_demo
from tender.extensions import db
from tender.models import AuditEvent, Procurement
from tests.helpers import login
from tests.ocds_support import check_package, require_ocds_dir

DEMO_PASSWORD = "demo-password-2022"


def demo_id(app) -> int:
    with app.app_context():
        load_demo(DEMO_PASSWORD)
        return db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))


def test_an_officer_downloads_the_release_package_linked_from_the_overview(app, client):
    require_ocds_dir()
    procurement_id = demo_id(app)
    login(client, "luke.edwards@kent.example", DEMO_PASSWORD)

    overview = client.get(f"/procurements/{procurement_id}").get_data(as_text=True)
    response = client.get(f"/procurements/{procurement_id}/ocds.json")

    assert f'href="/procurements/{procurement_id}/ocds.json"' in overview
    assert "Download as Open Contracting Data (JSON)" in overview
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ocds-KCC-22-00033.json"'
    package = json.loads(response.get_data(as_text=True))
    check_package(package)
    assert package["uri"].endswith(f"/procurements/{procurement_id}/ocds.json")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ocds.exported"))
        assert event.actor == "luke.edwards@kent.example" and event.procurement_ref == REFERENCE


def test_an_evaluator_is_refused_and_a_visitor_must_log_in(app, client):
    procurement_id = demo_id(app)

    assert client.get(f"/procurements/{procurement_id}/ocds.json").status_code == 302
    login(client, "sam.evans@kent.example", DEMO_PASSWORD)
    assert client.get(f"/procurements/{procurement_id}/ocds.json").status_code == 403
    assert client.get("/procurements/99999/ocds.json").status_code == 403


def test_an_unknown_procurement_is_not_found(app, client):
    demo_id(app)
    login(client, "morgan.lee@kent.example", DEMO_PASSWORD)

    assert client.get("/procurements/99999/ocds.json").status_code == 404
