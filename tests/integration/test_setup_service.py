"""Setting a procurement up through the services: each use case, its audit event, and each refusal.

A refusal must leave nothing changed: ``snapshot`` counts every table a set-up
service writes to, and the audit trail, before and after.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tender.domain import sealed_price
from tender.extensions import db
from tender.models import AuditEvent, Bid, Funder, Lot, Milestone, Procurement, SQResponse, Supplier
from tender.services import audit
from tender.services.procurement import setup
from tender.services.procurement import responses as setup_responses
from tender.services.procurement import workflow
from tender.services.errors import InvalidRequest, NotAuthorised
from tender.services.procurement.procedures import registry
from tests.helpers import CPN_TIMETABLE, make_procurement, make_user

CPN = "competitive_procedure_with_negotiation"
SYSTEM = audit.Actor.system("test import")


def at(day: date, hour: int = 11) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def snapshot() -> dict[str, int]:
    """How many rows each set-up table holds, planned milestones, and the audit trail's length."""
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
              for model in (Procurement, Lot, Funder, Milestone, Supplier, SQResponse, Bid, AuditEvent)}
    counts["planned"] = db.session.scalar(select(func.count()).select_from(Milestone)
                                          .where(Milestone.planned_date.is_not(None)))
    return counts


def last_event() -> AuditEvent:
    return db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))


def refused(call, message: str, error=InvalidRequest) -> str:
    """Run ``call``; it must raise ``error`` containing ``message`` and change nothing."""
    before = snapshot()
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)
    assert snapshot() == before
    return str(caught.value)


@pytest.fixture
def officer(ctx):
    return make_user("procurement_officer", name="Olive Officer")


def create(officer, **overrides):
    args = dict(reference="KCC-23/00001", title="Carers' support service", description="Support for carers.",
                procedure=CPN, regime="pcr2015", estimated_value=Decimal("2500000.00"), initial_term_years=3,
                extension_years=[1, 1], electronic_submission=True, qualifying_pin=False, urgency=False,
                award_on_initial_reserved=True, lead_officer_id=officer.id)
    args.update(overrides)
    return setup.create_procurement(officer, **args)


def at_stage(procurement_id: int, state: str) -> None:
    db.session.get(Procurement, procurement_id).state = state
    db.session.commit()


def shortlisted_suppliers(procurement_id: int, count: int, decision: str = "shortlisted") -> list[int]:
    ids = []
    for i in range(count):
        supplier = Supplier(name=f"Supplier {decision} {i}")
        db.session.add(supplier)
        db.session.flush()
        db.session.add(SQResponse(procurement_id=procurement_id, supplier_id=supplier.id,
                                  received_at=at(date(2022, 5, 3)), decision=decision, decision_reason="Assessed"))
        ids.append(supplier.id)
    db.session.commit()
    return ids


# --------------------------------------------------------------------------- create_procurement


def test_an_officer_creates_a_procurement_in_its_first_stage_with_every_milestone_undated(officer):
    procurement = create(officer)
    definition = registry().definitions[CPN]
    assert (procurement.state, procurement.procedure_version) == (definition.initial, definition.version)
    assert procurement.extension_periods == [1, 1] and procurement.conditions == frozenset({"electronic"})
    assert [m.key for m in procurement.milestones] == [m.key for m in definition.milestones]
    assert all(m.planned_date is None and m.owner_id == officer.id for m in procurement.milestones)
    event = last_event()
    assert (event.action, event.procurement_ref, event.actor) == ("procurement.created", "KCC-23/00001", officer.email)
    after = json.loads(event.after)
    assert after["regime"] == "pcr2015" and after["estimated_value"] == "2500000.00"


@pytest.mark.parametrize("overrides, message", [
    ({"procedure": "no_such_procedure"}, "Choose the procedure the procurement will follow."),
    ({"procedure": "open_procedure", "regime": "pa2023"},
     "can only be run under the Public Contracts Regulations 2015"),
    ({"estimated_value": Decimal("0")}, "Enter an amount greater than £0 for the estimated value."),
    ({"estimated_value": "lots"}, "Enter the estimated value as an amount in pounds"),
    ({"initial_term_years": 0}, "Enter an initial contract term of at least 1 year."),
    ({"extension_years": [0]}, "Enter each extension option as at least 1 year."),
    ({"reference": "  "}, "Enter the procurement reference."),
    ({"title": ""}, "Enter the procurement title."),
])
def test_a_procurement_that_makes_no_sense_is_refused_with_an_instruction(officer, overrides, message):
    refused(lambda: create(officer, **overrides), message)


