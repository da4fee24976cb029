"""Setting a procurement up: creating it, its lots and funders, and planning its timetable.

Each function is one use case (``tender.services.use_case``): it authorises
the officer, checks the request makes sense, makes the change and writes its
audit event, and all of it commits together, so a refusal leaves nothing
changed. Responses and tenders are in
``tender.services.procurement.responses``.

**Import mode.** Records that arrive from elsewhere (the demo loader, an import
from an e-tendering portal) may describe things that happened before the
procurement reached the matching stage in Tender. Passing ``import_mode=True``
skips the *stage* and *shortlist* checks only; every check on the data itself
(uniqueness, amounts, deadlines, statutory periods) still applies. It is
accepted only from a system ``audit.Actor``, never from a person, so no web
request can use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from tender.domain import bounds, setup_rules
from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission, Role
from tender.extensions import db
from tender.models import Funder, Lot, Milestone, Procurement, User
from tender.models.milestone import MET
from tender.services import audit, clock
from tender.services.evaluation import panel as evaluation
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tender.services.procurement import definitions
from tender.services.procurement.milestones import check_statutory_periods
from tender.services.procurement.procedures import registry
from tender.services.use_case import get_procurement, use_case

REGIME_LABELS = {
    "pcr2015": "Public Contracts Regulations 2015",
    "pcr2015_light_touch": "Public Contracts Regulations 2015, light touch regime",
    "pa2023": "Procurement Act 2023",
    "pa2023_light_touch": "Procurement Act 2023, light touch contract",
}
CONCURRENT_MESSAGE = ("Someone else recorded the same thing at the same moment. "
                      "Reload the page and check what is there before you try again.")


def acting(user, import_mode: bool, ip: str | None = None) -> audit.Actor:
    """The audit actor for this request: an authorised officer, or the system importing records."""
    if import_mode:
        if not (isinstance(user, audit.Actor) and user.role == "system"):
            raise NotAuthorised("Only the system can import records without the stage and shortlist checks.")
        return user
    authorise(user, Permission.SET_UP_PROCUREMENT)
    return audit.Actor.of(user, ip)


def money(value, what: str, *, required: bool = True) -> Decimal | None:
    """``value`` as an amount in pounds and pence within ``bounds``, or an instruction saying what to enter."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidRequest(f"Enter the {what}.")
        return None
    amount = bounds.parse_amount(value)
    if amount is None:
        raise InvalidRequest(f"Enter the {what} as an amount in pounds, like 1250000.00.")
    if amount <= 0:
        raise InvalidRequest(f"Enter an amount greater than £0 for the {what}.")
    if amount > bounds.MAX_AMOUNT:
        raise InvalidRequest(f"{bounds.money_message('the ' + what)}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidRequest(f"Enter the {what} in pounds and pence, with no more than 2 decimal places.")
    return amount


def in_bounds(value, what: str):
    """``value`` (a date or datetime) if it is within the life of a procurement; otherwise an instruction."""
    try:
        return bounds.check_date(value, what)
    except bounds.OutOfBounds as exc:
        raise InvalidRequest(str(exc)) from None


def text(value, what: str, limit: int) -> str:
    """``value`` stripped; an instruction if it is empty or too long."""
    value = (value or "").strip()
    if not value:
        raise InvalidRequest(f"Enter the {what}.")
    if bounds.CONTROL_CHARACTERS.search(value):
        raise InvalidRequest(f"{bounds.CONTROL_MESSAGE} in the {what}.")
    if len(value) > limit:
        raise InvalidRequest(f"Enter a {what} of {limit} characters or fewer.")
    return value


def definition_of(procurement: Procurement):
    """The procedure definition the procurement runs: the one it was pinned to when created."""
    return definitions.definition_of(procurement)


@use_case(CONCURRENT_MESSAGE)
def create_procurement(user, reference, title, description, procedure, regime, estimated_value,
                       initial_term_years, extension_years, electronic_submission, qualifying_pin, urgency,
                       award_on_initial_reserved, lead_officer_id, *, import_mode: bool = False,
                       created_at: datetime | None = None, ip: str | None = None) -> Procurement:
    """Create a procurement in its procedure's first stage, with every milestone it declares, undated.

    The lead officer owns every milestone until the timetable is planned.
    ``created_at`` may only be given when importing (the original date).
    """
    actor = acting(user, import_mode, ip)
    reference = text(reference, "procurement reference", 40)
    existing = db.session.scalar(select(Procurement).where(func.lower(Procurement.reference) == reference.lower()))
    if existing is not None:
        raise InvalidRequest(f"{existing.reference} is already used by “{existing.title}”. "
                             "Enter a different reference.")
    title = text(title, "procurement title", 300)
    description = _description(description)
    definition = registry().definitions.get(procedure or "")
    if definition is None:
        raise InvalidRequest("Choose the procedure the procurement will follow.")
    if regime not in definition.regimes:
        allowed = " or ".join(REGIME_LABELS.get(r, r) for r in definition.regimes)
        raise InvalidRequest(f"The {definition.title.lower()} can only be run under the {allowed}. "
                             "Choose one of those regimes.")
    value = money(estimated_value, "estimated value")
    term, extensions = _term(initial_term_years, extension_years)
    lead = _officer(lead_officer_id)
    if created_at is not None and not import_mode:
        raise InvalidRequest("The creation time is set by Tender; it can only be given when importing.")
    procurement = Procurement(
        reference=reference, title=title, description=description, procedure=definition.name,
        procedure_version=definition.version, regime=regime, state=definition.initial, estimated_value=value,
        initial_term_years=term, extension_years=",".join(str(e) for e in extensions),
        electronic_submission=bool(electronic_submission), qualifying_pin=bool(qualifying_pin),
        urgency=bool(urgency), award_on_initial_reserved=bool(award_on_initial_reserved),
        lead_officer_id=lead.id, created_at=created_at or clock.now(),
    )
    definitions.pin(procurement)  # it runs this file's text from now on, whatever the file says later
    db.session.add(procurement)
    db.session.flush()
    for position, m in enumerate(definition.milestones):
        db.session.add(Milestone(procurement_id=procurement.id, key=m.key, title=m.title, position=position,
                                 owner_id=lead.id))
    audit.record(actor, "procurement.created", "procurement", procurement.id, procurement_ref=reference,
                 after={"title": title, "procedure": definition.name, "procedure_version": definition.version,
                        "definition_sha256": procurement.definition_digest,
                        "regime": regime, "estimated_value": value, "initial_term_years": term,
                        "extension_years": extensions, "conditions": sorted(procurement.conditions),
                        "award_on_initial_reserved": procurement.award_on_initial_reserved,
                        "lead_officer": lead.email})
    return procurement


def _description(value) -> str:
    value = (value or "").strip()
    if bounds.CONTROL_CHARACTERS.search(value):
        raise InvalidRequest(f"{bounds.CONTROL_MESSAGE} in the description.")
    if len(value) > 4000:
        raise InvalidRequest("Enter a description of 4000 characters or fewer.")
    return value


def _term(initial_term_years, extension_years) -> tuple[int, list[int]]:
    try:
        term = int(initial_term_years)
    except (TypeError, ValueError):
        raise InvalidRequest("Enter the initial contract term as a whole number of years.") from None
    if term < 1:
        raise InvalidRequest("Enter an initial contract term of at least 1 year.")
    if isinstance(extension_years, str):
        extension_years = [part for part in extension_years.split(",") if part.strip()]
    try:
        extensions = [int(e) for e in (extension_years or [])]
    except (TypeError, ValueError):
        raise InvalidRequest("Enter each extension option as a whole number of years.") from None
    if any(e < 1 for e in extensions):
        raise InvalidRequest("Enter each extension option as at least 1 year.")
    try:
        return bounds.check_term(term, extensions)
    except bounds.OutOfBounds as exc:
        raise InvalidRequest(str(exc)) from None


def _officer(user_id) -> User:
    officer = db.session.get(User, user_id) if isinstance(user_id, int) and bounds.id_in_range(user_id) else None
    if officer is None or not officer.active or officer.role != Role.OFFICER.value:
        raise InvalidRequest("Choose a lead officer who is an active procurement officer.")
    return officer


@use_case(CONCURRENT_MESSAGE)
def add_lot(user, procurement_id: int, number, title, annual_budget, evaluation_model, *,
            import_mode: bool = False, ip: str | None = None) -> Lot:
    """Add a lot. Lots are fixed once suppliers are preparing tenders (see ``setup_rules.lot_stages``)."""
    actor = acting(user, import_mode, ip)
    procurement = get_procurement(procurement_id)
    definition = definition_of(procurement)
    if not import_mode and procurement.state not in setup_rules.lot_stages(definition):
        raise InvalidRequest("Lots can only be added before the invitation to tender is issued. "
                             "This procurement is past that point.")
    if not isinstance(number, int) or number < 1:
        raise InvalidRequest("Enter the lot number as a whole number, 1 or more.")
    if number > bounds.MAX_LOT_NUMBER:
        raise InvalidRequest(f"Enter a lot number from 1 to {bounds.MAX_LOT_NUMBER}.")
    taken = db.session.scalar(select(Lot).where(Lot.procurement_id == procurement.id, Lot.number == number))
    if taken is not None:
        raise InvalidRequest(f"Lot {number} already exists (“{taken.title}”). Enter a different lot number.")
    title = text(title, "lot title", 300)
    budget = money(annual_budget, "annual budget", required=False)
    evaluation_model = (evaluation_model or "").strip() or None
    if evaluation_model is not None and evaluation_model not in evaluation_models():
        raise InvalidRequest("Choose one of the evaluation models Tender has, or none for now.")
    lot = Lot(procurement_id=procurement.id, number=number, title=title, annual_budget=budget,
              evaluation_model=evaluation_model)
    db.session.add(lot)
    db.session.flush()
    audit.record(actor, "lot.created", "lot", lot.id, procurement_ref=procurement.reference, lot=number,
                 after={"number": number, "title": title, "annual_budget": budget,
                        "evaluation_model": evaluation_model})
    return lot


def evaluation_models() -> list[str]:
    """The names of the scoring models a lot may be evaluated with (``tender.domain.scoring.load_models``)."""
    return sorted(evaluation.evaluation_models())


@use_case(CONCURRENT_MESSAGE)
def add_funder(user, procurement_id: int, name, annual_amount, annual_uplift_percent, *, is_lead: bool = False,
               import_mode: bool = False, ip: str | None = None) -> Funder:
    """Add a funder while the procurement is in draft; its contract values are computed, never typed."""
    actor = acting(user, import_mode, ip)
    procurement = get_procurement(procurement_id)
    if not import_mode and procurement.state != definition_of(procurement).initial:
        raise InvalidRequest("Funders can only be added while the procurement is in draft.")
    name = text(name, "funder's name", 200)
    if any(f.name.lower() == name.lower() for f in procurement.funders):
        raise InvalidRequest(f"{name} is already a funder of this procurement.")
    amount = money(annual_amount, "annual contribution")
    uplift = _percent(annual_uplift_percent)
    lead = next((f for f in procurement.funders if f.is_lead), None)
    if is_lead and lead is not None:
        raise InvalidRequest(f"{lead.name} is already the lead funder. A procurement has one lead funder.")
    funder = Funder(procurement_id=procurement.id, name=name, annual_amount=amount, annual_uplift_percent=uplift,
                    is_lead=bool(is_lead))
    db.session.add(funder)
    db.session.flush()
    audit.record(actor, "funder.added", "funder", funder.id, procurement_ref=procurement.reference,
                 after={"name": name, "annual_amount": amount, "annual_uplift_percent": uplift,
                        "is_lead": funder.is_lead})
    return funder


def _percent(value) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0")
    try:
        percent = Decimal(str(value).replace("%", "").strip())
    except InvalidOperation:
        raise InvalidRequest("Enter the annual uplift as a percentage, like 2.5, or 0 for none.") from None
    if not percent.is_finite() or percent < 0 or percent >= 100:
        raise InvalidRequest("Enter an annual uplift from 0 up to 100 per cent.")
    if percent != percent.quantize(Decimal("0.001")):
        raise InvalidRequest("Enter the annual uplift with no more than 3 decimal places.")
    return percent


@dataclass(frozen=True)
class PlannedMilestone:
    """What ``plan_milestone`` did, and any light touch warnings the officer should see."""

    milestone_id: int
    key: str
    planned_date: date
    warnings: tuple[str, ...]


@use_case(CONCURRENT_MESSAGE)
def plan_milestone(user, procurement_id: int, milestone_id: int, planned_date, owner_id, *,
                   import_mode: bool = False, today: date | None = None, ip: str | None = None) -> PlannedMilestone:
    """Give an undated milestone its first planned date and owner.

    No reason is needed the first time; moving a date later is a re-plan, with
    a reason (``milestones.replan``). A date that breaks a statutory minimum
    period the regime enforces is refused; under the light touch regime it is
    allowed and the warning returned.
    """
    actor = acting(user, import_mode, ip)
    procurement = get_procurement(procurement_id)
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.procurement_id != procurement.id:
        raise NotFound("That milestone is not part of this procurement.")
    if milestone.status == MET:
        raise InvalidRequest(f"“{milestone.title}” has been met; it cannot be planned.")
    if milestone.planned_date is not None:
        raise InvalidRequest(f"“{milestone.title}” is already planned for {format_uk_date(milestone.planned_date)}. "
                             "To move it, re-plan it from the procurement page and give a reason.")
    if not isinstance(planned_date, date):
        raise InvalidRequest(f"Enter the planned date for “{milestone.title}”.")
    in_bounds(planned_date, f"planned date of “{milestone.title}”")
    owner = db.session.get(User, owner_id) if isinstance(owner_id, int) and bounds.id_in_range(owner_id) else None
    if owner is None or not owner.active:
        raise InvalidRequest(f"Choose who owns “{milestone.title}”: an active user.")
    warnings = check_statutory_periods(procurement, milestone, planned_date, today or clock.today(),
                                       skip_unplanned=True)
    before = {"planned_date": None, "owner": milestone.owner.email if milestone.owner else None}
    milestone.planned_date, milestone.owner_id = planned_date, owner.id
    audit.record(actor, "milestone.planned", "milestone", milestone.id, procurement_ref=procurement.reference,
                 before=before, after={"key": milestone.key, "planned_date": planned_date, "owner": owner.email,
                                       "warnings": list(warnings)})
    return PlannedMilestone(milestone.id, milestone.key, planned_date, warnings)
