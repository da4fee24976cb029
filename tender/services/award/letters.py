"""Award decision letters and assessment summaries: draft, edit, issue, send, download.

1. **Draft** one letter per tenderer of every lot with a current (not voided)
   recommendation, from the recorded decision (``rec.decided``, a ``tender.domain.award.AwardDecision``),
   with a narrative drafted from the moderated rationales
   (``tender.domain.letters``).
2. The officer previews each and **edits** the narrative (and whether it goes
   by e-mail or by post) while it is a draft.
3. **Send** (audited): every draft is issued at one moment, rendered once as
   PDF/A and stored (bytes and SHA-256, the digest in the audit event); then
   e-mailed with the PDF attached (``tender.services.award.delivery``: each
   delivery claimed before it is sent, a failed one retried without sending
   the others twice). Letters going by post are downloaded and posted, and
   the officer records the posting.
4. Standstill runs from when the last letter went: once every letter has been
   e-mailed or posted, that moment is recorded (``_start_standstill``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from tender.domain import letter_contents as contents
from tender.domain import letters as rules
from tender.domain.roles import Permission
from tender.extensions import db
from tender.mail import MailSettings
from tender.models import (AwardApproval, AwardLetter, AwardRecommendation, Bid, LetterDelivery, Lot, Procurement,
                           Supplier)
from tender.models.letter import CLAIMED, DRAFT, EMAIL, FAILED, ISSUED, PENDING, POST, SENT
from tender.domain.periods import UK_TIME
from tender.services import audit, clock, jobs
from tender.services.award import standstill as standstill_rules
from tender.services.award.standstill import record_notices_sent
from tender.services.accounts import authorise
from tender.services.award import delivery
from tender.services.award import letter_contents, letter_jobs
from tender.services.procurement import selection_letters, workflow
from tender.services.award.documents import council_name, render_html, sha256, to_pdf
from tender.services.errors import ConcurrentChange, InvalidRequest, NotFound
from tender.services.use_case import get_procurement, step, use_case

UK = UK_TIME
_now = clock.now
uk_date = clock.uk_date


def current_recommendations(procurement_id: int) -> list[AwardRecommendation]:
    """The procurement's current recommendations, in lot order."""
    return list(db.session.scalars(
        select(AwardRecommendation).join(Lot, Lot.id == AwardRecommendation.lot_id)
        .where(AwardRecommendation.procurement_id == procurement_id, AwardRecommendation.voided_at.is_(None))
        .order_by(Lot.number)))


def letters_for(procurement_id: int) -> list[AwardLetter]:
    """The letters of the current recommendations, by lot then by rank."""
    recs = current_recommendations(procurement_id)
    letters = db.session.scalars(select(AwardLetter).where(
        AwardLetter.recommendation_id.in_([r.id for r in recs]))).all()
    order = {}
    for position, rec in enumerate(recs):
        for rank, (supplier_id, _) in enumerate(rec.decided.recipients):
            order[(rec.id, supplier_id)] = (position, rank)
    return sorted(letters, key=lambda letter: order.get((letter.recommendation_id, letter.supplier_id), (99, 99)))


def get_letter(procurement_id: int, letter_id: int) -> AwardLetter:
    """A letter of this procurement, or NotFound."""
    letter = db.session.get(AwardLetter, letter_id)
    if letter is None or letter.procurement_id != procurement_id:
        raise NotFound("There is no such letter for this procurement.")
    return letter


def bidder_names(procurement_id: int) -> tuple[str, ...]:
    """Every tenderer's name in the procurement, which a letter's narrative states only for its own recipient."""
    return tuple(db.session.scalars(select(Supplier.name).join(Bid, Bid.supplier_id == Supplier.id)
                                    .join(Lot, Lot.id == Bid.lot_id).where(Lot.procurement_id == procurement_id)
                                    .distinct()))


def facts_for(letter: AwardLetter) -> rules.LetterFacts:
    """What the letter states, read from its recorded decision (and the scales of the model it names)."""
    decision = letter.recommendation.decided.record
    return rules.letter_facts(decision, letter.supplier_id, letter_contents.methodology_of(decision),
                              bidder_names(letter.procurement_id))


