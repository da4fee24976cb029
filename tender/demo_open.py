"""The demo's second procurement: open for tenders today, so a newcomer can tender as a supplier at once.

Kent County Council buys a peer-support and recovery college service through
an open procedure under the light touch regime, in two lots. The officer
creates it, plans its timetable from today (tenders due 30 days after the
demo is loaded, by ``tender.services.clock``), publishes the contract notice
and invites the demo's suppliers, all through the officer's own services;
nothing is back-dated and nobody has tendered yet. Illustrative throughout.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tender import demo_suppliers
from tender.domain.periods import format_uk_date, next_working_day
from tender.extensions import db
from tender.models import Milestone, User
from tender.services import audit, clock
from tender.services.procurement import setup, workflow
from tender.services.publishing import details

REFERENCE = "KCC-DEMO/PEER-01"
TITLE = "Peer Support and Recovery College (Kent and Medway)"
LOTS = [
    (1, "Peer support in the community, county-wide", Decimal("420000.00")),
    (2, "Recovery college courses, online and in person", Decimal("280000.00")),
]
MODEL = "community_services_quality_price_social_value"
#: Days from today to each milestone (the tender deadline 30 days on; the rest follow the usual gaps).
DAYS_FROM_TODAY = {"tender_published": 0, "tender_deadline": 30, "award_recommended": 51, "award_letters_sent": 58,
                   "contract_awarded": 72, "mobilisation_started": 73, "service_live": 163}


def timetable(today) -> dict[str, object]:
    """Each milestone's date from ``today``: the deadline exactly 30 days on, the later ones on working days."""
    dates = {}
    for key, days in DAYS_FROM_TODAY.items():
        day = today + timedelta(days=days)
        dates[key] = day if key in ("tender_published", "tender_deadline") else next_working_day(day, "calendar")
    return dates


def load(officer: User, password: str, actor: audit.Actor) -> str:
    """Create, plan, publish and invite, as the officer; the line ``tender demo`` prints about it."""
    today = clock.today()
    procurement = setup.create_procurement(
        officer, REFERENCE, TITLE,
        "Peer support by people with lived experience of mental ill health, and recovery college courses, "
        "across Kent and Medway, through an open procedure under the light touch regime, in two lots.",
        "open_procedure", "pcr2015_light_touch", Decimal("2100000.00"), 3, [],
        electronic_submission=True, qualifying_pin=False, urgency=False, award_on_initial_reserved=False,
        lead_officer_id=officer.id)
    procurement_id = procurement.id
    for number, title, budget in LOTS:
        setup.add_lot(officer, procurement_id, number, title, budget, MODEL)
    dates = timetable(today)
    for milestone_id, key in db.session.execute(select(Milestone.id, Milestone.key)
                                                .where(Milestone.procurement_id == procurement_id)).all():
        setup.plan_milestone(officer, procurement_id, milestone_id, dates[key], officer.id, today=today)
    details.save_classification(officer, procurement_id, "85323000-9", {}, "electronicSubmission",
                                "https://www.kentbusinessportal.org.uk", dates["tender_deadline"] - timedelta(days=7))
    procurement = db.session.get(type(procurement), procurement_id)
    workflow.advance(procurement_id, "publish_tender", officer, expected_version=procurement.version, today=today)
    demo_suppliers.invite(officer, procurement_id, demo_suppliers.PEOPLE_OPEN, password, actor)
    return (f"Loaded {REFERENCE} ({TITLE}): open for tenders until 11:59pm on "
            f"{format_uk_date(dates['tender_deadline'])}, {len(demo_suppliers.PEOPLE_OPEN)} suppliers invited "
            "(log in as one to tender).")
