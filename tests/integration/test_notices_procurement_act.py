"""A Procurement Act 2023 procurement set up and run in the app publishes UK4, UK6 and UK7 (or UK12)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from tender.domain.ocds import checks
from tender.extensions import db
from tender.models import AwardRecommendation, Milestone, Procurement, SQResponse
from tender.services import audit
from tender.services.errors import InvalidRequest
from tender.services.procurement import conflicts_assessment, responses, setup, workflow
from tender.services.publishing import details, notices
from tender.services.publishing import ocds as ocds_export
from tests.act_support import assess_conflicts, revisit_at_award
from tests.cove_support import assert_cove_clean
from tests.helpers import make_user
from tests.ocds_support import check_uk_package, require_ocds_dir
from tests.publishing_support import approve, compile_releases, publish, record_decision, score_lot

SYSTEM = audit.Actor.system("test")
TIMETABLE = {
    "tender_notice_published": date(2025, 3, 3), "participation_deadline": date(2025, 4, 1),
    "itt_issued": date(2025, 4, 7), "tender_deadline": date(2025, 5, 12), "assessment_started": date(2025, 5, 13),
    "assessment_summaries_sent": date(2025, 6, 2), "contract_award_notice_published": date(2025, 6, 3),
    "contract_entered": date(2025, 6, 17), "contract_details_published": date(2025, 6, 20),
    "mobilisation_started": date(2025, 6, 23), "service_live": date(2025, 10, 1),
}
COUNCIL = {"name": "Kent County Council", "scheme": "GB-PPON", "identifier": "PDMO-KENT-0001",
           "street_address": "Sessions House, County Road", "locality": "Maidstone", "postal_code": "me14 1xq",
           "region": "tlj4", "contact_email": "commissioning@kent.example",
           "authority_type": "publicAuthoritySubCentralGovernment"}
ICB = {"name": "NHS Kent and Medway", "scheme": "GB-NHS", "identifier": "QKS", "street_address": "Kent House",
       "locality": "Maidstone", "postal_code": "ME15 6NB"}


@pytest.fixture(autouse=True)
def _shared_ocds():
    require_ocds_dir()


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def set_up(officer) -> int:
    """As an officer does on the set-up and notices pages: procurement, lot, funders, timetable, details."""
    p = setup.create_procurement(officer, "KCC-25/0042", "Community wellbeing service", "One lot, under the Act.",
                                 "competitive_flexible_procedure", "pa2023", Decimal("2500000.00"), 3, [2], True,
                                 False, False, False, officer.id)
    setup.add_lot(officer, p.id, 1, "Kent-wide wellbeing service", Decimal("500000.00"),
                  "community_services_quality_price_social_value")
    setup.add_funder(officer, p.id, "Kent County Council Public Health", Decimal("300000.00"), Decimal("0"),
                     is_lead=True)
    setup.add_funder(officer, p.id, "NHS Kent and Medway", Decimal("200000.00"), Decimal("0"))
    for m in db.session.scalars(select(Milestone).where(Milestone.procurement_id == p.id)):
        setup.plan_milestone(officer, p.id, m.id, TIMETABLE[m.key], officer.id, today=date(2025, 2, 24))
    details.save_organisation(officer, p.id, details.AUTHORITY, None, COUNCIL)
    lead, partner = sorted(db.session.get(Procurement, p.id).funders, key=lambda x: not x.is_lead)
    details.save_organisation(officer, p.id, details.FUNDER, lead.id, {**COUNCIL, "authority_type": None})
    details.save_organisation(officer, p.id, details.FUNDER, partner.id, ICB)
    details.save_classification(officer, p.id, "85323000-9", {1: ""}, "electronicSubmission",
                                "https://www.kentbusinessportal.org.uk", date(2025, 5, 2))
    return p.id


def advance(pid: int, trigger: str, officer, today: date, reason: str | None = None) -> None:
    workflow.advance(pid, trigger, officer, expected_version=db.session.get(Procurement, pid).version, today=today,
                     reason=reason)


def run_to_tender_assessment(pid: int, officer) -> None:
    assess_conflicts(pid, officer, make_user("approver"))
    publish(pid, "tender", officer, at(date(2025, 3, 3)))  # publishing the UK4 opens the participation period
    assert db.session.get(Procurement, pid).state == "participation_period"
    for i, name in enumerate(("Acme Care CIC", "Beacon Wellbeing", "Coastal Minds")):
        responses.register_sq_response(officer, pid, name, at(date(2025, 3, 20 + i)))
    advance(pid, "close_participation", officer, date(2025, 4, 2))
    # The shortlist service knows only the PCR stage names so far (the Act's path through the web is branch
    # standstill's work): record the participation decisions as it would.
    for r in db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid).order_by(SQResponse.id)):
        r.decision, r.decision_reason = "shortlisted", "Meets the conditions of participation"
        r.decided_by_id, r.decided_at = officer.id, at(date(2025, 4, 3))
    db.session.commit()
    advance(pid, "issue_itt", officer, date(2025, 4, 7))
    for r, price in zip(db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid)
                                           .order_by(SQResponse.id)), ("480000", "455000", "490000")):
        responses.record_bid(officer, pid, 1, r.supplier_id, "final", at(date(2025, 5, 9)), Decimal(price))
    advance(pid, "close_tenders", officer, date(2025, 5, 13))
    advance(pid, "start_assessment", officer, date(2025, 5, 13))


@pytest.mark.slow
def test_a_procurement_act_procurement_publishes_uk4_uk6_and_uk7_that_compile_to_its_latest_state(ctx):
    officer = make_user("procurement_officer")
    pid = set_up(officer)
    run_to_tender_assessment(pid, officer)
    score_lot(pid, 1, "final", officer, [make_user("evaluator"), make_user("evaluator"), make_user("moderator")])
    revisit_at_award(pid, officer)
    record_decision(pid, 1, officer)
    approver = make_user("approver")
    approve(pid, approver, at(date(2025, 5, 29)))
    conflicts_assessment.declare(pid, approver, False, "")  # the approver acts for the authority too (s.83)
    from tender.services.award.standstill import record_notices_sent

    record_notices_sent(db.session.get(Procurement, pid), datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc), officer,
                        now=datetime(2025, 6, 2, 10, 0, tzinfo=timezone.utc))
    advance(pid, "send_assessment_summaries", officer, date(2025, 6, 2))
    db.session.commit()

    # No tenderer has an identifier or address yet (each is a party, the winner first): the UK6 is refused,
    # naming the fields.
    preview = notices.preview(pid, "award", officer, now=at(date(2025, 6, 3)))
    assert [p.field for p in preview.problems] == [f"parties/{i}/{name}" for i in (2, 3, 4)
                                                   for name in ("identifier", "address")]
    with pytest.raises(InvalidRequest, match="parties/2/identifier: enter the identifier of"):
        notices.publish(pid, "award", officer, generated_at=preview.generated_at, expected_sha256=preview.sha256,
                        now=at(date(2025, 6, 3)))
    for r in db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid)):
        details.save_organisation(officer, pid, details.SUPPLIER, r.supplier_id, {
            "name": r.supplier.name, "scheme": "GB-COH", "identifier": f"0{r.supplier_id:07d}",
            "street_address": f"{r.supplier_id} High Street", "locality": "Ashford", "postal_code": "TN23 1AA",
            "vcse": True})
    uk6 = publish(pid, "award", officer, at(date(2025, 6, 3)))  # publishing the UK6 starts standstill (s.51)
    assert db.session.get(Procurement, pid).state == "standstill"
    advance(pid, "enter_contract", officer, date(2025, 6, 13))
    uk7 = publish(pid, "contract", officer, at(date(2025, 6, 16)))
    assert db.session.get(Procurement, pid).state == "contract_details_published"

    package = ocds_export.export(SYSTEM, reference="KCC-25/0042")
    check_uk_package(package)
    uk4, award_release, contract_release = package["releases"]
    # The tender notice is listed again in every later release (as published); later ones go with the award.
    assert [[d["noticeType"] for d in n["tender"].get("documents", [])] for n in package["releases"]] == \
        [["UK4"], ["UK4"], ["UK4"]]
    assert [uk6.notice_type, uk7.notice_type] == ["UK6", "UK7"]
    assert [r["date"] for r in package["releases"]] == ["2025-03-03T09:00:00Z", "2025-06-03T09:00:00Z",
                                                         "2025-06-16T09:00:00Z"]
    assert len({r["ocid"] for r in package["releases"]}) == 1

    # UK4: lots, CPV, award criteria with weights, the submission deadline, the Act as legal basis.
    tender = uk4["tender"]
    assert tender["legalBasis"] == {"scheme": "UKPGA", "id": "2023/54", "description": "Procurement Act 2023"}
    assert [lot["id"] for lot in tender["lots"]] == ["1"]
    assert {i["classification"]["id"] for i in tender["items"]} == {"85323000-9"}
    assert [(c["name"], c["numbers"][0]["number"]) for c in tender["lots"][0]["awardCriteria"]["criteria"]] == \
        [("Quality", 60), ("Social value", 10), ("Price", 30)]
    assert tender["tenderPeriod"]["endDate"] == "2025-05-12T23:59:59+01:00"
    assert tender["expressionOfInterestDeadline"] == "2025-04-01T23:59:59+01:00"
    assert [p["roles"] for p in uk4["parties"]] == [["buyer", "procuringEntity", "funder"], ["funder"]]
    assert uk4["parties"][0]["address"]["postalCode"] == "ME14 1XQ"  # entered in lower case, stored as a postcode

    # UK6: the recorded winner and value, the standstill of 8 working days from publication, summaries date.
    [award] = award_release["awards"]
    rec = json.loads(db.session.scalar(select(AwardRecommendation.decision)))
    assert award["suppliers"][0]["name"] == rec["recommended"]["supplier"] and award["status"] == "pending"
    assert award["suppliers"][0]["id"].startswith("GB-COH-")
    assert Decimal(str(award["value"]["amount"])) == Decimal(rec["contract_value"]) == Decimal(rec["annual_price"]) * 5
    assert award["standstillPeriod"] == {"startDate": "2025-06-02T23:00:00Z", "endDate": "2025-06-12T22:59:59Z"}
    assert award["assessmentSummariesDateSent"] == "2025-06-02T09:00:00Z"  # the moment recorded, not the day
    assert award["documents"][0]["noticeType"] == "UK6"
    assert [c["status"] for c in award_release["contracts"]] == ["pending"]

    # UK7: the contract entered into after standstill.
    [contract] = contract_release["contracts"]
    assert contract["status"] == "active" and contract["dateSigned"] == "2025-06-13T00:00:00+01:00"
    assert contract["documents"][0]["noticeType"] == "UK7"

    for release in package["releases"]:
        assert checks.problems(release) == []
        assert all(p.get("identifier", {}).get("id") and p.get("address") for p in release["parties"])
    compiled = compile_releases(package)
    assert checks.problems(compiled) == []  # no date in one notice contradicts another
    assert compiled["awards"][0]["status"] == "active" and compiled["contracts"][0]["status"] == "active"
    assert compiled["tender"]["status"] == "complete" and compiled["date"] == "2025-06-16T09:00:00Z"
    assert {d["noticeType"] for d in compiled["awards"][0]["documents"]} == {"UK6"}
    assert json.dumps(package) == json.dumps(ocds_export.export(SYSTEM, reference="KCC-25/0042"))

    # lib-cove-ocds, given the extensions the package declares, builds the UK schema and finds no error.
    assert_cove_clean(package)
    # The UK4's deadlines and dates are repeated byte for byte in the UK6 and the UK7, though the record moved on
    # (tenders closed, requests to participate closed, on days of their own).
    moved = {m.key: m for m in db.session.scalars(select(Milestone).where(Milestone.procurement_id == pid))}
    assert moved["tender_deadline"].actual_date not in (None, moved["tender_deadline"].planned_date)
    for name in ("tenderPeriod", "enquiryPeriod", "expressionOfInterestDeadline", "contractPeriod", "aboveThreshold"):
        assert {json.dumps(r["tender"][name]) for r in package["releases"]} == {json.dumps(uk4["tender"][name])}, name
    for r in package["releases"]:
        assert json.dumps(r["tender"]["lots"][0]["contractPeriod"]) == json.dumps(tender["lots"][0]["contractPeriod"])
        assert [m.get("dueDate") for m in r["tender"]["milestones"]] == [m.get("dueDate") for m in tender["milestones"]]
    assert json.dumps(contract_release["awards"][0]["standstillPeriod"]) == json.dumps(award["standstillPeriod"])
    assert [p["roles"] for p in award_release["parties"][2:]] == [["tenderer", "supplier"], ["tenderer"], ["tenderer"]]


def test_an_abandoned_procurement_publishes_a_uk12_after_its_uk4(ctx):
    officer = make_user("procurement_officer")
    pid = set_up(officer)
    assess_conflicts(pid, officer, make_user("approver"))
    publish(pid, "tender", officer, at(date(2025, 3, 3)))
    with pytest.raises(InvalidRequest, match="Only when the procurement is abandoned"):
        notices.preview(pid, "termination", officer, now=at(date(2025, 3, 10)))
    advance(pid, "abandon", officer, date(2025, 3, 10), reason="The service is no longer needed.")

    notice = publish(pid, "termination", officer, at(date(2025, 3, 10)))
    release = json.loads(notice.release_json)
    package = ocds_export.export(SYSTEM, reference="KCC-25/0042")

    check_uk_package(package)
    assert notice.notice_type == "UK12" and release["tag"] == ["tenderCancellation"]
    assert release["tender"]["status"] == "cancelled"
    assert [d["noticeType"] for d in release["tender"]["documents"]] == ["UK4", "UK12"]
    assert compile_releases(package)["tender"]["status"] == "cancelled"


def test_details_are_refused_field_by_field_and_nothing_is_saved(ctx):
    officer = make_user("procurement_officer")
    p = setup.create_procurement(officer, "KCC-25/0043", "Services", "", "competitive_flexible_procedure", "pa2023",
                                 Decimal("500000.00"), 3, [], True, False, False, False, officer.id)
    with pytest.raises(details.DetailsInvalid) as refused:
        details.save_organisation(officer, p.id, details.AUTHORITY, None, {**COUNCIL, "postal_code": "nowhere",
                                                                           "scheme": "DUNS"})
    assert refused.value.problems == {"scheme": "Choose the register the identifier comes from.",
                                      "postal_code": "Enter a UK postcode, like ME14 1XQ."}
    with pytest.raises(details.DetailsInvalid) as refused:
        details.save_classification(officer, p.id, "85323000", {}, "byPigeon", None, None)
    assert set(refused.value.problems) == {"cpv_code", "submission_method"}
    assert details.organisation_of(p.id, details.AUTHORITY) is None and details.settings_of(p.id) is None


def test_the_tender_notice_can_no_longer_go_out_once_tenders_have_closed(ctx):
    officer = make_user("procurement_officer")
    pid = set_up(officer)
    db.session.get(Procurement, pid).state = "tenders_closed"
    db.session.commit()

    with pytest.raises(InvalidRequest, match="Tenders have closed"):
        notices.preview(pid, "tender", officer)
    assert [(o.code, o.blocked) for o in notices.options(pid, officer)][0] == \
        ("UK4", "Tenders have closed: the tender notice is past.")
