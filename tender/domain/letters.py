"""What each tenderer is told about the award decision, drafted from the recorded decision.

Two documents, one per tenderer per lot, read from the recorded decision
(``tender.domain.award.decision_record``) and never from a fresh ranking:

* **Award decision letters** (PCR 2015 reg. 86): the award criteria and
  weights, the recipient's scores and total, the winner's name, scores and
  total, the characteristics and relative advantages of the winning tender,
  and the exact moment standstill ends (reg. 87).
* **Assessment summaries** (Procurement Act 2023 s.50): each criterion's
  score with its explanation and the total; for the unsuccessful, the
  winner's scores too and why theirs was not the most advantageous tender.

The narrative is drafted here from the panel's moderated rationales; the
officer edits it before sending. Pure: no database, no Flask, no clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Iterable, Mapping

from tender.domain import letter_narrative as narrative
from tender.domain import numbers
from tender.domain.letter_contents import Methodology, ScaleFacts
from tender.domain.periods import earliest_period_end, format_uk_date, pa_standstill_end, pcr_standstill_end

AWARD_LETTER, ASSESSMENT_SUMMARY = "award_letter", "assessment_summary"
EMAIL, POST = "email", "post"
TWO_PLACES = Decimal("0.01")


def kind_for(regime: str) -> str:
    """Assessment summaries under the Procurement Act 2023, award decision letters under PCR 2015."""
    return ASSESSMENT_SUMMARY if regime.startswith("pa2023") else AWARD_LETTER


def two_places(value: str | Decimal | None) -> str:
    """Marks and totals as people read them: 2 decimal places ("95.02"), or an empty string."""
    return numbers.fixed(value, 2)


def money(value: str | Decimal | None) -> str:
    """"£1,395,000.00" (or an empty string)."""
    return numbers.money(value)


def score_text(value: str | None) -> str:
    """A recorded score as people write it: "4" for "4.00", "2.5" for "2.50", "pass" as is."""
    return numbers.plain(value)


def criterion_label(line) -> str:
    """"Q1.1 Model of care" for a numbered criterion, just the title for a section like "Quality"."""
    return f"{line.id} {line.title}" if any(ch.isdigit() for ch in line.id) else line.title


@dataclass(frozen=True)
class CriterionLine:
    """One row of the scores table: a criterion (level 0), a sub-criterion or a question."""

    id: str
    title: str
    level: int
    weight: str | None  # percentage of its parent, as recorded
    marks: str  # the most it can earn towards the total
    question: bool
    pass_fail: bool
    score: str | None  # the recipient's moderated score (or "pass"/"fail")
    earned: str | None  # the recipient's weighted marks
    winner_score: str | None
    winner_earned: str | None
    explanation: str  # the panel's moderated rationale for the recipient's answer, in its own words
    advantage: str  # the winning tender's relative advantage on this question, from the scores ("" if none)
    available: str = ""  # the scores available: "0 to 4", "pass or fail" ("" for a section, or scale unknown)


@dataclass(frozen=True)
class Subtotal:
    """A top-level part of the total (a criterion group, or price): the marks available and earned."""

    label: str
    marks: str
    earned: str | None
    winner_earned: str | None


@dataclass(frozen=True)
class ScaleUse:
    """A scoring scale and the questions scored on it, as the letter lists them."""

    scale: ScaleFacts
    questions: tuple[str, ...]


@dataclass(frozen=True)
class LetterFacts:
    """Everything a letter or summary states, for one tenderer of one lot."""

    procurement_ref: str
    lot_number: int
    lot_title: str
    supplier: str
    supplier_id: int
    successful: bool
    rank: int | None
    tenderers: int
    excluded: bool
    reasons: tuple[str, ...]
    lines: tuple[CriterionLine, ...]
    price_weight: str | None
    price: str | None
    price_score: str | None
    total: str | None
    winner: str | None
    winner_price: str | None
    winner_price_score: str | None
    winner_total: str | None
    no_award_reason: str | None
    annual_price: str | None
    contract_value: str | None
    total_years: int
    price_formula: str | None = None
    price_band: str | None = None  # budget_relative: full marks this far (%) below the budget
    final_score_method: str | None = None
    scales: tuple[ScaleUse, ...] = ()  # empty when the model's scales are not known
    subtotals: tuple[Subtotal, ...] = ()
    others: tuple[str, ...] = ()  # every other tenderer's name, which the narrative must not state


def _row(decision: Mapping, supplier_id: int | None) -> Mapping | None:
    return next((r for r in decision["ranking"] if r["supplier_id"] == supplier_id), None)


def _level(criteria: Mapping[str, Mapping], cid: str) -> int:
    level, parent = 0, criteria[cid]["parent"]
    while parent is not None:
        level, parent = level + 1, criteria[parent]["parent"]
    return level


def _descendants(criteria: Mapping[str, Mapping], cid: str) -> list[str]:
    """The questions under a section, in model order."""
    out = []
    for other in criteria.values():
        parent = other["parent"]
        while parent is not None and parent != cid:
            parent = criteria[parent]["parent"]
        if parent == cid and other["question"]:
            out.append(other["id"])
    return out


def _earned(row: Mapping | None, criteria: Mapping[str, Mapping], cid: str) -> str | None:
    """A question's marks, or a section's sub-total: its recorded part, else the sum of its questions' marks."""
    if row is None:
        return None
    if criteria[cid]["question"]:
        return row["question_marks"].get(cid)
    if cid in row["parts"]:
        return row["parts"][cid]
    marks = [row["question_marks"][q] for q in _descendants(criteria, cid) if row["question_marks"].get(q)]
    return str(sum(Decimal(m) for m in marks)) if marks else None


