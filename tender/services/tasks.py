"""What each person should do next: the tasks their dashboard lists, each with where it is done.

Read-only. Each role's tasks come from the same facts the pages act on: the
panel assignments and declarations, the submitted and moderated scores, the
recommendations and the approval, the stage moves the workflow allows now
(``workflow.available_transitions``), the overdue milestones, the contracts
to record, the invitations to accounts that expired unused. A supplier's
tasks are ``supplier_tasks``. A task is listed only where the page it links
to can do it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select

from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission, Role, may
from tender.extensions import db
from tender.models import (AccountLink, AwardApproval, AwardLetter, AwardRecommendation, Bid, ConflictDeclaration,
                           ConflictsAssessment, EvaluatorAssignment, Lot, Milestone, ModeratedScore, PriceOpening,
                           Procurement, Score, User)
from tender.models.evaluation import EVALUATOR, MODERATOR, SUBMITTED
from tender.models.milestone import CLOSED
from tender.services import clock
from tender.services.accounts import NO_PASSWORD
from tender.services.procurement.definitions import definition_of


@dataclass(frozen=True)
class Task:
    """One thing to do: what, for which procurement, and the page (endpoint and its arguments) where it is done."""

    procurement: str  # the reference
    text: str
    endpoint: str
    args: tuple[tuple[str, object], ...]
    anchor: str | None = None
    overdue: bool = False

    @property
    def url_args(self) -> dict:
        """The arguments for ``url_for``."""
        return dict(self.args) | ({"_anchor": self.anchor} if self.anchor else {})


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def for_user(user, today: date) -> list[Task]:
    """The person's next tasks, by what their role does (their own work first, then what waits on them)."""
    makers = {Role.EVALUATOR.value: (_panel_tasks,), Role.MODERATOR.value: (_panel_tasks,),
              Role.APPROVER.value: (_approver_tasks, _review_tasks),
              Role.OFFICER.value: (_officer_tasks, _review_tasks),
              Role.LEGAL.value: (_review_tasks,),
              Role.ADMINISTRATOR.value: (_administrator_tasks,)}
    tasks: list[Task] = []
    for make in makers.get(user.role, ()):
        tasks += make(user, today)
    return tasks


def _live(procurement: Procurement) -> bool:
    return not definition_of(procurement).is_final(procurement.state)


def _panel_tasks(user, today: date) -> list[Task]:
    """Evaluators and moderators: declare on each lot first, then the tenders to score or the consensus to agree."""
    rows = db.session.execute(
        select(EvaluatorAssignment, Lot, Procurement, ConflictDeclaration)
        .join(Lot, Lot.id == EvaluatorAssignment.lot_id).join(Procurement, Procurement.id == Lot.procurement_id)
        .outerjoin(ConflictDeclaration, (ConflictDeclaration.lot_id == Lot.id)
                   & (ConflictDeclaration.user_id == EvaluatorAssignment.user_id))
        .where(EvaluatorAssignment.user_id == user.id, EvaluatorAssignment.withdrawn_at.is_(None))
        .order_by(Procurement.reference, Lot.number)).all()
    tasks = []
    for assignment, lot, procurement, declaration in rows:
        if not _live(procurement):
            continue
        rounds = [r for r in db.session.scalars(select(Bid.round).where(Bid.lot_id == lot.id).distinct())]
        if not rounds:
            continue  # nothing to evaluate yet
        from tender.services.evaluation.panel import current_round

        round_ = current_round(lot)
        args = (("procurement_id", procurement.id), ("lot_number", lot.number), ("round_", round_))
        where = f"{procurement.reference} lot {lot.number}: {lot.title}"
        if declaration is None:
            tasks.append(Task(procurement.reference, f"Declare any conflict of interest for {where}",
                              "evaluation.lot", args))
            continue
        if declaration.has_conflict or _frozen(lot.id, round_):
            continue
        bids = list(db.session.scalars(select(Bid.id).where(Bid.lot_id == lot.id, Bid.round == round_)))
        if assignment.role == EVALUATOR:
            waiting = len(bids) - len(_fully_submitted(bids, [user.id]))
            if waiting:
                tasks.append(Task(procurement.reference, f"Score {_plural(waiting, 'tender')} of {where}",
                                  "evaluation.lot", args))
        elif assignment.role == MODERATOR:
            evaluators = list(db.session.scalars(select(EvaluatorAssignment.user_id).where(
                EvaluatorAssignment.lot_id == lot.id, EvaluatorAssignment.role == EVALUATOR,
                EvaluatorAssignment.withdrawn_at.is_(None))))
            moderated = set(db.session.scalars(select(ModeratedScore.bid_id).where(ModeratedScore.bid_id.in_(bids))))
            ready = [b for b in _fully_submitted(bids, evaluators) if b not in moderated] if evaluators else []
            if ready:
                tasks.append(Task(procurement.reference, f"Agree the consensus scores for "
                                  f"{_plural(len(ready), 'tender')} of {where}", "evaluation.lot", args))
    return tasks


def _frozen(lot_id: int, round_: str) -> bool:
    return db.session.scalar(select(PriceOpening.frozen).where(PriceOpening.lot_id == lot_id,
                                                               PriceOpening.round == round_)) is True


def _fully_submitted(bid_ids: list[int], evaluator_ids: list[int]) -> list[int]:
    """The bids every one of ``evaluator_ids`` has submitted (and has no draft of)."""
    if not bid_ids or not evaluator_ids:
        return []
    statuses: dict[tuple[int, int], set] = {}
    for bid_id, evaluator_id, status in db.session.execute(select(Score.bid_id, Score.evaluator_id, Score.status)
                                                           .where(Score.bid_id.in_(bid_ids),
                                                                  Score.evaluator_id.in_(evaluator_ids))):
        statuses.setdefault((bid_id, evaluator_id), set()).add(status)
    return [b for b in bid_ids if all(statuses.get((b, e)) == {SUBMITTED} for e in evaluator_ids)]


