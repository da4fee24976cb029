"""One procurement as an Open Contracting Data Standard (OCDS 1.1.5) release.

UK public bodies publish procurement data as OCDS (Find a Tender, Contracts
Finder), so Tender can hand its data to any OCDS tool. This module is pure: it
takes plain dataclasses describing a procurement and ``now``, and returns the
release as a dict ready for ``json.dumps``. The service
(``tender.services.publishing.ocds``) reads the database and wraps releases in a
package.

Mapping decisions, each checked against the 1.1.5 schema and codelists:

* ``ocid`` is ``<prefix>-<reference>``. The default prefix ``ocds-tender`` is
  a placeholder: a real publisher must register its own prefix with the Open
  Contracting Partnership and pass it in (``--ocid-prefix``).
* The stage's *phase* (``STAGE_PHASES``) sets the release tag, the tender
  status and, later, the award and contract statuses.
* Lots are not in core OCDS 1.1.5; they go in ``tender.lots`` and
  ``awards[].relatedLots`` from the official lots extension, which the package
  declares (``EXTENSIONS``). Everything else is a core field.
* partyRole has no "candidate": a supplier that only answered the selection
  questionnaire is an ``interestedParty``, one that bid is a ``tenderer``, a
  winner is also a ``supplier``. Suppliers are named only once the tenders
  are closed, so an export never reveals who is bidding while bidding is open.
* Dates are days in UK time: starts (and dates met or signed) at 00:00 and
  deadlines (due dates, period ends) at 23:59:59, Europe/London, with offset.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
DEFAULT_OCID_PREFIX = "ocds-tender"
CURRENCY = "GBP"
_ONE_DAY = timedelta(days=1)
LOTS_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/"
                  "ocds_lots_extension/v1.1.5/extension.json")
EXTENSIONS = (LOTS_EXTENSION,)

PLANNING, TENDER, AWARD, CONTRACT, CANCELLED = "planning", "tender", "award", "contract", "cancelled"

# Stage name -> phase; every stage not listed is the tender phase (the competition is running).
STAGE_PHASES = {
    "draft": PLANNING,
    "assessment_summaries_sent": AWARD,
    "standstill": AWARD,
    "contract_awarded": CONTRACT,
    "contract_entered": CONTRACT,
    "contract_details_published": CONTRACT,
    "mobilisation": CONTRACT,
    "live": CONTRACT,
    "abandoned": CANCELLED,
}


@dataclass(frozen=True)
class PhaseCodes:
    """What a phase means in OCDS codes (None: that section is not published yet)."""

    tag: str
    tender_status: str
    award_status: str | None = None
    contract_status: str | None = None


PHASE_CODES = {
    PLANNING: PhaseCodes("planning", "planned"),
    TENDER: PhaseCodes("tender", "active"),
    AWARD: PhaseCodes("award", "complete", award_status="pending"),  # standstill: the award is not yet in force
    CONTRACT: PhaseCodes("contract", "complete", award_status="active", contract_status="active"),
    CANCELLED: PhaseCodes("tenderCancellation", "cancelled"),
}

# Procedure -> method codelist. Tender's light touch design is single stage: anyone may tender.
PROCUREMENT_METHODS = {
    "competitive_procedure_with_negotiation": "selective",
    "competitive_flexible_procedure": "selective",
    "open_procedure": "open",
    "light_touch_regime": "open",
}

# Milestone keys that bound the tender period and the contract, first match wins.
TENDER_PERIOD_START = ("itt_issued", "tender_published")
TENDER_PERIOD_END = ("initial_tender_deadline", "tender_deadline")
CONTRACT_SIGNED = ("contract_awarded", "contract_entered")
CONTRACT_START = ("service_live",)


@dataclass(frozen=True)
class FunderInput:
    """A funder; the lead one is the buyer."""

    id: int
    name: str
    is_lead: bool


@dataclass(frozen=True)
class LotInput:
    """A lot and its annual budget."""

    number: int
    title: str
    annual_budget: Decimal | None


@dataclass(frozen=True)
class MilestoneInput:
    """A milestone as stored, with the OCDS type its procedure file gives it."""

    key: str
    title: str
    ocds_type: str | None
    planned_date: date | None
    actual_date: date | None
    status: str


@dataclass(frozen=True)
class SupplierInput:
    """A supplier that answered the questionnaire or bid."""

    id: int
    name: str
    companies_house_number: str | None = None


@dataclass(frozen=True)
class WinnerInput:
    """The bid ranked first on a lot: its supplier and annual price (if prices are known)."""

    lot_number: int
    supplier_id: int
    annual_price: Decimal | None


@dataclass(frozen=True)
class ProcurementInput:
    """Everything a release says about one procurement, read from the database by the service."""

    reference: str
    title: str
    description: str
    procedure: str
    procedure_title: str
    stage: str
    estimated_value: Decimal
    initial_term_years: int
    extension_years: tuple[int, ...]
    funders: tuple[FunderInput, ...] = ()
    lots: tuple[LotInput, ...] = ()
    milestones: tuple[MilestoneInput, ...] = ()
    suppliers: tuple[SupplierInput, ...] = ()
    candidate_ids: frozenset[int] = frozenset()  # answered the selection questionnaire
    bidders_by_lot: dict[int, frozenset[int]] = field(default_factory=dict)
    winners: tuple[WinnerInput, ...] = ()
    award_approved_at: datetime | None = None

    @property
    def total_years(self) -> int:
        return self.initial_term_years + sum(self.extension_years)


def phase_of(stage: str) -> str:
    """The OCDS phase of a workflow stage (planning, tender, award, contract or cancelled)."""
    return STAGE_PHASES.get(stage, TENDER)


def day_start(day: date) -> str:
    """A day's first moment in UK time, ISO 8601 with offset."""
    return datetime.combine(day, time(0), tzinfo=UK).isoformat()


