"""Each notice a procedure publishes, as one OCDS release with the UK (Find a Tender) profile.

A notice is built once, from the facts of the record at the moment the
officer generates it, and then stored unchanged; the service gives it a fixed
release id and date. What each notice carries (``../shared/ocds/uk/README.md``
lists how Find a Tender publishes them):

* **Tender notice** (UK4 under the Procurement Act 2023; the contract notice
  under PCR 2015, form F02, or F21 under the light touch regime): the parties,
  what is bought (CPV per procurement and lot), lots with values, contract
  periods and award criteria with weights, how and by when to submit, the
  legal basis and the timetable.
* **Contract award notice** (UK6; F03 or F21 under PCR): the same tender
  section, then one award per lot from the *recorded* award decision (winner,
  value, standstill period, assessment summaries date) and a pending contract.
* **Contract details notice** (UK7): the awards and the contracts entered into.
* **Procurement termination notice** (UK12): the tender, cancelled.

The notice itself is listed as a document with ``noticeType`` beside the OCDS
``documentType``, as Find a Tender does. As Find a Tender publishes them too:
every value net (``amount``) and gross (``amountGross``), ``aboveThreshold``
and, under the light touch regime, ``specialRegime``; addresses with the
country code; in award and contract notices every tenderer as a party (not
only the winners) and ``bids.statistics``. A later notice repeats what the
earlier ones published (``published``): dates never move once out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from tender.domain.ocds import published as earlier_notices
from tender.domain.ocds.cpv import cpv_label
from tender.domain.ocds.dates import day_end, day_start, gross, money, term_period, timestamp
from tender.domain.ocds.facts import Lot, Milestone, Procurement
from tender.domain.ocds.parties import authority_parties, party, ref
from tender.domain.ocds.thresholds import above_threshold

TENDER, AWARD, CONTRACT, TERMINATION = "tender", "award", "contract", "termination"
KINDS = (TENDER, AWARD, CONTRACT, TERMINATION)


@dataclass(frozen=True)
class NoticeType:
    kind: str
    code: str  # as Find a Tender labels it: UK4, UK6, UK7, UK12; F02, F03, F21 for PCR 2015 forms
    title: str
    document_type: str
    tags: tuple[str, ...]


_PA = {
    TENDER: NoticeType(TENDER, "UK4", "Tender notice", "tenderNotice", ("tender",)),
    AWARD: NoticeType(AWARD, "UK6", "Contract award notice", "awardNotice", ("award", "contract")),
    CONTRACT: NoticeType(CONTRACT, "UK7", "Contract details notice", "contractNotice", ("award", "contract")),
    TERMINATION: NoticeType(TERMINATION, "UK12", "Procurement termination notice", "tenderCancellationNotice",
                            ("tenderCancellation",)),
}
NOTICE_TYPES: dict[str, dict[str, NoticeType]] = {
    "pa2023": _PA,
    "pa2023_light_touch": _PA,
    "pcr2015": {
        TENDER: NoticeType(TENDER, "F02", "Contract notice", "tenderNotice", ("tender",)),
        AWARD: NoticeType(AWARD, "F03", "Contract award notice", "awardNotice", ("award", "contract")),
    },
    "pcr2015_light_touch": {  # social and other specific services: form F21 for both
        TENDER: NoticeType(TENDER, "F21", "Contract notice (social and other specific services)", "tenderNotice",
                           ("tender",)),
        AWARD: NoticeType(AWARD, "F21", "Contract award notice (social and other specific services)",
                          "awardNotice", ("award", "contract")),
    },
}

# tender.specialRegime (the UK extension gives it no codelist): the light touch regime is the only special regime
# Tender runs (social and other specific services: PCR 2015 regs. 74-76; Procurement Act 2023 s.9).
SPECIAL_REGIMES = {"pcr2015_light_touch": ["lightTouch"], "pa2023_light_touch": ["lightTouch"]}
LEGAL_BASIS = {
    "pa": {"scheme": "UKPGA", "id": "2023/54", "description": "Procurement Act 2023"},
    "pcr": {"scheme": "CELEX", "id": "32014L0024",
            "description": "Public Contracts Regulations 2015 (SI 2015/102), implementing Directive 2014/24/EU"},
}
PROCUREMENT_METHODS = {
    "competitive_procedure_with_negotiation": "selective",
    "competitive_flexible_procedure": "selective",
    "open_procedure": "open",
    "light_touch_regime": "open",
}
TENDER_PERIOD_START = ("itt_issued", "tender_published")
TENDER_PERIOD_END = ("initial_tender_deadline", "tender_deadline")
PARTICIPATION_DEADLINE = ("participation_deadline", "sq_deadline")
CONTRACT_START = ("service_live",)


def notice_types(regime: str) -> dict[str, NoticeType]:
    """The notices the regime publishes, by kind (an unknown regime publishes none)."""
    return NOTICE_TYPES.get(regime, {})


def legal_basis(regime: str) -> dict:
    return dict(LEGAL_BASIS["pa" if regime.startswith("pa2023") else "pcr"])


def _first(p: Procurement, keys: tuple[str, ...]) -> Milestone | None:
    by_key = {m.key: m for m in p.milestones}
    return next((by_key[k] for k in keys if k in by_key), None)


def _day(m: Milestone | None) -> date | None:
    return None if m is None else (m.actual_date or m.planned_date)


def milestone(m: Milestone) -> dict:
    out = {"id": m.key, "title": m.title, "status": m.status}
    if m.ocds_type:
        out["type"] = m.ocds_type
    if m.planned_date:
        out["dueDate"] = day_end(m.planned_date)
    if m.actual_date:
        out["dateMet"] = day_start(m.actual_date)
    return out


def _contract_period(p: Procurement) -> dict | None:
    live = _day(_first(p, CONTRACT_START))
    return None if live is None else term_period(live, p.initial_term_years, sum(p.extension_years))


def _classification(code: str) -> dict:
    return {"scheme": "CPV", "id": code, "description": cpv_label(code)}


def award_criteria(lot: Lot) -> dict:
    """The lot's published criteria and weights (percent of the whole), from its evaluation model."""
    return {"criteria": [{"type": c.type, "name": c.name,
                          "numbers": [{"number": _number(c.weight), "weight": "percentageExact"}]}
                         for c in lot.criteria]}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _award_criteria_code(p: Procurement) -> str | None:
    types = {c.type for lot in p.lots for c in lot.criteria}
    if not types:
        return None
    if types == {"price"}:
        return "priceOnly"
    if types == {"quality"}:
        return "qualityOnly"
    return "ratedCriteria"


