"""What the notices already out published, repeated unchanged in every later release.

A deadline or date a notice has published never changes in a later notice of
the same procurement: suppliers relied on it. So a later release takes each of
them from the first stored release that published it, byte for byte, however
the record moved since (the officer closing tenders a day after the published
deadline must not rewrite the tender notice's ``tenderPeriod``):

* ``tender``: the tender, enquiry and contract periods, the deadline for
  requests to participate, and whether it is above threshold;
* each lot's contract period and each milestone's due date (by id);
* each award's date, contract period, standstill period, assessment summaries
  date and threshold flag, and each contract's period and signature date (by id).

Every earlier notice is also listed again among the documents, where its own
release put it (a notice recorded as published elsewhere: in the section its
kind belongs to), with a document for its Find a Tender notice when its
number is recorded: the ids Find a Tender gave stay in every later release.
"""
from __future__ import annotations

import copy

from tender.domain.ocds.dates import timestamp
from tender.domain.ocds.facts import PublishedNotice

FIND_A_TENDER = "https://www.find-tender.service.gov.uk/Notice/"
TENDER_FIELDS = ("tenderPeriod", "enquiryPeriod", "expressionOfInterestDeadline", "contractPeriod", "aboveThreshold")
BY_ID = {  # (section, list inside tender or None) -> fields repeated per object id
    ("tender", "lots"): ("contractPeriod",),
    ("tender", "milestones"): ("dueDate",),
    ("awards", None): ("date", "contractPeriod", "standstillPeriod", "assessmentSummariesDateSent",
                       "aboveThreshold"),
    ("contracts", None): ("period", "dateSigned", "aboveThreshold"),
}
SECTION_OF_KIND = {"tender": "tender", "termination": "tender", "award": "awards", "contract": "contracts"}


def _objects(release: dict, section: str, inner: str | None) -> dict[str, dict]:
    items = release.get("tender", {}).get(inner, []) if inner else release.get(section, [])
    return {item["id"]: item for item in items if isinstance(item, dict) and "id" in item}


def _carry(out: dict, earlier: dict, fixed: set) -> None:
    """Copy into ``out`` each published field of ``earlier`` that no older release has fixed already."""
    tender, old_tender = out.get("tender"), earlier.get("tender", {})
    if tender is not None:
        for name in TENDER_FIELDS:
            if name in old_tender and ("tender", name) not in fixed:
                tender[name] = copy.deepcopy(old_tender[name])
                fixed.add(("tender", name))
    for (section, inner), names in BY_ID.items():
        now = _objects(out, section, inner)
        for object_id, old in _objects(earlier, section, inner).items():
            if object_id not in now:
                continue
            for name in names:
                key = (section, inner, object_id, name)
                if name in old and key not in fixed:
                    now[object_id][name] = copy.deepcopy(old[name])
                    fixed.add(key)


def fts_document(notice: PublishedNotice) -> dict | None:
    """The notice as Find a Tender lists it (its notice number is the id), or None if no number is recorded."""
    if not notice.fts_notice_number:
        return None
    doc = {"id": notice.fts_notice_number, "documentType": notice.document_type, "noticeType": notice.code,
           "title": f"{notice.title} ({notice.code}) on Find a Tender",
           "url": FIND_A_TENDER + notice.fts_notice_number, "language": "en"}
    if notice.release is None:  # recorded as published there: the moment is the officer's record of it
        doc["datePublished"] = timestamp(notice.published_at)
    if notice.fts_ocid:
        doc["description"] = f"Find a Tender ocid {notice.fts_ocid}."
    return doc


def _own_places(release: dict) -> list[tuple[str, str | None]]:
    """Where a release lists its own notice: (section, object id or None for the tender)."""
    places = [("tender", None)] if any(d.get("id") == release["id"] for d in
                                       release.get("tender", {}).get("documents", [])) else []
    for section in ("awards", "contracts"):
        places += [(section, item["id"]) for item in release.get(section, [])
                   if any(d.get("id") == release["id"] for d in item.get("documents", []))]
    return places


def _documents_of(notice: PublishedNotice, out: dict) -> list[tuple[str, str | None, dict]]:
    """(section, object id, document) for every document ``notice`` contributes to a later release ``out``."""
    found = []
    if notice.release is not None:
        old = notice.release
        found += [("tender", None, d) for d in old.get("tender", {}).get("documents", [])]
        for section in ("awards", "contracts"):
            found += [(section, item["id"], d) for item in old.get(section, []) for d in item.get("documents", [])]
        places = _own_places(old)
    else:
        section = SECTION_OF_KIND.get(notice.kind, "tender")
        places = [] if section == "tender" else [
            (section, item["id"]) for item in out.get(section, []) if section != "awards" or "suppliers" in item]
        places = places or [("tender", None)]
    fts = fts_document(notice)
    if fts:
        found += [(section, object_id, fts) for section, object_id in places]
    return found


def _add_documents(out: dict, documents: list[tuple[str, str | None, dict]]) -> None:
    """Put each earlier document before the release's own, once, on the same object (else on the tender)."""
    additions: dict[tuple[str, str | None], list[dict]] = {}
    for section, object_id, doc in documents:
        target = (section, object_id)
        if section != "tender" and object_id not in _objects(out, section, None):
            target = ("tender", None)
        additions.setdefault(target, []).append(doc)
    for (section, object_id), docs in additions.items():
        holder = out.setdefault("tender", {}) if section == "tender" else _objects(out, section, None)[object_id]
        present = {d.get("id") for d in holder.get("documents", [])}
        new = []
        for doc in docs:
            if doc["id"] not in present:
                new.append(copy.deepcopy(doc))
                present.add(doc["id"])
        if new:
            holder["documents"] = new + holder.get("documents", [])


def repeat(release: dict, earlier: tuple[PublishedNotice, ...]) -> dict:
    """``release`` with what ``earlier`` (oldest first) published repeated: fields, then documents."""
    out = copy.deepcopy(release)
    fixed: set = set()
    for notice in earlier:
        if notice.release is not None:
            _carry(out, notice.release, fixed)
    documents = [d for notice in earlier for d in _documents_of(notice, out)]
    _add_documents(out, documents)
    return out


def with_fts_document(release: dict, notice: PublishedNotice) -> dict:
    """A stored release as exported once its own Find a Tender number is recorded: that document beside its own."""
    fts = fts_document(notice)
    if fts is None:
        return release
    out = copy.deepcopy(release)
    _add_documents(out, [(section, object_id, fts) for section, object_id in _own_places(out)] or
                   [("tender", None, fts)])
    return out
