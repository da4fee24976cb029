"""The pure notice builder and the product's own release checks (no app, no database)."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from tender.domain.ocds import checks, cpv, dates, facts as f, notices, parties

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=timezone.utc)
ADDRESS = f.Address("Sessions House, County Road", "Maidstone", "ME14 1XQ", "TLJ4")
COUNCIL = f.Organisation("Kent County Council", "GB-PPON", "PDMO-KENT-0001", ADDRESS,
                         authority_type="publicAuthoritySubCentralGovernment", contact_email="c@kent.example")
ICB = f.Organisation("NHS Kent and Medway", "GB-NHS", "QKS", f.Address("Kent House", "Maidstone", "ME15 6NB"),
                     ppon="PDMO-KMCG-0002")
ACME = f.Organisation("Acme Care CIC", "GB-COH", "01234567", f.Address("1 High Street", "Ashford", "TN23 1AA"),
                      vcse=True)
BETA = f.Organisation("Beta Support Ltd", "GB-COH", "07654321", f.Address("2 Bank Street", "Ashford", "TN23 1BB"),
                      vcse=False)


def milestone(key, planned, actual=None, kind="engagement"):
    return f.Milestone(key, key.replace("_", " "), kind, planned, actual, "met" if actual else "scheduled")


def procurement(**overrides) -> f.Procurement:
    fields = dict(
        reference="KCC-25/0001", title="Community services", description="Two lots.",
        procedure="competitive_flexible_procedure", procedure_title="Competitive flexible procedure",
        regime="pa2023", stage="participation_period", estimated_value=Decimal("1000000.00"), initial_term_years=3,
        extension_years=(2,), authority=COUNCIL,
        funders=(f.Funder("Kent County Council Public Health", Decimal("100000"), COUNCIL),
                 f.Funder("NHS Kent and Medway", Decimal("100000"), ICB)),
        cpv="85323000-9",
        lots=(f.Lot(1, "North", Decimal("100000"), None, (f.Criterion("quality", "Quality", Decimal("70")),
                                                          f.Criterion("price", "Price", Decimal("30")))),
              f.Lot(2, "South", Decimal("100000"), "85312320-8", (f.Criterion("price", "Price", Decimal("100")),))),
        milestones=(milestone("tender_notice_published", date(2025, 3, 3), date(2025, 3, 3)),
                    milestone("participation_deadline", date(2025, 4, 1)),
                    milestone("itt_issued", date(2025, 4, 14)), milestone("tender_deadline", date(2025, 5, 19)),
                    milestone("service_live", date(2026, 4, 1), kind="delivery")),
        submission_method="electronicSubmission", submission_url="https://portal.example/kcc",
        enquiry_deadline=date(2025, 5, 9), suppliers={7: ACME, 8: BETA},
        supplier_names={7: "Acme Care CIC", 8: "Beta Support Ltd"}, tenderers=(7, 8), tenderer_count=2,
        requests=3, lot_bids=(f.LotBids(1, 2, 2, 1), f.LotBids(2, 1, 1, None)), vat_percent=Decimal("20"))
    fields.update(overrides)
    return f.Procurement(**fields)


def awarded(**overrides) -> f.Procurement:
    return procurement(stage="standstill", awards=(
        f.Award(1, 7, Decimal("90000"), Decimal("450000"), datetime(2025, 5, 28, 12, tzinfo=timezone.utc)),
        f.Award(2, None, None, None, datetime(2025, 5, 28, 12, tzinfo=timezone.utc), "No compliant tender.")),
        standstill=f.Standstill(datetime(2025, 6, 2, tzinfo=dates.UK), datetime(2025, 6, 11, 23, 59, 59,
                                                                                  tzinfo=dates.UK)),
        assessment_summaries_sent=datetime(2025, 5, 30, 8, 15, tzinfo=timezone.utc), **overrides)


def build(p: f.Procurement, kind: str) -> dict:
    return notices.build(p, kind, ocid="ocds-test-KCC-25/0001", release_id=f"r-{kind}", published=NOW)


def test_a_uk4_carries_legal_basis_cpv_lots_criteria_submission_and_every_party_with_identifier_and_address():
    release = build(procurement(), notices.TENDER)
    tender = release["tender"]

    assert checks.problems(release) == []
    assert release["tag"] == ["tender"] and release["date"] == "2025-06-02T09:30:00Z"
    assert tender["legalBasis"] == {"scheme": "UKPGA", "id": "2023/54", "description": "Procurement Act 2023"}
    assert tender["documents"] == [{"id": "r-tender", "documentType": "tenderNotice", "noticeType": "UK4",
                                    "title": "Tender notice (UK4): Community services",
                                    "datePublished": "2025-06-02T09:30:00Z", "language": "en"}]
    assert [(i["id"], i["classification"]["id"]) for i in tender["items"]] == \
        [("0", "85323000-9"), ("1", "85323000-9"), ("2", "85312320-8")]
    assert tender["lots"][0]["awardCriteria"]["criteria"][0] == {
        "type": "quality", "name": "Quality", "numbers": [{"number": 70, "weight": "percentageExact"}]}
    assert tender["tenderPeriod"]["endDate"] == "2025-05-19T23:59:59+01:00"
    assert tender["expressionOfInterestDeadline"] == "2025-04-01T23:59:59+01:00"
    assert tender["submissionMethod"] == ["electronicSubmission"]
    council, icb = release["parties"]
    assert council["id"] == "GB-PPON-PDMO-KENT-0001" and council["roles"] == ["buyer", "procuringEntity", "funder"]
    assert council["details"]["classifications"][0]["scheme"] == "UK_CA_TYPE"
    assert icb["roles"] == ["funder"] and icb["additionalIdentifiers"] == [{"scheme": "GB-PPON",
                                                                            "id": "PDMO-KMCG-0002"}]
    assert release["planning"]["budget"]["amount"] == {"amount": 1000000, "amountGross": 1200000, "currency": "GBP"}
    assert council["address"]["country"] == "GB" and council["address"]["countryName"] == "United Kingdom"
    assert tender["aboveThreshold"] is True and "specialRegime" not in tender  # £1.2m with VAT, sub-central
    assert "bids" not in release and "tenderers" not in tender  # nobody has tendered yet


def test_a_uk6_names_each_winner_with_value_standstill_and_assessment_summaries_date():
    release = build(awarded(), notices.AWARD)

    assert checks.problems(release) == []
    won, lost = release["awards"]
    assert won["status"] == "pending" and won["suppliers"] == [{"id": "GB-COH-01234567", "name": "Acme Care CIC"}]
    assert won["value"] == {"amount": 450000, "amountGross": 540000, "currency": "GBP"}
    assert won["standstillPeriod"] == {"startDate": "2025-06-01T23:00:00Z", "endDate": "2025-06-11T22:59:59Z"}
    assert won["assessmentSummariesDateSent"] == "2025-05-30T08:15:00Z"  # the moment sent, not the day
    assert won["aboveThreshold"] is True and release["contracts"][0]["aboveThreshold"] is True
    assert won["documents"][0]["noticeType"] == "UK6"
    assert lost["status"] == "unsuccessful" and lost["description"] == "No compliant tender." and "suppliers" not in lost
    assert [c["status"] for c in release["contracts"]] == ["pending"]
    assert [lot["status"] for lot in release["tender"]["lots"]] == ["complete", "unsuccessful"]
    supplier = next(p for p in release["parties"] if "supplier" in p["roles"])
    assert supplier["details"] == {"vcse": True}
    # Every tenderer is a party, winners or not, and the tender lists them.
    assert [(p["name"], p["roles"]) for p in release["parties"][2:]] == \
        [("Acme Care CIC", ["tenderer", "supplier"]), ("Beta Support Ltd", ["tenderer"])]
    assert [t["id"] for t in release["tender"]["tenderers"]] == ["GB-COH-01234567", "GB-COH-07654321"]
    assert release["bids"]["statistics"] == [
        {"id": "requests", "measure": "requests", "value": 3},
        {"id": "lot-1-bids", "measure": "bids", "value": 2, "relatedLot": "1"},
        {"id": "lot-1-finalStageBids", "measure": "finalStageBids", "value": 2, "relatedLot": "1"},
        {"id": "lot-1-vcseFinalStageBids", "measure": "vcseFinalStageBids", "value": 1, "relatedLot": "1"},
        {"id": "lot-2-bids", "measure": "bids", "value": 1, "relatedLot": "2"},
        {"id": "lot-2-finalStageBids", "measure": "finalStageBids", "value": 1, "relatedLot": "2"}]


def test_a_supplier_without_details_is_refused_naming_the_missing_identifier_and_address():
    release = build(awarded(suppliers={}), notices.AWARD)

    found = [str(p) for p in checks.problems(release)]
    assert "parties/2/identifier: enter the identifier of Acme Care CIC" in found
    assert "parties/2/address: enter the address of Acme Care CIC" in found
    with pytest.raises(checks.ReleaseInvalid, match="parties/2/identifier"):
        checks.check(release)


@pytest.mark.parametrize("change, field", [
    (lambda r: r["tender"]["tenderPeriod"].update(startDate="2025-06-01T00:00:00+01:00"), "tender/tenderPeriod/endDate"),
    (lambda r: r["contracts"][0].update(dateSigned="2031-01-01T00:00:00Z", status="active"),
     "contracts/0/period/endDate"),
    (lambda r: r["awards"][0]["standstillPeriod"].update(endDate="2025-05-01T00:00:00Z"),
     "awards/0/standstillPeriod/endDate"),
    (lambda r: r["awards"][0].update(date="2025-05-01T00:00:00Z"), "awards/0/date"),
    (lambda r: r["awards"][0].update(assessmentSummariesDateSent="2025-06-05T00:00:00Z"),
     "awards/0/standstillPeriod/startDate"),
    (lambda r: r["tender"].update(status="open"), "tender/status"),
    (lambda r: r["tender"]["lots"][0]["awardCriteria"]["criteria"][0].update(type="value"),
     "tender/lots/0/awardCriteria/criteria/0/type"),
    (lambda r: r["tender"]["items"][0]["classification"].update(scheme="CPV2008"),
     "tender/items/0/classification/scheme"),
    (lambda r: r["tender"].update(submissionMethod=["fax"]), "tender/submissionMethod/0"),
    (lambda r: r["awards"][0]["suppliers"][0].update(id="GB-COH-999"), "awards/0/suppliers/0"),
    (lambda r: r["awards"][0].update(relatedLots=["9"]), "awards/0/relatedLots"),
    (lambda r: r.update(date="2 June 2025"), "date"),
    (lambda r: r.pop("ocid"), "ocid"),
])
def test_the_runtime_checks_refuse_a_release_and_name_the_field(change, field):
    release = copy.deepcopy(build(awarded(), notices.AWARD))
    change(release)

    assert field in [p.field for p in checks.problems(release)]


def test_dates_on_a_day_in_uk_time_and_contract_periods_with_extensions():
    assert dates.day_start(date(2022, 6, 6)) == "2022-06-06T00:00:00+01:00"
    assert dates.day_end(date(2022, 12, 6)) == "2022-12-06T23:59:59+00:00"
    assert dates.term_period(date(2024, 2, 29), 1, 1) == {
        "startDate": "2024-02-29T00:00:00+00:00", "endDate": "2025-02-28T23:59:59+00:00", "durationInMonths": 12,
        "maxExtentDate": "2026-02-28T23:59:59+00:00"}


def test_the_shipped_cpv_list_knows_its_codes_and_refuses_others_with_an_instruction():
    assert cpv.cpv_label("85323000-9") == "Community health services"
    assert len(cpv.cpv_codes()) >= 45 and all(len(code) == 10 for code in cpv.cpv_codes())
    assert cpv.cpv_problem("85323000-9") is None
    assert cpv.cpv_problem("853230009") == "Enter a CPV code as 8 digits, a hyphen and the check digit, like 85323000-9."
    assert "not in the CPV list" in cpv.cpv_problem("85323000-1")


def test_organisation_details_are_checked_field_by_field():
    good = {"name": "Acme", "scheme": "GB-COH", "identifier": "01234567", "street_address": "1 High St",
            "locality": "Ashford", "postal_code": "TN23 1AA", "region": "TLJ4", "contact_email": "a@b.example",
            "url": "https://acme.example"}
    assert parties.organisation_problems(good) == {}
    bad = {**good, "scheme": "DUNS", "postal_code": "12345", "region": "Kent", "contact_email": "nobody",
           "url": "http://acme.example", "name": " "}
    assert set(parties.organisation_problems(bad)) == {"scheme", "postal_code", "region", "contact_email", "url",
                                                       "name"}


def test_pcr_notices_use_the_forms_and_celex_legal_basis_and_a_termination_cancels_the_tender():
    pcr = procurement(regime="pcr2015_light_touch", procedure="competitive_procedure_with_negotiation")
    assert notices.notice_types("pcr2015")[notices.TENDER].code == "F02"
    release = build(pcr, notices.TENDER)
    assert release["tender"]["legalBasis"]["scheme"] == "CELEX"
    assert release["tender"]["documents"][0]["noticeType"] == "F21"
    assert notices.TERMINATION not in notices.notice_types("pcr2015")

    cancelled = build(replace(procurement(), stage="abandoned"), notices.TERMINATION)
    assert cancelled["tag"] == ["tenderCancellation"] and cancelled["tender"]["status"] == "cancelled"
    assert cancelled["tender"]["documents"][0]["documentType"] == "tenderCancellationNotice"
    assert checks.problems(cancelled) == []
