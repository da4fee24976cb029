"""Checking OCDS exports against ../shared/ocds: the 1.1.5 schemas and codelists, never fetched."""
from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pytest

# ../shared/ocds beside the checkout (CI); TENDER_SHARED_OCDS points elsewhere (a worktree one level deeper).
OCDS_DIR = Path(os.environ.get("TENDER_SHARED_OCDS") or Path(__file__).resolve().parents[1].parent / "shared" / "ocds")
UK_DIR = OCDS_DIR / "uk"

# Where each closed or open codelist is used in what Tender emits.
CODELIST_PATHS = {
    "releaseTag": lambda r: r["tag"],
    "partyRole": lambda r: [role for p in r.get("parties", []) for role in p.get("roles", [])],
    "tenderStatus": lambda r: [r["tender"]["status"]] + [lot["status"] for lot in r["tender"].get("lots", [])],
    "method": lambda r: [r["tender"]["procurementMethod"]] if "procurementMethod" in r["tender"] else [],
    "procurementCategory": lambda r: [r["tender"]["mainProcurementCategory"]],
    "milestoneType": lambda r: [m["type"] for m in r["tender"].get("milestones", []) if "type" in m],
    "milestoneStatus": lambda r: [m["status"] for m in r["tender"].get("milestones", [])],
    "awardStatus": lambda r: [a["status"] for a in r.get("awards", [])],
    "contractStatus": lambda r: [c["status"] for c in r.get("contracts", [])],
}


def require_ocds_dir() -> Path:
    """The shared OCDS folder, or skip: it sits beside the checkout (CI has it), the product never reads it."""
    if not (OCDS_DIR / "release-package-schema.json").is_file():
        pytest.skip(f"OCDS 1.1.5 schemas not found at {OCDS_DIR} (../shared/ocds beside the checkout)")
    return OCDS_DIR


UK_CODELIST_PATHS = {
    **CODELIST_PATHS,
    "submissionMethod": lambda r: r["tender"].get("submissionMethod", []),
    "awardCriteria": lambda r: [r["tender"]["awardCriteria"]] if "awardCriteria" in r["tender"] else [],
    "awardCriterionType": lambda r: [c["type"] for lot in r["tender"].get("lots", [])
                                     for c in lot.get("awardCriteria", {}).get("criteria", [])],
    "criterionWeight": lambda r: [n["weight"] for lot in r["tender"].get("lots", [])
                                  for c in lot.get("awardCriteria", {}).get("criteria", []) for n in c["numbers"]],
    "itemClassificationScheme": lambda r: [i["classification"]["scheme"] for i in r["tender"].get("items", [])],
    "documentType": lambda r: [d["documentType"] for section in
                               [r["tender"]] + r.get("awards", []) + r.get("contracts", [])
                               for d in section.get("documents", [])],
    "currency": lambda r: [v["currency"] for v in _values(r)],
}


def _values(value) -> list[dict]:
    if isinstance(value, dict):
        found = [value] if "currency" in value and "amount" in value else []
        return found + [v for item in value.values() for v in _values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return []


@lru_cache(maxsize=2)
def _validator(directory: Path = OCDS_DIR):
    from jsonschema import Draft4Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    schemas = [json.loads((directory / name).read_text(encoding="utf-8"))
               for name in ("release-package-schema.json", "release-schema.json")]
    registry = Registry().with_resources((s["id"], DRAFT4.create_resource(s)) for s in schemas)
    return Draft4Validator(schemas[0], registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def schema_errors(package: dict, directory: Path = OCDS_DIR) -> list[str]:
    """Every validation error of ``package``, as path: message lines (empty if valid)."""
    require_ocds_dir()
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator(directory).iter_errors(package)]


@lru_cache(maxsize=None)
def codelist(name: str, directory: Path = OCDS_DIR) -> frozenset[str]:
    with (directory / "codelists" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return frozenset(row["Code"] for row in csv.DictReader(f))


def codelist_problems(release: dict, directory: Path = OCDS_DIR, paths=CODELIST_PATHS) -> list[str]:
    """Each emitted code missing from its codelist CSV."""
    require_ocds_dir()
    return [f"{name}: {code!r}" for name, values in paths.items() for code in values(release)
            if code not in codelist(name, directory)]


def check_uk_package(package: dict) -> None:
    """Valid against the UK profile schema (OCDS 1.1.5 + UK extension), codes in its codelists, dates zoned."""
    errors = schema_errors(package, UK_DIR)
    assert not errors, errors
    for release in package["releases"]:
        problems = codelist_problems(release, UK_DIR, UK_CODELIST_PATHS)
        assert not problems, problems
    for path, text in all_dates(package):
        assert datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None, path


def all_dates(value, path: str = "") -> list[tuple[str, str]]:
    """(path, value) for every field whose name says it is a date."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith("Date") or key in ("date", "dueDate", "dateMet", "dateSigned")):
                found.append((f"{path}/{key}", item))
            else:
                found += all_dates(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += all_dates(item, f"{path}/{i}")
    return found


def check_package(package: dict) -> None:
    """Valid against the schema, every code in its codelist, every date ISO 8601 with a time zone."""
    assert schema_errors(package) == []
    for release in package["releases"]:
        assert codelist_problems(release) == []
    for path, text in all_dates(package):
        assert datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None, path
