"""Procurement notices as Open Contracting Data Standard (OCDS 1.1.5) releases with the UK profile.

Pure: the service reads the record into ``facts`` and stores what ``notices.build``
returns after ``checks.check`` passes. Modules: ``facts`` (inputs), ``notices``
(one release per notice), ``published`` (what earlier notices published, repeated
unchanged in later ones, with their Find a Tender ids), ``parties`` (organisations,
identifiers, addresses), ``checks`` (the runtime checks), ``codelists``, ``cpv``
(the shipped CPV list), ``dates`` (UK days and UTC instants, net and gross
money), ``thresholds`` (``aboveThreshold``).
"""
from __future__ import annotations

from datetime import datetime

from tender.domain.ocds.dates import timestamp

DEFAULT_OCID_PREFIX = "ocds-tender"
_RAW = "https://raw.githubusercontent.com/"
_OCE = _RAW + "open-contracting-extensions/"
# Every extension a release uses, so that a reader (lib-cove-ocds, ocdskit) can build the schema it is checked
# against: the UK (Find a Tender) extension, its nine dependencies exactly as its extension.json names them
# (cabinetoffice/ocds_uk_extension at aa0e43b8, 2026-01-13), and lots v1.1.5, whose Lot object five of them
# patch. Without the dependencies the UK extension's references (Location, Lot, ...) resolve to nothing and a
# reader builds no schema. Copied here from ../shared/ocds/uk (SOURCES.md), which the product never reads.
UK_EXTENSION = _RAW + "cabinetoffice/ocds_uk_extension/main/extension.json"
UK_EXTENSION_DEPENDENCIES = (
    _OCE + "ocds_awardCriteria_extension/master/extension.json",
    _OCE + "ocds_bid_extension/v1.1.5/extension.json",
    _OCE + "ocds_communication_extension/master/extension.json",
    _OCE + "ocds_location_extension/master/extension.json",
    _OCE + "ocds_otherRequirements_extension/master/extension.json",
    _OCE + "ocds_performance_failures_extension/master/extension.json",
    _OCE + "ocds_subcontracting_extension/master/extension.json",
    _OCE + "ocds_suitability_extension/master/extension.json",
    _OCE + "ocds_techniques_extension/master/extension.json",
)
EXTENSIONS = (_OCE + "ocds_lots_extension/v1.1.5/extension.json", *UK_EXTENSION_DEPENDENCIES, UK_EXTENSION)


def ocid(reference: str, prefix: str = DEFAULT_OCID_PREFIX) -> str:
    """The contracting process identifier: the registered prefix, then the procurement reference."""
    return f"{prefix}-{reference}"


def package(releases: list[dict], *, uri: str, publisher: str, published: datetime) -> dict:
    """A release package: publishing metadata, the extensions used, and the releases."""
    return {"uri": uri, "version": "1.1", "extensions": list(EXTENSIONS), "publishedDate": timestamp(published),
            "publisher": {"name": publisher}, "releases": releases}