def _lots(p: Procurement, kind: str) -> list[dict]:
    decided = {a.lot_number: a for a in p.awards}
    period = _contract_period(p)
    out = []
    for lot in p.lots:
        status = {TENDER: "active", TERMINATION: "cancelled"}.get(kind)
        if status is None:
            award = decided.get(lot.number)
            status = "complete" if award and award.supplier_id else "unsuccessful"
        item = {"id": str(lot.number), "title": lot.title, "status": status}
        if lot.annual_budget is not None:
            item["value"] = money(lot.annual_budget * p.total_years, p.vat_percent)
        if period:
            item["contractPeriod"] = period
        if lot.criteria:
            item["awardCriteria"] = award_criteria(lot)
        out.append(item)
    return out


def _items(p: Procurement) -> list[dict]:
    items = []
    if p.cpv:
        items.append({"id": "0", "description": p.title, "classification": _classification(p.cpv)})
    for lot in p.lots:
        code = lot.cpv or p.cpv
        if code:
            items.append({"id": str(lot.number), "description": lot.title, "classification": _classification(code),
                          "relatedLot": str(lot.number)})
    return items


def threshold_met(p: Procurement, published: datetime) -> bool | None:
    """``aboveThreshold``: the estimated value with VAT against the threshold in force when the tender notice went."""
    gross_value = None if p.vat_percent is None else gross(p.estimated_value, p.vat_percent)
    authority_type = p.authority.authority_type if p.authority else None
    return above_threshold(p.regime, authority_type, p.valued_on or published.date(), gross_value)


