"""Publishing notices: generate from the record, preview, confirm, store once, never change.

The officer previews a notice: it is generated from the record at that moment
(``generated_at``) and shown with its SHA-256. Confirming sends both back; the
notice is generated again for the same moment and stored only if it is the
same bytes (so what is stored is exactly what the officer saw; if the record
changed in between, the officer is asked to preview again). A notice that
fails ``tender.domain.ocds.checks`` is refused, naming the failing field.

The stored JSON (``Notice.release_json``) is never rewritten; its SHA-256 is
in the ``notice.published`` audit event. Its ``ocid`` is the procurement's for
good: the first notice fixes it (``TENDER_OCID_PREFIX`` at that moment) and
later notices reuse it. The numbers Find a Tender assigns may be recorded once.
A notice put on Find a Tender another way is recorded with ``elsewhere.record``
and counts as published here like any other. Preview and publish take the
moment from ``tender.services.clock`` (``TENDER_TODAY`` honoured).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from tender.domain.ocds import checks, notices, ocid as make_ocid
from tender.domain.ocds.dates import UK
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import AwardApproval, Notice, Procurement
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.publishing import facts
from tender.services.publishing.facts import current_recommendations
from tender.services.procurement.definitions import definition_of
from tender.services.use_case import use_case

PREVIEW_LIFETIME = timedelta(hours=12)
AWARD_STAGES = {"pa": {"assessment_summaries_sent", "standstill"},
                "pcr": {"contract_awarded", "mobilisation", "live"}}
CONTRACT_STAGES = {"contract_entered", "contract_details_published", "mobilisation", "live"}
FTS_NOTICE_NUMBER = re.compile(r"^\d{6}-\d{4}$")
FTS_OCID = re.compile(r"^ocds-h6vhtk-[0-9a-f]{6}$")


@dataclass(frozen=True)
class NoticeOption:
    """A notice the procedure publishes, and whether it can be published now (and if not, why)."""

    kind: str
    code: str
    title: str
    notice: Notice | None
    blocked: str | None  # None: it can be published now


@dataclass(frozen=True)
class Preview:
    release: dict
    text: str
    sha256: str
    generated_at: datetime
    problems: list[checks.Problem]


def canonical(release: dict) -> str:
    """The exact text stored and hashed: key order as built, no spaces, UTF-8 characters kept."""
    return json.dumps(release, ensure_ascii=False, separators=(",", ":"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _procurement(procurement_id: int) -> Procurement:
    procurement = db.session.get(Procurement, procurement_id)
    if procurement is None:
        raise NotFound("There is no such procurement.")
    return procurement


def stored(procurement_id: int) -> list[Notice]:
    """The procurement's notices in the order they were published."""
    return list(db.session.scalars(select(Notice).where(Notice.procurement_id == procurement_id)
                                   .order_by(Notice.published_at, Notice.id)))


def tendering_stages(procurement: Procurement) -> frozenset[str]:
    """The stages on the main path before the one that closes tenders: when the tender notice can go out."""
    path = definition_of(procurement).main_path()
    stages = []
    for stage in path:
        if stage.milestone in notices.TENDER_PERIOD_END:
            break
        stages.append(stage.name)
    return frozenset(stages)


def _regime(procurement: Procurement) -> str:
    return "pa" if procurement.regime.startswith("pa2023") else "pcr"


def _blocked(procurement: Procurement, kind: str, have: dict[str, Notice]) -> str | None:
    """Why notice ``kind`` cannot be published now, or None."""
    state = procurement.state
    if kind in have:
        return "Published."
    if kind == notices.TENDER:
        return None if state in tendering_stages(procurement) else "Tenders have closed: the tender notice is past."
    if notices.TENDER not in have:
        return "Publish the tender notice first."
    if kind == notices.AWARD:
        if state not in AWARD_STAGES[_regime(procurement)]:
            return ("Available once assessment summaries are sent." if _regime(procurement) == "pa"
                    else "Available once the contract is awarded.")
        lots = {lot.id for lot in procurement.lots}
        if not lots or set(current_recommendations(procurement.id)) != lots:
            return "Record the award decision for every lot first."
        if db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == procurement.id)) is None:
            return "The award decision must be approved first."
        return None
    if kind == notices.CONTRACT:
        if notices.AWARD not in have:
            return "Publish the contract award notice first."
        return None if state in CONTRACT_STAGES else "Available once the contract is entered into."
    if kind == notices.TERMINATION:
        return None if state == "abandoned" else "Only when the procurement is abandoned."
    return "Not a notice this procedure publishes."


def options(procurement_id: int, user) -> list[NoticeOption]:
    """Every notice the procurement's regime publishes, with its stored notice or why it is not yet due."""
    authorise(user, Permission.VIEW_PROCUREMENTS)
    procurement = _procurement(procurement_id)
    have = {n.kind: n for n in stored(procurement_id)}
    return [NoticeOption(kind, t.code, t.title, have.get(kind), None if kind in have else
                         _blocked(procurement, kind, have))
            for kind, t in notices.notice_types(procurement.regime).items()]


