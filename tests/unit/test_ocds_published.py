"""Later releases repeat what earlier notices published; thresholds, VAT and the light touch regime (no app)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from tender.domain.ocds import checks, dates, facts as f, notices, published, thresholds
from tests.unit.test_ocds import awarded, milestone, procurement

UK4_AT = datetime(2025, 3, 3, 9, tzinfo=timezone.utc)
UK6_AT = datetime(2025, 6, 3, 9, tzinfo=timezone.utc)
DEADLINES = ("tenderPeriod", "enquiryPeriod", "expressionOfInterestDeadline", "contractPeriod")


def uk4() -> dict:
    return notices.build(procurement(), notices.TENDER, ocid="ocds-test-1", release_id="ocds-test-1-01-UK4",
                         published=UK4_AT)


def stored(release: dict, kind: str = notices.TENDER, **ids) -> f.PublishedNotice:
    types = notices.notice_types("pa2023")[kind]
    return f.PublishedNotice(kind, types.code, types.title, types.document_type, UK4_AT, release, **ids)


def moved_on(**overrides) -> f.Procurement:
    """The record after tendering: tenders closed a day late, the enquiry deadline and start date re-entered."""
    late = (milestone("tender_notice_published", date(2025, 3, 3), date(2025, 3, 3)),
            milestone("participation_deadline", date(2025, 4, 1), date(2025, 4, 2)),
            milestone("itt_issued", date(2025, 4, 14), date(2025, 4, 15)),
            milestone("tender_deadline", date(2025, 5, 19), date(2025, 5, 20)),
            milestone("service_live", date(2026, 5, 1), kind="delivery"))
    return awarded(milestones=late, enquiry_deadline=date(2025, 5, 12), **overrides)


def test_a_later_notice_repeats_the_tender_notices_deadlines_byte_for_byte_whatever_the_record_says_now():
    first = uk4()
    fresh = notices.build(moved_on(), notices.AWARD, ocid="ocds-test-1", release_id="r-6", published=UK6_AT)
    later = notices.build(moved_on(earlier=(stored(first),)), notices.AWARD, ocid="ocds-test-1", release_id="r-6",
                          published=UK6_AT)

    for name in DEADLINES:  # built from the record alone, each would have moved
        assert json.dumps(fresh["tender"][name]) != json.dumps(first["tender"][name]), name
        assert json.dumps(later["tender"][name]) == json.dumps(first["tender"][name]), name
    assert [m["dueDate"] for m in later["tender"]["milestones"]] == \
        [m["dueDate"] for m in first["tender"]["milestones"]]
    assert later["tender"]["lots"][0]["contractPeriod"] == first["tender"]["lots"][0]["contractPeriod"]
    assert later["tender"]["documents"][0]["id"] == "ocds-test-1-01-UK4"  # the tender notice, listed again
    assert checks.problems(later) == []


def test_the_first_release_to_publish_a_date_fixes_it_for_every_later_one():
    first = uk4()
    award_release = notices.build(awarded(earlier=(stored(first),)), notices.AWARD, ocid="ocds-test-1",
                                  release_id="r-6", published=UK6_AT)
    resent = replace(awarded(), assessment_summaries_sent=datetime(2025, 5, 31, 7, tzinfo=timezone.utc))
    contract = notices.build(replace(resent, stage="contract_entered",
                                     earlier=(stored(first), stored(award_release, notices.AWARD))),
                             notices.CONTRACT, ocid="ocds-test-1", release_id="r-7", published=UK6_AT)

    assert contract["awards"][0]["assessmentSummariesDateSent"] == "2025-05-30T08:15:00Z"  # as the UK6 had it
    assert contract["awards"][0]["standstillPeriod"] == award_release["awards"][0]["standstillPeriod"]
    assert contract["tender"]["tenderPeriod"] == first["tender"]["tenderPeriod"]
    assert [d["id"] for d in contract["awards"][0]["documents"]] == ["r-6"]


def test_a_notice_published_elsewhere_is_listed_in_later_releases_with_its_find_a_tender_number():
    elsewhere = f.PublishedNotice("tender", "UK4", "Tender notice", "tenderNotice",
                                  datetime(2025, 3, 3, 14, 30, tzinfo=timezone.utc), None, "011531-2025",
                                  "ocds-h6vhtk-04eac3")
    release = notices.build(awarded(earlier=(elsewhere,)), notices.AWARD, ocid="ocds-test-1", release_id="r-6",
                            published=UK6_AT)

    assert release["tender"]["documents"] == [{
        "id": "011531-2025", "documentType": "tenderNotice", "noticeType": "UK4",
        "title": "Tender notice (UK4) on Find a Tender",
        "url": "https://www.find-tender.service.gov.uk/Notice/011531-2025",
        "language": "en", "datePublished": "2025-03-03T14:30:00Z",
        "description": "Find a Tender ocid ocds-h6vhtk-04eac3."}]
    assert release["awards"][0]["documents"][0]["id"] == "r-6"
    assert checks.problems(release) == []


def test_a_stored_release_is_exported_with_its_own_find_a_tender_notice_once_the_number_is_recorded():
    first = uk4()
    numbered = stored(first, fts_notice_number="011531-2025", fts_ocid="ocds-h6vhtk-04eac3")

    exported = published.with_fts_document(first, numbered)

    assert [d["id"] for d in exported["tender"]["documents"]] == ["011531-2025", "ocds-test-1-01-UK4"]
    assert "datePublished" not in exported["tender"]["documents"][0]  # Tender does not know when FTS published it
    assert published.with_fts_document(first, stored(first)) == first  # no number: the stored bytes as they are
    later = notices.build(awarded(earlier=(numbered,)), notices.AWARD, ocid="ocds-test-1", release_id="r-6",
                          published=UK6_AT)
    assert [d["id"] for d in later["tender"]["documents"]] == ["ocds-test-1-01-UK4", "011531-2025"]
    assert later["tender"]["documents"][1] == exported["tender"]["documents"][0]  # the same document, compiled once


def test_values_are_net_with_the_gross_beside_them_and_a_missing_rate_is_refused():
    assert dates.money(Decimal("1000.00"), Decimal("20")) == {"amount": 1000, "amountGross": 1200, "currency": "GBP"}
    assert dates.money(Decimal("99.99"), Decimal("5")) == {"amount": 99.99, "amountGross": 104.99, "currency": "GBP"}
    release = notices.build(procurement(vat_percent=None), notices.TENDER, ocid="o", release_id="r", published=UK4_AT)

    assert "amountGross" not in release["tender"]["value"] and "aboveThreshold" not in release["tender"]
    assert [p.field for p in checks.problems(release)] == ["planning/budget/amount"]


def test_the_light_touch_regime_is_a_special_regime_with_its_own_threshold():
    small = procurement(regime="pa2023_light_touch", estimated_value=Decimal("500000"))  # £600,000 with VAT
    release = notices.build(small, notices.TENDER, ocid="o", release_id="r", published=UK4_AT)

    assert release["tender"]["specialRegime"] == ["lightTouch"] and release["tender"]["aboveThreshold"] is False
    large = replace(small, estimated_value=Decimal("560000"))  # £672,000 with VAT
    assert notices.build(large, notices.TENDER, ocid="o", release_id="r", published=UK4_AT)["tender"][
        "aboveThreshold"] is True


def test_thresholds_follow_the_date_the_authority_and_the_regime():
    sub, central = thresholds.SUB_CENTRAL, thresholds.CENTRAL
    assert thresholds.threshold("pa2023", sub, date(2025, 3, 3)) == Decimal("214904")
    assert thresholds.threshold("pa2023", central, date(2026, 1, 1)) == Decimal("135018")
    assert thresholds.threshold("pcr2015", sub, date(2023, 12, 31)) == Decimal("213477")
    assert thresholds.threshold("pcr2015_light_touch", None, date(2022, 4, 1)) == Decimal("663540")
    assert thresholds.threshold("pcr2015", sub, date(2021, 12, 31)) is None  # before the table Tender holds
    assert thresholds.above_threshold("pa2023", "privateUtility", date(2025, 3, 3), Decimal("9e9")) is None
    assert thresholds.above_threshold("pa2023", sub, date(2025, 3, 3), Decimal("214904")) is True
    assert thresholds.above_threshold("pa2023", sub, date(2025, 3, 3), Decimal("214903.99")) is False