def _available(c: Mapping, scale: ScaleFacts | None) -> str:
    if c["pass_fail"]:
        return "pass or fail"
    return scale.range_text if (c["question"] and scale is not None) else ""


def _scale_uses(decision: Mapping, method: Methodology | None) -> tuple[ScaleUse, ...]:
    uses: dict[ScaleFacts, list[str]] = {}
    for c in decision["model"]["criteria"]:
        scale = method.scales.get(c["id"]) if method else None
        if scale is not None and c["question"] and not c["pass_fail"]:
            uses.setdefault(scale, []).append(c["id"])
    return tuple(ScaleUse(scale, tuple(ids)) for scale, ids in uses.items())


def _subtotals(lines, price: Mapping | None, mine: Mapping, winner: Mapping | None) -> tuple[Subtotal, ...]:
    parts = [Subtotal(line.title, line.marks, line.earned, line.winner_earned) for line in lines
             if line.level == 0 and not line.pass_fail and line.marks != "0.00"]
    if price:
        parts.append(Subtotal("Price", two_places(price["weight"]), mine["price_score"],
                              winner["price_score"] if winner else None))
    return tuple(parts)


def _score(row: Mapping | None, cid: str) -> str | None:
    return None if row is None else row["scores"].get(cid)


def recipients(decision: Mapping) -> list[tuple[int, str]]:
    """(supplier id, name) of every tenderer in the lot's recorded ranking, in ranking order."""
    return [(r["supplier_id"], r["supplier"]) for r in decision["ranking"]]


def letter_facts(decision: Mapping, supplier_id: int, method: Methodology | None = None,
                 hidden: Iterable[str] = ()) -> LetterFacts:
    """The figures one tenderer's letter states, all read from the recorded decision.

    ``method`` adds what the decision does not record of its evaluation
    model: each question's scale (the scores available) and the price band.
    ``hidden`` names tenderers beyond this lot's (the procurement's other
    lots) whose names the recipient's own rationales must not carry into its
    letter (``tender.domain.letter_narrative.own_words``).
    """
    mine = _row(decision, supplier_id)
    if mine is None:
        raise ValueError(f"Supplier {supplier_id} did not tender for lot {decision['lot']['number']}.")
    recommended = decision.get("recommended")
    winner = _row(decision, recommended["supplier_id"]) if recommended else None
    criteria = {c["id"]: c for c in decision["model"]["criteria"]}
    others = tuple(dict.fromkeys(name for name in (*(r["supplier"] for r in decision["ranking"]), *hidden)
                                 if name and name != mine["supplier"]))
    lines = []
    for c in decision["model"]["criteria"]:
        cid = c["id"]
        lines.append(CriterionLine(
            id=cid, title=c["title"], level=_level(criteria, cid), weight=c["weight"], marks=two_places(c["marks"]),
            question=c["question"], pass_fail=c["pass_fail"], score=_score(mine, cid),
            earned=_earned(mine, criteria, cid), winner_score=_score(winner, cid),
            winner_earned=_earned(winner, criteria, cid),
            explanation=narrative.own_words(mine["rationales"].get(cid, ""), mine["supplier"], others),
            advantage=_advantage(mine, winner, criteria, cid, method),
            available=_available(c, method.scales.get(cid) if method else None)))
    price = decision["model"]["price"]
    return LetterFacts(
        procurement_ref=decision["procurement"], lot_number=decision["lot"]["number"],
        lot_title=decision["lot"]["title"], supplier=mine["supplier"], supplier_id=supplier_id,
        successful=winner is not None and winner["supplier_id"] == supplier_id, rank=mine["rank"],
        tenderers=len(decision["ranking"]), excluded=mine["excluded"], reasons=tuple(mine["reasons"]),
        lines=tuple(lines), price_weight=price["weight"] if price else None, price=mine["price"],
        price_score=mine["price_score"], total=mine["total"], winner=winner["supplier"] if winner else None,
        winner_price=winner["price"] if winner else None,
        winner_price_score=winner["price_score"] if winner else None,
        winner_total=winner["total"] if winner else None, no_award_reason=decision.get("no_award_reason"),
        annual_price=decision.get("annual_price"), contract_value=decision.get("contract_value"),
        total_years=decision.get("total_years") or 0, price_formula=price["formula"] if price else None,
        price_band=method.full_marks_below_budget_percent if method else None,
        final_score_method=decision["model"].get("final_score_method"), scales=_scale_uses(decision, method),
        subtotals=_subtotals(lines, price, mine, winner), others=others)