def _build(procurement: Procurement, kind: str, generated_at: datetime) -> dict:
    types = notices.notice_types(procurement.regime)
    if kind not in types:
        raise NotFound("This procedure does not publish that notice.")
    earlier = stored(procurement.id)
    ocid = earlier[0].ocid if earlier else make_ocid(procurement.reference, current_app.config["OCID_PREFIX"])
    release_id = f"{ocid}-{len(earlier) + 1:02d}-{types[kind].code}"
    day = generated_at.astimezone(UK).date() if kind == notices.AWARD else None
    base = current_app.config["BASE_URL"]
    out = tuple(facts.published(n, procurement.regime) for n in earlier)  # what a later notice repeats
    return notices.build(facts.read(procurement, award_notice_day=day, earlier=out), kind, ocid=ocid,
                         release_id=release_id, published=generated_at,
                         notice_url=f"{base}/procurements/{procurement.id}/notices/{kind}")


def _check_due(procurement: Procurement, kind: str) -> None:
    reason = _blocked(procurement, kind, {n.kind: n for n in stored(procurement.id)})
    if reason:
        raise InvalidRequest(f"This notice cannot be published now. {reason}")


def preview(procurement_id: int, kind: str, user, now: datetime | None = None) -> Preview:
    """The notice as it would be published now, its SHA-256, and any problem that stops it."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = _procurement(procurement_id)
    _check_due(procurement, kind)
    generated_at = (now or clock.now()).replace(microsecond=0)
    release = _build(procurement, kind, generated_at)
    text = canonical(release)
    return Preview(release, text, sha256(text), generated_at, checks.problems(release))


@use_case
def publish(procurement_id: int, kind: str, user, *, generated_at: datetime, expected_sha256: str,
            ip: str | None = None, now: datetime | None = None) -> Notice:
    """Store the previewed notice, if it is still exactly what the officer saw and passes the checks."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = _procurement(procurement_id)
    _check_due(procurement, kind)
    now = now or clock.now()
    if generated_at.tzinfo is None or not now - PREVIEW_LIFETIME <= generated_at <= now + timedelta(seconds=5):
        raise InvalidRequest("This preview has expired. Preview the notice again, then publish it.")
    latest = db.session.scalar(select(func.max(Notice.published_at)).where(Notice.procurement_id == procurement_id))
    if latest is not None and generated_at < facts.aware(latest):
        raise InvalidRequest("A later notice has been published since this preview. Preview the notice again.")
    release = _build(procurement, kind, generated_at)
    text = canonical(release)
    digest = sha256(text)
    if digest != expected_sha256:
        raise InvalidRequest("The record has changed since you previewed this notice. Check the new preview, "
                             "then publish it.")
    try:
        checks.check(release)
    except checks.ReleaseInvalid as exc:
        raise InvalidRequest(str(exc)) from None
    from tender.services.award.standstill import notice_published

    notice_published(procurement, kind, generated_at, audit.Actor.of(user, ip), now=now)  # the stage it evidences
    notice = Notice(procurement_id=procurement_id, kind=kind, notice_type=_code(procurement, kind),
                    ocid=release["ocid"], release_id=release["id"], published_at=generated_at,
                    published_by_id=getattr(user, "id", None),
                    release_json=text, sha256=digest)
    db.session.add(notice)
    audit.record(audit.Actor.of(user, ip), "notice.published", "notice", release["id"],
                 procurement_ref=procurement.reference,
                 after={"kind": kind, "notice_type": notice.notice_type, "ocid": notice.ocid,
                        "release_id": notice.release_id, "date": release["date"], "sha256": digest})
    return notice


def _code(procurement: Procurement, kind: str) -> str:
    return notices.notice_types(procurement.regime)[kind].code


def get(procurement_id: int, kind: str, user) -> Notice:
    """A stored notice, for its page and download."""
    authorise(user, Permission.VIEW_PROCUREMENTS)
    notice = db.session.scalar(select(Notice).where(Notice.procurement_id == procurement_id, Notice.kind == kind))
    if notice is None:
        raise NotFound("That notice has not been published.")
    return notice


@use_case
def record_fts_numbers(procurement_id: int, kind: str, user, fts_ocid: str, notice_number: str,
                       ip: str | None = None) -> Notice:
    """Record, once, the ocid and notice number Find a Tender assigned; the stored release is unchanged."""
    authorise(user, Permission.ADVANCE_STAGE)
    notice = get(procurement_id, kind, user)
    if notice.fts_notice_number is not None:
        raise InvalidRequest("The Find a Tender numbers for this notice are already recorded.")
    fts_ocid, notice_number = (fts_ocid or "").strip(), (notice_number or "").strip()
    if not FTS_NOTICE_NUMBER.match(notice_number):
        raise InvalidRequest("Enter the Find a Tender notice number as 6 digits, a hyphen and the year, "
                             "like 011531-2025.")
    if not FTS_OCID.match(fts_ocid):
        raise InvalidRequest("Enter the Find a Tender ocid as it is shown on the notice, like ocds-h6vhtk-04eac3.")
    notice.fts_ocid, notice.fts_notice_number = fts_ocid, notice_number
    audit.record(audit.Actor.of(user, ip), "notice.fts_numbers_recorded", "notice", notice.release_id,
                 procurement_ref=_procurement(procurement_id).reference,
                 after={"fts_ocid": fts_ocid, "fts_notice_number": notice_number})
    return notice
