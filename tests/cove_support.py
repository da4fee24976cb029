"""lib-cove-ocds (the Open Contracting Partnership's data review library) over a release package, offline.

lib-cove-ocds builds its schema from what the package declares: the OCDS
1.1.5 standard (fetched as a ZIP of the standard repository) patched with
each extension in ``extensions`` (fetched from the URL given there). Nothing
can be fetched here, so the test serves the same files from
``../shared/ocds`` (built from those repositories at the commits in
``../shared/ocds/uk/SOURCES.md``):

* the standard: a ZIP made from ``../shared/ocds`` (the 1.1.5 release and
  release package schemas; the codelists as the standard has them, that is the
  rows of ``uk/codelists/*.csv`` whose ``Extension`` is ``OCDS Core``; the
  versioned release schema, derived from the release schema by
  ``ocdsextensionregistry`` as the standard's build does);
* each extension at the ref SOURCES.md names: its ``extension.json`` and
  ``release-schema.json`` byte for byte, and each codelist file its
  ``extension.json`` lists, rebuilt from the rows ``uk/codelists`` attributes
  to that extension.

A URL of any other repository or ref gets a 404, as it would from a mirror
that does not hold it: lib-cove-ocds then reports the extension as invalid,
so a package that declares an extension Tender does not use, or at a ref the
UK extension does not depend on, fails the test instead of passing unchecked.
"""
from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from contextlib import contextmanager
from functools import lru_cache

from tests.ocds_support import OCDS_DIR, UK_DIR, require_ocds_dir

MIRROR_PREFIXES = ("https://raw.githubusercontent.com/", "https://github.com/")
# (owner, repository, ref) -> folder under uk/extensions, as SOURCES.md lists them.
MIRRORED = {
    ("open-contracting-extensions", "ocds_lots_extension", "v1.1.5"): "ocds_lots_extension",
    ("open-contracting-extensions", "ocds_awardCriteria_extension", "master"): "ocds_awardCriteria_extension",
    ("open-contracting-extensions", "ocds_bid_extension", "v1.1.5"): "ocds_bid_extension",
    ("open-contracting-extensions", "ocds_communication_extension", "master"): "ocds_communication_extension",
    ("open-contracting-extensions", "ocds_location_extension", "master"): "ocds_location_extension",
    ("open-contracting-extensions", "ocds_otherRequirements_extension", "master"):
        "ocds_otherRequirements_extension",
    ("open-contracting-extensions", "ocds_performance_failures_extension", "master"):
        "ocds_performance_failures_extension",
    ("open-contracting-extensions", "ocds_subcontracting_extension", "master"): "ocds_subcontracting_extension",
    ("open-contracting-extensions", "ocds_suitability_extension", "master"): "ocds_suitability_extension",
    ("open-contracting-extensions", "ocds_techniques_extension", "master"): "ocds_techniques_extension",
    ("cabinetoffice", "ocds_uk_extension", "main"): "ocds_uk_extension",
}
_URL = re.compile(r"^https://raw\.githubusercontent\.com/([^/]+)/([^/]+)/([^/]+)/(.+)$")
_ARCHIVE = re.compile(r"^https://github\.com/([^/]+)/([^/]+)/archive/(.+)\.zip$")


def _rows(name: str) -> tuple[list[str], list[dict]]:
    with (UK_DIR / "codelists" / name).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return [c for c in reader.fieldnames if c != "Extension"], list(reader)


