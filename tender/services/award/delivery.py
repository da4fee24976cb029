"""E-mailing issued letters exactly once per message: claim, send, record, one message at a time.

Run by the background worker (``tender.services.award.letters``' send job)
through ``tender.services.outbox``: a delivery row is *claimed* in a
transaction of its own, its message sent, and the outcome (``sent`` or
``failed``, with its audit event) recorded in another, before the next row
is claimed. A ``sent`` row is never claimed again. The worker holding a
procurement's send job is the only sender for it, so a row still ``claimed``
when a worker takes the job over was in flight when the previous worker
died: it is sent again. That single message is the one window for a
duplicate; its Message-ID is derived from the letter, so a mail system that
de-duplicates by Message-ID shows it once.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import undefer

from tender.extensions import db
from tender.mail import MailSettings
from tender.models import AwardLetter, LetterDelivery, Procurement
from tender.models.letter import ASSESSMENT_SUMMARY, CLAIMED, FAILED, PENDING, SENT
from tender.services import audit, clock, outbox
from tender.services.award.documents import council_name, environment

#: Header naming the letter and the SHA-256 of the attached document (for tracing and tests).
LETTER_HEADER = "X-Tender-Letter"


@dataclass(frozen=True)
class DeliveryReport:
    """Recipients e-mailed now, and "recipient: error" for each that failed."""

    sent: tuple[str, ...]
    failed: tuple[str, ...]


class _Letters(outbox.Delivery):
    """The claim → build → record steps for one procurement's letters (see ``tender.services.outbox``)."""

    def __init__(self, procurement_id: int, settings: MailSettings, me: str):
        self.procurement_id, self.settings, self.me = procurement_id, settings, me
        self.sent: list[str] = []
        self.failed: list[str] = []

    def claim_next(self) -> int | None:
        # Pending rows, and rows a dead worker left claimed (this worker holds the procurement's job).
        delivery_id = db.session.scalar(
            select(LetterDelivery.id).join(AwardLetter, AwardLetter.id == LetterDelivery.letter_id)
            .where(AwardLetter.procurement_id == self.procurement_id,
                   or_(LetterDelivery.status == PENDING,
                       and_(LetterDelivery.status == CLAIMED, LetterDelivery.claimed_by != self.me)))
            .order_by(LetterDelivery.id).limit(1))
        if delivery_id is None:
            return None
        db.session.execute(update(LetterDelivery).where(LetterDelivery.id == delivery_id).values(
            status=CLAIMED, claimed_by=self.me, claimed_at=clock.wall_now())
            .execution_options(synchronize_session=False))
        return delivery_id

    def build(self, delivery_id: int) -> EmailMessage:
        row, letter = db.session.execute(
            select(LetterDelivery, AwardLetter).join(AwardLetter, AwardLetter.id == LetterDelivery.letter_id)
            .options(undefer(AwardLetter.document)).where(LetterDelivery.id == delivery_id)).one()
        message = build_message(letter, letter_procurement(letter), self.settings)
        db.session.rollback()
        return message

    def record(self, delivery_id: int, result) -> None:
        row = db.session.get(LetterDelivery, delivery_id)
        letter = db.session.get(AwardLetter, row.letter_id)
        procurement = letter_procurement(letter)
        where = (LetterDelivery.id == row.id, LetterDelivery.claimed_by == self.me, LetterDelivery.status == CLAIMED)
        facts = {"supplier": letter.supplier.name, "recipient": row.recipient, "sha256": letter.sha256,
                 "file": letter.filename}
        if result.ok:
            db.session.execute(update(LetterDelivery).where(*where).values(
                status=SENT, sent_at=clock.now(), attempts=LetterDelivery.attempts + 1,
                last_error=None, message_id=str(result.message["Message-ID"])[:300])
                .execution_options(synchronize_session=False))
            audit.record(self.actor(letter), "award.letter_emailed", "award_letter", letter.id,
                         procurement_ref=procurement.reference, lot=letter.lot.number, after=facts)
            self.sent.append(row.recipient)
        else:
            error = str(result.error)
            db.session.execute(update(LetterDelivery).where(*where).values(
                status=FAILED, attempts=LetterDelivery.attempts + 1, last_error=error[:4000])
                .execution_options(synchronize_session=False))
            audit.record(self.actor(letter), "award.letter_email_failed", "award_letter", letter.id,
                         procurement_ref=procurement.reference, lot=letter.lot.number, after=facts, reason=error)
            self.failed.append(error)

    @staticmethod
    def actor(letter: AwardLetter) -> audit.Actor:
        from tender.models import User

        sender = db.session.get(User, letter.issued_by_id) if letter.issued_by_id else None
        return audit.Actor.of(sender) if sender else audit.Actor.system("tender worker")


def letter_procurement(letter: AwardLetter) -> Procurement:
    return db.session.get(Procurement, letter.procurement_id)


def message_id(letter: AwardLetter, settings: MailSettings) -> str:
    """A Message-ID that is the same every time this letter is sent: derived from its id and its digest."""
    domain = parseaddr(settings.default_sender or "")[1].rpartition("@")[2] or "tender.invalid"
    return f"<tender-letter-{letter.id}-{(letter.sha256 or '')[:24]}@{domain}>"


def _one_line(text: str) -> str:
    """Header text on one line: any run of control characters or line breaks becomes one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())


def build_message(letter: AwardLetter, procurement: Procurement, settings: MailSettings) -> EmailMessage:
    """The e-mail: a short covering note (plain text and HTML) with the stored PDF attached, byte for byte."""
    what = "Assessment summary" if letter.kind == ASSESSMENT_SUMMARY else "Award decision"
    context = {"what": what, "supplier": letter.supplier.name, "lot": letter.lot, "reference": procurement.reference,
               "title": procurement.title, "council": council_name(procurement), "filename": letter.filename}
    env = environment()
    message = EmailMessage()
    message["Subject"] = _one_line(f"{what}: {procurement.reference} lot {letter.lot.number}, {procurement.title}")
    message["From"] = settings.default_sender
    message["To"] = formataddr((_one_line(letter.supplier.name), letter.recipient_email))
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    message["Message-ID"] = message_id(letter, settings)
    message[LETTER_HEADER] = f"{letter.id} sha256={letter.sha256}"
    message.set_content(env.get_template("letters/email.txt").render(context))
    message.add_alternative(env.get_template("letters/email.html").render(context), subtype="html")
    message.add_attachment(letter.document, maintype="application", subtype="pdf", filename=_one_line(letter.filename))
    return message


def deliver(procurement_id: int, settings: MailSettings, me: str, on_each=None) -> DeliveryReport:
    """Send every undelivered issued letter of the procurement, one message per claim → send → record."""
    job = _Letters(procurement_id, settings, me)
    outbox.deliver(job, settings, after_each=(lambda *_: on_each()) if on_each else None)
    return DeliveryReport(tuple(job.sent), tuple(job.failed))
