"""Turn one lot's final scores and prices into a ranking.

Order of work, as in UK practice: check each bid against the pass/fail
questions, the minimum scores and the affordability ceiling; flag abnormally
low prices (PCR 2015 reg. 69 says ask the bidder, so a flag never excludes);
score price among the bids still in; add up; rank by total and then by the
tie-break rule published with the model. Everything is Decimal and unrounded.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Mapping

from tender.domain.scoring.model import (
    GROUP_SOCIAL_VALUE,
    HUNDRED,
    PRICE_PART,
    Criterion,
    EvaluationInputError,
    EvaluationModel,
    PriceRule,
)

PRECISION = 40
ZERO = Decimal(0)

FinalScores = Mapping[str, Mapping[str, "Decimal | bool"]]
"""bidder -> question id -> final score (Decimal), or True/False for pass/fail."""


@dataclass(frozen=True)
class BidResult:
    """One bid's place in a lot. Scores are marks out of 100 for the whole bid.

    ``price_score`` and ``total`` are None for an excluded bid: its price is not
    scored against the bids still in. ``parts`` maps each top-level criterion id
    (and ``price``) to its marks. ``reasons`` say why a bid is excluded;
    ``notes`` carry flags that need action but do not exclude.
    ``question_marks`` maps each scored question to its marks out of 100.
    """

    bidder: str
    quality: Decimal
    social_value: Decimal
    price_score: Decimal | None
    total: Decimal | None
    rank: int | None
    excluded: bool
    reasons: tuple[str, ...]
    parts: Mapping[str, Decimal]
    question_marks: Mapping[str, Decimal]
    price: Decimal | None = None
    abnormally_low: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LotRanking:
    """The ranked bids of a lot: ranked bids first (best first), then excluded ones."""

    results: tuple[BidResult, ...]
    budget: Decimal | None = None

    @property
    def ranked(self) -> tuple[BidResult, ...]:
        return tuple(r for r in self.results if not r.excluded)

    @property
    def winners(self) -> tuple[str, ...]:
        """Bidders ranked first (more than one only if the tie-break cannot separate them)."""
        return tuple(r.bidder for r in self.results if r.rank == 1)


def rank_lot(
    model: EvaluationModel,
    final_scores: FinalScores,
    prices: Mapping[str, Decimal] | None = None,
    budget: Decimal | None = None,
) -> LotRanking:
    """Rank the bids of one lot under ``model``.

    Raises EvaluationInputError when the data does not fit the model: a missing
    or unknown criterion, a score off the scale, a missing price or budget.
    """
    _check_inputs(model, final_scores, prices, budget)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        marks: dict = {}  # (question, score) -> marks: a lot's bids share a few points per question
        bids = {bidder: _score_bid(model, bidder, scores, marks) for bidder, scores in final_scores.items()}
        if model.price is not None:
            _apply_price(model.price, bids, prices, budget)
        return LotRanking(results=_order(model, bids), budget=budget)


def _check_inputs(model, final_scores, prices, budget):
    questions = model.questions()
    question_ids = {q.id for q in questions}
    # The one bounds check: a number on its scale passes; anything else goes to _check_score to be named.
    ranges = [(q, q.id, None if q.pass_fail else q.scale.minimum, None if q.pass_fail else q.scale.maximum)
              for q in questions]
    for bidder, scores in final_scores.items():
        for question, qid, low, high in ranges:
            if qid not in scores:
                raise EvaluationInputError(f"bidder {bidder} has no score for {qid}")
            score = scores[qid]
            if low is None or not isinstance(score, Decimal) or not score.is_finite() or not low <= score <= high:
                _check_score(question, bidder, score)
        if len(scores) != len(question_ids):  # every question is there, so something else is too
            for cid in scores:
                if cid not in question_ids:
                    raise EvaluationInputError(f"bidder {bidder}: {cid} is not a question of this model")
    if model.price is None:
        if prices:
            raise EvaluationInputError("this model has no price part, so prices cannot be used")
        return
    prices = prices or {}
    for bidder in final_scores:
        if bidder not in prices:
            raise EvaluationInputError(f"bidder {bidder} has no price")
        if not prices[bidder] > 0:
            raise EvaluationInputError(f"bidder {bidder}: a price must be above 0")
    for bidder in prices:
        if bidder not in final_scores:
            raise EvaluationInputError(f"bidder {bidder} has a price but no scores")
    if model.needs_budget and (budget is None or not budget > 0):
        raise EvaluationInputError("this model needs the lot's budget (above 0) to score or cap prices")


def _check_score(question: Criterion, bidder: str, score) -> None:
    """A pass/fail answer, or a score the check in _check_inputs refused: say what is wrong with it.

    The bounds are checked there, once: a finite number that reaches this far is off the scale.
    """
    if question.pass_fail:
        if not isinstance(score, bool):
            raise EvaluationInputError(f"bidder {bidder}, {question.id}: the score must be pass or fail")
        return
    if not isinstance(score, Decimal) or not score.is_finite():
        raise EvaluationInputError(f"bidder {bidder}, {question.id}: the score must be a number")
    scale = question.scale
    raise EvaluationInputError(
        f"bidder {bidder}, {question.id}: {score} is outside the scale {scale.minimum}-{scale.maximum}"
    )


def _score_bid(model: EvaluationModel, bidder: str, scores, known: dict) -> dict:
    """Weighted marks of each question and top-level part, and quality exclusions.

    ``known`` remembers the marks of each (question, score) already worked out.
    """
    reasons, marks = [], {}
    for question in model.questions():
        score = scores[question.id]
        if question.pass_fail:
            if not score:
                reasons.append(f"failed pass/fail question {question.id}")
            continue
        if question.minimum is not None and score < question.minimum:
            reasons.append(f"scored {score} on {question.id}, below the minimum of {question.minimum}")
        mark = known.get((question.id, score))
        if mark is None:
            mark = known[(question.id, score)] = question.marks * score / question.scale.maximum
        marks[question.id] = mark
    parts = {c: _sum(marks[q] for q in ids if q in marks) for c, ids in model.part_questions()}
    social = _sum(parts[c.id] for c in model.criteria if c.id in parts and c.group == GROUP_SOCIAL_VALUE)
    return {
        "bidder": bidder, "marks": marks, "parts": parts, "reasons": reasons, "notes": [],
        "quality": _sum(parts.values()) - social, "social_value": social,
        "price": None, "price_score": None, "abnormally_low": False,
    }


def _apply_price(rule: PriceRule, bids: dict, prices, budget) -> None:
    for bidder, bid in bids.items():
        bid["price"] = prices[bidder]
        if rule.affordability_ceiling_percent is not None:
            ceiling = budget * rule.affordability_ceiling_percent / HUNDRED
            if bid["price"] > ceiling:
                bid["reasons"].append(f"price {bid['price']} is above the affordability ceiling of {ceiling}")
        if rule.abnormally_low is not None:
            reference = ABNORMALLY_LOW_REFERENCES[rule.abnormally_low.rule](bidder, prices, budget)
            if reference is not None and bid["price"] < reference * (1 - rule.abnormally_low.percent / HUNDRED):
                bid["abnormally_low"] = True
                bid["notes"].append(
                    f"price is more than {rule.abnormally_low.percent}% below {reference}: ask the bidder "
                    "to explain it before deciding (PCR 2015 reg. 69)"
                )
    admitted = [b for b in bids.values() if not b["reasons"]]
    if not admitted:
        return
    lowest = min(b["price"] for b in admitted)
    for bid in admitted:
        bid["price_score"] = PRICE_FORMULAS[rule.formula](rule, bid["price"], lowest, budget)
        bid["parts"][PRICE_PART] = bid["price_score"]


def _mean_of_others(bidder, prices, budget):
    others = [p for b, p in prices.items() if b != bidder]
    return _sum(others) / len(others) if others else None


ABNORMALLY_LOW_REFERENCES = {
    "below_mean_of_others": _mean_of_others,
    "below_budget": lambda bidder, prices, budget: budget,
}


def _lowest_relative(rule: PriceRule, price, lowest, budget) -> Decimal:
    # Multiply before dividing: one rounding step, so equal ratios give equal scores.
    return rule.weight * lowest / price


def _budget_relative(rule: PriceRule, price, lowest, budget) -> Decimal:
    # 0 marks at (or above) the budget, full marks at full_marks_below_budget_percent
    # below it, in a straight line between.
    band = budget * rule.full_marks_below_budget_percent / HUNDRED
    share = (budget - price) / band
    return rule.weight * min(max(share, ZERO), Decimal(1))


PRICE_FORMULAS = {"lowest_relative": _lowest_relative, "budget_relative": _budget_relative}


def _order(model: EvaluationModel, bids: dict) -> tuple[BidResult, ...]:
    admitted = [b for b in bids.values() if not b["reasons"]]
    for bid in admitted:
        bid["total"] = _sum(bid["parts"].values())
    admitted.sort(key=lambda b: (_rank_key(model, b), b["bidder"]))
    results, previous_key, rank = [], None, 0
    for position, bid in enumerate(admitted, start=1):
        key = _rank_key(model, bid)
        if key != previous_key:
            rank, previous_key = position, key
        results.append(_result(bid, rank))
    excluded = sorted((b for b in bids.values() if b["reasons"]), key=lambda b: b["bidder"])
    results.extend(_result({**b, "total": None, "price_score": None}, None) for b in excluded)
    return tuple(results)


def _rank_key(model: EvaluationModel, bid: dict) -> tuple:
    """Smaller is better: total first, then each published tie-break step."""
    key = [-bid["total"]]
    for step in model.tie_break:
        key.append(TIE_BREAK_KEYS[step.kind](model, bid, step.criterion))
    return tuple(key)


def _criterion_marks(model, bid, criterion_id):
    return -_sum(bid["marks"].get(q.id, ZERO) for q in model.criterion(criterion_id).questions())


TIE_BREAK_KEYS = {
    "highest_quality": lambda model, bid, _: -bid["quality"],
    "highest_social_value": lambda model, bid, _: -bid["social_value"],
    "lowest_price": lambda model, bid, _: bid["price"],
    "highest_score": _criterion_marks,
}


def _result(bid: dict, rank: int | None) -> BidResult:
    return BidResult(
        bidder=bid["bidder"], quality=bid["quality"], social_value=bid["social_value"],
        price_score=bid["price_score"], total=bid["total"], rank=rank, excluded=bool(bid["reasons"]),
        reasons=tuple(bid["reasons"]), parts=dict(bid["parts"]), question_marks=dict(bid["marks"]),
        price=bid["price"], abnormally_low=bid["abnormally_low"], notes=tuple(bid["notes"]),
    )


def _sum(values) -> Decimal:
    return sum(values, ZERO)
