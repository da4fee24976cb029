"""Notices to candidates not selected at the selection stage: draft, edit, send (queued), issue, e-mail, post.

Under PCR 2015 each candidate is told the decision on its request to
participate and, for one rejected, the reasons (reg. 55(1)-(2)(a)); a
candidate told so before the award decision letters go needs no reg. 86
notice. Under the Procurement Act a supplier not selected gets no assessment
summary (only assessed tenders do, s.50), but should be told in writing as
soon as possible. Either way:

1. **Draft** one notice per candidate whose recorded shortlisting decision
   (``sq_response.decision``) is *rejected*, from that decision's reasons
   (and the shortlist justification, when one is recorded).
2. The officer **edits** each while it is a draft: the reasons, and e-mail
   or post.
3. **Send** (once shortlisting is closed, so the decision can no longer
   change) fixes each draft's date and content (``queued_at``, the
   supplier's address and identifier) and queues the same background job as
   the award letters (``tender.services.award.letters.SEND_JOB``); the
   worker renders each as PDF/A, stores it (audited with its SHA-256) and
   e-mails it, one claim → send → record at a time (the delivery is kept on
   the row). Notices by post are downloaded, posted and the posting recorded.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timezone
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import undefer

from tender.domain import letter_contents as contents
from tender.domain import letters as rules
from tender.domain.roles import Permission
from tender.extensions import db
from tender.mail import MailSettings
from tender.models import Procurement, SelectionLetter, SQResponse, Supplier
from tender.models.letter import CLAIMED, DRAFT, EMAIL, FAILED, ISSUED, PENDING, POST, SENT
from tender.models.supplier import REJECTED
from tender.services import audit, clock, jobs, outbox
from tender.services.accounts import authorise
from tender.services.award import letter_contents
from tender.services.award.documents import council_name, render_html, sha256, to_pdf
from tender.services.award.letter_jobs import SEND_JOB, dedupe_key
from tender.services.errors import ConcurrentChange, InvalidRequest, NotFound
from tender.services.procurement.shortlist import shortlist_stages
from tender.services.use_case import get_procurement, step, use_case

EDITED_MEANWHILE = "Someone else changed this notice at the same time. Reload the page to see their change."
SENT_MEANWHILE = "Someone else sent these notices at the same time. Reload the page to see their progress."


def rejected_responses(procurement_id: int) -> list[SQResponse]:
    """The candidates whose recorded shortlisting decision is *rejected*, in the order they responded."""
    return list(db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement_id,
                                                            SQResponse.decision == REJECTED)
                                   .order_by(SQResponse.id)))


def letters_for(procurement_id: int) -> list[SelectionLetter]:
    """The procurement's notices to candidates not selected, in the order the candidates responded."""
    return list(db.session.scalars(select(SelectionLetter).where(SelectionLetter.procurement_id == procurement_id)
                                   .order_by(SelectionLetter.response_id)))


def get_letter(procurement_id: int, letter_id: int) -> SelectionLetter:
    """A notice of this procurement, or NotFound."""
    letter = db.session.get(SelectionLetter, letter_id)
    if letter is None or letter.procurement_id != procurement_id:
        raise NotFound("There is no such notice for this procurement.")
    return letter


def _is_draft(letter: SelectionLetter) -> bool:
    return letter.status == DRAFT and letter.queued_at is None


def shortlist_closed(procurement: Procurement) -> bool:
    """Whether shortlisting decisions can no longer change (the procurement has left the shortlisting stages)."""
    return procurement.state not in shortlist_stages(procurement)


@use_case
def draft(procurement_id: int, user, ip: str | None = None) -> list[SelectionLetter]:
    """Draft the missing notice of every candidate recorded as rejected; audited."""
    authorise(user, Permission.RECORD_SHORTLIST)
    procurement = get_procurement(procurement_id)
    rejected = rejected_responses(procurement.id)
    if not rejected:
        raise InvalidRequest("No candidate is recorded as rejected at the selection stage, so there is no one to "
                             "notify. Record the shortlisting decisions first.")
    existing = {letter.response_id for letter in letters_for(procurement.id)}
    created, now = [], clock.now()
    candidates = list(db.session.scalars(select(Supplier.name).join(SQResponse, SQResponse.supplier_id == Supplier.id)
                                         .where(SQResponse.procurement_id == procurement.id)))
    for response in rejected:
        if response.id in existing:
            continue
        supplier = response.supplier
        letter = SelectionLetter(
            procurement_id=procurement.id, response_id=response.id, supplier_id=supplier.id, status=DRAFT,
            method=EMAIL if supplier.contact_email else POST, recipient_email=supplier.contact_email,
            reasons=contents.draft_selection_reasons(supplier.name, response.decision_reason,
                                                     procurement.shortlist_justification, candidates),
            drafted_by_id=user.id, drafted_at=now, attempts=0)
        db.session.add(letter)
        created.append(letter)
    if created:
        db.session.flush()
        audit.record(audit.Actor.of(user, ip), "selection.letters_drafted", "procurement", procurement.id,
                     procurement_ref=procurement.reference,
                     after={"letters": [letter.supplier.name for letter in created]})
    return created


