"""The OCDS export of the demo procurement, validated against the OCDS 1.1.5 schemas and codelists."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from tender.demo import LOTS, REFERENCE, TIMETABLE, load_demo
from tender.domain.ocds import LOTS_EXTENSION
from tender.extensions import db
from tender.models import AuditEvent, Milestone, Procurement, User
from tender.services import audit
from tender.services.publishing import ocds as ocds_export
from tender.services.errors import NotAuthorised, NotFound
from tests.helpers import make_procurement, make_user
from tests.ocds_support import check_package, require_ocds_dir

SYSTEM = audit.Actor.system("test")


@pytest.fixture(autouse=True)
def _shared_ocds():
    require_ocds_dir()


def demo_release(**options) -> dict:
    package = ocds_export.export(SYSTEM, reference=REFERENCE, **options)
    check_package(package)
    assert len(package["releases"]) == 1
    return package["releases"][0]


def officer() -> User:
    return db.session.scalar(select(User).where(User.email == "luke.edwards@kent.example"))


def test_the_demo_exports_as_a_valid_package_with_the_decisions_facts(ctx):
    load_demo("demo-password-2022")

    package = ocds_export.export(SYSTEM, reference=REFERENCE, publisher="Kent County Council")
    check_package(package)
    release = package["releases"][0]
    tender = release["tender"]

    assert package["version"] == "1.1" and package["publisher"] == {"name": "Kent County Council"}
    assert package["extensions"] == [LOTS_EXTENSION]
    assert release["ocid"] == "ocds-tender-KCC-22/00033"
    assert release["tag"] == ["planning"] and tender["status"] == "planned"
    assert release["language"] == "en" and release["initiationType"] == "tender"
    assert release["buyer"]["name"] == "Kent County Council Public Health"
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert roles["Kent County Council Public Health"] == ["buyer", "procuringEntity"]
    assert roles["Kent County Council Adult Social Care"] == ["funder"]
    assert roles["Kent and Medway Clinical Commissioning Group"] == ["funder"]
    assert tender["value"] == {"amount": 34095110, "currency": "GBP"}
    assert tender["procurementMethod"] == "selective"
    assert tender["procurementMethodDetails"] == "Competitive procedure with negotiation"
    assert tender["mainProcurementCategory"] == "services"
    assert [(lot["id"], lot["title"]) for lot in tender["lots"]] == [(str(n), t) for n, t, _b in LOTS]
    assert tender["lots"][0]["value"] == {"amount": 7150000, "currency": "GBP"}  # 1,430,000 a year for 5 years
    assert sum(lot["value"]["amount"] for lot in tender["lots"]) == 34095110
    assert len(tender["milestones"]) == 13
    assert {m["id"]: m["dueDate"][:10] for m in tender["milestones"]} == \
        {key: day.isoformat() for key, day in TIMETABLE.items()}
    assert all(m["status"] == "scheduled" and "dateMet" not in m for m in tender["milestones"])
    assert tender["milestones"][0] == {"id": "sq_published", "title": "Selection questionnaire published",
                                       "status": "scheduled", "type": "engagement",
                                       "dueDate": "2022-04-04T23:59:59+01:00"}
    assert tender["tenderPeriod"] == {"startDate": "2022-06-06T00:00:00+01:00",
                                      "endDate": "2022-07-11T23:59:59+01:00"}
    assert tender["contractPeriod"] == {"startDate": "2023-04-01T00:00:00+01:00",
                                       "endDate": "2026-03-31T23:59:59+01:00",
                                       "maxExtentDate": "2028-03-31T23:59:59+01:00"}
    # Bids were imported in draft, but no supplier is named while tenders are open.
    assert "tenderers" not in tender and "numberOfTenderers" not in tender
    assert all(p["id"].startswith("funder-") for p in release["parties"])
    assert "awards" not in release and "contracts" not in release


def test_the_export_is_audited_and_ids_are_unique_per_export(ctx):
    load_demo("demo-password-2022")
    first = demo_release(now=datetime(2022, 4, 1, 9, tzinfo=timezone.utc))
    second = demo_release(ocid_prefix="ocds-abc123")

    assert first["id"] != second["id"] and first["id"].startswith("KCC-22/00033-draft-20220401T090000")
    assert second["ocid"] == "ocds-abc123-KCC-22/00033"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ocds.exported")
                                .order_by(AuditEvent.seq)).all()
    assert [(e.actor, e.procurement_ref) for e in events] == [("test", REFERENCE)] * 2
    assert second["id"] in events[1].after and "ocds-abc123" in events[1].after


def test_a_viewer_may_export_and_an_evaluator_may_not(ctx):
    load_demo("demo-password-2022")
    legal = db.session.scalar(select(User).where(User.email == "morgan.lee@kent.example"))
    evaluator = db.session.scalar(select(User).where(User.email == "sam.evans@kent.example"))

    package = ocds_export.export(audit.Actor.of(legal), user=legal, reference=REFERENCE)
    check_package(package)
    with pytest.raises(NotAuthorised):
        ocds_export.export(audit.Actor.of(evaluator), user=evaluator, reference=REFERENCE)
    with pytest.raises(NotAuthorised):
        ocds_export.export(audit.Actor.of(legal), reference=REFERENCE)  # a person must be checked
    with pytest.raises(NotFound):
        ocds_export.export(SYSTEM, reference="NO-SUCH-REF")


def test_advancing_the_demo_to_tender_evaluation_changes_status_tag_milestones_and_names_tenderers(ctx):
    from tests.integration.test_audit_export import run_demo_procurement_to_tender_evaluation

    run_demo_procurement_to_tender_evaluation()
    release = demo_release()
    tender = release["tender"]

    assert release["tag"] == ["tender"] and tender["status"] == "active"
    assert all(lot["status"] == "active" for lot in tender["lots"])
    met = {m["id"]: m["dateMet"] for m in tender["milestones"] if m["status"] == "met"}
    assert met == {key: "2022-07-12T00:00:00+01:00" for key in
                   ("sq_published", "sq_deadline", "sq_evaluation_started", "itt_issued", "initial_tender_deadline")}
    assert tender["tenderPeriod"]["startDate"] == "2022-07-12T00:00:00+01:00"  # the ITT went out that day
    assert tender["numberOfTenderers"] == 3
    assert sorted(t["name"] for t in tender["tenderers"]) == ["Kent Wellbeing Alliance CIC", "Porchlight", "Shaw Trust"]
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert roles["Medway Community Minds Partnership"] == ["interestedParty"]  # answered the SQ, did not bid
    assert roles["Porchlight"] == ["tenderer"]
    assert "awards" not in release


def test_once_the_contract_is_awarded_lots_with_a_final_ranking_get_an_award_and_a_contract(ctx):
    from tests.integration.test_audit_export import evaluate_demo_lot_one, run_demo_procurement_to_tender_evaluation

    from datetime import datetime, timezone

    from tender.models import AwardApproval, User
    from tender.services.award import recommendation

    p = run_demo_procurement_to_tender_evaluation()
    evaluate_demo_lot_one(p)
    procurement = db.session.get(Procurement, p.id)
    procurement.state = "award_decision"  # the later stages need every lot evaluated; lot 1 is enough here
    db.session.commit()
    officer = db.session.scalar(select(User).where(User.email == "luke.edwards@kent.example"))
    recorded = recommendation.record(p.id, 1, officer)
    approver = db.session.scalar(select(User).where(User.role == "approver"))
    db.session.add(AwardApproval(procurement_id=p.id, approved_by_id=approver.id, authority="Decision 22/00033",
                                 approved_at=datetime.now(timezone.utc)))
    procurement.state = "contract_awarded"
    signed = db.session.scalar(select(Milestone).where(Milestone.procurement_id == p.id,
                                                       Milestone.key == "contract_awarded"))
    signed.status, signed.actual_date = "met", date(2022, 10, 10)
    db.session.commit()

    release = demo_release()

    assert release["tag"] == ["contract"] and release["tender"]["status"] == "complete"
    [award] = release["awards"]
    assert award["status"] == "active" and award["relatedLots"] == ["1"]
    [winner] = award["suppliers"]
    assert winner["id"].endswith(str(recorded.supplier_id)) or recorded.supplier.name == winner["name"]
    roles = {p["id"]: p["roles"] for p in release["parties"]}
    assert roles[winner["id"]] == ["tenderer", "supplier"]
    [contract] = release["contracts"]
    assert contract["awardID"] == award["id"] and contract["status"] == "active"
    assert contract["dateSigned"] == "2022-10-10T00:00:00+01:00"
    assert contract["period"]["endDate"] == "2026-03-31T23:59:59+01:00"
    assert Decimal(str(award["value"]["amount"])) == Decimal(str(contract["value"]["amount"])) * 5 / 3


def test_the_export_reads_a_fixed_number_of_queries_however_many_procurements(ctx):
    load_demo("demo-password-2022")

    def queries() -> int:
        count = 0

        def on_execute(*_args):
            nonlocal count
            count += 1

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", on_execute)
        try:
            check_package(ocds_export.export(SYSTEM))
        finally:
            event.remove(db.engine, "before_cursor_execute", on_execute)
        return count

    one = queries()
    make_procurement(lots=3, candidates=2, bids_per_lot=2)
    make_procurement("open_procedure", regime="pcr2015", lots=1)
    assert queries() == one
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "ocds.exported")) == 2