def _advantage(mine: Mapping, winner: Mapping | None, criteria: Mapping[str, Mapping], cid: str,
               method: Methodology | None) -> str:
    """The winner's relative advantage on a scored question, for a tenderer other than the winner."""
    c = criteria[cid]
    if winner is None or winner["supplier_id"] == mine["supplier_id"] or not c["question"] or c["pass_fail"]:
        return ""
    return narrative.advantage(_score(mine, cid), _score(winner, cid), _earned(mine, criteria, cid),
                               _earned(winner, criteria, cid), method.scales.get(cid) if method else None)


def draft_narrative(facts: LetterFacts) -> str:
    """The first draft of the part the officer edits (``tender.domain.letter_narrative.draft_narrative``)."""
    return narrative.draft_narrative(facts)


# --- standstill ------------------------------------------------------------------

@dataclass(frozen=True)
class Standstill:
    """When standstill ends, and the sentence a letter says it in.

    ``applies`` is False for a light touch contract under the Procurement Act
    with no voluntary standstill recorded: the letter then promises none, and
    ``last_day``/``ends_at`` are the day it was sent (nothing to wait for).
    """

    last_day: date
    ends_at: datetime  # naive UK clock time (the regulations speak of UK time)
    wording: str
    applies: bool = True
    method: str = EMAIL  # the means of sending whose rule counted this end (reg. 87(2)(a) or (b))


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59))


def standstill(regime: str, sent_on: date, method: str = EMAIL, received_on: date | None = None, *,
               voluntary: bool = False) -> Standstill:
    """The end of standstill for letters sent on ``sent_on`` (UK date) by ``method``, and what the letter says.

    PCR 2015 reg. 87(2)(a): sent electronically, midnight at the end of the
    10th day after sending. Reg. 87(2)(b): sent by other means, the earlier of
    midnight at the end of the 15th day after sending and of the 10th day
    after receipt (when receipt is known). Reg. 2(4) moves a period ending on
    a non-working day to the next working day.

    Procurement Act 2023 s.51: 8 working days beginning with the day the
    contract award notice is published, which follows the summaries (s.50)
    and may be later: the summary gives the earliest end (the notice
    published the day it is sent) and says the notice fixes the exact one,
    which is what the contract stage enforces. A light touch contract has no
    standstill (s.51(3)) unless the authority recorded a voluntary one
    (``voluntary``), counted the same way; without one the summary promises
    none. (Branch standstill owns the regime rules in ``tender.domain.periods``.)
    """
    if regime == "pa2023_light_touch" and not voluntary:
        return Standstill(sent_on, _end_of(sent_on), (
            "No standstill period applies to this contract: it is a light touch contract (Procurement Act 2023, "
            "section 51(3)). We may enter into the contract once we have published the contract award notice, "
            "which follows this assessment summary."), applies=False)
    if regime.startswith("pa2023"):
        last = pa_standstill_end(sent_on)
        kind = "a voluntary standstill period of" if voluntary else "a standstill period of"
        law = ("which we have chosen to observe, counted as section 51 of the Procurement Act 2023 counts it"
               if voluntary else "under section 51 of the Procurement Act 2023")
        return Standstill(last, _end_of(last), (
            f"There is {kind} 8 working days beginning with the day we publish the contract award notice, {law}. "
            f"We will publish the contract award notice on or after {format_uk_date(sent_on)}, so the standstill "
            f"period ends no earlier than midnight at the end of {_weekday(last)} (23:59:59 UK time); the contract "
            f"award notice states the exact end. We will not enter into the contract before the standstill period "
            f"ends."))
    if method == POST:
        last = earliest_period_end(sent_on, 15, "calendar")
        if received_on is not None:
            last = min(last, earliest_period_end(received_on, 10, "calendar"))
        return Standstill(last, _end_of(last), (
            f"This letter was sent by post on {format_uk_date(sent_on)}. The standstill period ends at midnight "
            f"at the end of {_weekday(last)} (23:59:59 UK time), or at midnight at the end of the 10th day after "
            f"you receive this letter if that is earlier (Public Contracts Regulations 2015, regulation 87(2)(b)). "
            f"We will not enter into the contract before then."), method=POST)
    ends = pcr_standstill_end(sent_on)
    return Standstill(ends.date(), ends, (
        f"This letter was sent electronically on {format_uk_date(sent_on)}. The standstill period ends at "
        f"midnight at the end of {_weekday(ends.date())} (23:59:59 UK time) (Public Contracts Regulations "
        f"2015, regulation 87(2)(a)). We will not enter into the contract before then."))