@use_case(EDITED_MEANWHILE)
def edit(procurement_id: int, letter_id: int, user, reasons: str, method: str, recipient_email: str | None,
         ip: str | None = None) -> SelectionLetter:
    """Change a draft's reasons, and whether it goes by e-mail (to which address) or by post; audited."""
    authorise(user, Permission.RECORD_SHORTLIST)
    letter = get_letter(procurement_id, letter_id)
    if not _is_draft(letter):
        raise InvalidRequest("This notice has been sent and cannot be changed.")
    reasons = (reasons or "").replace("\r\n", "\n").strip()
    if not reasons:
        raise InvalidRequest("Enter the reasons the candidate was not selected.")
    if len(reasons) > 20_000 or any(not c.isprintable() and c not in "\n\t" for c in reasons):
        raise InvalidRequest("Enter the reasons as plain text of 20,000 characters or fewer.")
    if method not in (EMAIL, POST):
        raise InvalidRequest("Choose whether to send the notice by e-mail or by post.")
    email = (recipient_email or "").strip() or None
    if method == EMAIL and (email is None or "@" not in email or len(email) > 254
                            or any(not c.isprintable() or c.isspace() for c in email)):
        raise InvalidRequest("Enter the e-mail address to send the notice to, like name@example.com, "
                             "or choose to send it by post.")
    before = {"reasons": letter.reasons, "method": letter.method, "recipient": letter.recipient_email}
    letter.reasons, letter.method, letter.recipient_email = reasons, method, email if method == EMAIL else None
    audit.record(audit.Actor.of(user, ip), "selection.letter_edited", "selection_letter", letter.id,
                 procurement_ref=get_procurement(procurement_id).reference, before=before,
                 after={"reasons": reasons, "method": method, "recipient": letter.recipient_email})
    return letter


def context(letter: SelectionLetter, procurement: Procurement, moment, signatory, draft_: bool) -> dict:
    """Everything one notice states, as of ``moment`` (its queued moment once sent)."""
    from tender.domain.roles import Role

    title = f"Outcome of the selection stage: {procurement.reference}, {letter.supplier.name}"
    return {"supplier": letter.supplier.name, "details": letter_contents.letter_details(letter),
            "recipient_email": letter.recipient_email if letter.method == EMAIL else None,
            "method": letter.method, "draft": draft_, "reasons": letter.reasons,
            "reference": procurement.reference, "procurement_title": procurement.title,
            "council": council_name(procurement), "letter_date": rules.format_uk_date(clock.uk_date(moment)),
            "basis": contents.selection_basis(procurement.regime),
            "sent_how": "by post" if letter.method == POST else "electronically",
            "signatory": signatory.name, "signatory_role": Role(signatory.role).label, "title": title,
            "footer": f"Outcome of the selection stage for {letter.supplier.name}"}


def preview(procurement_id: int, letter_id: int, user, as_pdf: bool = False) -> tuple[dict, bytes | None]:
    """The notice as it would be if sent now (marked as a draft), as template context and optionally a PDF."""
    authorise(user, Permission.VIEW_PROCUREMENTS)
    procurement = get_procurement(procurement_id)
    letter = get_letter(procurement_id, letter_id)
    page = context(letter, procurement, clock.now(), user, draft_=letter.status == DRAFT)
    return page, (to_pdf(render_html("letters/selection_letter.html", **page)) if as_pdf else None)


