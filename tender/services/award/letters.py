"""Award decision letters and assessment summaries: draft, edit, issue, send, download.

1. **Draft** one letter per tenderer of every lot with a current (not voided)
   recommendation, from the recorded decision (``json.loads(rec.decision)``),
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

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import undefer

from tender.domain import letters as rules
from tender.domain.roles import Permission
from tender.extensions import db
from tender.mail import MailSettings
from tender.models import AwardApproval, AwardLetter, AwardRecommendation, LetterDelivery, Lot, Procurement, Supplier
from tender.models.letter import DRAFT, EMAIL, ISSUED, POST, SENT
from tender.services import audit
from tender.services.award.standstill import record_notices_sent
from tender.services.accounts import authorise
from tender.services.award import delivery
from tender.services.award.documents import council_name, render_html, sha256, to_pdf
from tender.services.errors import InvalidRequest, NotFound
from tender.services.procurement.workflow import get_procurement

UK = ZoneInfo("Europe/London")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def uk_date(moment: datetime) -> date:
    """The UK calendar date of an instant (standstill counts UK days)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(UK).date()


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
        for rank, (supplier_id, _) in enumerate(rules.recipients(json.loads(rec.decision))):
            order[(rec.id, supplier_id)] = (position, rank)
    return sorted(letters, key=lambda letter: order.get((letter.recommendation_id, letter.supplier_id), (99, 99)))


def get_letter(procurement_id: int, letter_id: int) -> AwardLetter:
    """A letter of this procurement, or NotFound."""
    letter = db.session.get(AwardLetter, letter_id)
    if letter is None or letter.procurement_id != procurement_id:
        raise NotFound("There is no such letter for this procurement.")
    return letter


def facts_for(letter: AwardLetter) -> rules.LetterFacts:
    """What the letter states, read from its recorded decision."""
    return rules.letter_facts(json.loads(letter.recommendation.decision), letter.supplier_id)


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
    for rec in recs:
        decision = json.loads(rec.decision)
        for supplier_id, _name in rules.recipients(decision):
            if (rec.id, supplier_id) in existing:
                continue
            supplier = db.session.get(Supplier, supplier_id)
            facts = rules.letter_facts(decision, supplier_id)
            letter = AwardLetter(procurement_id=procurement.id, recommendation_id=rec.id, lot_id=rec.lot_id,
                                 supplier_id=supplier_id, kind=kind, successful=facts.successful, status=DRAFT,
                                 method=EMAIL if supplier.contact_email else POST,
                                 recipient_email=supplier.contact_email, narrative=rules.draft_narrative(facts),
                                 drafted_by_id=user.id, drafted_at=now)
            db.session.add(letter)
            created.append(letter)
    if created:
        db.session.flush()
        audit.record(audit.Actor.of(user, ip), "award.letters_drafted", "procurement", procurement.id,
                     procurement_ref=procurement.reference,
                     after={"kind": kind, "letters": [{"lot": l.lot.number, "supplier": l.supplier.name}
                                                      for l in created]})
    db.session.commit()
    return created


def edit(procurement_id: int, letter_id: int, user, narrative: str, method: str, recipient_email: str | None,
         ip: str | None = None) -> AwardLetter:
    """Change a draft's narrative, and whether it goes by e-mail (to which address) or by post; audited."""
    authorise(user, Permission.ADVANCE_STAGE)
    letter = get_letter(procurement_id, letter_id)
    if letter.status != DRAFT:
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
    db.session.commit()
    return letter


def _binding_standstill(procurement: Procurement, letters: list[AwardLetter], sent_on: date) -> rules.Standstill:
    methods = {letter.method for letter in letters} or {EMAIL}
    return rules.latest([rules.standstill(procurement.regime, sent_on, method) for method in methods])


