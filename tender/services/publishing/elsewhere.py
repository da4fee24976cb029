"""Recording a notice as published elsewhere: put on Find a Tender directly, not through Tender.

A tender notice sent to Find a Tender before the procurement was in Tender (or
by another route) would otherwise block the award notice for ever: "publish
the tender notice first", and the tender notice can no longer be published
once tenders have closed. So any notice the procedure publishes can be
recorded, once, with the number Find a Tender gave it and the moment it was
published there, as the officer reads them on the notice. It is then a
``Notice`` like one Tender published (``source`` "elsewhere", no release):
every check that asks whether a notice is out counts it, and every later
release Tender builds lists it with its Find a Tender number
(``tender.domain.ocds.published``). A contract award notice under the
Procurement Act starts standstill from the moment recorded (s.51).
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import or_, select

from tender.domain.ocds import notices, ocid as make_ocid
from tender.domain.ocds.dates import UK
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import Notice
from tender.models.publishing import ELSEWHERE
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.publishing.facts import aware
from tender.services.publishing.notices import FTS_NOTICE_NUMBER, FTS_OCID, stored
from tender.services.use_case import get_procurement, use_case

BEFORE = {notices.AWARD: notices.TENDER, notices.CONTRACT: notices.AWARD, notices.TERMINATION: notices.TENDER}


def _checked_numbers(notice_number: str, fts_ocid: str | None, published_at: datetime | None,
                     now: datetime) -> tuple[str, str | None, datetime]:
    notice_number, fts_ocid = (notice_number or "").strip(), (fts_ocid or "").strip() or None
    if not FTS_NOTICE_NUMBER.match(notice_number):
        raise InvalidRequest("Enter the Find a Tender notice number as 6 digits, a hyphen and the year, "
                             "like 011531-2025.")
    if fts_ocid is not None and not FTS_OCID.match(fts_ocid):
        raise InvalidRequest("Enter the Find a Tender ocid as it is shown on the notice, like ocds-h6vhtk-04eac3, "
                             "or leave it blank.")
    if published_at is None or published_at.tzinfo is None:
        raise InvalidRequest("Enter the date and time the notice was published on Find a Tender.")
    if published_at > now:
        raise InvalidRequest("The time the notice was published cannot be in the future.")
    year = published_at.astimezone(UK).year
    if notice_number[-4:] != str(year):
        raise InvalidRequest(f"Notice {notice_number} was numbered in {notice_number[-4:]}, but you entered a "
                             f"publication date in {year}. Check the notice number and the date on the notice.")
    return notice_number, fts_ocid, published_at.astimezone(timezone.utc).replace(microsecond=0)


def _check_order(kind: str, have: dict[str, Notice], published_at: datetime, code_of) -> None:
    """The notice it follows must be out (published or recorded), and before it."""
    if kind in have:
        raise InvalidRequest("This notice is already published or recorded.")
    before = BEFORE.get(kind)
    if before and before in have:
        first = have[before]
        if published_at < aware(first.published_at):
            raise InvalidRequest(f"That is before the {code_of(before)} was published "
                                 f"({aware(first.published_at).astimezone(UK):%d %B %Y %H:%M}). "
                                 "Check the date and time on the notice.")
    elif before:
        raise InvalidRequest(f"Publish or record the {code_of(before)} first: this notice follows it.")


@use_case
def record(procurement_id: int, kind: str, user, notice_number: str, published_at: datetime | None,
           fts_ocid: str | None = None, *, ip: str | None = None, now: datetime | None = None) -> Notice:
    """Record that notice ``kind`` was published on Find a Tender as ``notice_number`` at ``published_at``."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    types = notices.notice_types(procurement.regime)
    if kind not in types:
        raise NotFound("This procedure does not publish that notice.")
    notice_number, fts_ocid, published_at = _checked_numbers(notice_number, fts_ocid, published_at,
                                                             now or clock.now())
    earlier = stored(procurement_id)
    _check_order(kind, {n.kind: n for n in earlier}, published_at, lambda k: types[k].code)
    clash = db.session.scalar(select(Notice).where(or_(Notice.release_id == notice_number,
                                                       Notice.fts_notice_number == notice_number)))
    if clash is not None:
        raise InvalidRequest(f"Notice {clash.fts_notice_number or clash.release_id} is already recorded, as the "
                             f"{clash.notice_type} of another notice. Check the notice number.")
    ocid = earlier[0].ocid if earlier else make_ocid(procurement.reference, current_app.config["OCID_PREFIX"])
    notice = Notice(procurement_id=procurement_id, kind=kind, notice_type=types[kind].code, ocid=ocid,
                    release_id=notice_number, published_at=published_at, published_by_id=getattr(user, "id", None),
                    release_json=None, sha256=None, source=ELSEWHERE, fts_ocid=fts_ocid,
                    fts_notice_number=notice_number)
    from tender.services.award.standstill import notice_published

    # The stage the notice evidences (the UK4's conflicts check, the UK6's standstill, the UK7's contract stage).
    notice_published(procurement, kind, published_at, audit.Actor.of(user, ip), now=now or clock.now(), elsewhere=True)
    db.session.add(notice)
    audit.record(audit.Actor.of(user, ip), "notice.recorded_elsewhere", "notice", notice_number,
                 procurement_ref=procurement.reference,
                 after={"kind": kind, "notice_type": notice.notice_type, "fts_notice_number": notice_number,
                        "fts_ocid": fts_ocid, "published_at": published_at.isoformat()})
    return notice