def tender_section(p: Procurement, kind: str, status: str, above: bool | None = None) -> dict:
    """The tender as it stands: what, how, when, lots, criteria, timetable."""
    out = {"id": p.reference, "title": p.title, "status": status, "legalBasis": legal_basis(p.regime),
           "mainProcurementCategory": "services", "value": money(p.estimated_value, p.vat_percent),
           "procurementMethodDetails": p.procedure_title}
    if above is not None:
        out["aboveThreshold"] = above
    if p.regime in SPECIAL_REGIMES:
        out["specialRegime"] = list(SPECIAL_REGIMES[p.regime])
    if p.description:
        out["description"] = p.description
    if p.procedure in PROCUREMENT_METHODS:
        out["procurementMethod"] = PROCUREMENT_METHODS[p.procedure]
    items = _items(p)
    if items:
        out["items"] = items
    code = _award_criteria_code(p)
    if code:
        out["awardCriteria"] = code
        out["awardCriteriaDetails"] = "; ".join(
            f"Lot {lot.number}: " + ", ".join(f"{c.name} {_number(c.weight)}%" for c in lot.criteria)
            for lot in p.lots if lot.criteria)
    if p.submission_method:
        out["submissionMethod"] = [p.submission_method]
        if p.submission_url:
            out["submissionMethodDetails"] = p.submission_url
    start, end = _day(_first(p, TENDER_PERIOD_START)), _day(_first(p, TENDER_PERIOD_END))
    period = {}
    if start:
        period["startDate"] = day_start(start)
    if end:
        period["endDate"] = day_end(end)
    if period:
        out["tenderPeriod"] = period
    if p.enquiry_deadline:
        out["enquiryPeriod"] = {**({"startDate": day_start(start)} if start else {}),
                                "endDate": day_end(p.enquiry_deadline)}
    participation = _day(_first(p, PARTICIPATION_DEADLINE))
    if participation:
        out["expressionOfInterestDeadline"] = day_end(participation)
    contract_period = _contract_period(p)
    if contract_period:
        out["contractPeriod"] = contract_period
    if kind in (AWARD, CONTRACT):
        out["numberOfTenderers"] = p.tenderer_count
    out["milestones"] = [milestone(m) for m in p.milestones]
    out["lots"] = _lots(p, kind)
    return out


def _supplier_party(p: Procurement, supplier_id: int, roles: list[str]) -> dict:
    org = p.suppliers.get(supplier_id)
    if org is None:  # no details entered: the checks refuse the notice and say whose are missing
        return {"id": f"supplier-{supplier_id}", "name": p.supplier_names.get(supplier_id, f"Supplier {supplier_id}"),
                "roles": roles}
    return party(org, roles)


def tenderer_parties(p: Procurement, winners: list[int]) -> list[dict]:
    """Every tenderer as a party: the winners first (award order, also ``supplier``), then the others by id."""
    order = list(dict.fromkeys(winners + sorted(p.tenderers)))
    return [_supplier_party(p, i, ["tenderer", "supplier"] if i in winners else ["tenderer"]) for i in order]


def bid_statistics(p: Procurement) -> dict | None:
    """``bids.statistics``: requests to participate, and per lot the tenders received and assessed last."""
    stats = []
    if p.requests:
        stats.append({"id": "requests", "measure": "requests", "value": p.requests})
    for lot in p.lot_bids:
        n = str(lot.lot_number)
        stats.append({"id": f"lot-{n}-bids", "measure": "bids", "value": lot.bids, "relatedLot": n})
        stats.append({"id": f"lot-{n}-finalStageBids", "measure": "finalStageBids", "value": lot.final_stage_bids,
                      "relatedLot": n})
        if lot.vcse_final_stage_bids is not None:
            stats.append({"id": f"lot-{n}-vcseFinalStageBids", "measure": "vcseFinalStageBids",
                          "value": lot.vcse_final_stage_bids, "relatedLot": n})
    return {"statistics": stats} if stats else None


def awards_and_contracts(p: Procurement, kind: str, notice_doc: dict,
                         above: bool | None = None) -> tuple[list[dict], list[dict], list[int]]:
    """(awards, contracts, winning supplier ids in award order) from the recorded award decisions."""
    pa = p.regime.startswith("pa2023")
    titles = {lot.number: lot.title for lot in p.lots}
    period = _contract_period(p)
    awards, contracts, suppliers = [], [], {}
    for a in sorted(p.awards, key=lambda a: a.lot_number):
        award = {"id": f"lot-{a.lot_number}-award", "title": f"Lot {a.lot_number}: {titles.get(a.lot_number, '')}",
                 "date": timestamp(a.decided_at), "relatedLots": [str(a.lot_number)]}
        if a.supplier_id is None:
            award.update(status="unsuccessful", description=a.no_award_reason or "No award.")
            awards.append(award)
            continue
        supplier = suppliers.setdefault(a.supplier_id, _supplier_party(p, a.supplier_id, ["tenderer", "supplier"]))
        award["status"] = "pending" if pa and kind == AWARD else "active"
        award["suppliers"] = [ref(supplier)]
        award["mainProcurementCategory"] = "services"
        if above is not None:
            award["aboveThreshold"] = above
        if a.contract_value is not None:
            award["value"] = money(a.contract_value, p.vat_percent)
        if period:
            award["contractPeriod"] = period
        if p.standstill:
            award["standstillPeriod"] = {"startDate": timestamp(p.standstill.start),
                                         "endDate": timestamp(p.standstill.end)}
        if pa and p.assessment_summaries_sent:
            award["assessmentSummariesDateSent"] = timestamp(p.assessment_summaries_sent)
        if kind == AWARD:
            award["documents"] = [notice_doc]
        awards.append(award)
        contract = {"id": f"lot-{a.lot_number}-contract", "awardID": award["id"],
                    "title": award["title"], "status": "pending" if pa and kind == AWARD else "active"}
        if above is not None:
            contract["aboveThreshold"] = above
        if a.contract_value is not None:
            contract["value"] = money(a.contract_value, p.vat_percent)
        if period:
            contract["period"] = period
        if contract["status"] == "active" and p.contract_signed:
            contract["dateSigned"] = day_start(p.contract_signed)
        if a.contract is not None and contract["status"] == "active":
            _signed_contract(contract, a.contract, p.vat_percent)
        if kind == CONTRACT:
            contract["documents"] = [notice_doc]
        contracts.append(contract)
    return awards, contracts, list(suppliers)


