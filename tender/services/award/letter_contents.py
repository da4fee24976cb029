"""What the letters state beyond the recorded decision, where it is recorded, and the checks before sending.

* The supplier's postal address and unique identifier come from its
  organisation record on the notices pages (``publishing.party_saved``,
  ``tender.models.Organisation``), else its Companies House number; a draft
  reads them live, a queued letter states what was recorded at "Send"
  (``AwardLetter.recipient_address``/``recipient_identifier``).
* The scores available (each question's scale) and the price band come from
  the evaluation model the decision names, when the file of that name still
  has the recorded version (:func:`methodology_of`).
* Where the full award criteria are: the tender documents (the e-tendering
  portal's address) and the tender notice, as recorded.
* :func:`withhold_price`: the officer withholds a lot's contract price from
  every letter of the lot, with a reason (audited), while they are drafts.
* :func:`draft_checks`: what the officer must know before sending (missing
  addresses and identifiers, nowhere to point to for the criteria, a scale
  that cannot be stated, a withheld price quoted in a narrative).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tender.domain import letter_contents as contents
from tender.domain import letters as rules
from tender.domain.ocds.notices import TENDER, notice_types
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import AwardLetter, AwardRecommendation, Lot, Notice, Organisation, Procurement, Supplier
from tender.models.letter import DRAFT, POST
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.use_case import get_procurement, use_case

WITHHELD_MEANWHILE = "Someone else changed these letters at the same time. Reload the page to see their change."


def details_of(supplier_id: int) -> contents.PartyDetails:
    """The supplier's postal address and identifier as recorded now (nothing recorded: empty details)."""
    org = db.session.scalar(select(Organisation).where(Organisation.supplier_id == supplier_id))
    supplier = db.session.get(Supplier, supplier_id)
    number = supplier.companies_house_number if supplier is not None else None
    if org is None:
        return contents.party_details(companies_house_number=number)
    return contents.party_details(street_address=org.street_address, locality=org.locality,
                                  postal_code=org.postal_code, country_name=org.country_name, scheme=org.scheme,
                                  identifier=org.identifier, ppon=org.ppon, companies_house_number=number)


def letter_details(letter) -> contents.PartyDetails:
    """What a letter states of its supplier: fixed at "Send" once queued, else as recorded now."""
    if letter.queued_at is not None:
        return contents.PartyDetails.from_stored(letter.recipient_address, letter.recipient_identifier)
    return details_of(letter.supplier_id)


def fix_details(letter) -> None:
    """Store the supplier's details on a letter being queued, so the worker renders what the officer checked."""
    details = details_of(letter.supplier_id)
    letter.recipient_address, letter.recipient_identifier = details.address_text, details.identifier


def methodology_of(decision) -> contents.Methodology | None:
    """The scales and price band of the model the decision names, if its file still has the recorded version."""
    from tender.services.evaluation.panel import evaluation_models

    recorded = decision.get("model") or {}
    model = evaluation_models().get(recorded.get("name") or "")
    if model is None or str(model.version) != str(recorded.get("version")):
        return None
    return contents.methodology(model)


def tender_notice_of(procurement: Procurement) -> contents.TenderNoticeFacts | None:
    """The notice that published the award criteria (the regime's tender or contract notice), if recorded."""
    from tender.services import clock

    notice = db.session.scalar(select(Notice).where(Notice.procurement_id == procurement.id, Notice.kind == TENDER))
    kind = notice_types(procurement.regime).get(TENDER)
    if notice is None or kind is None:
        return None
    return contents.TenderNoticeFacts(kind.title, clock.uk_date(notice.published_at), notice.fts_notice_number)


def documents_url(procurement: Procurement) -> str | None:
    """The e-tendering portal's address, where the tender documents are (``procurement_publishing``)."""
    from tender.services.publishing.details import settings_of

    settings = settings_of(procurement.id)
    return settings.submission_url if settings is not None else None


def criteria_location(procurement: Procurement) -> str:
    """Where the letters say the award criteria are set out in full."""
    return contents.criteria_location(procurement.reference, documents_url(procurement), tender_notice_of(procurement))


def draft_checks(procurement: Procurement, letters: list[AwardLetter]) -> list[str]:
    """What the officer must be told before sending the drafts, one sentence each (empty: nothing to fix).

    A letter by post with no postal address is also refused at "Send"
    (:func:`postal_refusal`); the others are warnings.
    """
    drafts = [letter for letter in letters if letter.status == DRAFT and letter.queued_at is None]
    if not drafts:
        return []
    summary = rules.kind_for(procurement.regime) == rules.ASSESSMENT_SUMMARY
    checks: list[str] = []
    for letter in drafts:
        checks += contents.detail_problems(letter.supplier.name, letter.lot.number, letter.method,
                                           details_of(letter.supplier_id), summary=summary)
    checks += contents.location_problems(documents_url(procurement), tender_notice_of(procurement))
    seen = set()
    for letter in drafts:
        rec = letter.recommendation
        if rec.id in seen:
            continue
        seen.add(rec.id)
        decision = rec.decided.record
        if decision.get("model") and methodology_of(decision) is None:
            checks.append(f"Lot {letter.lot.number}: the evaluation model '{decision['model']['name']}' version "
                          f"{decision['model']['version']} is no longer in scoring_rules/, so its letters cannot "
                          "list each question's scores and what they mean; they say these are in the tender "
                          "documents. Ask an administrator to restore the model file.")
    for letter in drafts:
        if letter.price_withheld_reason and contents.mentions_price(letter.narrative,
                                                                    letter.recommendation.decided.annual_price):
            checks.append(f"{letter.supplier.name} (lot {letter.lot.number}): the contract price is withheld, but "
                          "the letter's narrative quotes it. Take it out of the narrative.")
    return checks


