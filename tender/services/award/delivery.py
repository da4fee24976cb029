"""E-mailing issued letters exactly once: claim, send, record; a failed delivery is retried later.

The same discipline as the reminder job (``tender.services.reminders``): a
delivery row is *claimed* (an UPDATE guarded by its status, whose rowcount
says whether this runner won it, committed) before the message is sent, then
marked ``sent`` or ``failed`` with an audit event in one commit per message.
A ``pending`` or ``failed`` row, or a claim abandoned for longer than
``STALE_AFTER``, can be claimed; a ``sent`` one never is, so sending again
after a failure sends only the letters that did not go. The one window for a
duplicate is a process killed after the SMTP server accepted a message and
before the commit that records it (at-least-once, as for reminders).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import undefer

from tender.extensions import db
from tender.mail import MailSettings, send_messages
from tender.models import AwardLetter, LetterDelivery, Procurement
from tender.models.letter import ASSESSMENT_SUMMARY, CLAIMED, FAILED, PENDING, SENT
from tender.services import audit
from tender.services.award.documents import council_name, environment
from tender.services.reminders import runner_id

STALE_AFTER = timedelta(minutes=30)
#: Header naming the letter and the SHA-256 of the attached document (for tracing and tests).
LETTER_HEADER = "X-Tender-Letter"


@dataclass(frozen=True)
class DeliveryReport:
    """Recipients e-mailed now, and "recipient: error" for each that failed."""

    sent: tuple[str, ...]
    failed: tuple[str, ...]


def _claimable(now: datetime):
    return or_(LetterDelivery.status.in_((PENDING, FAILED)),
               and_(LetterDelivery.status == CLAIMED, LetterDelivery.claimed_at < now - STALE_AFTER))


def _claim(procurement_id: int, me: str, now: datetime) -> list[int]:
    """Claim this procurement's undelivered letters; committed, so a parallel sender skips them."""
    candidates = db.session.scalars(
        select(LetterDelivery.id).join(AwardLetter, AwardLetter.id == LetterDelivery.letter_id)
        .where(AwardLetter.procurement_id == procurement_id, _claimable(now)).order_by(LetterDelivery.id)).all()
    won = []
    for delivery_id in candidates:
        result = db.session.execute(
            update(LetterDelivery).where(LetterDelivery.id == delivery_id, _claimable(now))
            .values(status=CLAIMED, claimed_by=me, claimed_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            won.append(delivery_id)
    db.session.commit()
    return won


def build_message(letter: AwardLetter, procurement: Procurement, settings: MailSettings) -> EmailMessage:
    """The e-mail: a short covering note (plain text and HTML) with the stored PDF attached, byte for byte."""
    what = "Assessment summary" if letter.kind == ASSESSMENT_SUMMARY else "Award decision"
    context = {"what": what, "supplier": letter.supplier.name, "lot": letter.lot, "reference": procurement.reference,
               "title": procurement.title, "council": council_name(procurement), "filename": letter.filename}
    env = environment()
    message = EmailMessage()
    message["Subject"] = f"{what}: {procurement.reference} lot {letter.lot.number}, {procurement.title}"
    message["From"] = settings.default_sender
    message["To"] = formataddr((letter.supplier.name, letter.recipient_email))
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.default_sender or "")[1].rpartition("@")[2] or None)
    message[LETTER_HEADER] = f"{letter.id} sha256={letter.sha256}"
    message.set_content(env.get_template("letters/email.txt").render(context))
    message.add_alternative(env.get_template("letters/email.html").render(context), subtype="html")
    message.add_attachment(letter.document, maintype="application", subtype="pdf", filename=letter.filename)
    return message


def deliver(procurement_id: int, settings: MailSettings, actor: audit.Actor) -> DeliveryReport:
    """Send every undelivered issued letter of the procurement over one SMTP connection; record each outcome."""
    procurement = db.session.get(Procurement, procurement_id)
    me = runner_id()
    mine = _claim(procurement_id, me, datetime.now(timezone.utc))
    if not mine:
        return DeliveryReport((), ())
    rows = db.session.execute(
        select(LetterDelivery, AwardLetter).join(AwardLetter, AwardLetter.id == LetterDelivery.letter_id)
        .options(undefer(AwardLetter.document)).where(LetterDelivery.id.in_(mine)).order_by(LetterDelivery.id)).all()
    messages = [build_message(letter, procurement, settings) for _, letter in rows]
    report = send_messages(messages, settings)
    sent, failed = [], []
    for (row, letter), result in zip(rows, report.results):
        where = (LetterDelivery.id == row.id, LetterDelivery.claimed_by == me, LetterDelivery.status == CLAIMED)
        facts = {"supplier": letter.supplier.name, "recipient": row.recipient, "sha256": letter.sha256,
                 "file": letter.filename}
        if result.ok:
            db.session.execute(update(LetterDelivery).where(*where).values(
                status=SENT, sent_at=datetime.now(timezone.utc), attempts=LetterDelivery.attempts + 1,
                last_error=None, message_id=str(result.message["Message-ID"])[:300])
                .execution_options(synchronize_session=False))
            audit.record(actor, "award.letter_emailed", "award_letter", letter.id,
                         procurement_ref=procurement.reference, lot=letter.lot.number, after=facts)
            sent.append(row.recipient)
        else:
            error = str(result.error)
            db.session.execute(update(LetterDelivery).where(*where).values(
                status=FAILED, attempts=LetterDelivery.attempts + 1, last_error=error[:4000])
                .execution_options(synchronize_session=False))
            audit.record(actor, "award.letter_email_failed", "award_letter", letter.id,
                         procurement_ref=procurement.reference, lot=letter.lot.number, after=facts, reason=error)
            failed.append(error)
        db.session.commit()
    db.session.expire_all()
    return DeliveryReport(tuple(sent), tuple(failed))
