"""How far the evaluators agree: Krippendorff's alpha with the interval metric.

Alpha is 1 when evaluators agree perfectly, about 0 when they agree no more
than chance, and negative when they disagree systematically. It copes with
missing scores (an evaluator who did not score every bid), which is why it is
used here rather than a correlation. Per evaluator, the panel's alpha without
that evaluator shows who scores apart: if alpha rises a lot when someone is
left out, moderation should look at their scores.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Hashable, Iterable, Mapping

from tender.domain.scoring.aggregate import IndividualScore, check_individual_scores
from tender.domain.scoring.model import EvaluationModel

PRECISION = 40


@dataclass(frozen=True)
class EvaluatorAgreement:
    """One evaluator against the panel.

    ``alpha_without``: the panel's alpha leaving this evaluator out;
    ``change``: alpha_without minus the whole panel's alpha (positive means the
    panel agrees better without them); ``mean_deviation``: their average score
    minus the average of the others on the same answers, as a fraction of the
    scale (positive: generous, negative: severe).
    """

    evaluator: str
    alpha_without: Decimal | None
    change: Decimal | None
    mean_deviation: Decimal | None


@dataclass(frozen=True)
class AgreementReport:
    """Alpha for the whole panel (scores as a fraction of each scale), per question, per evaluator."""

    overall: Decimal | None
    by_criterion: Mapping[str, Decimal | None]
    by_evaluator: Mapping[str, EvaluatorAgreement]


def krippendorff_alpha_interval(units: Mapping[Hashable, Mapping[Hashable, Decimal]]) -> Decimal | None:
    """Krippendorff's alpha (interval metric) for unit -> coder -> value.

    alpha = 1 - D_o / D_e, with D_o the mean squared difference within units
    and D_e the mean squared difference between all pairable values. Units with
    fewer than two values are not pairable and are ignored. Returns None when
    alpha is undefined: fewer than two pairable values, or no variation at all.
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        pairable = [[v if type(v) is Decimal else Decimal(v) for v in unit.values()]
                    for unit in units.values() if len(unit) >= 2]
        pooled = [v for unit in pairable for v in unit]
        n = len(pooled)
        expected = _squared_differences(pooled)
        if n < 2 or expected == 0:
            return None
        observed = sum((_squared_differences(unit) / (len(unit) - 1) for unit in pairable), Decimal(0))
        return 1 - (n - 1) * observed / expected


def _squared_differences(values: list[Decimal]) -> Decimal:
    """Sum of (a - b)^2 over ordered pairs of distinct positions: 2(n*sum(v^2) - sum(v)^2)."""
    total = sum(values, Decimal(0))
    squares = sum((v * v for v in values), Decimal(0))
    return 2 * (len(values) * squares - total * total)


def agreement(model: EvaluationModel, individual: Iterable[IndividualScore]) -> AgreementReport:
    """Alpha per question (on raw scores), for the panel and per evaluator (on scores / scale maximum).

    Pass/fail questions are left out: the interval metric needs numbers.
    """
    individual = tuple(individual)
    check_individual_scores(model, individual)
    scored = [i for i in individual if not isinstance(i.score, bool)]
    by_criterion = {}
    for question in model.questions():
        units = _units((i for i in scored if i.criterion == question.id), lambda i: i.bidder, lambda i: i.score)
        if units:
            by_criterion[question.id] = krippendorff_alpha_interval(units)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        normalised = [(i, i.score / model.criterion(i.criterion).scale.maximum) for i in scored]
    panel = _units(normalised, lambda p: (p[0].bidder, p[0].criterion), lambda p: p[1])
    overall = krippendorff_alpha_interval(panel)
    evaluators = sorted({i.evaluator for i in scored})
    return AgreementReport(
        overall=overall,
        by_criterion=by_criterion,
        by_evaluator={e: _evaluator_agreement(e, panel, overall) for e in evaluators},
    )


def _units(items, unit_of, value_of) -> dict:
    units: dict = defaultdict(dict)
    for item in items:
        evaluator = item[0].evaluator if isinstance(item, tuple) else item.evaluator
        units[unit_of(item)][evaluator] = value_of(item)
    return dict(units)


def _evaluator_agreement(evaluator, panel, overall) -> EvaluatorAgreement:
    without = {unit: {e: v for e, v in coders.items() if e != evaluator} for unit, coders in panel.items()}
    alpha_without = krippendorff_alpha_interval(without)
    change = None if alpha_without is None or overall is None else alpha_without - overall
    with localcontext() as ctx:
        ctx.prec = PRECISION
        deviations = [
            coders[evaluator] - sum(others.values(), Decimal(0)) / len(others)
            for unit, coders in panel.items()
            if evaluator in coders and (others := without[unit])
        ]
        mean = sum(deviations, Decimal(0)) / len(deviations) if deviations else None
    return EvaluatorAgreement(evaluator, alpha_without, change, mean)