@use_case
def draft(procurement_id: int, user, ip: str | None = None) -> list[AwardLetter]:
    """Draft the missing letters for every tenderer of every lot with a recorded recommendation; audited."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    recs = current_recommendations(procurement.id)
    if not recs:
        raise InvalidRequest("No award recommendation has been recorded yet. Record each lot's recommendation "
                             "from its final ranking first.")
    kind = rules.kind_for(procurement.regime)
    existing = {(letter.recommendation_id, letter.supplier_id) for letter in db.session.scalars(
        select(AwardLetter).where(AwardLetter.procurement_id == procurement.id))}
    created = []
    now = _now()
    names = bidder_names(procurement.id)
    for rec in recs:
        decision = rec.decided.record
        method = letter_contents.methodology_of(decision)
        for supplier_id, _name in rec.decided.recipients:
            if (rec.id, supplier_id) in existing:
                continue
            supplier = db.session.get(Supplier, supplier_id)
            facts = rules.letter_facts(decision, supplier_id, method, names)
            letter = AwardLetter(procurement_id=procurement.id, recommendation_id=rec.id, lot_id=rec.lot_id,
                                 supplier_id=supplier_id, kind=kind, successful=facts.successful, status=DRAFT,
                                 method=EMAIL if supplier.contact_email else POST,
                                 recipient_email=supplier.contact_email, narrative=rules.draft_narrative(facts),
                                 drafted_by_id=user.id, drafted_at=now,
                                 price_withheld_reason=letter_contents.inherited_reason(rec.id))
            db.session.add(letter)
            created.append(letter)
    if created:
        db.session.flush()
        audit.record(audit.Actor.of(user, ip), "award.letters_drafted", "procurement", procurement.id,
                     procurement_ref=procurement.reference,
                     after={"kind": kind, "letters": [{"lot": l.lot.number, "supplier": l.supplier.name}
                                                      for l in created]})
    return created


@use_case("Someone else changed this letter at the same time. Reload the page to see their change.")
def edit(procurement_id: int, letter_id: int, user, narrative: str, method: str, recipient_email: str | None,
         ip: str | None = None) -> AwardLetter:
    """Change a draft's narrative, and whether it goes by e-mail (to which address) or by post; audited."""
    authorise(user, Permission.ADVANCE_STAGE)
    letter = get_letter(procurement_id, letter_id)
    if letter.status != DRAFT or letter.queued_at is not None:
        raise InvalidRequest("This letter has been sent and cannot be changed.")
    narrative = (narrative or "").replace("\r\n", "\n").strip()
    if not narrative:
        raise InvalidRequest("Enter the characteristics and relative advantages of the winning tender.")
    if method not in (EMAIL, POST):
        raise InvalidRequest("Choose whether to send the letter by e-mail or by post.")
    email = (recipient_email or "").strip() or None
    if method == EMAIL and (email is None or "@" not in email or len(email) > 254):
        raise InvalidRequest("Enter the e-mail address to send the letter to, like name@example.com, "
                             "or choose to send it by post.")
    before = {"narrative": letter.narrative, "method": letter.method, "recipient": letter.recipient_email}
    letter.narrative, letter.method, letter.recipient_email = narrative, method, email
    audit.record(audit.Actor.of(user, ip), "award.letter_edited", "award_letter", letter.id,
                 procurement_ref=get_procurement(procurement_id).reference,
                 lot=letter.lot.number, before=before,
                 after={"narrative": narrative, "method": method, "recipient": letter.recipient_email})
    return letter


def _binding_standstill(procurement: Procurement, letters: list[AwardLetter], sent_on: date) -> rules.Standstill:
    """The standstill that binds (the latest of every method's), as the contract stage enforces it."""
    methods = {letter.method for letter in letters} or {EMAIL}
    return rules.latest([standstill_rules.summary_standstill(procurement, sent_on, method) for method in methods])