def draft_checks(procurement: Procurement, letters: list[SelectionLetter]) -> list[str]:
    """What the officer must be told before sending: addresses not recorded, decisions changed, notices missing."""
    checks = []
    drafted = {letter.response_id for letter in letters}
    for response in rejected_responses(procurement.id):
        if response.id not in drafted:
            checks.append(f"{response.supplier.name} is recorded as rejected but has no notice yet: draft the "
                          "missing notices.")
    for letter in letters:
        if not _is_draft(letter):
            continue
        if letter.response.decision != REJECTED:
            checks.append(f"{letter.supplier.name} is no longer recorded as rejected: its notice will not be sent.")
        checks += contents.detail_problems(letter.supplier.name, None, letter.method,
                                           letter_contents.details_of(letter.supplier_id), summary=False)
    if letters and not shortlist_closed(procurement) and any(_is_draft(letter) for letter in letters):
        checks.append("Shortlisting is still open, so the decisions may change: the notices can be sent once the "
                      "procurement has moved on from the selection stage.")
    return checks


@dataclass(frozen=True)
class Queued:
    """What pressing "Send" did: notices queued now, e-mails queued again, and the job doing the work."""

    queued: int
    retried: int
    job_id: int | None


def _check_ready(procurement: Procurement, drafts: list[SelectionLetter], settings: MailSettings | None) -> None:
    if not shortlist_closed(procurement):
        raise InvalidRequest("Shortlisting is still open, so the decisions may still change. Send the notices once "
                             "the procurement has moved on from the selection stage.")
    drafted = {letter.response_id for letter in letters_for(procurement.id)}
    missing = [r for r in rejected_responses(procurement.id) if r.id not in drafted]
    if missing:
        raise InvalidRequest(f"Draft the notice to {missing[0].supplier.name} first: every candidate not selected "
                             "is told.")
    no_email = [letter for letter in drafts if letter.method == EMAIL and not letter.recipient_email]
    if no_email:
        raise InvalidRequest(f"Enter an e-mail address for {no_email[0].supplier.name}, or choose to send that "
                             "notice by post.")
    if any(letter.method == EMAIL for letter in drafts) and not (settings and settings.default_sender):
        raise InvalidRequest("Tender has no sender address for e-mail (MAIL_DEFAULT_SENDER). Ask your administrator "
                             "to set it, or send the notices by post.")
    for letter in drafts:
        if letter.method == POST and not letter_contents.details_of(letter.supplier_id).address:
            raise InvalidRequest(f"The notice to {letter.supplier.name} goes by post, but no postal address is "
                                 "recorded for it. Record the supplier's address on the notices pages (Parties), "
                                 "or send that notice by e-mail.")


@use_case(SENT_MEANWHILE)
def send(procurement_id: int, user, settings: MailSettings | None = None, ip: str | None = None) -> Queued:
    """Fix every draft's date and content now and queue them for the worker to issue and e-mail; audited.

    Failed e-mails are queued again with them (one sent is never sent twice). A draft whose candidate is no
    longer recorded as rejected is left unsent (the draft checks say so).
    """
    authorise(user, Permission.RECORD_SHORTLIST)
    procurement = get_procurement(procurement_id)
    letters = letters_for(procurement.id)
    if not letters:
        raise InvalidRequest("Draft the notices to the candidates not selected first.")
    unsent = [letter for letter in letters if _is_draft(letter)]
    drafts = [letter for letter in unsent if letter.response.decision == REJECTED]  # a changed decision: not sent
    failed = [letter for letter in letters if letter.delivery_status == FAILED]
    if drafts:
        _check_ready(procurement, drafts, settings)
    elif failed and not (settings and settings.default_sender):
        raise InvalidRequest("Tender has no sender address for e-mail (MAIL_DEFAULT_SENDER). Ask your administrator "
                             "to set it.")
    elif not failed:
        raise InvalidRequest("No candidate with a notice still to send is recorded as rejected any more, so there "
                             "is nothing to send." if unsent else "Every notice has been sent already.")
    now = clock.now()
    for letter in drafts:
        letter.queued_at, letter.queued_by_id = now, user.id
        letter_contents.fix_details(letter)
    for letter in failed:
        letter.delivery_status = PENDING
    job = jobs.enqueue(SEND_JOB, procurement_id=procurement.id, dedupe_key=dedupe_key(procurement.id), user=user,
                       total=len(drafts))
    audit.record(audit.Actor.of(user, ip), "selection.letters_queued", "procurement", procurement.id,
                 procurement_ref=procurement.reference,
                 after={"letters": len(drafts), "retried": len(failed), "queued_at": now})
    return Queued(queued=len(drafts), retried=len(failed), job_id=job.id)


# --- the worker's half ----------------------------------------------------------------------------------------------