def _approver_tasks(user, today: date) -> list[Task]:
    """Award decisions with every lot's recommendation recorded, awaiting approval."""
    from tender.services.award.recommendation import approval_stages

    approved = select(AwardApproval.procurement_id)
    tasks = []
    for procurement in db.session.scalars(select(Procurement).where(Procurement.id.not_in(approved))
                                          .order_by(Procurement.reference)):
        if procurement.state not in approval_stages(procurement):
            continue
        lots = set(db.session.scalars(select(Lot.id).where(Lot.procurement_id == procurement.id)))
        recorded = set(db.session.scalars(select(AwardRecommendation.lot_id).where(
            AwardRecommendation.procurement_id == procurement.id, AwardRecommendation.voided_at.is_(None))))
        if lots and lots <= recorded:
            tasks.append(Task(procurement.reference, f"Review and approve the award decision of "
                              f"{procurement.reference}: {procurement.title}", "award.decision",
                              (("procurement_id", procurement.id),)))
    return tasks


def _officer_tasks(user, today: date) -> list[Task]:
    """The procurements the officer leads (or nobody leads): stage moves due, milestones overdue, records to make."""
    from tender.services.award import contract, letters, recommendation
    from tender.services.procurement import workflow

    tasks = []
    for procurement in db.session.scalars(select(Procurement).where(
            (Procurement.lead_officer_id == user.id) | Procurement.lead_officer_id.is_(None))
            .order_by(Procurement.reference)):
        if not _live(procurement):
            continue
        ref, pid = procurement.reference, (("procurement_id", procurement.id),)
        for option in workflow.available_transitions(procurement, today):
            if option.allowed and not option.requires_reason:
                tasks.append(Task(ref, f"{ref}: {option.label} (moves to “{option.dest_title}”)",
                                  "procurements.overview", pid, "next-steps"))
        for m in db.session.scalars(select(Milestone).where(
                Milestone.procurement_id == procurement.id, Milestone.status.not_in(CLOSED),
                Milestone.planned_date < today,
                (Milestone.owner_id == user.id) | Milestone.owner_id.is_(None)).order_by(Milestone.planned_date)):
            tasks.append(Task(ref, f"{ref}: “{m.title}” was due on {format_uk_date(m.planned_date)}",
                              "procurements.overview", pid, None, overdue=True))
        if procurement.state in recommendation.approval_stages(procurement):
            recorded = set(recommendation.current(procurement.id))
            for lot in db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id)
                                          .order_by(Lot.number)):
                if lot.number not in recorded and recommendation.refusal(procurement, lot.number) is None:
                    tasks.append(Task(ref, f"{ref}: record the recommendation for lot {lot.number}",
                                      "award.decision", pid, f"lot-{lot.number}"))
        drafts = db.session.scalar(select(AwardLetter.id).where(
            AwardLetter.procurement_id == procurement.id, AwardLetter.status == "draft",
            AwardLetter.queued_at.is_(None)).limit(1))
        if drafts is not None and letters.send_refusal(procurement.id, None) in (None, _NO_SENDER):
            tasks.append(Task(ref, f"{ref}: check and send the award letters", "letters.index", pid))
        if contract.refusal(procurement, today) is None:
            recorded = contract.contracts_of(procurement.id)
            for lot, _ in contract.awarded(procurement.id):
                if lot.id not in recorded:
                    tasks.append(Task(ref, f"{ref}: record the contract of lot {lot.number}",
                                      "procurements.overview", pid, "contract"))
    return tasks


#: "Send" needs a sender address only for e-mail; the letters page says so, so the task still stands.
_NO_SENDER = ("Tender has no sender address for e-mail (MAIL_DEFAULT_SENDER). Ask your administrator to set it, or "
              "send the letters by post.")


def _review_tasks(user, today: date) -> list[Task]:
    """Conflicts assessments (Procurement Act 2023 s.83) prepared by someone else and not yet reviewed."""
    from tender.services.procurement.conflicts_assessment import REVIEWERS

    if user.role not in REVIEWERS or not may(user.role, Permission.VIEW_PROCUREMENTS):
        return []
    tasks = []
    for assessment, procurement in db.session.execute(
            select(ConflictsAssessment, Procurement).join(Procurement, Procurement.id == ConflictsAssessment.procurement_id)
            .where(ConflictsAssessment.reviewed_at.is_(None), ConflictsAssessment.prepared_by_id != user.id)
            .order_by(Procurement.reference)):
        if _live(procurement):
            tasks.append(Task(procurement.reference, f"Review the conflicts assessment of {procurement.reference}",
                              "conflicts.page", (("procurement_id", procurement.id),)))
    return tasks


def _administrator_tasks(user, today: date) -> list[Task]:
    """Invitations to staff accounts that expired before the person chose a password: to be sent again."""
    invited = db.session.scalars(select(User).where(
        User.active.is_(True), User.password_hash == NO_PASSWORD, User.role != Role.SUPPLIER.value)
        .order_by(User.email)).all()
    tasks = []
    for person in invited:
        links = db.session.execute(select(AccountLink.expires_at, AccountLink.used_at).where(
            AccountLink.user_id == person.id, AccountLink.purpose == "invite")).all()
        if links and all(used is None and _aware(expires) <= clock.wall_now() for expires, used in links):
            tasks.append(Task("", f"The invitation to {person.email} expired before they chose a password: "
                              "send it again", "admin.user_list", ()))
    return tasks


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
