"""What award letters and assessment summaries state beyond the scores: the law's list, item by item.

PCR 2015 reg. 86(2) (award decision letters) and reg. 31 of the Procurement
Regulations 2024 (assessment summaries, Procurement Act 2023 s.50) list what
each document must say. The recorded decision (``tender.domain.award``) holds
the criteria, weights, scores and totals; this module builds the rest from
plain values the services read:

* the supplier's name, postal address, e-mail and unique identifier
  (reg. 31(2)(a)-(c)), as recorded on the notices pages
  (:class:`PartyDetails`), and what to tell the officer where nothing is;
* the scores available for each criterion: each question's scale, its points
  and descriptors, from the evaluation model the decision names
  (:class:`Methodology`, reg. 31(2)(d)(i)(cc));
* how price was scored (:func:`price_explanation`) and where the full award
  criteria can be found (:func:`criteria_location`, reg. 31(2)(d)(ii));
* the sentence that replaces a contract price the officer withholds
  (:func:`withheld_price_sentence`);
* the notice to a candidate not selected at the selection stage
  (:func:`draft_selection_reasons`, :func:`selection_basis`).

Pure: no database, no Flask, no clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping

from tender.domain.ocds.codelists import IDENTIFIER_SCHEMES
from tender.domain.periods import format_uk_date

EMAIL, POST = "email", "post"


# --- the supplier ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PartyDetails:
    """What is recorded of a supplier for its letter: postal address lines and unique identifier (or nothing)."""

    address: tuple[str, ...] = ()
    identifier: str | None = None

    @property
    def address_text(self) -> str | None:
        """The address as stored on a sent letter (one line per line), or None if none is recorded."""
        return "\n".join(self.address) if self.address else None

    @classmethod
    def from_stored(cls, address: str | None, identifier: str | None) -> "PartyDetails":
        """The details a letter fixed when it was queued (the columns ``recipient_address``/``_identifier``)."""
        lines = tuple(line for line in (address or "").split("\n") if line.strip())
        return cls(address=lines, identifier=identifier or None)


def party_details(*, street_address: str | None = None, locality: str | None = None,
                  postal_code: str | None = None, country_name: str | None = None, scheme: str | None = None,
                  identifier: str | None = None, ppon: str | None = None,
                  companies_house_number: str | None = None) -> PartyDetails:
    """A supplier's details from its recorded organisation (``publishing.party_saved``), else its Companies House number.

    The address is the organisation's street address, town, postcode and
    country, one per line; the identifier names its register ("Charity
    Commission for England and Wales number 1154041"), with the PPON beside
    it when one is recorded too.
    """
    lines = tuple(part.strip() for part in (street_address, locality, postal_code, country_name)
                  if part and part.strip())
    ident = None
    if identifier and identifier.strip():
        ident = f"{IDENTIFIER_SCHEMES.get(scheme or '', scheme or 'Identifier')} {identifier.strip()}"
        if ppon and ppon.strip() and scheme != "GB-PPON":
            ident += f"; Public Procurement Organisation Number {ppon.strip()}"
    elif companies_house_number and companies_house_number.strip():
        ident = f"{IDENTIFIER_SCHEMES['GB-COH']} {companies_house_number.strip()}"
    return PartyDetails(address=lines if (street_address or "").strip() else (), identifier=ident)


def detail_problems(supplier: str, lot: int | None, method: str, details: PartyDetails, *,
                    summary: bool) -> list[str]:
    """What the officer must know before sending one letter: a postal address or an identifier not recorded.

    A letter going by post with no postal address cannot be sent (the
    services refuse it at Send); an assessment summary must give the
    supplier's postal address and unique identifier (reg. 31(2)(b)-(c)); an
    award letter only needs the address to be posted.
    """
    where = f"{supplier}" + (f" (lot {lot})" if lot is not None else "")
    problems = []
    if not details.address:
        if method == POST:
            problems.append(f"{where}: the letter goes by post but no postal address is recorded. Record the "
                            "supplier's address on the notices pages (Parties), or send the letter by e-mail. "
                            "It cannot be sent until one of those is done.")
        elif summary:
            problems.append(f"{where}: no postal address is recorded, and an assessment summary must give one "
                            "(Procurement Regulations 2024, regulation 31(2)(b)). Record it on the notices pages "
                            "(Parties); until then the summary says it is not recorded.")
    if details.identifier is None and summary:
        problems.append(f"{where}: no unique identifier (such as a Companies House or charity number) is recorded, "
                        "and an assessment summary must give one (Procurement Regulations 2024, regulation "
                        "31(2)(c)). Record it on the notices pages (Parties).")
    return problems


# --- the award criteria ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScaleFacts:
    """One scoring scale as the letter states it: each score available and what it means."""

    name: str
    points: tuple[tuple[str, str], ...]  # (score as people write it, descriptor), lowest first

    @property
    def range_text(self) -> str:
        """"0 to 4"."""
        return f"{self.points[0][0]} to {self.points[-1][0]}" if self.points else ""

    @property
    def highest(self) -> str:
        return self.points[-1][0] if self.points else ""


@dataclass(frozen=True)
class Methodology:
    """What the recorded decision does not hold of its evaluation model: each question's scale, the price band.

    Built from the model file the decision names (``model.name`` and
    ``model.version``) by :func:`methodology`; None where that file has gone
    or changed version, and the letter then says the scale is in the tender
    documents (the draft checks tell the officer).
    """

    scales: Mapping[str, ScaleFacts] = field(default_factory=dict)  # question id -> its scale
    full_marks_below_budget_percent: str | None = None


def _number_text(value) -> str:
    return f"{Decimal(value).normalize():f}"


def methodology(model) -> Methodology:
    """The scales and price band of a loaded ``tender.domain.scoring.model.EvaluationModel``."""
    scales = {}
    for question in model.questions():
        if question.scale is not None and not question.pass_fail:
            scale = question.scale
            scales[question.id] = ScaleFacts(scale.name, tuple((_number_text(v), d) for v, d in scale.points))
    band = model.price.full_marks_below_budget_percent if model.price is not None else None
    return Methodology(scales=scales, full_marks_below_budget_percent=None if band is None else _number_text(band))


def marks_sentence(final_score_method: str | None) -> str:
    """How a question's score becomes marks (tender.domain.scoring.ranking), and which score counts."""
    which = ("the panel's moderated (consensus) score" if final_score_method != "mean"
             else "the mean of the evaluators' scores")
    return (f"Each question was given {which} on its scale. A question earns its maximum marks times its score "
            "divided by the highest score on the scale; a pass/fail question earns no marks, and a tender that "
            "fails one, or scores below a question's published minimum, cannot be the most advantageous tender.")


PRICE_FORMULAS = {
    "lowest_relative": "the lowest price tendered divided by the tender's price, times {weight} marks, so the "
                       "lowest price earns all {weight} marks",
    "budget_relative": "0 marks for a price at or above the lot's budget, all {weight} marks for a price {band}% "
                       "or more below the budget, and marks in a straight line between",
}


def price_explanation(formula: str | None, weight: str | None, band: str | None, own_price: str | None,
                      own_score: str | None, *, show_price: bool = True) -> str:
    """How price was scored, and what the recipient's price earned ("" when the model has no price part).

    ``show_price`` is False when the recipient's own price is the contract
    price the officer has withheld: the marks are still given, not the price.
    """
    if weight is None:
        return ""
    marks = _number_text(weight)
    rule = PRICE_FORMULAS.get(formula or "")
    if rule is None or (formula == "budget_relative" and band is None):
        how = f"by the formula published in the tender documents, out of {marks} marks"
    else:
        how = rule.format(weight=marks, band=band)
    text = f"Price was scored as {how}."
    if own_score is not None:
        earned = f"{Decimal(own_score).quantize(Decimal('0.01'))}"
        if own_price is not None and show_price:
            text += f" Your price of £{Decimal(own_price).quantize(Decimal('0.01')):,} a year earned {earned} marks."
        else:
            text += f" Your tender earned {earned} marks for price."
    return text


@dataclass(frozen=True)
class TenderNoticeFacts:
    """The notice that published the award criteria, as recorded (``notice`` kind ``tender``)."""

    title: str  # "Tender notice", "Contract notice (social and other specific services)"
    published_on: date
    notice_number: str | None = None  # Find a Tender's number, once recorded


def criteria_location(reference: str, documents_url: str | None, notice: TenderNoticeFacts | None) -> str:
    """Where the award criteria and assessment methodology are set out in full (reg. 31(2)(d)(ii)).

    Names the tender documents (at the e-tendering portal when its address is
    recorded) and the notice that published the criteria, with its Find a
    Tender number when known.
    """
    where = f"in the tender documents for {reference}"
    if documents_url:
        where += f", which are available at {documents_url}"
    if notice is not None:
        number = f", Find a Tender notice {notice.notice_number}" if notice.notice_number else ""
        where += f", and in our {notice.title[0].lower()}{notice.title[1:]} published on " \
                 f"{format_uk_date(notice.published_on)}{number}"
    return f"The award criteria and the assessment methodology are set out in full {where}."


def location_problems(documents_url: str | None, notice: TenderNoticeFacts | None) -> list[str]:
    """Tell the officer when the letters can name only the tender documents, with no address or notice."""
    if documents_url or notice is not None:
        return []
    return ["The letters can only say the award criteria are in the tender documents: no tender notice is recorded "
            "and no e-tendering portal address is saved. Record the tender notice or the portal's address on the "
            "notices pages so suppliers can find the criteria in full."]


# --- a withheld contract price ----------------------------------------------------------------------------------

REASON_LIMIT = 2000


def withheld_price_sentence(regime: str, reason: str) -> str:
    """What every letter of a lot says instead of a contract price the officer withholds, and why.

    Under the Procurement Act the authority must say information is withheld,
    and under which part of s.94(1): sensitive commercial information is
    (b). Under PCR 2015 information may be withheld where its release would
    prejudice an economic operator's legitimate commercial interests
    (reg. 55(3)(b)); the contract price is not one of reg. 86(2)'s items.
    """
    reason = " ".join((reason or "").split()).rstrip(".")
    if regime.startswith("pa2023"):
        law = ("as sensitive commercial information whose withholding is in the overriding public interest "
               "(Procurement Act 2023, section 94(1)(b))")
    else:
        law = ("because releasing it would prejudice legitimate commercial interests "
               "(Public Contracts Regulations 2015, regulation 55(3)(b))")
    return f"The contract price is not given: we are withholding it {law}. Our reason: {reason}."


def reason_problem(reason: str) -> str | None:
    """An instruction if the reason for withholding the price cannot be recorded as given."""
    reason = (reason or "").strip()
    if not reason:
        return ("Enter why the contract price is withheld, like: publishing it would prejudice the successful "
                "tenderer's prices in the lots still being negotiated.")
    if len(reason) > REASON_LIMIT:
        return f"Enter the reason in {REASON_LIMIT:,} characters or fewer."
    if any(not c.isprintable() and c not in "\n\t" for c in reason):
        return "Enter the reason as plain text, without control characters."
    return None


def mentions_price(text: str, price: str | None) -> bool:
    """Whether a narrative quotes a price (as "£1,395,000.00", "1,395,000" or "1395000")."""
    if not price or not text:
        return False
    value = Decimal(price).quantize(Decimal("0.01"))
    forms = {f"{value:,}", f"{value}", f"{value:,.0f}", f"{value:.0f}"}
    compact = text.replace(" ", "")
    return any(form in compact for form in forms if len(form) >= 4)


# --- candidates not selected ------------------------------------------------------------------------------------

def draft_selection_reasons(candidate: str, decision_reason: str | None, justification: str | None,
                            others: Iterable[str] = ()) -> str:
    """The first draft of why a candidate was not selected: the recorded reasons, for the officer to edit.

    The reasons are the panel's notes on this candidate, so they pass through
    ``letter_narrative.own_words``: its own name becomes "your organisation"
    and a sentence naming another candidate (``others``) is left out.
    """
    from tender.domain.letter_narrative import own_words

    reasons = own_words(decision_reason, candidate, others, capitalise=False,
                        called="your organisation").rstrip(".") or "no reason was recorded"
    text = f"We assessed the selection questionnaire of {candidate} against the published selection criteria. " \
           f"Our reasons for not selecting it: {reasons}."
    number = own_words(justification, candidate, others, capitalise=False, called="your organisation").rstrip(".")
    if number:
        text += f"\nOn the number of candidates invited: {number}."
    return text


def selection_basis(regime: str) -> str:
    """The sentence saying under what the candidate is told, by regime (no PCR citation under the Act)."""
    if regime.startswith("pa2023"):
        return ("We are telling you now, with our reasons, so that you know the outcome as soon as possible; you "
                "will not receive an assessment summary, because only suppliers whose tenders are assessed do "
                "(Procurement Act 2023, section 50).")
    return ("This notice tells you our decision and the reasons for it (Public Contracts Regulations 2015, "
            "regulation 55).")