def issue_queued(procurement_id: int, on_each=None) -> int:
    """Render and store every queued notice of the procurement, each in a transaction of its own."""
    done = 0
    while (letter_id := _next_queued(procurement_id)) is not None:
        _issue_one(procurement_id, letter_id)
        done += 1
        if on_each is not None:
            on_each()
    return done


def _next_queued(procurement_id: int) -> int | None:
    letter_id = db.session.scalar(select(SelectionLetter.id).where(
        SelectionLetter.procurement_id == procurement_id, SelectionLetter.status == DRAFT,
        SelectionLetter.queued_at.is_not(None)).order_by(SelectionLetter.id).limit(1))
    db.session.rollback()
    return letter_id


def _issue_one(procurement_id: int, letter_id: int) -> None:
    """Render one queued notice as of the moment it was queued, store it and audit its digest."""
    from tender.models import User

    procurement = get_procurement(procurement_id)
    letter = db.session.get(SelectionLetter, letter_id)
    moment = letter.queued_at if letter.queued_at.tzinfo else letter.queued_at.replace(tzinfo=timezone.utc)
    sender = db.session.get(User, letter.queued_by_id)
    pdf = to_pdf(render_html("letters/selection_letter.html", **context(letter, procurement, moment, sender, False)))
    try:
        with step():
            letter = db.session.get(SelectionLetter, letter_id)
            if letter.status != DRAFT:
                return  # another worker issued it meanwhile
            letter.document, letter.sha256 = pdf, sha256(pdf)
            letter.filename = rules.selection_filename(procurement.reference, letter.supplier.name)
            letter.status, letter.issued_at, letter.issued_by_id = ISSUED, moment, sender.id
            letter.delivery_status = PENDING if letter.method == EMAIL else None
            audit.record(audit.Actor.of(sender), "selection.letter_issued", "selection_letter", letter.id,
                         procurement_ref=procurement.reference,
                         after={"supplier": letter.supplier.name, "method": letter.method,
                                "recipient": letter.recipient_email, "file": letter.filename,
                                "sha256": letter.sha256, "bytes": len(pdf)})
    except ConcurrentChange:
        db.session.rollback()  # another worker stored it first; theirs stands


class _Notices(outbox.Delivery):
    """Claim → build → record for one procurement's notices (the delivery kept on each row)."""

    def __init__(self, procurement_id: int, settings: MailSettings, me: str):
        self.procurement_id, self.settings, self.me = procurement_id, settings, me
        self.sent: list[str] = []
        self.failed: list[str] = []

    def claim_next(self) -> int | None:
        letter_id = db.session.scalar(select(SelectionLetter.id).where(
            SelectionLetter.procurement_id == self.procurement_id,
            or_(SelectionLetter.delivery_status == PENDING,
                and_(SelectionLetter.delivery_status == CLAIMED, SelectionLetter.claimed_by != self.me)))
            .order_by(SelectionLetter.id).limit(1))
        if letter_id is None:
            return None
        db.session.execute(update(SelectionLetter).where(SelectionLetter.id == letter_id).values(
            delivery_status=CLAIMED, claimed_by=self.me, claimed_at=clock.wall_now())
            .execution_options(synchronize_session=False))
        return letter_id

    def build(self, letter_id: int) -> EmailMessage:
        letter = db.session.scalar(select(SelectionLetter).options(undefer(SelectionLetter.document))
                                   .where(SelectionLetter.id == letter_id))
        message = build_message(letter, db.session.get(Procurement, letter.procurement_id), self.settings)
        db.session.rollback()
        return message

    def record(self, letter_id: int, result) -> None:
        letter = db.session.get(SelectionLetter, letter_id)
        procurement = db.session.get(Procurement, letter.procurement_id)
        where = (SelectionLetter.id == letter_id, SelectionLetter.claimed_by == self.me,
                 SelectionLetter.delivery_status == CLAIMED)
        facts = {"supplier": letter.supplier.name, "recipient": letter.recipient_email, "sha256": letter.sha256,
                 "file": letter.filename}
        from tender.models import User

        sender = db.session.get(User, letter.issued_by_id) if letter.issued_by_id else None
        actor = audit.Actor.of(sender) if sender else audit.Actor.system("tender worker")
        if result.ok:
            db.session.execute(update(SelectionLetter).where(*where).values(
                delivery_status=SENT, sent_at=clock.now(), attempts=SelectionLetter.attempts + 1, last_error=None,
                message_id=str(result.message["Message-ID"])[:300]).execution_options(synchronize_session=False))
            audit.record(actor, "selection.letter_emailed", "selection_letter", letter.id,
                         procurement_ref=procurement.reference, after=facts)
            self.sent.append(letter.recipient_email)
        else:
            error = str(result.error)
            db.session.execute(update(SelectionLetter).where(*where).values(
                delivery_status=FAILED, attempts=SelectionLetter.attempts + 1, last_error=error[:4000])
                .execution_options(synchronize_session=False))
            audit.record(actor, "selection.letter_email_failed", "selection_letter", letter.id,
                         procurement_ref=procurement.reference, after=facts, reason=error)
            self.failed.append(error)


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())


