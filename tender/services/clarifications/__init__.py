"""Clarifications: suppliers ask, the officer answers to every invited supplier at once, late answers move the deadline.

Equal treatment (PCR 2015 reg. 18; Procurement Act 2023 s.12) means every
invited supplier gets the same information at the same time, and nobody
learns who asked. So a supplier's question stays with the supplier and the
officer; what is published is the officer's answer with the question as the
officer words it, sent to every person of every invited supplier
(``clarification_message``, one row each, e-mailed by the worker).

An answer or a change to the documents published fewer than six days before
the deadline ahead (PCR reg. 47(3); ss.31 and 54(1) of the Act) is published
with a warning and a proposed extension (``tender.domain.clarifications``);
the officer accepts it (the deadline moves, for everyone, and everyone is
told) or declines it with the reason. Both are audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from tender.domain import bounds
from tender.domain import clarifications as rules
from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission, Role, may
from tender.extensions import db
from tender.models import (Clarification, ClarificationMessage, ClarificationQuestion, Invitation, Milestone,
                           Procurement, Supplier, User)
from tender.models.clarification import (ACCEPTED, ANSWERED, DECLINED, EXTENDED, OPEN, PENDING, PROPOSED,
                                         PUBLISHED)
from tender.models.milestone import SCHEDULED
from tender.services import audit, clock, jobs
from tender.services.accounts import authorise
from tender.services.clarifications.delivery import SEND_JOB  # registers the job's handler
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tender.services.suppliers import is_invited, supplier_of
from tender.services.use_case import check_version, get_owned, get_procurement, use_case

MOVED = "Someone else answered or changed this at the same time. Reload the page to see what they did."


def dedupe_key(procurement_id: int) -> str:
    """One active sending job per procurement: a second publication joins the queued one."""
    return f"clarifications.send:{procurement_id}"


def _text(value: str | None, what: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidRequest(f"Enter the {what}.")
    if len(value) > rules.MAX_TEXT:
        raise InvalidRequest(f"Enter the {what} in {rules.MAX_TEXT:,} characters or fewer.")
    try:
        return bounds.check_text(value, what)
    except bounds.OutOfBounds as exc:
        raise InvalidRequest(str(exc)) from None


def invited_procurement(procurement_id: int, user) -> tuple[Procurement, Supplier]:
    """The procurement and the user's supplier, if the supplier is invited to it; else a 404 (nothing revealed)."""
    supplier = supplier_of(user)
    if supplier is None:
        raise NotAuthorised("Only a supplier's people can ask clarification questions.")
    procurement = get_procurement(procurement_id)
    if not is_invited(procurement.id, supplier.id):
        raise NotFound("There is no procurement with that number.")
    return procurement, supplier


# --- the deadline ahead ---------------------------------------------------------------------------------------------

def deadline_ahead(procurement: Procurement, today: date) -> Milestone | None:
    """The first response deadline not yet passed (``*_deadline`` milestones still scheduled), if any."""
    milestones = [m for m in db.session.scalars(select(Milestone).where(
        Milestone.procurement_id == procurement.id, Milestone.status == SCHEDULED))
        if rules.is_deadline_key(m.key)]
    found = rules.next_deadline([(m.key, m.title, m.planned_date) for m in milestones], today)
    return next((m for m in milestones if found and m.key == found[0]), None)


# --- who is told ----------------------------------------------------------------------------------------------------

def recipients(procurement_id: int) -> list[tuple[Supplier, User | None, str]]:
    """Every invited supplier's active people (supplier, user, e-mail); a supplier with none: its contact e-mail."""
    suppliers = db.session.scalars(select(Supplier).join(Invitation, Invitation.supplier_id == Supplier.id)
                                   .where(Invitation.procurement_id == procurement_id).order_by(Supplier.name)).all()
    people: dict[int, list[User]] = {}
    for user in db.session.scalars(select(User).where(
            User.supplier_id.in_([s.id for s in suppliers]), User.role == Role.SUPPLIER.value,
            User.active.is_(True)).order_by(User.email)):
        people.setdefault(user.supplier_id, []).append(user)
    out = []
    for supplier in suppliers:
        if people.get(supplier.id):
            out.extend((supplier, user, user.email.strip().lower()) for user in people[supplier.id])
        elif supplier.contact_email:
            out.append((supplier, None, supplier.contact_email.strip().lower()))
    return out