def _context(letter: AwardLetter, procurement: Procurement, moment: datetime, standstill: rules.Standstill,
             signatory, draft_: bool) -> dict:
    """Everything one letter states, as of ``moment`` (its queued moment once sent).

    Its standstill paragraph says how *this* letter went and states the
    binding end (``standstill``, the latest of every method's); a withheld
    contract price is replaced by the sentence saying why.
    """
    facts = facts_for(letter)
    summary = letter.kind == rules.ASSESSMENT_SUMMARY
    what = "Assessment summary" if summary else "Award decision letter"
    withheld = letter.price_withheld_reason
    show_own_price = not (withheld and facts.successful)  # the winner's own price is the contract price
    from tender.domain.roles import Role

    return {"facts": facts, "kind": letter.kind, "draft": draft_, "narrative": letter.narrative,
            "reference": procurement.reference, "procurement_title": procurement.title,
            "council": council_name(procurement), "recipient_email": letter.recipient_email if letter.method == EMAIL
            else None, "letter_date": rules.format_uk_date(uk_date(moment)),
            "standstill_wording": rules.standstill_statement(procurement.regime, letter.method, uk_date(moment),
                                                             standstill, summary=summary),
            "details": letter_contents.letter_details(letter),
            "supplier_email": letter.recipient_email or letter.supplier.contact_email,
            "withheld_price": contents.withheld_price_sentence(procurement.regime, withheld) if withheld else None,
            "show_own_price": show_own_price,
            "price_explanation": contents.price_explanation(facts.price_formula, facts.price_weight, facts.price_band,
                                                            facts.price, facts.price_score,
                                                            show_price=show_own_price),
            "marks_sentence": contents.marks_sentence(facts.final_score_method),
            "criteria_location": letter_contents.criteria_location(procurement),
            "signatory": signatory.name,
            "signatory_role": Role(signatory.role).label, "title": f"{what}: {procurement.reference} lot "
            f"{facts.lot_number}, {facts.supplier}",
            "footer": f"{what} for {facts.supplier}, lot {facts.lot_number}"}


def preview(procurement_id: int, letter_id: int, user, as_pdf: bool = False) -> tuple[dict, bytes | None]:
    """The letter as it would be if sent now (marked as a draft), as template context and optionally a PDF."""
    authorise(user, Permission.VIEW_RANKING)
    procurement = get_procurement(procurement_id)
    letter = get_letter(procurement_id, letter_id)
    now = _now()
    standstill = _binding_standstill(procurement, letters_for(procurement_id), uk_date(now))
    context = _context(letter, procurement, now, standstill, user, draft_=letter.status == DRAFT)
    return context, (to_pdf(render_html("letters/letter.html", **context)) if as_pdf else None)


SEND_JOB = letter_jobs.SEND_JOB


@dataclass(frozen=True)
class QueueResult:
    """What pressing "Send" did: letters queued now, e-mails queued for retry, and the job doing the work."""

    queued: int
    retried: int
    job_id: int | None


def _check_ready(procurement: Procurement, letters: list[AwardLetter], recs, settings: MailSettings | None) -> None:
    if db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == procurement.id)) is None:
        raise InvalidRequest("The award decision has not been approved yet. Letters can be sent once the "
                             "person with delegated authority has approved it.")
    expected = sum(len(rec.decided.ranking) for rec in recs)
    if not recs or len(letters) < expected:
        raise InvalidRequest("Draft the letters for every tenderer of every lot before sending them.")
    drafts = [l for l in letters if l.status == DRAFT and l.queued_at is None]
    missing = [l for l in drafts if l.method == EMAIL and not l.recipient_email]
    if missing:
        raise InvalidRequest(f"Enter an e-mail address for {missing[0].supplier.name} (lot {missing[0].lot.number}), "
                             "or choose to send that letter by post.")
    refusal = letter_contents.postal_refusal(drafts)
    if refusal:
        raise InvalidRequest(refusal)
    if drafts and any(l.method == EMAIL for l in drafts) and not (settings and settings.default_sender):
        raise InvalidRequest("Tender has no sender address for e-mail (MAIL_DEFAULT_SENDER). Ask your administrator "
                             "to set it, or send the letters by post.")


