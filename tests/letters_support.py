"""The demo procurement taken to a recorded, approved award decision (call inside an app context).

Every lot of the Live Well Kent demo is scored by one evaluator, moderated,
its prices opened, and its recommendation recorded from the frozen ranking
(``tender.services.award.recommendation``); the approver declares no conflict
and approves the award (``tender.services.award.approval``).
"""
from __future__ import annotations
from dataclasses import dataclass

from sqlalchemy import select

from tender.demo import BIDDERS, REFERENCE, load_demo
from tender.extensions import db
from tender.models import AwardApproval, AwardRecommendation, LotClassification, Procurement, Supplier
from tests.evaluation_support import QUESTIONS, user
from tests.helpers import PASSWORD

ROUND = "initial"
OFFICER = "luke.edwards@kent.example"
EVALUATOR = "sam.evans@kent.example"
MODERATOR = "chris.taylor@kent.example"
APPROVER = "richard.smith@kent.example"

# Moderated scores per lot, per bidder (in BIDDERS order): each bidder strong on different questions,
# so each lot's winner and relative advantages differ.
SCORES = {
    1: (4, 3, 2), 2: (3, 4, 3), 3: (2, 3, 4), 4: (3, 3, 2), 5: (2, 4, 3),
}
RATIONALES = {
    "Q1.1": "sets out a stepped model of care with same-week access",
    "Q1.2": "names the GP federations and NHS trust leads it will work with",
    "Q2.1": "has a costed plan for clinical supervision and retention",
    "Q2.2": "describes a monthly clinical governance cycle with incident learning",
    "Q3": "gives a safeguarding policy with named leads and escalation routes",
    "Q4": "plans a 12-week mobilisation with the current provider",
    "SV1": "commits to lived-experience peer roles recruited locally",
    "SV2": "offers community wellbeing sessions in each district",
}


def supplier_email(name: str) -> str:
    return f"bids@{''.join(c for c in name.lower() if c.isalnum())}.example"


def moderated_sheet(bidder: str, score: int) -> dict[str, tuple[str, str]]:
    """A moderated score for every question, with a rationale naming what the tender offers."""
    sheet = {}
    for q in QUESTIONS:
        if q.startswith("C"):
            sheet[q] = ("pass", "Evidence provided.")
        else:
            value = score if q not in ("SV1", "Q4") else max(score - 1, 2)
            sheet[q] = (str(value), f"{bidder} {RATIONALES[q]}.")
    return sheet


def award_demo(lots=(1, 2, 3, 4, 5), approve: bool = True, scores=None) -> int:
    """Load the demo and record an approved award decision for ``lots``; returns the procurement id."""
    from tender.services.evaluation import envelope, panel, scoring

    load_demo(PASSWORD)
    procurement = db.session.scalar(select(Procurement).where(Procurement.reference == REFERENCE))
    pid = procurement.id
    for supplier in db.session.scalars(select(Supplier)):
        supplier.contact_email = supplier_email(supplier.name)
    db.session.commit()
    _keep_only(pid, lots)
    officer, evaluator, moderator = user(OFFICER), user(EVALUATOR), user(MODERATOR)
    for number in lots:
        for person in (evaluator, moderator):
            panel.assign(pid, number, person.id, None, officer)
            panel.declare(pid, number, person, False, "")
        lot = panel.get_lot(pid, number)
        bids = {b.supplier.name: b for b in _bids(lot)}
        for bidder, score in zip(BIDDERS, (scores or SCORES)[number]):
            sheet = moderated_sheet(bidder, score)
            scoring.save_scores(pid, number, ROUND, bids[bidder].id, evaluator, sheet, True)
            scoring.moderate(pid, number, ROUND, bids[bidder].id, moderator, sheet)
        envelope.open_prices(pid, number, ROUND, officer)
    procurement = db.session.get(Procurement, pid)
    procurement.state = "award_decision"  # as if the officer had advanced it through the stages
    db.session.commit()
    for number in lots:
        record_recommendation(pid, number, officer)
    if approve:
        approve_award(pid)
    return pid