def _queue(procurement: Procurement, clarification: Clarification, purpose: str, user) -> int:
    now = clock.now()
    seen: set[str] = set()
    for supplier, person, email in recipients(procurement.id):
        if email in seen:
            continue
        seen.add(email)
        db.session.add(ClarificationMessage(
            procurement_id=procurement.id, clarification_id=clarification.id, supplier_id=supplier.id,
            user_id=person.id if person else None, email=email, purpose=purpose, queued_at=now,
            delivery_status=PENDING, attempts=0))
    if seen:
        jobs.enqueue(SEND_JOB, procurement_id=procurement.id, dedupe_key=dedupe_key(procurement.id), user=user,
                     total=len(seen))
    return len(seen)


# --- suppliers ask --------------------------------------------------------------------------------------------------

@use_case
def ask(procurement_id: int, user, text: str, ip: str | None = None) -> ClarificationQuestion:
    """A supplier's question, kept for the officer; audited (the supplier named only in the audit trail)."""
    authorise(user, Permission.ASK_CLARIFICATIONS)
    procurement, supplier = invited_procurement(procurement_id, user)
    text = _text(text, "question")
    question = ClarificationQuestion(procurement_id=procurement.id, supplier_id=supplier.id, asked_by_id=user.id,
                                     text=text, asked_at=clock.now(), status=OPEN)
    db.session.add(question)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "clarification.asked", "clarification_question", question.id,
                 procurement_ref=procurement.reference, after={"supplier": supplier.name, "question": text})
    return question


# --- the officer publishes ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Published:
    """What publishing did: the clarification, how many people it goes to, and the warning if it came late."""

    clarification: Clarification
    recipients: int
    late: rules.LateNotice | None


@use_case(MOVED)
def publish(procurement_id: int, user, *, kind: str, question: str, answer: str, question_id: int | None = None,
            expected_version: int | None = None, ip: str | None = None) -> Published:
    """Publish an answer (to a supplier's question, reworded as the officer sees fit) or a change to the documents.

    Every person of every invited supplier is sent it; none is told who
    asked. Too close to the deadline ahead, it is still published, with the
    warning and a proposed extension for the officer to decide on.
    """
    authorise(user, Permission.ANSWER_CLARIFICATIONS)
    procurement = get_procurement(procurement_id)
    if kind not in rules.KINDS:
        raise InvalidRequest("Choose whether this answers a question or changes the procurement documents.")
    asked = None
    if question_id is not None:
        asked = get_owned(ClarificationQuestion, question_id, procurement.id, "question")
        check_version(asked, expected_version, MOVED)
        if asked.status != OPEN:
            raise InvalidRequest("This question has already been answered.")
        kind = rules.ANSWER
    question = _text(question, "question as it will be published" if kind == rules.ANSWER
                     else "summary of the change", required=True)
    answer = _text(answer, "answer" if kind == rules.ANSWER else "change to the procurement documents")
    today = clock.today()
    deadline = deadline_ahead(procurement, today)
    late = rules.late_notice(kind, today, deadline.planned_date if deadline else None,
                             deadline.title if deadline else "", regime=procurement.regime,
                             urgency=procurement.urgency)
    number = (db.session.scalar(select(func.max(Clarification.number))
                                .where(Clarification.procurement_id == procurement.id)) or 0) + 1
    clarification = Clarification(
        procurement_id=procurement.id, number=number, kind=kind, question=question, answer=answer,
        published_at=clock.now(), published_by_id=user.id,
        deadline_key=deadline.key if deadline else None, deadline_date=deadline.planned_date if deadline else None,
        warning=late.message if late else None, proposed_deadline=late.proposed_deadline if late else None,
        extension=PROPOSED if late else None)
    db.session.add(clarification)
    db.session.flush()
    if asked is not None:
        asked.status, asked.clarification_id = ANSWERED, clarification.id
    sent_to = _queue(procurement, clarification, PUBLISHED, user)
    actor = audit.Actor.of(user, ip)
    audit.record(actor, "clarification.published", "clarification", clarification.id,
                 procurement_ref=procurement.reference,
                 after={"number": number, "kind": kind, "question": question, "answer": answer,
                        "answers_question": asked.id if asked else None,
                        "question_reworded": bool(asked and asked.text != question), "recipients": sent_to})
    if late is not None:
        audit.record(actor, "clarification.late_warning", "clarification", clarification.id,
                     procurement_ref=procurement.reference,
                     after={"number": number, "deadline": late.deadline, "days_before": late.days_before,
                            "minimum_days": late.minimum_days, "proposed_deadline": late.proposed_deadline},
                     reason=late.message)
    return Published(clarification, sent_to, late)