def send_refusal(procurement_id: int, settings: MailSettings | None) -> str | None:
    """Why "Send the letters" would be refused now (None: it would queue them): the checks :func:`send` makes."""
    procurement = get_procurement(procurement_id)
    try:
        _check_ready(procurement, letters_for(procurement.id), current_recommendations(procurement.id), settings)
    except InvalidRequest as exc:
        return str(exc)
    return None


@use_case("Someone else sent these letters at the same time. Reload the page to see their progress.")
def send(procurement_id: int, user, settings: MailSettings | None = None, ip: str | None = None) -> QueueResult:
    """Fix every draft's date and content now and queue them for the worker to issue and e-mail; audited.

    Answers at once whatever the number of letters: the background worker
    (``tender worker``) renders each PDF/A, stores it, e-mails it, and starts
    standstill when the last one has gone. Refuses until the award decision
    is approved and every tenderer of every lot has a drafted letter. Pressing
    it again queues nothing twice: letters already queued or issued are left,
    and an active job is reused.
    """
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    recs = current_recommendations(procurement.id)
    letters = letters_for(procurement.id)
    _check_ready(procurement, letters, recs, settings)
    drafts = [l for l in letters if l.status == DRAFT and l.queued_at is None]
    retried = _reset_failed(procurement.id)
    pending = drafts or retried or any(l.status == DRAFT for l in letters) or _undelivered(procurement.id)
    if not pending:
        raise InvalidRequest("Every letter has been sent already.")
    now = clock.now()
    for letter in drafts:
        letter.queued_at, letter.queued_by_id = now, user.id
        letter_contents.fix_details(letter)  # the address and identifier the officer checked, as sent
    job = jobs.enqueue(SEND_JOB, procurement_id=procurement.id, dedupe_key=letter_jobs.dedupe_key(procurement.id),
                       user=user, total=len(letters))
    if drafts:
        audit.record(audit.Actor.of(user, ip), "award.letters_queued", "procurement", procurement.id,
                     procurement_ref=procurement.reference,
                     after={"letters": len(drafts), "queued_at": now, "job": job.id if job.id else None})
    return QueueResult(queued=len(drafts), retried=retried, job_id=job.id)


def retry(procurement_id: int, user, settings: MailSettings | None = None, ip: str | None = None) -> QueueResult:
    """Queue again the e-mails that failed (the ones recorded as sent are never sent twice)."""
    authorise(user, Permission.ADVANCE_STAGE)
    if not (settings and settings.default_sender):
        raise InvalidRequest("Tender has no sender address for e-mail (MAIL_DEFAULT_SENDER). Ask your administrator "
                             "to set it.")
    return send(procurement_id, user, settings, ip)


def _reset_failed(procurement_id: int) -> int:
    """Failed deliveries go back to pending for the next job (inside the caller's transaction)."""
    ids = list(db.session.scalars(select(LetterDelivery.id).join(AwardLetter, AwardLetter.id == LetterDelivery.letter_id)
                                  .where(AwardLetter.procurement_id == procurement_id, LetterDelivery.status == FAILED)))
    if ids:
        db.session.execute(update(LetterDelivery).where(LetterDelivery.id.in_(ids), LetterDelivery.status == FAILED)
                           .values(status=PENDING).execution_options(synchronize_session=False))
    return len(ids)


def _undelivered(procurement_id: int) -> bool:
    return db.session.scalar(select(LetterDelivery.id).join(AwardLetter, AwardLetter.id == LetterDelivery.letter_id)
                             .where(AwardLetter.procurement_id == procurement_id,
                                    LetterDelivery.status.in_((PENDING, CLAIMED))).limit(1)) is not None


