"""Notices as Find a Tender publishes them: what lib-cove-ocds checks, and a notice recorded as published elsewhere.

lib-cove-ocds (the Open Contracting Partnership's own checker) builds its schema
from the extensions each package declares, served offline from ../shared/ocds
(``tests/cove_support.py``): the demo's notices must pass it with no error.
"""
from __future__ import annotations

import copy
import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tender.demo import REFERENCE
from tender.domain.ocds import UK_EXTENSION
from tender.extensions import db
from tender.models import AuditEvent, Notice, Procurement
from tender.services.errors import InvalidRequest, NotFound
from tender.services.publishing import elsewhere, notices
from tender.services.publishing import ocds as ocds_export
from tests.cove_support import assert_cove_clean, cove_errors, cove_schema_fields
from tests.integration.test_notices_demo import OFFICER, SYSTEM, at, demo, run_demo_to_contract_awarded
from tests.ocds_support import check_uk_package, require_ocds_dir
from tests.publishing_support import publish, user

UK_FIELDS = {"aboveThreshold", "amountGross", "specialRegime", "assessmentSummariesDateSent", "noticeType",
             "statistics", "expressionOfInterestDeadline", "durationInMonths", "vcse"}
CONTRACT_NOTICE_AT = datetime(2022, 4, 1, 10, 30, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _shared_ocds():
    require_ocds_dir()


def record_on_fts(procurement_id: int, officer) -> None:
    """The demo's contract notice went to Find a Tender directly: the officer records its number and moment."""
    elsewhere.record(procurement_id, "tender", officer, "003456-2022", CONTRACT_NOTICE_AT, "ocds-h6vhtk-0001a2",
                     now=at(date(2022, 4, 1), 12))


@pytest.mark.slow
def test_lib_cove_ocds_builds_the_uk_schema_from_the_declared_extensions_and_finds_no_error_in_the_demo(ctx):
    p = run_demo_to_contract_awarded()
    publish(p.id, "award", user(OFFICER), at(date(2022, 10, 12)))
    package = ocds_export.export(SYSTEM, reference=REFERENCE)

    assert_cove_clean(package)
    check_uk_package(package)
    assert cove_schema_fields(package) >= UK_FIELDS  # the UK extension and its dependencies were merged
    # It does check: the UK extension alone leaves its references unresolved, and a wrong type is reported.
    assert any(e.startswith("no schema built") for e in cove_errors({**package, "extensions": [UK_EXTENSION]}))
    broken = copy.deepcopy(package)
    broken["releases"][1]["awards"][0]["value"]["amountGross"] = "£1m"
    assert [e for e in cove_errors(broken) if "amountGross" in e or "£1m" in e]

    contract_notice, award_notice = package["releases"]
    tender = award_notice["tender"]
    assert tender["specialRegime"] == ["lightTouch"] and tender["aboveThreshold"] is True
    assert tender["value"]["amountGross"] == tender["value"]["amount"] * 1.2  # the standard rate, 20%
    tenderers = [party for party in award_notice["parties"] if "tenderer" in party["roles"]]
    assert len(tenderers) == tender["numberOfTenderers"] == 3  # winners and the rest
    assert all(party["address"]["country"] == "GB" for party in award_notice["parties"])
    measures = {(s["relatedLot"], s["measure"]) for s in award_notice["bids"]["statistics"] if "relatedLot" in s}
    assert {lot for lot, measure in measures if measure == "finalStageBids"} == {"1", "2", "3", "4", "5"}
    assert tender["tenderPeriod"] == contract_notice["tender"]["tenderPeriod"]


@pytest.mark.slow
def test_a_contract_notice_published_elsewhere_unblocks_the_award_notice_which_keeps_its_find_a_tender_id(ctx):
    p = run_demo_to_contract_awarded(tender_notice=record_on_fts)
    officer = user(OFFICER)
    assert [(o.kind, o.blocked) for o in notices.options(p.id, officer)] == [("tender", None), ("award", None)]

    award = publish(p.id, "award", officer, at(date(2022, 10, 12)))
    release = json.loads(award.release_json)
    fts = release["tender"]["documents"][0]
    assert fts == {"id": "003456-2022", "documentType": "tenderNotice", "noticeType": "F21",
                   "title": "Contract notice (social and other specific services) (F21) on Find a Tender",
                   "url": "https://www.find-tender.service.gov.uk/Notice/003456-2022", "language": "en",
                   "datePublished": "2022-04-01T10:30:00Z", "description": "Find a Tender ocid ocds-h6vhtk-0001a2."}
    notices.record_fts_numbers(p.id, "award", officer, "ocds-h6vhtk-0001a2", "009876-2022")

    package = ocds_export.export(SYSTEM, reference=REFERENCE)
    [exported] = package["releases"]  # Find a Tender holds the contract notice; Tender exports what it published
    assert exported["tender"]["documents"][0]["id"] == "003456-2022"
    assert {d["id"] for a in exported["awards"] for d in a.get("documents", [])} == {release["id"], "009876-2022"}
    assert json.loads(award.release_json) == release  # the stored bytes did not change: the export adds the id
    assert_cove_clean(package)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notice.recorded_elsewhere"))
    assert event.actor == OFFICER and json.loads(event.after)["fts_notice_number"] == "003456-2022"


def test_recording_a_notice_published_elsewhere_is_checked_and_happens_once(ctx):
    p = demo()
    officer = user(OFFICER)
    now = at(date(2022, 4, 1), 12)
    p.state = "tenders_closed"  # the procurement came into Tender after tenders closed
    db.session.commit()
    assert [o.blocked for o in notices.options(p.id, officer)] == [
        "Tenders have closed: the tender notice is past.", "Publish the tender notice first."]

    with pytest.raises(InvalidRequest, match="Publish or record the F21 first"):
        elsewhere.record(p.id, "award", officer, "003457-2022", CONTRACT_NOTICE_AT, now=now)
    for number, moment, message in [
            ("3456-2022", CONTRACT_NOTICE_AT, "6 digits, a hyphen and the year"),
            ("003456-2021", CONTRACT_NOTICE_AT, "numbered in 2021, but you entered a publication date in 2022"),
            ("003456-2022", datetime(2022, 4, 2, tzinfo=timezone.utc), "cannot be in the future"),
            ("003456-2022", datetime(2022, 4, 1, 10, 30), "Enter the date and time")]:
        with pytest.raises(InvalidRequest, match=message):
            elsewhere.record(p.id, "tender", officer, number, moment, now=now)
    with pytest.raises(NotFound):
        elsewhere.record(p.id, "termination", officer, "003456-2022", CONTRACT_NOTICE_AT, now=now)
    assert db.session.scalar(select(Notice)) is None

    record_on_fts(p.id, officer)
    notice = db.session.scalar(select(Notice))
    assert (notice.source, notice.notice_type, notice.release_json, notice.fts_notice_number) == \
        ("elsewhere", "F21", None, "003456-2022")
    assert [o.blocked for o in notices.options(p.id, officer)] == [None, "Available once the contract is awarded."]
    with pytest.raises(InvalidRequest, match="already published or recorded"):
        record_on_fts(p.id, officer)
    with pytest.raises(InvalidRequest, match="before the F21 was published"):
        elsewhere.record(p.id, "award", officer, "003457-2022", datetime(2022, 3, 1, tzinfo=timezone.utc), now=now)
    with pytest.raises(NotFound, match="No notice has been published"):
        ocds_export.export(SYSTEM, reference=REFERENCE)  # nothing Tender published to export
    assert db.session.get(Procurement, p.id).award_notice_published_at is None  # a PCR notice starts no standstill