def build_message(letter: SelectionLetter, procurement: Procurement, settings: MailSettings) -> EmailMessage:
    """The e-mail: a short covering note with the stored PDF attached, byte for byte."""
    from tender.services.award.documents import environment

    page = {"supplier": letter.supplier.name, "reference": procurement.reference, "title": procurement.title,
            "council": council_name(procurement), "filename": letter.filename}
    env = environment()
    message = EmailMessage()
    message["Subject"] = _one_line(f"Outcome of the selection stage: {procurement.reference}, {procurement.title}")
    message["From"] = settings.default_sender
    message["To"] = formataddr((_one_line(letter.supplier.name), letter.recipient_email))
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    domain = parseaddr(settings.default_sender or "")[1].rpartition("@")[2] or "tender.invalid"
    message["Message-ID"] = f"<tender-selection-{letter.id}-{(letter.sha256 or '')[:24]}@{domain}>"
    message.set_content(env.get_template("letters/selection_email.txt").render(page))
    message.add_attachment(letter.document, maintype="application", subtype="pdf", filename=letter.filename)
    return message


def deliver(procurement_id: int, settings: MailSettings, me: str, on_each=None) -> tuple[list[str], list[str]]:
    """E-mail every undelivered issued notice of the procurement, one claim → send → record at a time."""
    job = _Notices(procurement_id, settings, me)
    outbox.deliver(job, settings, after_each=(lambda *_: on_each()) if on_each else None)
    return job.sent, job.failed


def has_queued_or_undelivered(procurement_id: int) -> bool:
    """Whether the worker has anything to do for these notices (issue one, or e-mail one)."""
    return db.session.scalar(select(SelectionLetter.id).where(
        SelectionLetter.procurement_id == procurement_id,
        or_(and_(SelectionLetter.status == DRAFT, SelectionLetter.queued_at.is_not(None)),
            SelectionLetter.delivery_status.in_((PENDING, CLAIMED)))).limit(1)) is not None


# --- after sending ----------------------------------------------------------------------------------------------------

@use_case("Someone else recorded this posting at the same time. Reload the page to see it.")
def record_posting(procurement_id: int, letter_id: int, user, posted_on: date, ip: str | None = None
                   ) -> SelectionLetter:
    """Record the day an issued notice going by post was posted; audited."""
    authorise(user, Permission.RECORD_SHORTLIST)
    letter = get_letter(procurement_id, letter_id)
    if letter.status != ISSUED or letter.method != POST:
        raise InvalidRequest("Only a sent notice going by post can have its posting recorded.")
    if letter.posted_on is not None:
        raise InvalidRequest("The posting of this notice has already been recorded.")
    if posted_on < clock.uk_date(letter.issued_at):
        raise InvalidRequest("The posting date must be on or after the date of the notice.")
    if posted_on > clock.today():
        raise InvalidRequest("The posting date must be today or in the past.")
    letter.posted_on = posted_on
    audit.record(audit.Actor.of(user, ip), "selection.letter_posted", "selection_letter", letter.id,
                 procurement_ref=get_procurement(procurement_id).reference,
                 after={"supplier": letter.supplier.name, "posted_on": posted_on, "sha256": letter.sha256})
    return letter


def document(procurement_id: int, letter_id: int, user) -> tuple[str, bytes]:
    """(file name, bytes) of a notice exactly as sent."""
    authorise(user, Permission.VIEW_PROCUREMENTS)
    get_letter(procurement_id, letter_id)
    letter = db.session.scalar(select(SelectionLetter).options(undefer(SelectionLetter.document))
                               .where(SelectionLetter.id == letter_id))
    if letter.status != ISSUED or letter.document is None:
        raise InvalidRequest("This notice has not been sent yet. Preview it instead.")
    return letter.filename, letter.document


__all__ = ["Queued", "draft", "edit", "send", "preview", "document", "record_posting", "letters_for", "get_letter",
           "rejected_responses", "draft_checks", "issue_queued", "deliver"]
