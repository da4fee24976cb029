"""The demo (PCR 2015, light touch) publishes its contract notice and contract award notice as stored releases."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from tender.demo import REFERENCE, load_demo
from tender.extensions import db
from tender.domain.ocds import checks
from tender.models import AwardRecommendation, Notice, Procurement
from tender.services import audit
from tender.services.errors import InvalidRequest
from tender.services.procurement import workflow
from tender.services.publishing import notices
from tender.services.publishing import ocds as ocds_export
from tests.helpers import shortlist_all_but_last
from tests.ocds_support import check_uk_package, require_ocds_dir
from tests.publishing_support import approve, compile_releases, publish, record_decision, score_lot, user

SYSTEM = audit.Actor.system("test")
OFFICER = "luke.edwards@kent.example"


@pytest.fixture(autouse=True)
def _shared_ocds():
    require_ocds_dir()


def demo() -> Procurement:
    load_demo("demo-password-2022")
    return db.session.scalar(select(Procurement).where(Procurement.reference == REFERENCE))


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def test_the_demos_contract_notice_carries_parties_lots_cpv_criteria_and_deadlines(ctx):
    p = demo()
    notice = publish(p.id, "tender", user(OFFICER), at(date(2022, 4, 1)))
    release = json.loads(notice.release_json)
    check_uk_package(ocds_export.export(SYSTEM, reference=REFERENCE))

    assert notice.notice_type == "F21" and release["tag"] == ["tender"]
    assert release["ocid"] == "ocds-tender-KCC-22/00033" and release["id"] == "ocds-tender-KCC-22/00033-01-F21"
    assert release["date"] == "2022-04-01T10:00:00Z"
    parties = {party["name"]: party for party in release["parties"]}
    assert set(parties) == {"Kent County Council", "NHS Kent and Medway Clinical Commissioning Group"}
    council = parties["Kent County Council"]
    assert council["roles"] == ["buyer", "procuringEntity", "funder"]
    assert council["identifier"]["scheme"] == "GB-PPON" and council["address"]["postalCode"] == "ME14 1XQ"
    assert council["address"]["region"] == "TLJ4" and council["contactPoint"]["telephone"] == "03000 41 41 41"
    assert parties["NHS Kent and Medway Clinical Commissioning Group"]["roles"] == ["funder"]
    assert all(party["identifier"]["id"] and party["address"]["streetAddress"] for party in release["parties"])
    assert release["buyer"] == {"id": council["id"], "name": "Kent County Council"}
    tender = release["tender"]
    assert tender["legalBasis"]["scheme"] == "CELEX"
    assert tender["items"][0]["classification"] == {"scheme": "CPV", "id": "85323000-9",
                                                    "description": "Community health services"}
    assert [i["classification"]["id"] for i in tender["items"] if i.get("relatedLot") == "5"] == ["85312320-8"]
    assert [lot["id"] for lot in tender["lots"]] == ["1", "2", "3", "4", "5"]
    criteria = tender["lots"][0]["awardCriteria"]["criteria"]
    assert [(c["type"], c["name"], c["numbers"][0]["number"]) for c in criteria] == \
        [("quality", "Quality", 60), ("quality", "Social value", 10), ("price", "Price", 30)]
    assert tender["awardCriteria"] == "ratedCriteria"
    assert tender["submissionMethod"] == ["electronicSubmission"]
    assert tender["tenderPeriod"]["endDate"] == "2022-07-11T23:59:59+01:00"
    assert tender["enquiryPeriod"]["endDate"] == "2022-07-04T23:59:59+01:00"
    assert tender["documents"][0]["noticeType"] == "F21"
    assert "planning" in release and "awards" not in release


def run_demo_to_contract_awarded(tender_notice=None) -> Procurement:
    """The demo through the app: contract notice, SQ, ITT, every lot scored, decisions recorded and approved.

    ``tender_notice(procurement_id, officer)`` puts the contract notice out another way (default: Tender publishes it).
    """
    p = demo()
    officer = user(OFFICER)
    if tender_notice is None:
        publish(p.id, "tender", officer, at(date(2022, 4, 1)))
    else:
        tender_notice(p.id, officer)

    def advance(trigger: str, today: date) -> None:
        workflow.advance(p.id, trigger, officer, expected_version=db.session.get(Procurement, p.id).version,
                         today=today)

    advance("publish_sq", date(2022, 4, 4))
    advance("close_sq", date(2022, 5, 10))
    advance("start_sq_evaluation", date(2022, 5, 10))
    shortlist_all_but_last(p.id, officer)
    advance("issue_itt", date(2022, 6, 6))
    advance("close_initial_tenders", date(2022, 7, 12))
    panel = [user("sam.evans@kent.example"), user("jo.patel@kent.example"), user("chris.taylor@kent.example")]
    for number in range(1, 6):
        score_lot(p.id, number, "initial", officer, panel)
    advance("award_on_initial_tenders", date(2022, 9, 23))
    for number in range(1, 6):
        record_decision(p.id, number, officer)
    approve(p.id, user("richard.smith@kent.example"), at(date(2022, 9, 23), 15))
    from tender.services.award.standstill import record_notices_sent

    record_notices_sent(db.session.get(Procurement, p.id), at(date(2022, 9, 26), 9), officer,
                        now=at(date(2022, 9, 26), 10))
    advance("send_award_letters", date(2022, 9, 26))
    advance("award_contract", date(2022, 10, 10))
    return db.session.get(Procurement, p.id)


@pytest.mark.slow
def test_the_demos_award_notice_names_each_lots_recorded_winner_value_and_standstill(ctx):
    p = run_demo_to_contract_awarded()
    notice = publish(p.id, "award", user(OFFICER), at(date(2022, 10, 12)))
    release = json.loads(notice.release_json)
    package = ocds_export.export(SYSTEM, reference=REFERENCE)
    check_uk_package(package)

    assert notice.notice_type == "F21" and release["tag"] == ["award", "contract"]
    assert release["id"] == "ocds-tender-KCC-22/00033-02-F21" and release["ocid"] == "ocds-tender-KCC-22/00033"
    decisions = {rec.lot.number: json.loads(rec.decision) for rec in
                 db.session.scalars(select(AwardRecommendation).where(AwardRecommendation.procurement_id == p.id))}
    parties = {party["id"]: party for party in release["parties"]}
    assert len(release["awards"]) == 5
    for award in release["awards"]:
        decision = decisions[int(award["relatedLots"][0])]
        [supplier] = award["suppliers"]
        assert supplier["name"] == decision["recommended"]["supplier"]
        assert parties[supplier["id"]]["roles"] == ["tenderer", "supplier"]
        assert parties[supplier["id"]]["identifier"]["id"] and parties[supplier["id"]]["address"]["postalCode"]
        assert Decimal(str(award["value"]["amount"])) == Decimal(decision["contract_value"])
        assert award["status"] == "active" and award["date"] == "2022-09-23T15:00:00Z"
        assert award["standstillPeriod"] == {"startDate": "2022-09-25T23:00:00Z", "endDate": "2022-10-06T22:59:59Z"}
    assert {c["dateSigned"] for c in release["contracts"]} == {"2022-10-10T00:00:00+01:00"}
    assert release["awards"][0]["documents"][0]["noticeType"] == "F21"
    assert [r["id"] for r in package["releases"]] == ["ocds-tender-KCC-22/00033-01-F21", release["id"]]
    assert all(checks.problems(r) == [] for r in package["releases"])


@pytest.mark.slow
def test_exports_are_byte_identical_and_compile_to_the_latest_state(ctx):
    p = run_demo_to_contract_awarded()
    publish(p.id, "award", user(OFFICER), at(date(2022, 10, 12)))

    first = json.dumps(ocds_export.export(SYSTEM, reference=REFERENCE), indent=2)
    second = json.dumps(ocds_export.export(SYSTEM, reference=REFERENCE), indent=2)
    compiled = compile_releases(json.loads(first))

    assert first == second
    assert compiled["tag"] == ["compiled"] and compiled["date"] == "2022-10-12T10:00:00Z"
    assert compiled["tender"]["status"] == "complete"
    assert all(lot["status"] == "complete" for lot in compiled["tender"]["lots"])
    assert len(compiled["awards"]) == 5 and len(compiled["contracts"]) == 5
    assert {d["noticeType"] for d in compiled["tender"]["documents"]} == {"F21"}  # the contract notice
    assert any("supplier" in party["roles"] for party in compiled["parties"])


def test_a_notice_cannot_be_published_twice_or_before_its_time(ctx):
    p = demo()
    officer = user(OFFICER)
    with pytest.raises(InvalidRequest, match="Publish the tender notice first"):
        notices.preview(p.id, "award", officer)
    publish(p.id, "tender", officer, at(date(2022, 4, 1)))
    with pytest.raises(InvalidRequest, match="Published"):
        notices.preview(p.id, "tender", officer)
    assert [(o.kind, o.code, o.blocked) for o in notices.options(p.id, officer)] == \
        [("tender", "F21", None), ("award", "F21", "Available once the contract is awarded.")]


def test_a_stale_preview_is_refused_and_nothing_is_stored(ctx):
    p = demo()
    officer = user(OFFICER)
    preview = notices.preview(p.id, "tender", officer, now=at(date(2022, 4, 1)))
    p.title = "Changed after the preview"
    db.session.commit()

    with pytest.raises(InvalidRequest, match="changed since you previewed"):
        notices.publish(p.id, "tender", officer, generated_at=preview.generated_at, expected_sha256=preview.sha256,
                        now=at(date(2022, 4, 1)))
    assert db.session.scalar(select(Notice)) is None


def test_publishing_is_audited_with_the_sha256_of_the_stored_bytes(ctx):
    import hashlib

    from tender.models import AuditEvent

    p = demo()
    notice = publish(p.id, "tender", user(OFFICER), at(date(2022, 4, 1)))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notice.published"))

    assert hashlib.sha256(notice.release_json.encode()).hexdigest() == notice.sha256
    assert json.loads(event.after)["sha256"] == notice.sha256 and event.actor == OFFICER
    assert event.procurement_ref == REFERENCE


def test_the_database_refuses_to_rewrite_or_delete_a_stored_notice(ctx):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    p = demo()
    notice = publish(p.id, "tender", user(OFFICER), at(date(2022, 4, 1)))
    notice_id = notice.id
    for sql in ("UPDATE notice SET release_json = '{}' WHERE id = :id",
                "UPDATE notice SET sha256 = 'x' WHERE id = :id", "DELETE FROM notice WHERE id = :id"):
        with pytest.raises(DatabaseError, match="a published notice is stored once"):
            db.session.execute(text(sql), {"id": notice_id})
        db.session.rollback()
    notices.record_fts_numbers(p.id, "tender", user(OFFICER), "ocds-h6vhtk-04eac3", "011531-2025")
    with pytest.raises(DatabaseError, match="recorded once"):
        db.session.execute(text("UPDATE notice SET fts_notice_number = '000001-2025' WHERE id = :id"),
                           {"id": notice_id})
    db.session.rollback()
    assert db.session.get(Notice, notice_id).fts_notice_number == "011531-2025"