@jobs.handler(SEND_JOB)
def _run_send_job(run: jobs.Run) -> None:
    """The worker's half of "Send": issue each queued letter, e-mail each, then start standstill.

    The notices to candidates not selected (``tender.services.procurement.selection_letters``) are queued on
    this same job and issued and e-mailed the same way, after the award letters.

    Every letter is rendered and stored in a transaction of its own, and every
    e-mail is claimed, sent and recorded one at a time (``delivery``), so a
    worker killed at any point leaves everything before it recorded; the next
    worker carries on from there.
    """
    procurement_id = run.procurement_id
    total = len(letters_for(procurement_id))
    done = 0
    while (letter_id := _next_queued(procurement_id)) is not None:
        _issue_one(procurement_id, letter_id)
        done += 1
        run.beat(done=done, total=total)
    selection_letters.issue_queued(procurement_id, on_each=lambda: run.beat())
    db.session.rollback()
    delivery.deliver(procurement_id, run.settings(), run.runner, on_each=lambda: run.beat())
    selection_letters.deliver(procurement_id, run.settings(), run.runner, on_each=lambda: run.beat())
    with step():
        start_standstill_if_complete(procurement_id)
    run.beat(done=total, total=total, force=True)


def _next_queued(procurement_id: int) -> int | None:
    letter_id = db.session.scalar(select(AwardLetter.id).where(
        AwardLetter.procurement_id == procurement_id, AwardLetter.status == DRAFT,
        AwardLetter.queued_at.is_not(None)).order_by(AwardLetter.id).limit(1))
    db.session.rollback()
    return letter_id


def _issue_one(procurement_id: int, letter_id: int) -> None:
    """Render one queued letter as of the moment it was queued, store it and audit its digest (one transaction)."""
    from tender.models import User

    procurement = get_procurement(procurement_id)
    letter = db.session.get(AwardLetter, letter_id)
    moment = letter.queued_at if letter.queued_at.tzinfo else letter.queued_at.replace(tzinfo=timezone.utc)
    sender = db.session.get(User, letter.queued_by_id)
    standstill = _binding_standstill(procurement, letters_for(procurement_id), uk_date(moment))
    context = _context(letter, procurement, moment, standstill, sender, draft_=False)
    pdf = to_pdf(render_html("letters/letter.html", **context))
    try:
        with step():
            letter = db.session.get(AwardLetter, letter_id)
            if letter.status != DRAFT:
                return  # another worker issued it meanwhile
            facts = context["facts"]
            letter.document, letter.sha256 = pdf, sha256(pdf)
            letter.filename = rules.document_filename(procurement.reference, facts.lot_number, facts.supplier,
                                                      letter.kind)
            letter.status, letter.issued_at, letter.issued_by_id = ISSUED, moment, sender.id
            if letter.method == EMAIL:
                db.session.add(LetterDelivery(letter_id=letter.id, recipient=letter.recipient_email, status=PENDING,
                                              attempts=0))
            audit.record(audit.Actor.of(sender), "award.letter_issued", "award_letter", letter.id,
                         procurement_ref=procurement.reference, lot=facts.lot_number,
                         after={"kind": letter.kind, "supplier": facts.supplier, "successful": letter.successful,
                                "method": letter.method, "recipient": letter.recipient_email, "file": letter.filename,
                                "sha256": letter.sha256, "bytes": len(pdf),
                                "recommendation_digest": letter.recommendation.digest,
                                "standstill_ends": standstill.ends_at.isoformat() if standstill.applies else None})
    except ConcurrentChange:
        db.session.rollback()  # another worker stored it first; theirs stands


@use_case("Someone else recorded this posting at the same time. Reload the page to see it.")
def record_posting(procurement_id: int, letter_id: int, user, posted_on: date, ip: str | None = None) -> AwardLetter:
    """Record the day an issued letter was posted (reg. 87(2)(b)); audited, and may start standstill."""
    authorise(user, Permission.ADVANCE_STAGE)
    letter = get_letter(procurement_id, letter_id)
    if letter.status != ISSUED or letter.method != POST:
        raise InvalidRequest("Only a sent letter going by post can have its posting recorded.")
    if letter.posted_on is not None:
        raise InvalidRequest("The posting of this letter has already been recorded.")
    if posted_on < uk_date(letter.issued_at):
        raise InvalidRequest("The posting date must be on or after the date of the letter.")
    if posted_on > uk_date(_now()):
        raise InvalidRequest("The posting date must be today or in the past.")
    letter.posted_on = posted_on
    procurement = get_procurement(procurement_id)
    audit.record(audit.Actor.of(user, ip), "award.letter_posted", "award_letter", letter.id,
                 procurement_ref=procurement.reference, lot=letter.lot.number,
                 after={"supplier": letter.supplier.name, "posted_on": posted_on, "sha256": letter.sha256})
    db.session.flush()
    start_standstill_if_complete(procurement_id, user, ip)
    return letter