def test_a_reference_already_used_is_refused_naming_the_procurement_that_has_it(officer):
    create(officer)
    refused(lambda: create(officer, reference="kcc-23/00001", title="Another"),
            "KCC-23/00001 is already used by “Carers' support service”")


def test_the_lead_officer_must_be_a_procurement_officer(officer):
    evaluator = make_user("evaluator")
    refused(lambda: create(officer, lead_officer_id=evaluator.id),
            "Choose a lead officer who is an active procurement officer.")


@pytest.mark.parametrize("role", ["administrator", "evaluator", "moderator", "approver", "legal_reviewer"])
def test_only_procurement_officers_set_procurements_up(ctx, role):
    officer = make_user("procurement_officer")
    someone = make_user(role)
    refused(lambda: create(someone, lead_officer_id=officer.id), "You do not have permission", NotAuthorised)


def test_import_mode_is_refused_to_a_person_and_a_person_cannot_set_the_creation_time(officer):
    refused(lambda: create(officer, import_mode=True), "Only the system can import records", NotAuthorised)
    refused(lambda: create(officer, created_at=at(date(2022, 3, 31))), "it can only be given when importing")


# --------------------------------------------------------------------------- lots


def test_an_officer_adds_a_lot_and_the_trail_records_it(officer):
    procurement = create(officer)
    lot = setup.add_lot(officer, procurement.id, 1, "North Kent", Decimal("450000"),
                        "community_services_quality_price_social_value")
    assert (lot.number, lot.annual_budget, lot.evaluation_model) == (1, Decimal("450000"),
                                                                     "community_services_quality_price_social_value")
    event = last_event()
    assert (event.action, event.lot, json.loads(event.after)["title"]) == ("lot.created", 1, "North Kent")


def test_a_lot_number_is_used_once_per_procurement(officer):
    procurement = create(officer)
    setup.add_lot(officer, procurement.id, 1, "North Kent", None, None)
    refused(lambda: setup.add_lot(officer, procurement.id, 1, "South Kent", None, None),
            "Lot 1 already exists (“North Kent”). Enter a different lot number.")
    other = create(officer, reference="KCC-23/00002")
    assert setup.add_lot(officer, other.id, 1, "North Kent", None, None).number == 1


@pytest.mark.parametrize("args, message", [
    ((0, "Lot", None, None), "Enter the lot number as a whole number, 1 or more."),
    ((2, "Lot", Decimal("-5"), None), "Enter an amount greater than £0 for the annual budget."),
    ((2, "Lot", None, "no_such_model"), "Choose one of the evaluation models Tender has"),
    ((2, "", None, None), "Enter the lot title."),
])
def test_a_lot_that_makes_no_sense_is_refused(officer, args, message):
    procurement = create(officer)
    refused(lambda: setup.add_lot(officer, procurement.id, *args), message)


@pytest.mark.parametrize("state", ["sq_published", "sq_closed", "sq_evaluation"])
def test_cpn_lots_can_be_added_until_the_invitation_to_tender(officer, state):
    procurement = create(officer)
    at_stage(procurement.id, state)
    assert setup.add_lot(officer, procurement.id, 1, "North Kent", None, None).number == 1


@pytest.mark.parametrize("procedure, state", [(CPN, "itt_issued"), (CPN, "negotiation"),
                                              ("open_procedure", "tender_published")])
def test_lots_are_fixed_once_suppliers_are_tendering(officer, procedure, state):
    procurement = create(officer, procedure=procedure)
    at_stage(procurement.id, state)
    refused(lambda: setup.add_lot(officer, procurement.id, 1, "North Kent", None, None),
            "Lots can only be added before the invitation to tender is issued.")


# --------------------------------------------------------------------------- funders


def test_an_officer_adds_funders_in_draft_and_one_is_the_lead(officer):
    procurement = create(officer)
    funder = setup.add_funder(officer, procurement.id, "Kent County Council", Decimal("500000"), "2.5", is_lead=True)
    assert (funder.annual_uplift_percent, funder.is_lead) == (Decimal("2.5"), True)
    assert last_event().action == "funder.added"
    refused(lambda: setup.add_funder(officer, procurement.id, "Medway Council", "100000", None, is_lead=True),
            "Kent County Council is already the lead funder.")
    refused(lambda: setup.add_funder(officer, procurement.id, "kent county council", "100000", None),
            "kent county council is already a funder of this procurement.")
    refused(lambda: setup.add_funder(officer, procurement.id, "Medway Council", "0", None),
            "Enter an amount greater than £0 for the annual contribution.")
    refused(lambda: setup.add_funder(officer, procurement.id, "Medway Council", "10", "120"),
            "Enter an annual uplift from 0 up to 100 per cent.")