def _keep_only(pid: int, lots) -> None:
    """Take the other lots (and their tenders) out of the demo, so a test evaluates only ``lots``."""
    from tender.models import Lot

    for lot in db.session.scalars(select(Lot).where(Lot.procurement_id == pid, Lot.number.not_in(lots))):
        drop_submissions(lot.id)  # tenders that came in through Tender (PostgreSQL enforces their keys)
        for bid in _bids(lot):
            db.session.delete(bid)
        for classification in db.session.scalars(select(LotClassification).where(LotClassification.lot_id == lot.id)):
            db.session.delete(classification)  # the demo's CPV codes for the lot (PostgreSQL enforces the key)
        db.session.flush()
        db.session.delete(lot)
    db.session.commit()


def drop_submissions(lot_id: int) -> None:
    """The lot's submissions with their answers, documents, receipts and the record of who opened them."""
    from sqlalchemy import delete

    from tender.models import (DocumentOpening, Submission, SubmissionAnswer, SubmissionAttachment,
                               SubmissionReceipt)

    ids = select(Submission.id).where(Submission.lot_id == lot_id).scalar_subquery()
    db.session.execute(delete(DocumentOpening).where(DocumentOpening.lot_id == lot_id))
    for child in (SubmissionAnswer, SubmissionAttachment, SubmissionReceipt):
        db.session.execute(delete(child).where(child.submission_id.in_(ids)))
    db.session.execute(delete(Submission).where(Submission.lot_id == lot_id))


def _bids(lot):
    from tender.models import Bid

    return db.session.scalars(select(Bid).where(Bid.lot_id == lot.id, Bid.round == ROUND).order_by(Bid.id)).all()


def record_recommendation(pid: int, number: int, officer) -> AwardRecommendation:
    """The recommendation of one lot, recorded by the officer from its frozen ranking."""
    from tender.services.award import recommendation

    return recommendation.record(pid, number, officer)


def approve_award(pid: int) -> AwardApproval:
    """The Corporate Director declares no conflict on any lot and approves the decision as shown."""
    from tender.services.award import approval

    approver = user(APPROVER)
    lots = sorted(recommendation_lots(pid))
    approval.declare_conflicts(pid, approver, {n: (False, "") for n in lots})
    view = approval.approval_view(pid, approver)
    return approval.approve_award(pid, approver, "Delegated by decision 22/00033", digest_seen=view.digest)


def recommendation_lots(pid: int) -> list[int]:
    from tender.services.award import recommendation

    return list(recommendation.current(pid))


@dataclass(frozen=True)
class Sent:
    """What one "Send" and the worker's run did, read back from the database."""

    issued: int
    emailed: int
    failed: tuple[str, ...]
    to_post: int
    standstill_started: object


def _delivery_counts(pid: int) -> tuple[int, set[int]]:
    from sqlalchemy import func

    from tender.models import AwardLetter, LetterDelivery

    issued = db.session.scalar(select(func.count()).select_from(AwardLetter).where(
        AwardLetter.procurement_id == pid, AwardLetter.status == "issued"))
    sent = set(db.session.scalars(select(LetterDelivery.id).join(AwardLetter, AwardLetter.id == LetterDelivery.letter_id)
                                  .where(AwardLetter.procurement_id == pid, LetterDelivery.status == "sent")))
    return issued, sent


def send_now(pid: int, officer, settings, retry: bool = False) -> Sent:
    """Press "Send" (or "Send again") as the officer, then let a worker run the queue until it is empty."""
    from tender.models import AwardLetter, LetterDelivery, Procurement
    from tender.services import jobs
    from tender.services.award import letters

    issued_before, sent_before = _delivery_counts(pid)
    started_before = db.session.get(Procurement, pid).award_notices_sent_at
    (letters.retry if retry else letters.send)(pid, officer, settings)
    jobs.work(until_idle=True, mail_settings=settings)
    db.session.expire_all()
    issued_after, sent_after = _delivery_counts(pid)
    failed = tuple(db.session.scalars(select(LetterDelivery.last_error).join(
        AwardLetter, AwardLetter.id == LetterDelivery.letter_id).where(
        AwardLetter.procurement_id == pid, LetterDelivery.status == "failed")))
    to_post = len([l for l in letters.letters_for(pid) if l.method == "post" and l.posted_on is None])
    started = db.session.get(Procurement, pid).award_notices_sent_at
    return Sent(issued=issued_after - issued_before, emailed=len(sent_after - sent_before), failed=failed,
                to_post=to_post, standstill_started=started if started_before is None else None)
