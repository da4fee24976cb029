"""The pure OCDS mapping: stages to tags and statuses, milestones, parties, awards and contracts."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tender.domain import ocds
from tender.domain.guards import KNOWN_GUARDS
from tender.domain.workflow_definition import load_definitions

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = load_definitions(ROOT / "workflows", KNOWN_GUARDS)
NOW = datetime(2022, 7, 12, 10, 30, tzinfo=timezone.utc)


def procurement(stage: str = "draft", **overrides) -> ocds.ProcurementInput:
    fields = dict(
        reference="KCC-1", title="Services", description="", procedure="competitive_procedure_with_negotiation",
        procedure_title="Competitive procedure with negotiation", stage=stage, estimated_value=Decimal("500000.00"),
        initial_term_years=3, extension_years=(1, 1),
        funders=(ocds.FunderInput(1, "Partner", False), ocds.FunderInput(2, "Council", True)),
        lots=(ocds.LotInput(1, "North", Decimal("50000.50")), ocds.LotInput(2, "South", None)),
        milestones=(ocds.MilestoneInput("itt_issued", "ITT issued", "engagement", date(2022, 6, 6), date(2022, 6, 7),
                                        "met"),
                    ocds.MilestoneInput("initial_tender_deadline", "Deadline", "engagement", date(2022, 7, 11), None,
                                        "scheduled"),
                    ocds.MilestoneInput("contract_awarded", "Awarded", "approval", date(2022, 10, 10),
                                        date(2022, 10, 11), "met"),
                    ocds.MilestoneInput("service_live", "Live", "delivery", date(2024, 2, 29), None, "notMet")),
        suppliers=(ocds.SupplierInput(7, "Acme", "01234567"), ocds.SupplierInput(8, "Beta"),
                   ocds.SupplierInput(9, "Gamma")),
        candidate_ids=frozenset({7, 8, 9}), bidders_by_lot={1: frozenset({7, 8}), 2: frozenset({8})},
        winners=(ocds.WinnerInput(1, 7, Decimal("40000.00")),),
        award_approved_at=datetime(2022, 9, 20, 15, tzinfo=timezone.utc))
    fields.update(overrides)
    return ocds.ProcurementInput(**fields)


@pytest.mark.parametrize("stage, tag, status", [
    ("draft", "planning", "planned"),
    ("sq_published", "tender", "active"),
    ("final_tender_evaluation", "tender", "active"),
    ("award_decision", "tender", "active"),
    ("standstill", "award", "complete"),
    ("assessment_summaries_sent", "award", "complete"),
    ("contract_awarded", "contract", "complete"),
    ("live", "contract", "complete"),
    ("abandoned", "tenderCancellation", "cancelled"),
])
def test_each_stage_sets_the_release_tag_and_tender_status(stage, tag, status):
    release = ocds.release(procurement(stage), NOW)

    assert release["tag"] == [tag]
    assert release["tender"]["status"] == status
    assert {lot["status"] for lot in release["tender"]["lots"]} == {status}


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_shipped_procedure_has_a_method_and_only_known_phases(name):
    definition = DEFINITIONS[name]

    assert ocds.PROCUREMENT_METHODS[name] in {"open", "selective"}
    assert {ocds.phase_of(s.name) for s in definition.stages} <= set(ocds.PHASE_CODES)
    assert ocds.phase_of(definition.initial) == ocds.PLANNING
    assert any(m.key in ocds.TENDER_PERIOD_END for m in definition.milestones)
    assert any(m.key in ocds.CONTRACT_START for m in definition.milestones)
    assert all(m.ocds_type for m in definition.milestones)


def test_a_milestone_maps_due_and_met_dates_in_uk_time():
    met = ocds.MilestoneInput("k", "Title", "assessment", date(2022, 1, 10), date(2022, 1, 11), "met")
    winter = ocds.milestone(met)
    summer = ocds.milestone(ocds.MilestoneInput("k", "T", None, date(2022, 7, 1), None, "scheduled"))

    assert winter == {"id": "k", "title": "Title", "status": "met", "type": "assessment",
                      "dueDate": "2022-01-10T23:59:59+00:00", "dateMet": "2022-01-11T00:00:00+00:00"}
    assert summer == {"id": "k", "title": "T", "status": "scheduled", "dueDate": "2022-07-01T23:59:59+01:00"}


def test_the_ocid_and_release_id_use_the_prefix_reference_stage_and_moment():
    release = ocds.release(procurement("sq_published"), NOW, ocid_prefix="ocds-x1y2z3")

    assert release["ocid"] == "ocds-x1y2z3-KCC-1"
    assert release["id"] == "KCC-1-sq_published-20220712T103000000000Z"
    assert release["date"] == "2022-07-12T10:30:00Z"
    assert ocds.ocid("R") == "ocds-tender-R"


def test_the_buyer_is_the_lead_funder_and_other_funders_fund():
    release = ocds.release(procurement(), NOW)

    assert release["buyer"] == {"id": "funder-2", "name": "Council"}
    assert [(p["name"], p["roles"]) for p in release["parties"]] == [
        ("Partner", ["funder"]), ("Council", ["buyer", "procuringEntity"])]


def test_suppliers_are_named_only_once_tenders_close():
    still_open = ocds.release(procurement("itt_issued"), NOW)
    closed_milestones = tuple(m if m.key != "initial_tender_deadline" else
                              ocds.MilestoneInput(m.key, m.title, m.ocds_type, m.planned_date, date(2022, 7, 11), "met")
                              for m in procurement().milestones)
    closed = ocds.release(procurement("initial_tender_evaluation", milestones=closed_milestones), NOW)

    assert "tenderers" not in still_open["tender"] and len(still_open["parties"]) == 2
    assert closed["tender"]["numberOfTenderers"] == 2
    roles = {p["name"]: p["roles"] for p in closed["parties"]}
    assert roles == {"Partner": ["funder"], "Council": ["buyer", "procuringEntity"], "Acme": ["tenderer"],
                     "Beta": ["tenderer"], "Gamma": ["interestedParty"]}
    acme = next(p for p in closed["parties"] if p["name"] == "Acme")
    assert acme["identifier"] == {"scheme": "GB-COH", "id": "01234567", "legalName": "Acme"}
    assert "awards" not in closed


def test_values_periods_and_lots():
    tender = ocds.release(procurement(), NOW)["tender"]

    assert tender["value"] == {"amount": 500000, "currency": "GBP"}
    assert tender["lots"][0] == {"id": "1", "title": "North", "status": "planned",
                                 "value": {"amount": 250002.5, "currency": "GBP"}}
    assert "value" not in tender["lots"][1]
    # Starts on 29 February 2024: the term ends the day before its anniversary, 1 March 2027.
    assert tender["contractPeriod"] == {"startDate": "2024-02-29T00:00:00+00:00",
                                       "endDate": "2027-02-28T23:59:59+00:00",
                                       "maxExtentDate": "2029-02-28T23:59:59+00:00"}
    assert tender["tenderPeriod"] == {"startDate": "2022-06-07T00:00:00+01:00",
                                      "endDate": "2022-07-11T23:59:59+01:00"}


def test_standstill_publishes_a_pending_award_and_no_contract():
    release = ocds.release(procurement("standstill"), NOW)

    assert release["awards"] == [{
        "id": "lot-1-award", "title": "Lot 1: North", "status": "pending", "relatedLots": ["1"],
        "suppliers": [{"id": "supplier-7", "name": "Acme"}], "date": "2022-09-20T15:00:00Z",
        "value": {"amount": 200000, "currency": "GBP"}}]
    assert "contracts" not in release
    assert {p["name"]: p["roles"] for p in release["parties"]}["Acme"] == ["tenderer", "supplier"]


def test_a_contract_covers_the_initial_term_at_the_winning_price():
    release = ocds.release(procurement("mobilisation"), NOW)

    assert release["awards"][0]["status"] == "active"
    assert release["contracts"] == [{
        "id": "lot-1-contract", "awardID": "lot-1-award", "status": "active",
        "dateSigned": "2022-10-11T00:00:00+01:00",
        "period": {"startDate": "2024-02-29T00:00:00+00:00", "endDate": "2027-02-28T23:59:59+00:00",
                   "maxExtentDate": "2029-02-28T23:59:59+00:00"},
        "value": {"amount": 120000, "currency": "GBP"}}]


def test_no_winner_means_no_award_and_an_abandoned_process_publishes_none():
    assert "awards" not in ocds.release(procurement("contract_awarded", winners=()), NOW)
    assert "awards" not in ocds.release(procurement("abandoned"), NOW)


def test_the_release_does_not_change_its_input():
    given = procurement("standstill")
    before = repr(given)
    ocds.release(given, NOW)
    assert repr(given) == before


def test_the_package_declares_the_lots_extension():
    package = ocds.package([{"ocid": "x"}], uri="https://example.org/p.json", publisher="P", published=NOW)

    assert package == {"uri": "https://example.org/p.json", "version": "1.1", "extensions": [ocds.LOTS_EXTENSION],
                       "publishedDate": "2022-07-12T10:30:00Z", "publisher": {"name": "P"},
                       "releases": [{"ocid": "x"}]}
