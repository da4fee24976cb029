"""Test data helpers for the Procurement Act path: the conflicts assessment, notices, a procurement walked to award."""
from __future__ import annotations

import re

from tender.extensions import db
from tender.models import Procurement
from tender.services.procurement import conflicts_assessment


def assess_conflicts(procurement_id: int, officer, reviewer, *, text: str = "Risks: officers' past employment with "
                     "local providers. Mitigation: declarations before the tender notice and at award.") -> None:
    """Record the assessment, have everyone it lists declare no conflict, and have ``reviewer`` review it."""
    conflicts_assessment.record(procurement_id, officer, text)
    procurement = db.session.get(Procurement, procurement_id)
    conflicts_assessment.add_person(procurement_id, officer, reviewer.id)
    for person in conflicts_assessment.people(procurement, conflicts_assessment.assessment_of(procurement_id)):
        conflicts_assessment.declare(procurement_id, person.user, False, "")
    conflicts_assessment.review(procurement_id, reviewer, "Checked against the register of interests.")


def revisit_at_award(procurement_id: int, officer) -> None:
    """Everyone listed now declares (as the officer would chase them), then the officer revisits the assessment."""
    procurement = db.session.get(Procurement, procurement_id)
    for person in conflicts_assessment.people(procurement, conflicts_assessment.assessment_of(procurement_id)):
        if not person.declared:
            conflicts_assessment.declare(procurement_id, person.user, False, "")
    conflicts_assessment.revisit_at_award(procurement_id, officer, "The panel declared on each lot; no change.")


def record_notice(procurement_id: int, kind: str, officer, moment, *, now=None):
    """A notice published on Find a Tender and recorded in Tender, as the publishing services store one.

    ``standstill.notice_published`` runs first, as every publishing route calls it: it refuses what the law
    does not allow and moves the procurement to the stage the notice evidences.
    """
    import uuid

    from tender.models import Notice
    from tender.models.publishing import ELSEWHERE
    from tender.services import audit
    from tender.services.award import standstill

    procurement = db.session.get(Procurement, procurement_id)
    standstill.notice_published(procurement, kind, moment, audit.Actor.of(officer), now=now or moment)
    number = f"{uuid.uuid4().int % 1_000_000:06d}-{moment.year}"
    db.session.add(Notice(procurement_id=procurement_id, kind=kind, notice_type={"tender": "UK4", "award": "UK6",
                                                                                "contract": "UK7"}[kind],
                          ocid=f"ocds-tender-{procurement.reference}", release_id=number, published_at=moment,
                          published_by_id=officer.id, release_json=None, sha256=None, source=ELSEWHERE,
                          fts_notice_number=number))
    db.session.commit()


#: Competitive flexible procedure, tenders electronic: UK4 Mon 3 March 2025, requests by 1 April (29 days,
#: s.54(3)), invitation 7 April, tenders by 12 May (35 days), summaries 2 June, UK6 3 June; standstill 3-12 June.
ACT_TIMETABLE = {
    "tender_notice_published": "2025-03-03", "participation_deadline": "2025-04-01", "itt_issued": "2025-04-07",
    "tender_deadline": "2025-05-12", "assessment_started": "2025-05-13", "assessment_summaries_sent": "2025-06-02",
    "contract_award_notice_published": "2025-06-03", "contract_entered": "2025-06-17",
    "contract_details_published": "2025-06-20", "mobilisation_started": "2025-06-23", "service_live": "2025-10-01",
}
MODEL = "community_services_quality_price_social_value"


def at(day: str, hour: int = 9):
    from datetime import date, datetime, timezone

    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, hour, tzinfo=timezone.utc)


def act_procurement_in_assessment(officer, reviewer, *, regime: str = "pa2023",
                                  prices=("480000", "455000", "490000"), reference: str | None = None) -> int:
    """An Act procurement walked through the services to tender assessment, its one lot scored and priced.

    Conflicts assessed and reviewed, the UK4 recorded (which opens participation), three candidates
    shortlisted, one final tender each at ``prices``, the panel's scores moderated and the prices opened.
    """
    import uuid
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import select

    from tender.models import Milestone, SQResponse
    from tender.services.procurement import responses, setup, shortlist, workflow
    from tests.helpers import make_user
    from tests.publishing_support import score_lot

    p = setup.create_procurement(officer, reference or f"ACT-{uuid.uuid4().hex[:6].upper()}", "Wellbeing service",
                                 "One lot, under the Act.", "competitive_flexible_procedure", regime,
                                 Decimal("2500000.00"), 3, [2], True, False, False, False, officer.id)
    pid = p.id
    setup.add_lot(officer, pid, 1, "Kent-wide wellbeing service", Decimal("500000.00"), MODEL)
    for m in db.session.scalars(select(Milestone).where(Milestone.procurement_id == pid)):
        setup.plan_milestone(officer, pid, m.id, date.fromisoformat(ACT_TIMETABLE[m.key]), officer.id,
                             today=date(2025, 2, 24))
    assess_conflicts(pid, officer, reviewer)
    record_notice(pid, "tender", officer, at("2025-03-03"))

    def advance(trigger: str, day: str) -> None:
        workflow.advance(pid, trigger, officer, expected_version=db.session.get(Procurement, pid).version,
                         today=date.fromisoformat(day))

    for i, name in enumerate(("Acme Care CIC", "Beacon Wellbeing", "Coastal Minds")):
        responses.register_sq_response(officer, pid, f"{name} {uuid.uuid4().hex[:4]}", at(f"2025-03-2{i}"))
    advance("close_participation", "2025-04-02")
    rows = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid).order_by(SQResponse.id))
    for r in list(rows):
        shortlist.record_decision(pid, r.id, "shortlisted", "Meets the conditions of participation.", officer,
                                  expected_version=r.version)
    advance("issue_itt", "2025-04-07")
    rows = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid).order_by(SQResponse.id))
    for r, price in zip(list(rows), prices):
        responses.record_bid(officer, pid, 1, r.supplier_id, "final", at("2025-05-09"), Decimal(price))
    advance("close_tenders", "2025-05-13")
    advance("start_assessment", "2025-05-13")
    score_lot(pid, 1, "final", officer, [make_user("evaluator"), make_user("evaluator"), make_user("moderator")])
    return pid


#: A citation of the PCR 2015: its name, or a regulation number not of the Procurement Regulations 2024.
PCR_NAMES = re.compile(r"\bPCR\b|Public Contracts Regulations")
REGULATION = re.compile(r"\b(?:reg(?:ulation)?s?\.?)\s*\d+", re.IGNORECASE)
REGULATIONS_2024 = re.compile(r"Procurement Regulations 2024")


def pcr_citations(text: str) -> list[str]:
    """Each place ``text`` cites the PCR 2015, with a little context (empty: it speaks only the Act)."""
    found = [text[max(0, m.start() - 60):m.end() + 60] for m in PCR_NAMES.finditer(text)]
    for m in REGULATION.finditer(text):
        around = text[max(0, m.start() - 60):m.end() + 40]
        if not REGULATIONS_2024.search(around):
            found.append(text[max(0, m.start() - 60):m.end() + 60])
    return found