# --- the extension --------------------------------------------------------------------------------------------------

def _extend_deadline(procurement: Procurement, clarification: Clarification, to: date, user, ip) -> Milestone:
    """Move the deadline the late clarification fell before, for everyone, through the one place deadlines move.

    A round's deadline (tenders, selection questionnaires) moves through
    ``submissions.submitting.extend_deadline``, which also sets its tender
    box's register to be published at the new deadline; any other deadline
    milestone is re-planned on the timetable.
    """
    from tender.services.procurement import milestones
    from tender.services.submissions import rounds, submitting

    deadline = db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement.id,
                                                         Milestone.key == clarification.deadline_key))
    if deadline is None or deadline.status != SCHEDULED:
        raise InvalidRequest("The deadline this clarification fell before has passed or was taken out of the "
                             "timetable, so it cannot be extended from here.")
    reason = (f"Clarification {clarification.number} was published "
              f"{format_uk_date(clock.uk_date(clarification.published_at))}, too close to the deadline; "
              "extended for every invited supplier")
    round_ = next((r for r in rounds.rounds_of(procurement).values() if r.window.deadline == deadline.key), None)
    if round_ is not None:
        return submitting.extend_deadline(user, procurement.id, round_.name, to, reason, ip=ip)
    milestone, _ = milestones.replan_with_warnings(procurement.id, deadline.id, to, reason, user, clock.today(), ip)
    return milestone


@use_case(MOVED)
def decide_extension(procurement_id: int, clarification_id: int, user, *, accept: bool,
                     new_deadline: date | None = None, reason: str | None = None,
                     expected_version: int | None = None, ip: str | None = None) -> Clarification:
    """Accept the proposed extension (the deadline moves for every invited supplier, who are told) or decline it.

    Accepting takes the proposed date or a later one; declining needs the
    reason (the officer may judge the late answer insignificant). Audited.
    """
    authorise(user, Permission.ANSWER_CLARIFICATIONS)
    procurement = get_procurement(procurement_id)
    clarification = get_owned(Clarification, clarification_id, procurement.id, "clarification")
    check_version(clarification, expected_version, MOVED)
    if clarification.extension != PROPOSED:
        raise InvalidRequest("No extension is waiting for a decision on this clarification.")
    actor = audit.Actor.of(user, ip)
    if not accept:
        clarification.extension_reason = _text(reason, "reason for keeping the deadline")
        clarification.extension = DECLINED
        clarification.extension_decided_by_id, clarification.extension_decided_at = user.id, clock.now()
        audit.record(actor, "clarification.extension_declined", "clarification", clarification.id,
                     procurement_ref=procurement.reference,
                     after={"number": clarification.number, "deadline": clarification.deadline_date},
                     reason=clarification.extension_reason)
        return clarification
    to = new_deadline or clarification.proposed_deadline
    if not isinstance(to, date):
        raise InvalidRequest("Enter the new deadline.")
    try:
        bounds.check_date(to, "new deadline")
    except bounds.OutOfBounds as exc:
        raise InvalidRequest(str(exc)) from None
    if to < clarification.proposed_deadline:
        raise InvalidRequest(f"Enter a new deadline on or after {format_uk_date(clarification.proposed_deadline)}: "
                             "an earlier one still leaves too little time after the clarification.")
    milestone = _extend_deadline(procurement, clarification, to, user, ip)
    clarification.extension, clarification.extended_to = ACCEPTED, to
    clarification.extension_reason = _text(reason, "reason", required=False) or None
    clarification.extension_decided_by_id, clarification.extension_decided_at = user.id, clock.now()
    told = _queue(procurement, clarification, EXTENDED, user)
    audit.record(actor, "clarification.extension_accepted", "clarification", clarification.id,
                 procurement_ref=procurement.reference,
                 before={"deadline": clarification.deadline_date},
                 after={"number": clarification.number, "deadline_key": milestone.key, "deadline": to,
                        "recipients": told})
    return clarification