def _csv(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _codelist_of(extension_name: str, filename: str) -> str | None:
    """An extension's codelist file (``+name.csv`` adds codes, ``name.csv`` is new), from the merged lists."""
    path = UK_DIR / "codelists" / filename.lstrip("+-")
    if not path.is_file():
        return None
    columns, rows = _rows(path.name)
    own = [row for row in rows if row["Extension"] == extension_name]
    return _csv(columns, own) if own else None


def _extension_files(key: tuple[str, str, str]) -> dict[str, bytes]:
    """An extension's files at a mirrored ref: metadata and patch byte for byte, codelists rebuilt."""
    folder = UK_DIR / "extensions" / MIRRORED[key]
    files = {name: (folder / name).read_bytes() for name in ("extension.json", "release-schema.json", "LICENSE")
             if (folder / name).is_file()}
    metadata = json.loads(files["extension.json"])
    for name in metadata.get("codelists", []):
        text = _codelist_of(metadata["name"]["en"], name)
        if text is not None:
            files[f"codelists/{name}"] = text.encode("utf-8")
    return files


def mirrored_file(url: str) -> bytes | None:
    """The bytes the mirror holds for ``url`` (None: not held, a 404).

    ocdsextensionregistry reads an extension declared by its raw.githubusercontent.com URL from GitHub's
    archive of that ref (``https://github.com/<owner>/<repo>/archive/<ref>.zip``); both are served.
    """
    match = _URL.match(url)
    if match and match.groups()[:3] in MIRRORED:
        return _extension_files(match.groups()[:3]).get(match.group(4))
    match = _ARCHIVE.match(url)
    if match and match.groups() in MIRRORED:
        owner, repo, ref = match.groups()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr(f"{repo}-{ref}/", "")
            for name, body in _extension_files(match.groups()).items():
                z.writestr(f"{repo}-{ref}/{name}", body)
        return out.getvalue()
    return None


@lru_cache(maxsize=1)
def standard_zip() -> bytes:
    """The OCDS 1.1.5 standard as lib-cove-ocds reads it from a ZIP of the standard repository."""
    from ocdsextensionregistry.versioned_release_schema import get_versioned_release_schema

    release = json.loads((OCDS_DIR / "release-schema.json").read_text(encoding="utf-8"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("standard-1__1__5/", "")
        z.writestr("standard-1__1__5/schema/release-schema.json", json.dumps(release, indent=2))
        z.writestr("standard-1__1__5/schema/release-package-schema.json",
                   (OCDS_DIR / "release-package-schema.json").read_text(encoding="utf-8"))
        z.writestr("standard-1__1__5/schema/versioned-release-validation-schema.json",
                   json.dumps(get_versioned_release_schema(json.loads(json.dumps(release)), "1__1__5"), indent=2))
        for path in sorted((UK_DIR / "codelists").glob("*.csv")):
            columns, rows = _rows(path.name)
            core = [row for row in rows if row["Extension"] == "OCDS Core"]
            if core:
                z.writestr(f"standard-1__1__5/schema/codelists/{path.name}", _csv(columns, core))
    return out.getvalue()


@contextmanager
def shared_mirror():
    """While open, ocdsextensionregistry's HTTP session gets GitHub URLs from the mirror (nothing else)."""
    import requests
    from ocdsextensionregistry.util import session

    class Mirror(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            from urllib3.response import HTTPResponse

            body = mirrored_file(request.url)
            status, reason = (200, "OK") if body is not None else (404, "Not Found")
            body = body if body is not None else b"404: Not Found"
            raw = HTTPResponse(body=io.BytesIO(body), headers={"Content-Type": "application/octet-stream"},
                               status=status, reason=reason, preload_content=False, request_url=request.url)
            return self.build_response(request, raw)

    for prefix in MIRROR_PREFIXES:
        session.mount(prefix, Mirror())
    try:
        with session.cache_disabled():
            yield
    finally:
        for prefix in MIRROR_PREFIXES:
            session.adapters.pop(prefix, None)


def cove(package: dict) -> dict:
    """lib-cove-ocds's report on ``package`` (its API context: validation_errors, extensions, additional_fields)."""
    require_ocds_dir()
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig({"standard_zip": standard_zip(), "context": "api"})
    with shared_mirror(), tempfile.TemporaryDirectory() as scratch:  # it writes the extended schema there
        return ocds_json_output(scratch, json_data=json.loads(json.dumps(package)), lib_cove_ocds_config=config,
                                record_pkg=False)


def cove_errors(package: dict) -> list[str]:
    """Every error lib-cove-ocds reports, one line each (empty: valid against the schema it built).

    A schema it could not build (an extension's reference left unresolved) is an error too: it then checks nothing.
    """
    return _errors_of(cove(package))


def _errors_of(report: dict) -> list[str]:
    errors = [f"{e['path']}: {e['description']}" for e in report["validation_errors"]]
    extensions = report.get("extensions") or {}
    errors += [f"extension {url}: {why}" for url, why in extensions.get("invalid_extensions", [])]
    if report.get("json_deref_error"):
        errors.append(f"no schema built: {report['json_deref_error']}")
    return errors


# Fields Tender emits that no declared extension defines (lib-cove-ocds lists them; OCDS accepts them): the legal
# basis (the EU profile's legalBasis extension), the authority type (an organisation classification, from the EU
# profile) and the ISO country code of an address (OCDS 1.2). Find a Tender emits all three.
UNDECLARED_FIELDS = {("/releases/tender", "legalBasis"), ("/releases/parties/details", "classifications"),
                     ("/releases/parties/address", "country")}


def assert_cove_clean(package: dict) -> dict:
    """lib-cove-ocds builds the schema from the declared extensions and reports no error; returns its report."""
    report = cove(package)
    errors = _errors_of(report)
    assert errors == [], errors
    assert report["extensions"]["is_extended_schema"]
    assert len(report["extensions"]["extensions"]) == len(package["extensions"])
    unknown = {(f["path"], f["field"]) for f in report["additional_fields"]}
    assert unknown <= UNDECLARED_FIELDS, unknown - UNDECLARED_FIELDS
    return report


def cove_schema_fields(package: dict) -> set[str]:
    """The field names of the schema lib-cove-ocds builds for ``package`` (from its declared extensions)."""
    from libcoveocds.config import LibCoveOCDSConfig
    from libcoveocds.schema import SchemaOCDS

    config = LibCoveOCDSConfig({"standard_zip": standard_zip(), "context": "api"})
    with shared_mirror():
        schema = SchemaOCDS(package_data=package, lib_cove_ocds_config=config)
        return {path.rsplit("/", 1)[-1] for path in schema.get_pkg_schema_fields()}
