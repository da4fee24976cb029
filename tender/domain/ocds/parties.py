"""Parties as Find a Tender publishes them, and the checks an organisation's details must pass.

Party ids are ``<scheme>-<identifier>`` (``GB-PPON-…``, ``GB-COH-…``), so the
same organisation has the same id in every notice and compiling the releases
merges it. A funder that is part of the contracting authority (same
identifier) is the buyer party with the ``funder`` role too, not a second party.
"""
from __future__ import annotations

import re

from tender.domain.ocds.codelists import AUTHORITY_TYPES, IDENTIFIER_SCHEMES
from tender.domain.ocds.facts import Organisation, Procurement

POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
REGION = re.compile(r"^(TL|UK)[A-N]\d{0,2}[A-Z\d]?$")  # ITL 1-3 (TLJ4) or the older NUTS code (UKJ4)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
LIMITS = {"name": 200, "identifier": 40, "ppon": 40, "street_address": 300, "locality": 100, "postal_code": 10,
          "region": 5, "contact_name": 200, "contact_email": 254, "contact_telephone": 40, "url": 300}


def organisation_problems(fields: dict) -> dict[str, str]:
    """Field name -> an instruction, for every detail a notice cannot publish as given (empty if all fit)."""
    problems: dict[str, str] = {}
    required = {"name": "the organisation's legal name", "identifier": "the organisation's identifier",
                "street_address": "the street address", "locality": "the town or city",
                "postal_code": "the postcode"}
    for name, what in required.items():
        if not (fields.get(name) or "").strip():
            problems[name] = f"Enter {what}."
    for name, limit in LIMITS.items():
        if len((fields.get(name) or "")) > limit and name not in problems:
            problems[name] = f"Enter {limit} characters or fewer."
    if fields.get("scheme") not in IDENTIFIER_SCHEMES:
        problems["scheme"] = "Choose the register the identifier comes from."
    if "identifier" not in problems and not IDENTIFIER.match(fields["identifier"].strip()):
        problems["identifier"] = "Enter the identifier as letters, numbers and hyphens only, like 00123456."
    ppon = (fields.get("ppon") or "").strip()
    if ppon and not IDENTIFIER.match(ppon):
        problems["ppon"] = "Enter the PPON as letters, numbers and hyphens only, like PBZB-4962-TVLX."
    if "postal_code" not in problems and not POSTCODE.match(fields["postal_code"].strip().upper()):
        problems["postal_code"] = "Enter a UK postcode, like ME14 1XQ."
    region = (fields.get("region") or "").strip().upper()
    if region and not REGION.match(region):
        problems["region"] = "Enter the ITL region code, like TLJ4 for Kent, or leave it blank."
    email = (fields.get("contact_email") or "").strip()
    if email and not EMAIL.match(email):
        problems["contact_email"] = "Enter an email address in the correct format, like name@example.gov.uk."
    url = (fields.get("url") or "").strip()
    if url and not url.startswith("https://"):
        problems["url"] = "Enter a web address that starts with https://."
    kind = fields.get("authority_type")
    if kind and kind not in AUTHORITY_TYPES:
        problems["authority_type"] = "Choose the type of contracting authority."
    return problems


def party(org: Organisation, roles: list[str]) -> dict:
    """One party: identifier (and the PPON beside it), address, contact point, details."""
    out = {"id": org.party_id, "name": org.name,
           "identifier": {"scheme": org.scheme, "id": org.identifier, "legalName": org.name}}
    if org.ppon and org.scheme != "GB-PPON":
        out["additionalIdentifiers"] = [{"scheme": "GB-PPON", "id": org.ppon}]
    if org.address:
        a = org.address
        out["address"] = {"streetAddress": a.street_address, "locality": a.locality, "postalCode": a.postal_code,
                          "countryName": a.country_name, "country": a.country}
        if a.region:
            out["address"]["region"] = a.region
    contact = {k: v for k, v in (("name", org.contact_name), ("email", org.contact_email),
                                 ("telephone", org.contact_telephone), ("url", org.url)) if v}
    if contact:
        out["contactPoint"] = contact
    out["roles"] = roles
    details = {}
    if org.authority_type:
        details["classifications"] = [{"scheme": "UK_CA_TYPE", "id": org.authority_type,
                                       "description": AUTHORITY_TYPES[org.authority_type]}]
    if org.vcse is not None:
        details["vcse"] = org.vcse
    if details:
        out["details"] = details
    return out


def ref(party_dict: dict) -> dict:
    return {"id": party_dict["id"], "name": party_dict["name"]}


def authority_parties(p: Procurement) -> list[dict]:
    """The contracting authority (buyer), then each funder outside it; a funder inside it adds a role."""
    out: dict[str, dict] = {}
    if p.authority:
        out[p.authority.party_id] = party(p.authority, ["buyer", "procuringEntity"])
    for funder in p.funders:
        if funder.organisation is None:
            continue
        key = funder.organisation.party_id
        if key in out:
            if "funder" not in out[key]["roles"]:
                out[key]["roles"].append("funder")
        else:
            out[key] = party(funder.organisation, ["funder"])
    return list(out.values())