def day_end(day: date) -> str:
    """A day's last second in UK time: when a deadline on that day passes."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UK).isoformat()


def timestamp(moment: datetime) -> str:
    """An aware datetime in UTC with 'Z' (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


def amount(value: Decimal) -> int | float:
    """Money as a JSON number: whole pounds stay integers."""
    return int(value) if value == value.to_integral_value() else float(value)


def money(value: Decimal) -> dict:
    return {"amount": amount(value), "currency": CURRENCY}


def add_years(day: date, years: int) -> date:
    """The anniversary ``years`` later; 29 February's falls on 1 March in a common year.

    So a term from 29 February 2024 ends on 28 February, the day before.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def term_period(start: date, years: int, extension_years: int) -> dict:
    """A contract period of ``years`` from ``start``; ``maxExtentDate`` with every extension taken."""
    period = {"startDate": day_start(start), "endDate": day_end(add_years(start, years) - _ONE_DAY)}
    if extension_years:
        period["maxExtentDate"] = day_end(add_years(start, years + extension_years) - _ONE_DAY)
    return period


def ocid(reference: str, prefix: str = DEFAULT_OCID_PREFIX) -> str:
    """The contracting process identifier: the registered prefix, then the procurement reference."""
    return f"{prefix}-{reference}"


def milestone(m: MilestoneInput) -> dict:
    """A workflow milestone as an OCDS milestone; ``ocds_type`` comes from the procedure file."""
    out = {"id": m.key, "title": m.title, "status": m.status}
    if m.ocds_type:
        out["type"] = m.ocds_type
    if m.planned_date:
        out["dueDate"] = day_end(m.planned_date)
    if m.actual_date:
        out["dateMet"] = day_start(m.actual_date)
    return out


def _first(p: ProcurementInput, keys: tuple[str, ...]) -> MilestoneInput | None:
    by_key = {m.key: m for m in p.milestones}
    return next((by_key[k] for k in keys if k in by_key), None)


def tenders_closed(p: ProcurementInput) -> bool:
    """True once the deadline for tenders is met, or the process is past the tender phase."""
    deadline = _first(p, TENDER_PERIOD_END)
    return phase_of(p.stage) in (AWARD, CONTRACT) or (deadline is not None and deadline.status == "met")


def _roles(p: ProcurementInput) -> dict[int, list[str]]:
    """Supplier id -> party roles, for the suppliers that may be named."""
    if not tenders_closed(p):
        return {}
    bidders = set().union(*p.bidders_by_lot.values()) if p.bidders_by_lot else set()
    winners = {w.supplier_id for w in _awardable(p)}
    roles: dict[int, list[str]] = {}
    for supplier_id in sorted(p.candidate_ids | bidders):
        roles[supplier_id] = ["tenderer"] if supplier_id in bidders else ["interestedParty"]
        if supplier_id in winners:
            roles[supplier_id].append("supplier")
    return roles


def _supplier_party(s: SupplierInput, roles: list[str]) -> dict:
    party = {"id": f"supplier-{s.id}", "name": s.name, "roles": roles}
    if s.companies_house_number:
        party["identifier"] = {"scheme": "GB-COH", "id": s.companies_house_number, "legalName": s.name}
    return party


def _buyer(p: ProcurementInput) -> FunderInput | None:
    return next((f for f in p.funders if f.is_lead), p.funders[0] if p.funders else None)


def parties(p: ProcurementInput) -> list[dict]:
    """The buyer (lead funder), the other funders, and the suppliers that may be named."""
    buyer = _buyer(p)
    out = [{"id": f"funder-{f.id}", "name": f.name,
            "roles": ["buyer", "procuringEntity"] if f is buyer else ["funder"]} for f in p.funders]
    roles = _roles(p)
    out += [_supplier_party(s, roles[s.id]) for s in p.suppliers if s.id in roles]
    return out


def _ref(party: dict) -> dict:
    return {"id": party["id"], "name": party["name"]}


def lots(p: ProcurementInput) -> list[dict]:
    """Lots extension: each lot valued at its annual budget over the whole possible term."""
    status = PHASE_CODES[phase_of(p.stage)].tender_status
    out = []
    for lot in p.lots:
        item = {"id": str(lot.number), "title": lot.title, "status": status}
        if lot.annual_budget is not None:
            item["value"] = money(lot.annual_budget * p.total_years)
        out.append(item)
    return out


def tender(p: ProcurementInput, party_list: list[dict]) -> dict:
    """The tender section: what is bought, how, when, and (once closed) who tendered."""
    codes = PHASE_CODES[phase_of(p.stage)]
    out = {"id": p.reference, "title": p.title, "status": codes.tender_status,
           "mainProcurementCategory": "services", "value": money(p.estimated_value),
           "procurementMethodDetails": p.procedure_title}
    if p.description:
        out["description"] = p.description
    if p.procedure in PROCUREMENT_METHODS:
        out["procurementMethod"] = PROCUREMENT_METHODS[p.procedure]
    start, end = _first(p, TENDER_PERIOD_START), _first(p, TENDER_PERIOD_END)
    period = {}
    if start and start.planned_date:
        period["startDate"] = day_start(start.actual_date or start.planned_date)
    if end and end.planned_date:
        period["endDate"] = day_end(end.planned_date)
    if period:
        out["tenderPeriod"] = period
    live = _first(p, CONTRACT_START)
    if live and live.planned_date:
        out["contractPeriod"] = term_period(live.planned_date, p.initial_term_years, sum(p.extension_years))
    if tenders_closed(p):
        tenderers = [_ref(party) for party in party_list if "tenderer" in party.get("roles", [])]
        out["numberOfTenderers"] = len(tenderers)
        out["tenderers"] = tenderers
    out["milestones"] = [milestone(m) for m in p.milestones]
    out["lots"] = lots(p)
    return out


def _awardable(p: ProcurementInput) -> tuple[WinnerInput, ...]:
    """Winners are published only once the award decision has been communicated."""
    if PHASE_CODES[phase_of(p.stage)].award_status is None:
        return ()
    known = {s.id for s in p.suppliers}
    return tuple(w for w in p.winners if w.supplier_id in known)


def award_id(lot_number: int) -> str:
    return f"lot-{lot_number}-award"


def awards(p: ProcurementInput) -> list[dict]:
    """One award per lot with a known winner, valued at the winning annual price over the whole term."""
    codes = PHASE_CODES[phase_of(p.stage)]
    names = {s.id: s.name for s in p.suppliers}
    titles = {lot.number: lot.title for lot in p.lots}
    out = []
    for w in _awardable(p):
        title = f"Lot {w.lot_number}" + (f": {titles[w.lot_number]}" if w.lot_number in titles else "")
        award = {"id": award_id(w.lot_number), "title": title, "status": codes.award_status,
                 "relatedLots": [str(w.lot_number)],
                 "suppliers": [{"id": f"supplier-{w.supplier_id}", "name": names[w.supplier_id]}]}
        if p.award_approved_at:
            award["date"] = timestamp(p.award_approved_at)
        if w.annual_price is not None:
            award["value"] = money(w.annual_price * p.total_years)
        out.append(award)
    return out


def contracts(p: ProcurementInput) -> list[dict]:
    """One contract per award once entered into: the initial term, its value and the signing date."""
    status = PHASE_CODES[phase_of(p.stage)].contract_status
    if status is None:
        return []
    signed, live = _first(p, CONTRACT_SIGNED), _first(p, CONTRACT_START)
    out = []
    for w in _awardable(p):
        contract = {"id": f"lot-{w.lot_number}-contract", "awardID": award_id(w.lot_number), "status": status}
        if signed and signed.actual_date:
            contract["dateSigned"] = day_start(signed.actual_date)
        if live and live.planned_date:
            contract["period"] = term_period(live.planned_date, p.initial_term_years, sum(p.extension_years))
        if w.annual_price is not None:
            contract["value"] = money(w.annual_price * p.initial_term_years)
        out.append(contract)
    return out


def release(p: ProcurementInput, now: datetime, ocid_prefix: str = DEFAULT_OCID_PREFIX) -> dict:
    """The OCDS release for ``p`` as it stands at ``now``; its id is unique per stage and moment."""
    codes = PHASE_CODES[phase_of(p.stage)]
    party_list = parties(p)
    out = {
        "ocid": ocid(p.reference, ocid_prefix),
        "id": f"{p.reference}-{p.stage}-{now.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%S%fZ}",
        "date": timestamp(now),
        "tag": [codes.tag],
        "initiationType": "tender",
        "language": "en",
        "parties": party_list,
    }
    buyer = next((party for party in party_list if "buyer" in party["roles"]), None)
    if buyer:
        out["buyer"] = _ref(buyer)
    out["tender"] = tender(p, party_list)
    award_list = awards(p)
    if award_list:
        out["awards"] = award_list
    contract_list = contracts(p)
    if contract_list:
        out["contracts"] = contract_list
    return out


def package(releases: list[dict], *, uri: str, publisher: str, published: datetime) -> dict:
    """A release package: publishing metadata, the extensions used, and the releases."""
    return {"uri": uri, "version": "1.1", "extensions": list(EXTENSIONS), "publishedDate": timestamp(published),
            "publisher": {"name": publisher}, "releases": releases}
