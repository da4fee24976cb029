"""E-mailing published clarifications and deadline extensions, one claimed message at a time.

The request that publishes queues a ``clarification_message`` per person
and one ``clarifications.send`` job; ``tender worker`` runs it through
:func:`tender.services.outbox.deliver`: claim one message, send it, record
the outcome with its audit event, then the next. The sent rows, with their
times, are the equal-treatment record.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from sqlalchemy import and_, or_, select, update

from tender.extensions import db
from tender.mail import MailSettings
from tender.models import Clarification, ClarificationMessage, Milestone, Procurement, User
from tender.models.clarification import CLAIMED, FAILED, PENDING, SENT
from tender.services import audit, clock, jobs, outbox
from tender.services.use_case import step

SEND_JOB = "clarifications.send"


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())


def build_message(message: ClarificationMessage, settings: MailSettings) -> EmailMessage:
    """The e-mail for one person: the clarification as published (or the extension), naming no supplier."""
    from tender.services.award.documents import council_name, environment

    clarification = message.clarification
    procurement = db.session.get(Procurement, message.procurement_id)
    deadline = db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement.id,
                                                         Milestone.key == clarification.deadline_key)) \
        if clarification.deadline_key else None
    page = {"purpose": message.purpose, "reference": procurement.reference, "title": procurement.title,
            "council": council_name(procurement), "number": clarification.number, "kind": clarification.kind,
            "question": clarification.question, "answer": clarification.answer,
            "deadline": deadline.planned_date if deadline else None,
            "deadline_title": deadline.title if deadline else "deadline", "extended_to": clarification.extended_to}
    body = environment().get_template("clarifications/email.txt").render(page)
    subject, _, text = body.partition("\n")
    email = EmailMessage()
    email["Subject"] = _one_line(subject)
    email["From"] = settings.default_sender
    email["To"] = message.email
    email["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    domain = parseaddr(settings.default_sender or "")[1].rpartition("@")[2] or "tender.invalid"
    email["Message-ID"] = f"<tender-clarification-{message.id}-{message.purpose}@{domain}>"
    email.set_content(text.lstrip("\n"))
    return email


class _Messages(outbox.Delivery):
    """Claim → build → record for one procurement's clarification messages."""

    def __init__(self, procurement_id: int, settings: MailSettings, me: str):
        self.procurement_id, self.settings, self.me = procurement_id, settings, me
        self.sent: list[str] = []
        self.failed: list[str] = []

    def claim_next(self) -> int | None:
        message_id = db.session.scalar(select(ClarificationMessage.id).where(
            ClarificationMessage.procurement_id == self.procurement_id,
            or_(ClarificationMessage.delivery_status == PENDING,
                and_(ClarificationMessage.delivery_status == CLAIMED, ClarificationMessage.claimed_by != self.me)))
            .order_by(ClarificationMessage.id).limit(1))
        if message_id is None:
            return None
        db.session.execute(update(ClarificationMessage).where(ClarificationMessage.id == message_id).values(
            delivery_status=CLAIMED, claimed_by=self.me, claimed_at=clock.wall_now())
            .execution_options(synchronize_session=False))
        return message_id

    def build(self, message_id: int) -> EmailMessage:
        email = build_message(db.session.get(ClarificationMessage, message_id), self.settings)
        db.session.rollback()
        return email

    def record(self, message_id: int, result) -> None:
        message = db.session.get(ClarificationMessage, message_id)
        clarification = db.session.get(Clarification, message.clarification_id)
        procurement = db.session.get(Procurement, message.procurement_id)
        where = (ClarificationMessage.id == message_id, ClarificationMessage.claimed_by == self.me,
                 ClarificationMessage.delivery_status == CLAIMED)
        facts = {"number": clarification.number, "purpose": message.purpose, "supplier": message.supplier.name,
                 "recipient": message.email}
        publisher = db.session.get(User, clarification.published_by_id)
        actor = audit.Actor.of(publisher) if publisher else audit.Actor.system("tender worker")
        if result.ok:
            sent_at = clock.now()
            db.session.execute(update(ClarificationMessage).where(*where).values(
                delivery_status=SENT, sent_at=sent_at, attempts=ClarificationMessage.attempts + 1, last_error=None,
                message_id=str(result.message["Message-ID"])[:300]).execution_options(synchronize_session=False))
            audit.record(actor, "clarification.emailed", "clarification_message", message.id,
                         procurement_ref=procurement.reference, after={**facts, "sent_at": sent_at})
            self.sent.append(message.email)
        else:
            error = str(result.error)
            db.session.execute(update(ClarificationMessage).where(*where).values(
                delivery_status=FAILED, attempts=ClarificationMessage.attempts + 1, last_error=error[:4000])
                .execution_options(synchronize_session=False))
            audit.record(actor, "clarification.email_failed", "clarification_message", message.id,
                         procurement_ref=procurement.reference, after=facts, reason=error)
            self.failed.append(error)


def deliver(procurement_id: int, settings: MailSettings, me: str, on_each=None) -> tuple[list[str], list[str]]:
    """E-mail every pending clarification message of the procurement, one claim → send → record at a time."""
    job = _Messages(procurement_id, settings, me)
    outbox.deliver(job, settings, after_each=(lambda *_: on_each()) if on_each else None)
    return job.sent, job.failed


@jobs.handler(SEND_JOB)
def _run_send_job(run: jobs.Run) -> None:
    """The worker's half of publishing: e-mail each queued message; a failure fails the job so it is retried."""
    with step():  # a message that failed last time is tried again (the job itself gives up after jobs.MAX_ATTEMPTS)
        db.session.execute(update(ClarificationMessage).where(
            ClarificationMessage.procurement_id == run.procurement_id, ClarificationMessage.delivery_status == FAILED)
            .values(delivery_status=PENDING).execution_options(synchronize_session=False))
    _, failed = deliver(run.procurement_id, run.settings(), run.runner, on_each=lambda: run.beat())
    if failed:
        raise RuntimeError(f"{len(failed)} clarification e-mail(s) failed: {failed[0]}")
