"""The OCDS export returns the stored notices, in order, the same bytes every time; it is audited."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tender.demo import REFERENCE, load_demo
from tender.domain.ocds import EXTENSIONS
from tender.extensions import db
from tender.models import AuditEvent, Procurement, User
from tender.services import audit
from tender.services.errors import NotAuthorised, NotFound
from tender.services.publishing import ocds as ocds_export
from tests.helpers import make_procurement
from tests.ocds_support import check_uk_package, require_ocds_dir
from tests.publishing_support import publish, user

SYSTEM = audit.Actor.system("test")
APRIL = datetime(2022, 4, 1, 10, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _shared_ocds():
    require_ocds_dir()


def demo_id() -> int:
    load_demo("demo-password-2022")
    return db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))


def test_before_any_notice_there_is_nothing_to_export(ctx):
    demo_id()
    with pytest.raises(NotFound, match="No notice has been published for KCC-22/00033 yet"):
        ocds_export.export(SYSTEM, reference=REFERENCE)


def test_the_package_holds_the_stored_release_and_is_byte_identical_each_time(ctx):
    procurement_id = demo_id()
    notice = publish(procurement_id, "tender", user("luke.edwards@kent.example"), APRIL)

    first = ocds_export.export(SYSTEM, reference=REFERENCE, publisher="Kent County Council")
    second = ocds_export.export(SYSTEM, procurement_id=procurement_id, publisher="Kent County Council")

    check_uk_package(first)
    assert json.dumps(first) == json.dumps(second)
    assert first["releases"] == [json.loads(notice.release_json)]
    assert first["publishedDate"] == "2022-04-01T10:00:00Z" and first["extensions"] == list(EXTENSIONS)
    assert first["publisher"] == {"name": "Kent County Council"}
    assert first["uri"].endswith(f"/procurements/{procurement_id}/ocds.json")


def test_the_ocid_prefix_is_fixed_by_the_first_notice(app):
    app.config["OCID_PREFIX"] = "ocds-abc123"
    with app.app_context():
        procurement_id = demo_id()
        notice = publish(procurement_id, "tender", user("luke.edwards@kent.example"), APRIL)
        assert notice.ocid == "ocds-abc123-KCC-22/00033"


def test_exports_are_audited_and_need_a_viewer(ctx):
    demo_id()
    legal = db.session.scalar(select(User).where(User.email == "morgan.lee@kent.example"))
    evaluator = db.session.scalar(select(User).where(User.email == "sam.evans@kent.example"))

    publish(db.session.scalar(select(Procurement.id)), "tender", user("luke.edwards@kent.example"), APRIL)
    ocds_export.export(audit.Actor.of(legal), user=legal, reference=REFERENCE)
    with pytest.raises(NotAuthorised):
        ocds_export.export(audit.Actor.of(evaluator), user=evaluator, reference=REFERENCE)
    with pytest.raises(NotAuthorised):
        ocds_export.export(audit.Actor.of(legal), reference=REFERENCE)  # a person must be checked
    with pytest.raises(NotFound):
        ocds_export.export(SYSTEM, reference="NO-SUCH-REF")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ocds.exported")).all()
    assert [(e.actor, e.procurement_ref) for e in events] == [("morgan.lee@kent.example", REFERENCE)]


def test_the_whole_export_lists_each_procurements_notices_in_reference_order(ctx):
    procurement_id = demo_id()
    make_procurement(reference="AAA-1")
    publish(procurement_id, "tender", user("luke.edwards@kent.example"), APRIL)

    package = ocds_export.export(SYSTEM)

    check_uk_package(package)
    assert [r["ocid"] for r in package["releases"]] == ["ocds-tender-KCC-22/00033"]
    assert package["uri"].endswith("/ocds.json")
