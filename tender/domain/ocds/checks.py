"""The product's own checks on a release before it is stored: required fields, codes, references, dates.

Not a JSON Schema validator (the schema is test data, never read by the
product): the checks Tender's notices need, each naming the failing field by
its path in the release, so a notice that would not validate, or whose dates
contradict each other, is refused with a reason the officer can act on.
"""
from __future__ import annotations

from dataclasses import dataclass

from tender.domain.ocds.codelists import CODELISTS
from tender.domain.ocds.dates import parse


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ReleaseInvalid(ValueError):
    """A notice that cannot be published as it stands; ``problems`` names each failing field."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5]) + ("; …" if len(problems) > 5 else "")
        super().__init__(f"This notice cannot be published until these are put right: {shown}")


def problems(release: dict) -> list[Problem]:
    """Every problem found in ``release`` (empty when it may be published)."""
    found: list[Problem] = []
    for name in ("ocid", "id", "date", "tag", "initiationType"):
        if not release.get(name):
            found.append(Problem(name, "is required"))
    found += _dates_parse(release)
    found += _gross_amounts(release)
    found += _codes(release)
    found += _parties(release)
    found += _references(release)
    if not any(p.message.startswith("is not a date") for p in found):
        found += _date_order(release)
    return found


def check(release: dict) -> None:
    """Raise ReleaseInvalid if ``release`` has any problem."""
    found = problems(release)
    if found:
        raise ReleaseInvalid(found)


def _walk(value, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}/{key}".lstrip("/"), key, item
            yield from _walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}/{i}")


DATE_KEYS = {"date", "dueDate", "dateMet", "dateSigned", "datePublished", "startDate", "endDate", "maxExtentDate",
             "expressionOfInterestDeadline", "assessmentSummariesDateSent", "finalStatusDate"}


def _dates_parse(release: dict) -> list[Problem]:
    found = []
    for path, key, value in _walk(release):
        if key in DATE_KEYS and isinstance(value, str):
            try:
                parse(value)
            except ValueError:
                found.append(Problem(path, "is not a date and time with a time zone"))
    return found


def _gross_amounts(release: dict) -> list[Problem]:
    """Every value gives its amount with VAT too (the UK extension's ``amountGross``), as Find a Tender does."""
    missing = [path for path, key, value in _walk(release)
               if isinstance(value, dict) and "currency" in value and "amount" in value and "amountGross" not in value]
    return [Problem(missing[0], "enter the VAT rate on the CPV codes and submission page, so that values are "
                                "given with VAT as well")] if missing else []


def _code(found: list, path: str, codelist: str, value) -> None:
    if value not in CODELISTS[codelist]:
        found.append(Problem(path, f"{value!r} is not in the {codelist} codelist"))


def _codes(release: dict) -> list[Problem]:
    found: list[Problem] = []
    for i, tag in enumerate(release.get("tag", [])):
        _code(found, f"tag/{i}", "releaseTag", tag)
    for path, key, value in _walk(release):
        simple = {"roles": "partyRole", "submissionMethod": "submissionMethod"}
        if key in simple and isinstance(value, list):
            for i, code in enumerate(value):
                _code(found, f"{path}/{i}", simple[key], code)
        elif key == "documentType":
            _code(found, path, "documentType", value)
        elif key == "currency" and value != "GBP":
            found.append(Problem(path, f"{value!r} is not GBP"))
        elif key == "weight" and "/numbers/" in path:
            _code(found, path, "criterionWeight", value)
        elif key == "type" and "/criteria/" in path:
            _code(found, path, "awardCriterionType", value)
        elif key == "classification" and isinstance(value, dict):
            _code(found, f"{path}/scheme", "itemClassificationScheme", value.get("scheme"))
    tender = release.get("tender", {})
    for key, codelist in (("status", "tenderStatus"), ("procurementMethod", "method"),
                          ("mainProcurementCategory", "procurementCategory"), ("awardCriteria", "awardCriteria")):
        if key in tender:
            _code(found, f"tender/{key}", codelist, tender[key])
    for i, lot in enumerate(tender.get("lots", [])):
        _code(found, f"tender/lots/{i}/status", "tenderStatus", lot.get("status"))
    for i, m in enumerate(tender.get("milestones", [])):
        _code(found, f"tender/milestones/{i}/status", "milestoneStatus", m.get("status"))
        if "type" in m:
            _code(found, f"tender/milestones/{i}/type", "milestoneType", m["type"])
    for section, codelist in (("awards", "awardStatus"), ("contracts", "contractStatus")):
        for i, item in enumerate(release.get(section, [])):
            _code(found, f"{section}/{i}/status", codelist, item.get("status"))
    return found


def _parties(release: dict) -> list[Problem]:
    found = []
    ids = [p.get("id") for p in release.get("parties", [])]
    for i, p in enumerate(release.get("parties", [])):
        name = p.get("name") or p.get("id")
        ident = p.get("identifier") or {}
        if not ident.get("scheme") or not ident.get("id"):
            found.append(Problem(f"parties/{i}/identifier", f"enter the identifier of {name}"))
        address = p.get("address") or {}
        if not all(address.get(k) for k in ("streetAddress", "locality", "postalCode", "countryName")):
            found.append(Problem(f"parties/{i}/address", f"enter the address of {name}"))
        if ids.count(p.get("id")) > 1:
            found.append(Problem(f"parties/{i}/id", f"{p.get('id')} is used by more than one party"))
    if not any("buyer" in p.get("roles", []) for p in release.get("parties", [])):
        found.append(Problem("buyer", "enter the contracting authority's details"))
    return found


def _references(release: dict) -> list[Problem]:
    found = []
    parties = {p.get("id"): p.get("name") for p in release.get("parties", [])}
    refs = [("buyer", release["buyer"])] if "buyer" in release else []
    refs += [(f"awards/{i}/suppliers/{j}", s) for i, a in enumerate(release.get("awards", []))
             for j, s in enumerate(a.get("suppliers", []))]
    refs += [(f"tender/tenderers/{j}", t) for j, t in enumerate(release.get("tender", {}).get("tenderers", []))]
    for path, r in refs:
        if parties.get(r.get("id")) != r.get("name"):
            found.append(Problem(path, f"{r.get('name')} is not among the parties"))
    lots = {lot["id"] for lot in release.get("tender", {}).get("lots", [])}
    awards = {a["id"] for a in release.get("awards", [])}
    for i, a in enumerate(release.get("awards", [])):
        found += [Problem(f"awards/{i}/relatedLots", f"lot {n} is not in the tender")
                  for n in a.get("relatedLots", []) if n not in lots]
    for i, c in enumerate(release.get("contracts", [])):
        if c.get("awardID") not in awards:
            found.append(Problem(f"contracts/{i}/awardID", "refers to no award"))
    return found


def _before(found: list, earlier: tuple[str, str | None], later: tuple[str, str | None], why: str) -> None:
    (a_path, a), (b_path, b) = earlier, later
    if a and b and parse(a) > parse(b):
        found.append(Problem(b_path, f"is before {a_path} ({why})"))


def _periods(found: list, path: str, period: dict | None) -> None:
    if not period:
        return
    _before(found, (f"{path}/startDate", period.get("startDate")), (f"{path}/endDate", period.get("endDate")),
            "a period cannot end before it starts")
    _before(found, (f"{path}/endDate", period.get("endDate")),
            (f"{path}/maxExtentDate", period.get("maxExtentDate")), "extensions cannot end before the term")


def _date_order(release: dict) -> list[Problem]:
    """Dates that would contradict each other: periods, the award before standstill before signature."""
    found: list[Problem] = []
    tender = release.get("tender", {})
    for key in ("tenderPeriod", "enquiryPeriod", "contractPeriod"):
        _periods(found, f"tender/{key}", tender.get(key))
    for i, lot in enumerate(tender.get("lots", [])):
        _periods(found, f"tender/lots/{i}/contractPeriod", lot.get("contractPeriod"))
    tender_end = ("tender/tenderPeriod/endDate", (tender.get("tenderPeriod") or {}).get("endDate"))
    _before(found, ("tender/enquiryPeriod/endDate", (tender.get("enquiryPeriod") or {}).get("endDate")), tender_end,
            "enquiries close before tenders do")
    _before(found, ("tender/expressionOfInterestDeadline", tender.get("expressionOfInterestDeadline")),
            tender_end, "requests to participate close before tenders do")
    release_date = ("date", release.get("date"))
    for i, award in enumerate(release.get("awards", [])):
        path = f"awards/{i}"
        standstill = award.get("standstillPeriod") or {}
        _periods(found, f"{path}/standstillPeriod", standstill)
        _periods(found, f"{path}/contractPeriod", award.get("contractPeriod"))
        _before(found, tender_end, (f"{path}/date", award.get("date")), "the award follows the tenders")
        _before(found, (f"{path}/date", award.get("date")), release_date, "a notice reports decisions made")
        _before(found, (f"{path}/assessmentSummariesDateSent", award.get("assessmentSummariesDateSent")),
                (f"{path}/standstillPeriod/startDate", standstill.get("startDate")),
                "assessment summaries go before the contract award notice")
    for i, contract in enumerate(release.get("contracts", [])):
        path = f"contracts/{i}"
        _periods(found, f"{path}/period", contract.get("period"))
        _before(found, (f"{path}/dateSigned", contract.get("dateSigned")),
                (f"{path}/period/endDate", (contract.get("period") or {}).get("endDate")),
                "a contract cannot end before it is signed")
        award = next((a for a in release.get("awards", []) if a.get("id") == contract.get("awardID")), {})
        _before(found, ("standstillPeriod/endDate", (award.get("standstillPeriod") or {}).get("endDate")),
                (f"{path}/dateSigned", contract.get("dateSigned")), "the contract is signed after standstill")
        _before(found, (f"{path}/dateSigned", contract.get("dateSigned")), release_date,
                "a notice reports a contract already signed")
    for i, m in enumerate(tender.get("milestones", [])):
        _before(found, (f"tender/milestones/{i}/dateMet", m.get("dateMet")), release_date,
                "a milestone cannot be met after the notice reporting it")
    return found
