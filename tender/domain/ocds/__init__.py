"""Procurement notices as Open Contracting Data Standard (OCDS 1.1.5) releases with the UK profile.

Pure: the service reads the record into ``facts`` and stores what ``notices.build``
returns after ``checks.check`` passes. Modules: ``facts`` (inputs), ``notices``
(one release per notice), ``parties`` (organisations, identifiers, addresses),
``checks`` (the runtime checks), ``codelists``, ``cpv`` (the shipped CPV list),
``dates`` (UK days and UTC instants).
"""
from __future__ import annotations

from datetime import datetime

from tender.domain.ocds.dates import timestamp

DEFAULT_OCID_PREFIX = "ocds-tender"
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_awardCriteria_extension/master/"
    "extension.json",
    "https://raw.githubusercontent.com/cabinetoffice/ocds_uk_extension/main/extension.json",
)


def ocid(reference: str, prefix: str = DEFAULT_OCID_PREFIX) -> str:
    """The contracting process identifier: the registered prefix, then the procurement reference."""
    return f"{prefix}-{reference}"


def package(releases: list[dict], *, uri: str, publisher: str, published: datetime) -> dict:
    """A release package: publishing metadata, the extensions used, and the releases."""
    return {"uri": uri, "version": "1.1", "extensions": list(EXTENSIONS), "publishedDate": timestamp(published),
            "publisher": {"name": publisher}, "releases": releases}