def _signed_contract(contract: dict, terms, vat_percent) -> None:
    """The contract as recorded at the contract stage: its reference, value, term and date signed, not estimates."""
    contract["description"] = f"Contract reference {terms.reference}."
    contract["value"] = money(terms.value, vat_percent)
    after = terms.ends_on + timedelta(days=1)
    months = (after.year - terms.starts_on.year) * 12 + after.month - terms.starts_on.month
    period = {"startDate": day_start(terms.starts_on), "endDate": day_end(terms.ends_on),
              "durationInMonths": max(months, 1)}
    if terms.max_extent is not None:
        period["maxExtentDate"] = day_end(terms.max_extent)
    contract["period"] = period
    contract["dateSigned"] = day_start(terms.signed_on)


def build(p: Procurement, kind: str, *, ocid: str, release_id: str, published: datetime,
          notice_url: str | None = None) -> dict:
    """The release for notice ``kind`` of ``p``, dated ``published``; check it with ``checks.problems``.

    What the notices already out (``p.earlier``) published is repeated, not
    rebuilt: their deadlines and dates, and their documents with the ids Find
    a Tender gave them (``tender.domain.ocds.published``).
    """
    notice = notice_types(p.regime)[kind]
    doc = {"id": release_id, "documentType": notice.document_type, "noticeType": notice.code,
           "title": f"{notice.title} ({notice.code}): {p.title}", "datePublished": timestamp(published),
           "language": "en"}
    if notice_url:
        doc["url"] = notice_url
    status = {TENDER: "active", TERMINATION: "cancelled"}.get(kind, "complete")
    out = {"ocid": ocid, "id": release_id, "date": timestamp(published), "tag": list(notice.tags),
           "initiationType": "tender", "language": "en"}
    parties = authority_parties(p)
    above = threshold_met(p, published)
    tender = tender_section(p, kind, status, above)
    bids = None
    if kind in (AWARD, CONTRACT):
        awards, contracts, winners = awards_and_contracts(p, kind, doc, above)
        tenderers = tenderer_parties(p, winners)
        parties += tenderers
        if tenderers:
            tender["tenderers"] = [ref(t) for t in tenderers]
        bids = bid_statistics(p)
        if kind == AWARD and not any("documents" in a for a in awards):
            tender["documents"] = [doc]
    else:
        awards, contracts = [], []
        tender["documents"] = [doc]
    if kind == TERMINATION:
        tender["finalStatusDate"] = timestamp(published)
    out["parties"] = parties
    buyer = next((x for x in parties if "buyer" in x["roles"]), None)
    if buyer:
        out["buyer"] = ref(buyer)
    funders = [f for f in p.funders]
    if funders:
        out["planning"] = {"budget": {
            "id": f"{p.reference}-budget", "amount": money(p.estimated_value, p.vat_percent),
            "description": "Funded by " + "; ".join(
                f"{f.name} (£{f.annual_amount:,.2f} a year)" for f in funders)}}
    out["tender"] = tender
    if bids:
        out["bids"] = bids
    if awards:
        out["awards"] = awards
    if contracts:
        out["contracts"] = contracts
    out = earlier_notices.repeat(out, p.earlier)
    # The contract as signed is a fact of the contract stage: an earlier notice's estimate of it does not stand.
    signed = {f"lot-{a.lot_number}-contract": a.contract for a in p.awards if a.contract is not None}
    for contract in out.get("contracts", []):
        if contract.get("id") in signed and contract.get("status") == "active":
            _signed_contract(contract, signed[contract["id"]], p.vat_percent)
    return out
