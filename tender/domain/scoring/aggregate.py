"""From each evaluator's scores to the final scores a lot is ranked on.

UK practice is individual scoring, then moderation to a consensus score with a
written rationale (the default); some models use the mean of the evaluators
instead. Either way the panel should talk about answers where evaluators were
far apart, so ``spread_flags`` lists them for the moderation meeting.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Iterable, Mapping, NamedTuple

from tender.domain.scoring.model import METHOD_MEAN, EvaluationInputError, EvaluationModel


class IndividualScore(NamedTuple):
    """One evaluator's score for one bidder on one question (True/False for pass/fail).

    A named tuple rather than a frozen dataclass: a ranking builds tens of
    thousands of them, and a tuple is built three times faster.
    """

    evaluator: str
    bidder: str
    criterion: str
    score: Decimal | bool


@dataclass(frozen=True)
class SpreadFlag:
    """Evaluators scored one answer further apart than the scale allows (``allowed``)."""

    bidder: str
    criterion: str
    lowest: Decimal
    highest: Decimal
    allowed: Decimal

    @property
    def spread(self) -> Decimal:
        return self.highest - self.lowest


def check_individual_scores(model: EvaluationModel, individual: Iterable[IndividualScore]) -> None:
    """Refuse scores for unknown questions, off the scale's points, or given twice."""
    seen = set()
    # question id -> (question, its points as a set): looked up once per question, not once per score.
    questions = {q.id: (q, frozenset(q.scale.values) if q.scale is not None else frozenset())
                 for q in model.questions()}
    for item in individual:
        if item.criterion not in questions:
            raise EvaluationInputError(f"{item.criterion} is not a question of this model")
        question, points = questions[item.criterion]
        if question.pass_fail != isinstance(item.score, bool):
            kind = "pass or fail" if question.pass_fail else "a number"
            raise EvaluationInputError(f"{item.evaluator}, {item.bidder}, {item.criterion}: the score must be {kind}")
        if not question.pass_fail and item.score not in points:
            points = ", ".join(str(v) for v in question.scale.values)
            raise EvaluationInputError(
                f"{item.evaluator}, {item.bidder}, {item.criterion}: {item.score} is not a point on the scale ({points})"
            )
        key = (item.evaluator, item.bidder, item.criterion)
        if key in seen:
            raise EvaluationInputError(f"{item.evaluator} scored {item.bidder} on {item.criterion} twice")
        seen.add(key)


def final_scores(
    model: EvaluationModel,
    individual: Iterable[IndividualScore],
    moderated: Mapping[tuple[str, str], Decimal | bool] | None = None,
) -> dict[str, dict[str, Decimal | bool]]:
    """Final scores (bidder -> question -> score) by the model's method.

    ``moderated`` maps (bidder, question) to the consensus score. Under
    moderation every scored answer needs one. Under the mean method it is used
    only for pass/fail questions the evaluators disagree on, because a pass and
    a fail cannot be averaged.
    """
    individual = tuple(individual)
    moderated = dict(moderated or {})
    check_individual_scores(model, individual)
    by_answer = _group(individual)
    answers = set(by_answer) | set(moderated)
    result: dict[str, dict[str, Decimal | bool]] = defaultdict(dict)
    for bidder, criterion in sorted(answers):
        scores = by_answer.get((bidder, criterion), [])
        if model.final_score_method == METHOD_MEAN:
            value = _mean_or_agreed(bidder, criterion, scores, moderated)
        elif (bidder, criterion) in moderated:
            value = moderated[(bidder, criterion)]
        else:
            raise EvaluationInputError(f"{bidder}, {criterion}: no moderated score yet; moderate it first")
        result[bidder][criterion] = value
    return dict(result)


def _mean_or_agreed(bidder, criterion, scores, moderated):
    if scores and isinstance(scores[0], bool):
        if len(set(scores)) == 1:
            return scores[0]
        if (bidder, criterion) in moderated:
            return moderated[(bidder, criterion)]
        raise EvaluationInputError(f"{bidder}, {criterion}: evaluators disagree on pass/fail; moderate it")
    if not scores:
        return moderated[(bidder, criterion)]
    with localcontext() as ctx:
        ctx.prec = 40
        return sum(scores, Decimal(0)) / len(scores)


def spread_flags(model: EvaluationModel, individual: Iterable[IndividualScore]) -> tuple[SpreadFlag, ...]:
    """Scored answers where the highest and lowest score differ by more than the scale's ``spread``.

    Pass/fail questions are not flagged here: disagreement on them already
    stops ``final_scores`` under the mean method and is moderated otherwise.
    """
    individual = tuple(individual)
    check_individual_scores(model, individual)
    order = {q.id: i for i, q in enumerate(model.questions())}
    flags = []
    for (bidder, criterion), scores in _group(individual).items():
        scale = model.criterion(criterion).scale
        if scale is None or scale.spread is None or len(scores) < 2:
            continue
        if max(scores) - min(scores) > scale.spread:
            flags.append(SpreadFlag(bidder, criterion, min(scores), max(scores), scale.spread))
    return tuple(sorted(flags, key=lambda f: (f.bidder, order[f.criterion])))


def _group(individual: tuple[IndividualScore, ...]) -> dict[tuple[str, str], list]:
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for item in sorted(individual, key=lambda i: i.evaluator):
        grouped[(item.bidder, item.criterion)].append(item.score)
    return dict(grouped)