def test_funders_can_only_be_added_in_draft(officer):
    procurement = create(officer)
    at_stage(procurement.id, "sq_published")
    refused(lambda: setup.add_funder(officer, procurement.id, "Medway Council", "100000", None),
            "Funders can only be added while the procurement is in draft.")


# --------------------------------------------------------------------------- milestones


def milestone_id(procurement_id: int, key: str) -> int:
    return db.session.scalar(select(Milestone.id).where(Milestone.procurement_id == procurement_id,
                                                        Milestone.key == key))


def test_planning_a_milestone_the_first_time_needs_no_reason_and_is_audited(officer):
    procurement = create(officer)
    approver = make_user("approver")
    planned = setup.plan_milestone(officer, procurement.id, milestone_id(procurement.id, "award_recommended"),
                                   date(2022, 9, 23), approver.id)
    assert (planned.planned_date, planned.warnings) == (date(2022, 9, 23), ())
    milestone = db.session.get(Milestone, planned.milestone_id)
    assert (milestone.planned_date, milestone.owner_id) == (date(2022, 9, 23), approver.id)
    assert milestone.replan_reason is None
    event = last_event()
    assert event.action == "milestone.planned"
    assert json.loads(event.after) == {"key": "award_recommended", "planned_date": "2022-09-23",
                                       "owner": approver.email, "warnings": []}


def test_a_planned_milestone_is_moved_by_re_planning_with_a_reason_not_by_planning(officer):
    procurement = create(officer)
    mid = milestone_id(procurement.id, "sq_published")
    setup.plan_milestone(officer, procurement.id, mid, date(2022, 4, 4), officer.id)
    refused(lambda: setup.plan_milestone(officer, procurement.id, mid, date(2022, 4, 5), officer.id),
            "is already planned for 4 April 2022. To move it, re-plan it")


def test_a_date_that_breaks_a_statutory_minimum_is_refused_under_the_full_regime(officer):
    procurement = create(officer, regime="pcr2015")
    setup.plan_milestone(officer, procurement.id, milestone_id(procurement.id, "sq_published"), date(2022, 4, 4),
                         officer.id)
    message = refused(lambda: setup.plan_milestone(officer, procurement.id, milestone_id(procurement.id, "sq_deadline"),
                                                   date(2022, 4, 20), officer.id),
                      "20 April 2022 cannot be used. Time for requests to participate is too short")
    assert "PCR 2015 reg. 29" in message


def test_the_same_short_period_is_allowed_with_a_warning_under_the_light_touch_regime(officer):
    procurement = create(officer, regime="pcr2015_light_touch")
    setup.plan_milestone(officer, procurement.id, milestone_id(procurement.id, "sq_published"), date(2022, 4, 4),
                         officer.id)
    planned = setup.plan_milestone(officer, procurement.id, milestone_id(procurement.id, "sq_deadline"),
                                   date(2022, 4, 20), officer.id)
    assert len(planned.warnings) == 1 and "light touch regime this is a warning" in planned.warnings[0]
    assert json.loads(last_event().after)["warnings"] == list(planned.warnings)


def test_a_milestone_needs_an_active_owner_and_must_belong_to_the_procurement(officer):
    procurement = create(officer)
    other = create(officer, reference="KCC-23/00002")
    mid = milestone_id(procurement.id, "sq_published")
    refused(lambda: setup.plan_milestone(officer, procurement.id, mid, date(2022, 4, 4), 9999), "Choose who owns")
    refused(lambda: setup.plan_milestone(officer, other.id, mid, date(2022, 4, 4), officer.id),
            "That milestone is not part of this procurement.", Exception)


def test_a_procurement_created_and_planned_through_the_services_can_be_published(officer):
    procurement = create(officer)
    moderator = make_user("moderator")
    for m in list(procurement.milestones):
        owner = moderator.id if m.key == "sq_evaluation_started" else officer.id
        setup.plan_milestone(officer, procurement.id, m.id, CPN_TIMETABLE[m.key], owner)
    change = workflow.advance(procurement.id, "publish_sq", officer, expected_version=None, today=date(2022, 4, 4))
    assert (change.from_stage, change.to_stage) == ("draft", "sq_published")


# --------------------------------------------------------------------------- SQ responses


