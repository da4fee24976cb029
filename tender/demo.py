"""The demo procurement: Kent County Council's Live Well Kent recommission.

Facts from Kent County Council decision 22/00033 (2022): the service, the
three funders and their annual contributions (section 10's tables divided by
term length), the 3-year term with a 2-year extension option, the five lots
(section 9.6) and the milestone timetable (section 9.2, whose months are
turned into working-day dates here). The incumbent strategic partners are
named in the 2016 committee report. The other suppliers, the people and the
bid prices are illustrative.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from tender import demo_open, demo_suppliers, demo_tenders
from tender.domain.periods import format_uk_date
from tender.domain.roles import Role
from tender.domain.timetable_shift import shift_timetable
from tender.extensions import db
from tender.models import Milestone, Procurement, User
from tender.services import accounts, audit, clock, use_case
from tender.services.procurement import setup

REFERENCE = "KCC-22/00033"
ONE_DAY = timedelta(days=1)

USERS = [
    ("admin@kent.example", "Ade Administrator", Role.ADMINISTRATOR),
    ("luke.edwards@kent.example", "Luke Edwards", Role.OFFICER),
    ("priya.shah@kent.example", "Priya Shah", Role.OFFICER),
    ("sam.evans@kent.example", "Sam Evans", Role.EVALUATOR),
    ("jo.patel@kent.example", "Jo Patel", Role.EVALUATOR),
    ("alex.morgan@kent.example", "Alex Morgan", Role.EVALUATOR),
    ("chris.taylor@kent.example", "Chris Taylor", Role.MODERATOR),
    ("richard.smith@kent.example", "Richard Smith", Role.APPROVER),
    ("morgan.lee@kent.example", "Morgan Lee", Role.LEGAL),
]

# Section 9.6.1's lots. The decision distributes the £6,819,022 a year "based on the
# needs of the population" without giving figures; these annual budgets are
# illustrative and add up to that total.
LOTS = [
    (1, "Dartford, Gravesham and Swanley Place Based Partnership Area", Decimal("1430000.00")),
    (2, "West Kent Place Based Partnership Area", Decimal("1540000.00")),
    (3, "Medway and Swale Place Based Partnership Area", Decimal("1310000.00")),
    (4, "East Kent Place Based Partnership Area", Decimal("1860000.00")),
    (5, "Kent and Medway wide: 24-hour telephone and online support", Decimal("679022.00")),
]

# Section 10, tables 1 and 2: initial 3-year values divided by 3.
FUNDERS = [
    ("Kent County Council Public Health", Decimal("2252648.50"), True),
    ("Kent County Council Adult Social Care", Decimal("3077536.50"), False),
    ("Kent and Medway Clinical Commissioning Group", Decimal("1488837.00"), False),
]

# Section 9.2's months as dates (working days chosen by the demo).
TIMETABLE = {
    "sq_published": date(2022, 4, 4),
    "sq_deadline": date(2022, 5, 9),
    "sq_evaluation_started": date(2022, 5, 10),
    "itt_issued": date(2022, 6, 6),
    "initial_tender_deadline": date(2022, 7, 11),
    "negotiation_started": date(2022, 8, 22),
    "final_tenders_invited": date(2022, 9, 5),
    "final_tender_deadline": date(2022, 9, 16),
    "award_recommended": date(2022, 9, 23),
    "award_letters_sent": date(2022, 9, 26),
    "contract_awarded": date(2022, 10, 10),
    "mobilisation_started": date(2022, 10, 11),
    "service_live": date(2023, 4, 1),
}
OWNERS = {"award_recommended": "richard.smith@kent.example", "sq_evaluation_started": "chris.taylor@kent.example"}

SUPPLIERS = ["Porchlight", "Shaw Trust", "Kent Wellbeing Alliance CIC", "Medway Community Minds Partnership"]
BIDDERS = SUPPLIERS[:3]
# Illustrative annual prices per lot, per bidder (lot number -> prices in BIDDERS order).
PRICES = {
    1: ("1395000.00", "1420500.00", "1361250.00"),
    2: ("1502000.00", "1478800.00", "1530000.00"),
    3: ("1268400.00", "1301000.00", "1249900.00"),
    4: ("1811000.00", "1790250.00", "1845500.00"),
    5: ("642300.00", "655000.00", "629800.00"),
}


def _at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def load_demo(password: str, *, as_in_2022: bool = True, open_for_tenders: bool = False) -> tuple[bool, list[str]]:
    """Load the demo once; return (created?, lines to print). Loading twice changes nothing.

    ``as_in_2022`` (the default, which the tests rely on) keeps the council's
    2022 timetable, with the candidates' responses and tenders received on
    their 2022 dates. Otherwise the timetable is moved forward by whole weeks
    to start today or later (``tender.domain.timetable_shift``), so nothing is
    overdue and nothing is received yet: the suppliers respond, logged in as
    themselves, once the officer publishes. ``open_for_tenders`` also loads a
    second procurement taking tenders until 30 days from today
    (``tender.demo_open``), the suppliers invited.
    """
    if db.session.scalar(select(Procurement).where(Procurement.reference == REFERENCE)):
        return False, [f"The demo procurement {REFERENCE} is already loaded."] + _logins(password)
    actor = audit.Actor.system("tender demo")
    with use_case.one_transaction():  # the whole demo lands, or nothing does
        users = {}
        for email, name, role in USERS:
            users[email] = db.session.scalar(select(User).where(User.email == email)) or \
                accounts.create_user(email, name, role, password, actor)
        timetable = TIMETABLE if as_in_2022 else shift_timetable(TIMETABLE, clock.today()).dates
        _load_procurement(actor, users, password, timetable, as_in_2022)
        opened = demo_open.load(users["luke.edwards@kent.example"], password, actor) if open_for_tenders else None
    lines = [f"Loaded the demo procurement {REFERENCE}: {len(LOTS)} lots, {len(SUPPLIERS)} candidates."]
    if as_in_2022:
        lines.append("  Its timetable is the council's of 2022: responses and tenders received on their 2022 dates.")
    else:
        lines.append(f"  Its timetable is 2022's moved forward to today: the officer publishes the selection "
                     f"questionnaire on {format_uk_date(timetable['sq_published'])}; responses are due by "
                     f"{format_uk_date(timetable['sq_deadline'])}. Nobody has responded yet.")
    if opened is not None:
        lines.append(opened)
    return True, lines + _logins(password)


def _load_procurement(actor: audit.Actor, users: dict[str, User], password: str, timetable: dict[str, date],
                      as_in_2022: bool) -> None:
    """Set the procurement up through the same services officers and suppliers use.

    Each step is its own use case with its own audit event. As in 2022, the
    officer invites the candidates when the selection questionnaire goes out;
    their responses and tenders are submitted by their own logins through the
    supplier's submission services at the moment each was received
    (``clock.moment``), with ``import_mode`` as the procurement is still a
    draft (its stages are walked later, through the web); the officer opens
    each round's tender box after its deadline. Deadlines apply throughout.
    Shifted, the candidates are invited today and nothing is received.
    """
    lead = users["luke.edwards@kent.example"]
    procurement = setup.create_procurement(
        actor, REFERENCE, "Community Mental Health and Wellbeing Service (Live Well Kent and Medway)",
        "Joint recommission of the community mental health and wellbeing service by Kent County "
        "Council with Kent and Medway CCG and Medway Council, through a competitive procedure "
        "with negotiation, in five lots.",
        "competitive_procedure_with_negotiation", "pcr2015_light_touch", Decimal("34095110.00"), 3, [2],
        electronic_submission=True, qualifying_pin=False, urgency=False, award_on_initial_reserved=True,
        lead_officer_id=lead.id, import_mode=True, created_at=_at(date(2022, 3, 31)) if as_in_2022 else None)
    procurement_id = procurement.id
    for name, amount, is_lead in FUNDERS:
        setup.add_funder(actor, procurement_id, name, amount, Decimal("0"), is_lead=is_lead, import_mode=True)
    for number, title, budget in LOTS:
        setup.add_lot(actor, procurement_id, number, title, budget, "community_services_quality_price_social_value",
                      import_mode=True)
    milestones = db.session.scalars(select(Milestone).where(Milestone.procurement_id == procurement_id)
                                    .order_by(Milestone.position)).all()
    for milestone_id, key in [(m.id, m.key) for m in milestones]:
        owner = users[OWNERS.get(key, lead.email)]
        setup.plan_milestone(actor, procurement_id, milestone_id, timetable[key], owner.id, import_mode=True)
    if as_in_2022:
        with clock.moment(_at(timetable["sq_published"], 9)):
            people = demo_suppliers.invite(lead, procurement_id, SUPPLIERS, password, actor)
        for offset, name in enumerate(SUPPLIERS):
            demo_tenders.submit_sq_response(people[name], name, procurement_id, _at(date(2022, 5, 3 + offset)),
                                            import_mode=True)
        demo_tenders.open_box(lead, procurement_id, "sq", _at(timetable["sq_evaluation_started"], 9))
        areas = {number: title for number, title, _budget in LOTS}
        for number, prices in PRICES.items():
            for hour, (bidder, price) in enumerate(zip(BIDDERS, prices), start=9):
                demo_tenders.submit_tender(people[bidder], bidder, procurement_id, "initial", number, areas[number],
                                           Decimal(price), _at(date(2022, 7, 8), hour), import_mode=True)
        demo_tenders.open_box(lead, procurement_id, "initial", _at(timetable["initial_tender_deadline"] + ONE_DAY, 9))
    else:
        demo_suppliers.invite(lead, procurement_id, SUPPLIERS, password, actor)
    from tender.services.publishing import demo as publishing_demo

    enquiries = publishing_demo.ENQUIRY_DEADLINE + (timetable["itt_issued"] - TIMETABLE["itt_issued"])
    publishing_demo.load(actor, procurement_id, enquiries, suppliers_responded=as_in_2022)


def _logins(password: str) -> list[str]:
    lines = ["Demo logins (password for each: " + password + "):"]
    lines += [f"  {role.label:32} {email}" for email, _name, role in USERS]
    return lines + demo_suppliers.logins(SUPPLIERS)