def sent_moment(letters: list[AwardLetter], deliveries: dict[int, LetterDelivery]) -> datetime | None:
    """When the last letter went (e-mail accepted, or posted), or None while any has not gone."""
    moments = []
    for letter in letters:
        if letter.status != ISSUED:
            return None
        if letter.method == POST:
            if letter.posted_on is None:
                return None
            issued = letter.issued_at if letter.issued_at.tzinfo else letter.issued_at.replace(tzinfo=timezone.utc)
            moments.append(max(issued, datetime.combine(letter.posted_on, datetime.min.time(), tzinfo=UK)))
        else:
            d = deliveries.get(letter.id)
            if d is None or d.status != SENT:
                return None
            moments.append(d.sent_at if d.sent_at.tzinfo else d.sent_at.replace(tzinfo=timezone.utc))
    return max(moments) if moments else None


def start_standstill_if_complete(procurement_id: int, user=None, ip: str | None = None) -> datetime | None:
    """Once every letter has gone, record standstill as starting when the last one went (once).

    Runs inside the caller's transaction (a posting recorded, or the worker's
    last step). ``user`` is who acted; the worker acts for whoever pressed "Send".
    """
    from tender.models import User

    procurement = get_procurement(procurement_id)
    if procurement.award_notices_sent_at is not None:
        return None
    letters = letters_for(procurement_id)
    deliveries = {d.letter_id: d for d in db.session.scalars(
        select(LetterDelivery).where(LetterDelivery.letter_id.in_([l.id for l in letters])))}
    moment = sent_moment(letters, deliveries)
    if moment is None:
        return None
    if user is None:
        sender_id = max((l for l in letters if l.queued_by_id), key=lambda l: l.queued_at).queued_by_id
        user = db.session.get(User, sender_id)
    summaries = rules.kind_for(procurement.regime) == rules.ASSESSMENT_SUMMARY
    # Standstill starts from the moment the last letter went (tender.services.award.standstill owns the rule);
    # letters sent by post count under reg. 87(2)(b).
    record_notices_sent(procurement, moment, user, ip, electronic=not any(l.posted_on for l in letters),
                        now=max(moment, clock.now()), through_tender=True)
    if standstill_rules.starts_with_notices(procurement):  # under the Act standstill runs from the UK6 (s.51)
        audit.record(audit.Actor.of(user, ip), "award.standstill_started", "procurement", procurement.id,
                     procurement_ref=procurement.reference,
                     after={"last_letter_sent_at": moment, "letters": len(letters),
                            "kind": "assessment_summaries" if summaries else "award_letters"})
    # Sending through Tender is the one step: the stage move that waited for it is made now, not offered again.
    workflow.fire_on_sending(procurement, audit.Actor.of(user, ip), today=uk_date(moment), now=moment)
    return moment if standstill_rules.starts_with_notices(procurement) else None


def document(procurement_id: int, letter_id: int, user) -> tuple[str, bytes]:
    """(file name, bytes) of a letter exactly as sent."""
    authorise(user, Permission.VIEW_RANKING)
    get_letter(procurement_id, letter_id)
    letter = db.session.scalar(select(AwardLetter).options(undefer(AwardLetter.document))
                               .where(AwardLetter.id == letter_id))
    if letter.status != ISSUED or letter.document is None:
        raise InvalidRequest("This letter has not been sent yet. Preview it instead.")
    return letter.filename, letter.document