def test_an_sq_response_is_registered_while_the_sq_is_open_creating_the_supplier(officer):
    procurement = make_procurement(timetable=CPN_TIMETABLE)
    at_stage(procurement.id, "sq_published")
    response = setup_responses.register_sq_response(officer, procurement.id, "Porchlight", at(date(2022, 5, 9), 22))
    assert response.supplier.name == "Porchlight" and response.decision is None
    event = last_event()
    assert event.action == "sq_response.received"
    assert json.loads(event.after)["new_supplier"] is True
    other = make_procurement(timetable=CPN_TIMETABLE)
    at_stage(other.id, "sq_closed")
    again = setup_responses.register_sq_response(officer, other.id, "porchlight", at(date(2022, 5, 8)))
    assert again.supplier_id == response.supplier_id
    refused(lambda: setup_responses.register_sq_response(officer, other.id, "Porchlight", at(date(2022, 5, 8))),
            "Porchlight has already responded to this procurement.")


def test_a_late_sq_response_is_refused_naming_the_deadline(officer):
    procurement = make_procurement(timetable=CPN_TIMETABLE)
    at_stage(procurement.id, "sq_closed")
    # 23:30 UTC on 9 May is 00:30 on 10 May in the UK: late.
    refused(lambda: setup_responses.register_sq_response(officer, procurement.id, "Porchlight",
                                                         at(date(2022, 5, 9), 23).replace(minute=30)),
            "This response was received on 10 May 2022, after “Deadline for selection questionnaire responses” "
            "(9 May 2022). A late response cannot be accepted.")


@pytest.mark.parametrize("state", ["draft", "sq_evaluation", "itt_issued"])
def test_sq_responses_are_only_registered_while_the_sq_is_open_or_just_closed(officer, state):
    procurement = make_procurement(timetable=CPN_TIMETABLE)
    at_stage(procurement.id, state)
    refused(lambda: setup_responses.register_sq_response(officer, procurement.id, "Porchlight", at(date(2022, 5, 3))),
            "only be registered while the selection questionnaire is open or has just closed")


def test_a_procedure_without_a_selection_questionnaire_takes_no_responses(officer):
    procurement = make_procurement("open_procedure")
    refused(lambda: setup_responses.register_sq_response(officer, procurement.id, "Porchlight", at(date(2022, 5, 3))),
            "The open procedure has no selection questionnaire")


# --------------------------------------------------------------------------- bids


@pytest.fixture
def tendering(officer):
    """A CPN procurement with the ITT issued, two shortlisted suppliers and one rejected."""
    procurement = make_procurement(timetable=CPN_TIMETABLE, lots=2)
    at_stage(procurement.id, "itt_issued")
    shortlisted = shortlisted_suppliers(procurement.id, 2)
    rejected = shortlisted_suppliers(procurement.id, 1, "rejected")
    return procurement.id, shortlisted, rejected[0]


def test_a_shortlisted_suppliers_tender_is_recorded_with_its_price_sealed_in_the_trail(officer, tendering):
    procurement_id, (first, _), _ = tendering
    bid = setup_responses.record_bid(officer, procurement_id, 1, first, "initial", at(date(2022, 7, 11), 12),
                                     Decimal("1395000.00"))
    assert (bid.round, bid.price, bid.lot.number) == ("initial", Decimal("1395000.00"), 1)
    event = last_event()
    assert (event.action, event.lot) == ("bid.received", 1)
    after = json.loads(event.after)
    assert "price" not in after and "1395000" not in event.after  # sealed: only the commitment is in the trail
    assert after["price_commitment"] == bid.price_commitment
    assert sealed_price.matches("1395000.00", bid.price_salt, after["price_commitment"])


def test_a_second_tender_from_the_same_supplier_for_the_same_lot_and_round_is_refused(officer, tendering):
    procurement_id, (first, _), _ = tendering
    setup_responses.record_bid(officer, procurement_id, 1, first, "initial", at(date(2022, 7, 8)), "100")
    supplier = db.session.get(Supplier, first).name
    refused(lambda: setup_responses.record_bid(officer, procurement_id, 1, first, "initial", at(date(2022, 7, 9)),
                                               "90"),
            f"Lot 1 already has a tender from {supplier} in the initial round.")
    assert setup_responses.record_bid(officer, procurement_id, 2, first, "initial", at(date(2022, 7, 9)), "90").id


def test_a_late_tender_is_refused_naming_the_deadline(officer, tendering):
    procurement_id, (first, _), _ = tendering
    refused(lambda: setup_responses.record_bid(officer, procurement_id, 1, first, "initial", at(date(2022, 7, 12)),
                                               "100"),
            "This tender was received on 12 July 2022, after “Deadline for initial tenders” (11 July 2022). "
            "A late tender cannot be accepted.")