def _context(letter: AwardLetter, procurement: Procurement, moment: datetime, standstill: rules.Standstill,
             signatory, draft_: bool) -> dict:
    facts = facts_for(letter)
    what = "Assessment summary" if letter.kind == rules.ASSESSMENT_SUMMARY else "Award decision letter"
    from tender.domain.roles import Role

    return {"facts": facts, "kind": letter.kind, "draft": draft_, "narrative": letter.narrative,
            "reference": procurement.reference, "procurement_title": procurement.title,
            "council": council_name(procurement), "recipient_email": letter.recipient_email if letter.method == EMAIL
            else None, "letter_date": rules.format_uk_date(uk_date(moment)),
            "standstill_wording": standstill.wording, "signatory": signatory.name,
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


@dataclass(frozen=True)
class SendResult:
    """What a send did: letters issued now, e-mails that went or failed, and standstill if it started."""

    issued: int
    emailed: int
    failed: tuple[str, ...]
    to_post: int
    standstill_started: datetime | None


def send(procurement_id: int, user, settings: MailSettings, ip: str | None = None) -> SendResult:
    """Issue every draft (PDF stored, digest audited) and e-mail every letter not yet delivered.

    Refuses until the award decision is approved and every tenderer of every
    lot has a drafted letter. Safe to repeat: issued letters are never
    re-rendered, and e-mails already sent are not sent again.
    """
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    if db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == procurement.id)) is None:
        raise InvalidRequest("The award decision has not been approved yet. Letters can be sent once the "
                             "person with delegated authority has approved it.")
    recs = current_recommendations(procurement.id)
    letters = letters_for(procurement.id)
    expected = sum(len(json.loads(rec.decision)["ranking"]) for rec in recs)
    if not recs or len(letters) < expected:
        raise InvalidRequest("Draft the letters for every tenderer of every lot before sending them.")
    missing = [l for l in letters if l.status == DRAFT and l.method == EMAIL and not l.recipient_email]
    if missing:
        raise InvalidRequest(f"Enter an e-mail address for {missing[0].supplier.name} (lot {missing[0].lot.number}), "
                             "or choose to send that letter by post.")
    drafts = [l for l in letters if l.status == DRAFT]
    if drafts and not settings.default_sender and any(l.method == EMAIL for l in drafts):
        raise InvalidRequest("Tender has no sender address for e-mail (MAIL_DEFAULT_SENDER). Ask your administrator "
                             "to set it, or send the letters by post.")
    now = _now()
    if drafts:
        standstill = _binding_standstill(procurement, letters, uk_date(now))
        actor = audit.Actor.of(user, ip)
        for letter in drafts:
            _issue(letter, procurement, now, standstill, user, actor)
        db.session.commit()
    report = delivery.deliver(procurement.id, settings, audit.Actor.of(user, ip))
    started = start_standstill_if_complete(procurement.id, user, ip)
    return SendResult(issued=len(drafts), emailed=len(report.sent), failed=tuple(report.failed),
                      to_post=sum(1 for l in letters if l.method == POST and l.posted_on is None),
                      standstill_started=started)


def _issue(letter: AwardLetter, procurement: Procurement, now: datetime, standstill: rules.Standstill, user,
           actor: audit.Actor) -> None:
    context = _context(letter, procurement, now, standstill, user, draft_=False)
    pdf = to_pdf(render_html("letters/letter.html", **context))
    facts = context["facts"]
    letter.document, letter.sha256 = pdf, sha256(pdf)
    letter.filename = rules.document_filename(procurement.reference, facts.lot_number, facts.supplier, letter.kind)
    letter.status, letter.issued_at, letter.issued_by_id = ISSUED, now, user.id
    if letter.method == EMAIL:
        db.session.add(LetterDelivery(letter_id=letter.id, recipient=letter.recipient_email))
    audit.record(actor, "award.letter_issued", "award_letter", letter.id, procurement_ref=procurement.reference,
                 lot=facts.lot_number,
                 after={"kind": letter.kind, "supplier": facts.supplier, "successful": letter.successful,
                        "method": letter.method, "recipient": letter.recipient_email, "file": letter.filename,
                        "sha256": letter.sha256, "bytes": len(pdf), "recommendation_digest": letter.recommendation.digest,
                        "standstill_ends": standstill.ends_at.isoformat()})


def retry(procurement_id: int, user, settings: MailSettings, ip: str | None = None) -> SendResult:
    """E-mail again the letters whose delivery failed (the ones that went are not sent twice)."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    if not settings.default_sender:
        raise InvalidRequest("Tender has no sender address for e-mail (MAIL_DEFAULT_SENDER). Ask your administrator "
                             "to set it.")
    report = delivery.deliver(procurement.id, settings, audit.Actor.of(user, ip))
    started = start_standstill_if_complete(procurement.id, user, ip)
    return SendResult(issued=0, emailed=len(report.sent), failed=tuple(report.failed), to_post=0,
                      standstill_started=started)


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
    db.session.commit()
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


def start_standstill_if_complete(procurement_id: int, user, ip: str | None = None) -> datetime | None:
    """Once every letter has gone, record standstill as starting when the last one went (once)."""
    procurement = get_procurement(procurement_id)
    letters = letters_for(procurement_id)
    deliveries = {d.letter_id: d for d in db.session.scalars(
        select(LetterDelivery).where(LetterDelivery.letter_id.in_([l.id for l in letters])))}
    moment = sent_moment(letters, deliveries)
    if moment is None:
        return None
    summaries = rules.kind_for(procurement.regime) == rules.ASSESSMENT_SUMMARY
    if procurement.award_notices_sent_at is not None:
        return None
    # Standstill starts from the moment the last letter went (tender.services.award.standstill owns the rule);
    # letters sent by post count under reg. 87(2)(b).
    record_notices_sent(procurement, moment, user, ip, electronic=not any(l.posted_on for l in letters),
                        commit=False)
    audit.record(audit.Actor.of(user, ip), "award.standstill_started", "procurement", procurement.id,
                 procurement_ref=procurement.reference,
                 after={"last_letter_sent_at": moment, "letters": len(letters),
                        "kind": "assessment_summaries" if summaries else "award_letters"})
    db.session.commit()
    return moment


def document(procurement_id: int, letter_id: int, user) -> tuple[str, bytes]:
    """(file name, bytes) of a letter exactly as sent."""
    authorise(user, Permission.VIEW_RANKING)
    get_letter(procurement_id, letter_id)
    letter = db.session.scalar(select(AwardLetter).options(undefer(AwardLetter.document))
                               .where(AwardLetter.id == letter_id))
    if letter.status != ISSUED or letter.document is None:
        raise InvalidRequest("This letter has not been sent yet. Preview it instead.")
    return letter.filename, letter.document
