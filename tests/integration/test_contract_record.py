"""The contract stage records the contract, and the notices, the UK7's due date and the report read it."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from tender.domain.ocds import checks
from tender.extensions import db
from tender.models import AuditEvent, Contract, Procurement, SQResponse
from tender.services import audit
from tender.services.award import contract as contracts
from tender.services.award import report
from tender.services.award.standstill import contract_details_due, record_notices_sent
from tender.services.errors import ConcurrentChange, InvalidRequest, NotAuthorised
from tender.services.procurement import conflicts_assessment
from tender.services.publishing import details
from tender.services.publishing import ocds as ocds_export
from tests.act_support import revisit_at_award
from tests.helpers import make_user
from tests.integration.test_notices_procurement_act import advance, at, run_to_tender_assessment, set_up
from tests.evaluation_support import user
from tests.letters_support import OFFICER, award_demo
from tests.ocds_support import check_uk_package, require_ocds_dir
from tests.publishing_support import approve, compile_releases, publish, record_decision, score_lot

SYSTEM = audit.Actor.system("test")
TERMS = {"reference": "KCC-25/0042-C1", "signed_on": date(2025, 6, 13), "value": "2400000.00",
         "starts_on": date(2025, 7, 1), "ends_on": date(2028, 6, 30), "extension_years": 2}


def _act_procurement_in_standstill(officer) -> int:
    """The Act procurement of the notices test, taken to standstill by its UK6 published on 3 June 2025."""
    require_ocds_dir()
    pid = set_up(officer)
    run_to_tender_assessment(pid, officer)
    score_lot(pid, 1, "final", officer, [make_user("evaluator"), make_user("evaluator"), make_user("moderator")])
    revisit_at_award(pid, officer)
    record_decision(pid, 1, officer)
    approver = make_user("approver")
    approve(pid, approver, at(date(2025, 5, 29)))
    conflicts_assessment.declare(pid, approver, False, "")
    record_notices_sent(db.session.get(Procurement, pid), datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc), officer,
                        now=datetime(2025, 6, 2, 10, 0, tzinfo=timezone.utc))
    advance(pid, "send_assessment_summaries", officer, date(2025, 6, 2))
    for r in db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid)):
        details.save_organisation(officer, pid, details.SUPPLIER, r.supplier_id, {
            "name": r.supplier.name, "scheme": "GB-COH", "identifier": f"0{r.supplier_id:07d}",
            "street_address": f"{r.supplier_id} High Street", "locality": "Ashford", "postal_code": "TN23 1AA"})
    publish(pid, "award", officer, at(date(2025, 6, 3)))
    assert db.session.get(Procurement, pid).state == "standstill"
    return pid


@pytest.mark.slow
def test_the_uk7_and_the_ocds_contract_carry_the_contract_as_recorded_not_the_day_a_button_was_pressed(ctx):
    officer = make_user("procurement_officer")
    pid = _act_procurement_in_standstill(officer)

    # During standstill the contract cannot be recorded (the page says why, the service refuses the same way).
    procurement = db.session.get(Procurement, pid)
    assert "standstill" in contracts.refusal(procurement, date(2025, 6, 10)).lower()
    with pytest.raises(InvalidRequest, match="cannot be entered into yet"):
        contracts.record(pid, 1, officer, **TERMS, today=date(2025, 6, 10))
    # Once standstill is over: a signing day inside standstill is refused, naming the first lawful day.
    with pytest.raises(InvalidRequest, match="on or after 13 June 2025") as refused:
        contracts.record(pid, 1, officer, **{**TERMS, "signed_on": date(2025, 6, 12)}, today=date(2025, 6, 16))
    assert refused.value.field == "signed_on"
    contracts.record(pid, 1, officer, **TERMS, today=date(2025, 6, 16))
    advance(pid, "enter_contract", officer, date(2025, 6, 16))  # pressed three days after signing
    # The UK7 is due 30 days from the day the contract was signed (s.53), not from the day the button was pressed.
    assert contract_details_due(db.session.get(Procurement, pid)) == date(2025, 7, 12)
    publish(pid, "contract", officer, at(date(2025, 6, 17)))

    package = ocds_export.export(SYSTEM, reference="KCC-25/0042")
    check_uk_package(package)
    contract_release = package["releases"][-1]
    [contract] = contract_release["contracts"]
    assert contract["description"] == "Contract reference KCC-25/0042-C1."
    assert contract["dateSigned"] == "2025-06-13T00:00:00+01:00"
    assert Decimal(str(contract["value"]["amount"])) == Decimal("2400000.00")
    assert contract["period"] == {"startDate": "2025-07-01T00:00:00+01:00", "endDate": "2028-06-30T23:59:59+01:00",
                                  "durationInMonths": 36, "maxExtentDate": "2030-06-30T23:59:59+01:00"}
    for release in package["releases"]:
        assert checks.problems(release) == []
    assert checks.problems(compile_releases(package)) == []


def test_recording_and_correcting_a_contract_is_audited_versioned_and_refused_when_wrong(ctx):
    pid = award_demo(lots=(1,))
    officer = user(OFFICER)
    procurement = db.session.get(Procurement, pid)
    today = date(2026, 12, 7)
    assert contracts.refusal(procurement, today) is not None  # at the award decision, nothing to record yet
    procurement.state = "contract_awarded"
    db.session.commit()
    assert contracts.refusal(procurement, today) is None

    for field, bad, message in (("reference", "  ", "Enter the contract reference"),
                                ("reference", "x\x00y", "control characters"),
                                ("value", "0", "between £0.01 and £10,000,000,000"),
                                ("value", "10000000000.01", "between £0.01 and £10,000,000,000"),
                                ("value", "1.001", "2 decimal places"),
                                ("ends_on", date(2022, 10, 1), "must be after its start date"),
                                ("signed_on", date(2027, 1, 1), "today or in the past"),
                                ("extension_years", 26, "from 0 to 25"),
                                ("extension_years", -1, "from 0 to 25")):
        with pytest.raises(InvalidRequest, match=message) as refused:
            contracts.record(pid, 1, officer, **{**TERMS, field: bad}, today=today)
        assert refused.value.field == field
    with pytest.raises(NotAuthorised):
        contracts.record(pid, 1, make_user("approver"), **TERMS, today=today)
    assert db.session.scalar(select(Contract.id)) is None

    first = contracts.record(pid, 1, officer, **TERMS, today=today)
    assert (first.reference, first.value, first.supplier_id) == (
        "KCC-25/0042-C1", Decimal("2400000.00"), contracts.awarded(pid)[0][1].supplier_id)
    version = first.version
    with pytest.raises(InvalidRequest, match="Nothing has changed"):
        contracts.record(pid, 1, officer, **TERMS, expected_version=version, today=today)
    corrected = contracts.record(pid, 1, officer, **{**TERMS, "value": "2450000"}, expected_version=version,
                                 today=today)
    assert corrected.value == Decimal("2450000.00") and corrected.version == version + 1
    # Someone correcting from the page as it was before that correction loses, and changes nothing.
    with pytest.raises(ConcurrentChange):
        contracts.record(pid, 1, officer, **{**TERMS, "value": "1"}, expected_version=version, today=today)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("contract.%"))
                                .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["contract.recorded", "contract.corrected"]
    assert '"2450000.00"' in events[1].after and '"2400000.00"' in events[1].before
    # The procurement report states the contract as signed.
    context = report.build(db.session.get(Procurement, pid))
    assert context["contracts_signed"][0]["contract"].reference == "KCC-25/0042-C1"
    assert context["signed_value"] == Decimal("2450000.00")


def test_the_database_refuses_a_contract_outside_the_bounds_whatever_the_code_does(ctx):
    pid = award_demo(lots=(1,), approve=False)
    lot, rec = contracts.awarded(pid)[0]
    good = {"procurement_id": pid, "lot_id": lot.id, "supplier_id": rec.supplier_id, "reference": "C-1",
            "signed_on": date(2022, 10, 7), "value": Decimal("100.00"), "starts_on": date(2022, 10, 8),
            "ends_on": date(2025, 10, 7), "extension_years": 0, "recorded_by_id": rec.recorded_by_id,
            "recorded_at": datetime(2022, 10, 7, tzinfo=timezone.utc), "version": 1}
    for bad in ({"value": Decimal("0")}, {"value": Decimal("10000000001")}, {"reference": ""},
                {"ends_on": date(2022, 10, 8)}, {"extension_years": 26}, {"signed_on": date(1989, 12, 31)}):
        with pytest.raises(IntegrityError):
            db.session.execute(insert(Contract).values(**{**good, **bad}))
        db.session.rollback()
    db.session.execute(insert(Contract).values(**good))
    db.session.commit()
    with pytest.raises(IntegrityError):  # one contract per lot
        db.session.execute(insert(Contract).values(**{**good, "reference": "C-2"}))
    db.session.rollback()


def test_two_officers_recording_the_same_lot_at_once_give_one_contract(app):
    with app.app_context():
        pid = award_demo(lots=(1,))
        db.session.get(Procurement, pid).state = "contract_awarded"
        db.session.commit()
    results = []
    barrier = threading.Barrier(2)

    def record(value: str) -> None:
        with app.app_context():
            officer = user(OFFICER)
            barrier.wait()
            try:
                contracts.record(pid, 1, officer, **{**TERMS, "value": value}, today=date(2026, 12, 7))
                results.append("recorded")
            except ConcurrentChange as exc:
                results.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=record, args=(v,)) for v in ("1000.00", "2000.00")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert len(db.session.scalars(select(Contract)).all()) == 1
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("contract.%"))).all()) == 1
    assert sorted(results) == ["ConcurrentChange", "recorded"]