def test_a_tender_from_a_supplier_not_shortlisted_is_refused(officer, tendering):
    procurement_id, _, rejected = tendering
    name = db.session.get(Supplier, rejected).name
    refused(lambda: setup_responses.record_bid(officer, procurement_id, 1, rejected, "initial", at(date(2022, 7, 8)),
                                               "100"),
            f"{name} is not shortlisted for this procurement, so its tender cannot be accepted.")


@pytest.mark.parametrize("lot, round_, price, message", [
    (1, "initial", "0", "Enter an amount greater than £0 for the tender price."),
    (1, "revised", "100", "The competitive procedure with negotiation has no revised round of tenders. "
                          "Choose: initial, final."),
    (9, "initial", "100", "Choose a lot of this procurement."),
    (1, "final", "100", "Final tenders can only be recorded while they are invited or have just closed."),
])
def test_a_tender_that_makes_no_sense_is_refused(officer, tendering, lot, round_, price, message):
    procurement_id, (first, _), _ = tendering
    refused(lambda: setup_responses.record_bid(officer, procurement_id, lot, first, round_, at(date(2022, 7, 8)),
                                               price), message)


def test_the_open_procedure_takes_final_tenders_from_any_supplier_before_its_deadline(officer):
    procurement = make_procurement("open_procedure", timetable={"tender_deadline": date(2022, 6, 30)}, lots=1)
    at_stage(procurement.id, "tender_published")
    supplier = Supplier(name="Any Supplier Ltd")
    db.session.add(supplier)
    db.session.commit()
    bid = setup_responses.record_bid(officer, procurement.id, 1, supplier.id, "final", at(date(2022, 6, 30)), "500")
    assert bid.round == "final"
    refused(lambda: setup_responses.record_bid(officer, procurement.id, 1, supplier.id, "initial",
                                               at(date(2022, 6, 30)), "500"),
            "The open procedure has no initial round of tenders. Choose: final.")


def test_import_mode_skips_the_stage_and_shortlist_checks_but_not_the_deadline(officer):
    procurement = make_procurement(timetable=CPN_TIMETABLE, lots=1)
    response = setup_responses.register_sq_response(SYSTEM, procurement.id, "Porchlight", at(date(2022, 5, 3)),
                                                    import_mode=True)
    bid = setup_responses.record_bid(SYSTEM, procurement.id, 1, response.supplier_id, "initial", at(date(2022, 7, 8)),
                                     "100", import_mode=True)
    assert bid.id and db.session.get(Procurement, procurement.id).state == "draft"
    assert (last_event().actor, last_event().actor_role) == ("test import", "system")
    refused(lambda: setup_responses.record_bid(SYSTEM, procurement.id, 1, response.supplier_id, "final",
                                               at(date(2022, 9, 17)), "100", import_mode=True),
            "after “Deadline for final tenders” (16 September 2022)")
    refused(lambda: setup_responses.record_bid(SYSTEM, procurement.id, 1, response.supplier_id, "final",
                                               at(date(2022, 9, 1)), "100"),
            "You do not have permission", NotAuthorised)
    refused(lambda: setup_responses.record_bid(officer, procurement.id, 1, response.supplier_id, "final",
                                               at(date(2022, 9, 1)), "100", import_mode=True),
            "Only the system can import records", NotAuthorised)


# --------------------------------------------------------------------------- the demo


def test_the_demo_is_loaded_through_the_set_up_services_with_their_audit_events(ctx):
    from tender.demo import LOTS, PRICES, REFERENCE, TIMETABLE, load_demo

    created, _lines = load_demo("demo-password-2022")
    assert created
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.procurement_ref == REFERENCE)))
    assert actions.count("procurement.created") == 1 and actions.count("lot.created") == len(LOTS)
    assert actions.count("sq_response.received") == 4 and actions.count("bid.received") == 3 * len(LOTS)
    procurement = db.session.scalar(select(Procurement).where(Procurement.reference == REFERENCE))
    assert procurement.state == "draft" and procurement.regime == "pcr2015_light_touch"
    assert {m.key: m.planned_date for m in procurement.milestones} == TIMETABLE
    assert [f.is_lead for f in procurement.funders] == [True, False, False]
    prices = {(b.lot.number, b.price) for b in db.session.scalars(select(Bid))}
    assert prices == {(n, Decimal(p)) for n, ps in PRICES.items() for p in ps}