def _weekday(day: date) -> str:
    return f"{day.strftime('%A')} {format_uk_date(day)}"


def latest(standstills: list[Standstill]) -> Standstill:
    """The standstill that binds the procurement: the latest of its letters' ends."""
    return max(standstills, key=lambda s: s.ends_at)


_PCR_87 = "Public Contracts Regulations 2015, regulation 87"


def standstill_statement(regime: str, method: str, sent_on: date, binding: Standstill, *,
                         summary: bool = False) -> str:
    """The standstill paragraph of one letter: how *this* letter was sent, and the end that binds every letter.

    ``binding`` is the procurement's standstill (:func:`latest` of every
    method's, which the contract stage enforces): with letters sent both by
    e-mail and by post, every letter states the postal end (reg. 87(2)(b)),
    but an e-mailed letter still says it was sent electronically and why its
    end is the postal one. Under the Procurement Act the means of sending
    does not move standstill (s.51 counts from the contract award notice), so
    the summary only says how it was sent before ``binding.wording``.
    """
    what = "assessment summary" if summary else "letter"
    how = "by post" if method == POST else "electronically"
    sent = f"This {what} was sent {how} on {format_uk_date(sent_on)}."
    if regime.startswith("pa2023") or not binding.applies:
        return f"{sent} {binding.wording}"
    end = f"midnight at the end of {_weekday(binding.last_day)} (23:59:59 UK time)"
    if binding.method != POST:
        return (f"{sent} The standstill period ends at {end} ({_PCR_87}(2)(a)). "
                "We will not enter into the contract before then.")
    receipt = ("or at midnight at the end of the 10th day after the last of the letters sent by post is received, "
               "if that is earlier")
    if method == POST:
        return (f"{sent} The standstill period ends at {end}, {receipt} ({_PCR_87}(2)(b)). "
                "We will not enter into the contract before then.")
    return (f"{sent} Some of the letters about this decision were sent by post, and the standstill period is the "
            "same for every tenderer, so it ends as regulation 87(2)(b) of the Public Contracts Regulations 2015 "
            f"counts it for letters sent by post: at {end}, {receipt}. We will not enter into the contract before "
            "then.")


def _safe(text: str, keep: str = "") -> str:
    safe = "".join(c if c.isalnum() or c in keep else "-" for c in text).strip("-.")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return safe


def document_filename(procurement_ref: str, lot_number: int, supplier: str, kind: str) -> str:
    """"KCC-22-00033-lot-1-porchlight-award-letter.pdf": safe on every file system."""
    return f"{_safe(procurement_ref, '-_.')}-lot-{lot_number}-{_safe(supplier.lower())}-{kind.replace('_', '-')}.pdf"


SELECTION_OUTCOME = "selection_outcome"


def selection_filename(procurement_ref: str, supplier: str) -> str:
    """"KCC-22-00033-medway-community-minds-partnership-selection-outcome.pdf": a notice to a candidate not selected."""
    return f"{_safe(procurement_ref, '-_.')}-{_safe(supplier.lower())}-selection-outcome.pdf"