def postal_refusal(letters: list[AwardLetter]) -> str | None:
    """The refusal for the first draft going by post to a supplier with no postal address recorded, if any."""
    for letter in letters:
        if letter.status == DRAFT and letter.queued_at is None and letter.method == POST \
                and not details_of(letter.supplier_id).address:
            return (f"{letter.supplier.name}'s letter (lot {letter.lot.number}) goes by post, but no postal address "
                    "is recorded for it. Record the supplier's address on the notices pages (Parties), or send "
                    "that letter by e-mail.")
    return None


def _lot_letters(procurement_id: int, lot_number: int) -> tuple[AwardRecommendation, list[AwardLetter]]:
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == procurement_id, Lot.number == lot_number))
    if lot is None:
        raise NotFound("There is no such lot in this procurement.")
    rec = db.session.scalar(select(AwardRecommendation).where(AwardRecommendation.lot_id == lot.id,
                                                              AwardRecommendation.voided_at.is_(None)))
    if rec is None:
        raise InvalidRequest(f"Lot {lot_number} has no award recommendation recorded, so it has no letters.")
    letters = list(db.session.scalars(select(AwardLetter).where(AwardLetter.recommendation_id == rec.id)
                                      .order_by(AwardLetter.id)))
    return rec, letters


@use_case(WITHHELD_MEANWHILE)
def withhold_price(procurement_id: int, lot_number: int, user, withhold: bool, reason: str | None = None,
                   ip: str | None = None) -> list[AwardLetter]:
    """Withhold a lot's contract price from every one of its letters, with the reason, or state it again; audited.

    Only while every letter of the lot is a draft: once one is queued its
    content is fixed. Each letter then says the price is withheld and why
    (``tender.domain.letter_contents.withheld_price_sentence``) instead of it.
    """
    from tender.services.award import access

    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    rec, letters = _lot_letters(procurement.id, lot_number)
    access.require_lot_visible(user, procurement, rec.lot_id)
    if not letters:
        raise InvalidRequest(f"Draft the letters of lot {lot_number} first.")
    if any(letter.status != DRAFT or letter.queued_at is not None for letter in letters):
        raise InvalidRequest(f"The letters of lot {lot_number} have been sent, so what they say about the contract "
                             "price can no longer change.")
    if withhold:
        if rec.decided.annual_price is None:
            raise InvalidRequest(f"Lot {lot_number} has no contract price to withhold: no contract is being "
                                 "awarded for it.")
        problem = contents.reason_problem(reason or "")
        if problem:
            raise InvalidRequest(problem)
        reason = (reason or "").replace("\r\n", "\n").strip()
    else:
        reason = None
    before = letters[0].price_withheld_reason
    if before == reason:
        raise InvalidRequest(f"The contract price of lot {lot_number} is already "
                             f"{'withheld for that reason' if reason else 'stated in its letters'}.")
    for letter in letters:
        letter.price_withheld_reason = reason
    audit.record(audit.Actor.of(user, ip), "award.price_withheld" if reason else "award.price_stated", "lot",
                 rec.lot_id, procurement_ref=procurement.reference, lot=lot_number,
                 before={"withheld_reason": before}, after={"withheld_reason": reason, "letters": len(letters)})
    return letters


@dataclass(frozen=True)
class PriceChoice:
    """One lot's contract price in its letters: withheld (and why) or stated, and whether that may still change."""

    lot_number: int
    winner: str
    reason: str | None
    editable: bool


def price_choices(letters: list[AwardLetter]) -> list[PriceChoice]:
    """Per lot with a contract price, in lot order: what its letters say of the price (for the letters page)."""
    by_rec: dict[int, list[AwardLetter]] = {}
    for letter in letters:
        by_rec.setdefault(letter.recommendation_id, []).append(letter)
    choices = []
    for group in by_rec.values():
        decided = group[0].recommendation.decided
        if decided.annual_price is None or decided.recommended_supplier is None:
            continue
        choices.append(PriceChoice(group[0].lot.number, decided.recommended_supplier,
                                   group[0].price_withheld_reason,
                                   all(l.status == DRAFT and l.queued_at is None for l in group)))
    return sorted(choices, key=lambda c: c.lot_number)


def inherited_reason(recommendation_id: int) -> str | None:
    """The reason the lot's price is withheld, for a letter drafted after the others (None: stated)."""
    return db.session.scalar(select(AwardLetter.price_withheld_reason).where(
        AwardLetter.recommendation_id == recommendation_id).order_by(AwardLetter.id).limit(1))