# --- reading --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """The clarifications page as one person may see it."""

    procurement: Procurement
    published: list[Clarification]
    questions: list[ClarificationQuestion]  # a supplier: its own; the officer and legal reviewers: all
    deadline: Milestone | None
    supplier: Supplier | None
    may_answer: bool


def page(procurement_id: int, user) -> Page:
    """Suppliers see the published clarifications and their own questions; staff who may view procurements see more."""
    supplier = supplier_of(user)
    if supplier is not None:
        procurement, supplier = invited_procurement(procurement_id, user)
        questions = db.session.scalars(select(ClarificationQuestion).where(
            ClarificationQuestion.procurement_id == procurement.id, ClarificationQuestion.supplier_id == supplier.id)
            .order_by(ClarificationQuestion.asked_at.desc(), ClarificationQuestion.id.desc())).all()
    else:
        authorise(user, Permission.VIEW_PROCUREMENTS)
        procurement = get_procurement(procurement_id)
        questions = []
        if may(user.role, Permission.READ_CLARIFICATION_RECORD):
            questions = db.session.scalars(select(ClarificationQuestion).where(
                ClarificationQuestion.procurement_id == procurement.id)
                .order_by(ClarificationQuestion.status.desc(), ClarificationQuestion.asked_at,
                          ClarificationQuestion.id)).all()
    published = db.session.scalars(select(Clarification).where(Clarification.procurement_id == procurement.id)
                                   .order_by(Clarification.number.desc())).all()
    return Page(procurement, list(published), list(questions), deadline_ahead(procurement, clock.today()), supplier,
                may(user.role, Permission.ANSWER_CLARIFICATIONS))


@dataclass(frozen=True)
class SupplierRecord:
    """One invited supplier and every clarification message it was sent."""

    supplier: Supplier
    messages: list[ClarificationMessage]


def equal_treatment_record(procurement_id: int, user) -> tuple[Procurement, list[Clarification], list[SupplierRecord]]:
    """What each invited supplier was sent and when (for officers and legal reviewers)."""
    authorise(user, Permission.READ_CLARIFICATION_RECORD)
    procurement = get_procurement(procurement_id)
    suppliers = db.session.scalars(select(Supplier).join(Invitation, Invitation.supplier_id == Supplier.id)
                                   .where(Invitation.procurement_id == procurement.id).order_by(Supplier.name)).all()
    messages: dict[int, list[ClarificationMessage]] = {}
    for message in db.session.scalars(select(ClarificationMessage).where(
            ClarificationMessage.procurement_id == procurement.id)
            .order_by(ClarificationMessage.queued_at, ClarificationMessage.id)):
        messages.setdefault(message.supplier_id, []).append(message)
    listed = {s.id for s in suppliers}
    former = [db.session.get(Supplier, sid) for sid in messages if sid not in listed]
    published = db.session.scalars(select(Clarification).where(Clarification.procurement_id == procurement.id)
                                   .order_by(Clarification.number)).all()
    return procurement, list(published), [SupplierRecord(s, messages.get(s.id, [])) for s in [*suppliers, *former]]


__all__ = ["Page", "Published", "SEND_JOB", "ask", "deadline_ahead", "decide_extension", "equal_treatment_record",
           "invited_procurement", "page", "publish", "recipients"]
