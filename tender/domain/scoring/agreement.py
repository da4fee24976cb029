"""How far the evaluators agree: Krippendorff's alpha with the interval metric.

Alpha is 1 when evaluators agree perfectly, about 0 when they agree no more
than chance, and negative when they disagree systematically. It copes with
missing scores (an evaluator who did not score every bid), which is why it is
used here rather than a correlation. Per evaluator, the panel's alpha without
that evaluator shows who scores apart: if alpha rises a lot when someone is
left out, moderation should look at their scores.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from math import lcm
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


def agreement_to_json(report: AgreementReport) -> str:
    """The report as JSON, every figure as its exact decimal text (kept when a lot's scores freeze)."""
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return json.dumps({
        "overall": text(report.overall),
        "by_criterion": [[c, text(a)] for c, a in report.by_criterion.items()],
        "by_evaluator": [[e.evaluator, text(e.alpha_without), text(e.change), text(e.mean_deviation)]
                         for e in report.by_evaluator.values()],
    }, separators=(",", ":"))


def agreement_from_json(text: str) -> AgreementReport:
    """The report :func:`agreement_to_json` wrote, equal to the one it was given."""
    def number(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    data = json.loads(text)
    return AgreementReport(
        overall=number(data["overall"]),
        by_criterion={c: number(a) for c, a in data["by_criterion"]},
        by_evaluator={e: EvaluatorAgreement(e, number(a), number(c), number(d)) for e, a, c, d in data["by_evaluator"]},
    )


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


@dataclass(frozen=True)
class UnitGroup:
    """The units (bid x question) of one question that ``m`` evaluators scored, summed.

    ``total``, ``squares`` and ``total_squared`` are the sums over those units
    of S (the unit's sum of points), Q (its sum of squared points) and S^2.
    """

    criterion: str
    m: int
    units: int
    total: int
    squares: int
    total_squared: int


@dataclass(frozen=True)
class EvaluatorGroup:
    """The units of ``m`` values one evaluator scored (any question), summed.

    As :class:`UnitGroup`, plus ``own`` (sum of the evaluator's points v),
    ``own_squares`` (sum of v^2) and ``cross`` (sum of S * v).
    """

    evaluator: str
    m: int
    units: int
    total: int
    squares: int
    total_squared: int
    own: int
    own_squares: int
    cross: int


@dataclass(frozen=True)
class AgreementSums:
    """Everything alpha needs, in integer points (:func:`point_multipliers`).

    A database can compute these with two GROUP BYs over the score rows, so a
    large lot's scores never reach Python; :func:`agreement` computes them
    from individual scores. Both feed :func:`agreement_from_sums`.
    """

    units: tuple[UnitGroup, ...]
    evaluators: tuple[EvaluatorGroup, ...]


def agreement(model: EvaluationModel, individual: Iterable[IndividualScore]) -> AgreementReport:
    """Alpha per question (on raw scores), for the panel and per evaluator (on scores / scale maximum).

    Pass/fail questions are left out: the interval metric needs numbers.
    """
    individual = tuple(individual)
    check_individual_scores(model, individual)
    return agreement_from_sums(model, sums_of(model, individual))


def sums_of(model: EvaluationModel, individual: Iterable[IndividualScore]) -> AgreementSums:
    """The sufficient statistics of alpha, from individual scores (pass/fail ones left out)."""
    points, _ = _integer_points(model)
    panel: dict = defaultdict(dict)
    for i in individual:
        if not isinstance(i.score, bool):
            panel[(i.bidder, i.criterion)][i.evaluator] = points[i.criterion][i.score]
    units: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    scored_by: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    for (_, criterion), coders in panel.items():
        values = coders.values()
        m, total, squares = len(coders), sum(values), sum(v * v for v in values)
        group = units[(criterion, m)]
        group[0] += 1
        group[1] += total
        group[2] += squares
        group[3] += total * total
        for evaluator, v in coders.items():
            sums = scored_by[(evaluator, m)]
            sums[0] += 1
            sums[1] += total
            sums[2] += squares
            sums[3] += total * total
            sums[4] += v
            sums[5] += v * v
            sums[6] += total * v
    return AgreementSums(tuple(UnitGroup(c, m, *sums) for (c, m), sums in units.items()),
                         tuple(EvaluatorGroup(e, m, *sums) for (e, m), sums in scored_by.items()))


def agreement_from_sums(model: EvaluationModel, sums: AgreementSums) -> AgreementReport:
    """Alpha for the panel, per question and per evaluator, from the sums alone.

    Alpha needs only each unit's count, sum and sum of squares, and leaving an
    evaluator out subtracts their scores from the units they scored instead of
    rebuilding the panel. Scores are exact integers (each point as a fraction
    of its scale's maximum, times a common denominator; alpha does not change
    when every score is multiplied by one number, so the per-question alphas
    are the same as on raw scores), and the sums are kept as integers and
    fractions, so the result equals :func:`krippendorff_alpha_interval` on the
    same units to its 40 digits (a test checks).
    """
    _, scale = _integer_points(model)
    whole = _Sums()
    by_question: dict[str, _Sums] = defaultdict(_Sums)
    for g in sums.units:
        within = g.m * g.squares - g.total_squared
        whole.add_many(g.m, g.units, g.total, g.squares, within)
        by_question[g.criterion].add_many(g.m, g.units, g.total, g.squares, within)
    overall = whole.alpha()
    by_criterion = {q.id: by_question[q.id].alpha() for q in model.questions() if q.id in by_question}
    changes: dict = defaultdict(_Sums)  # evaluator -> change to ``whole`` when they are left out
    deviations: dict = defaultdict(lambda: [0, Fraction(0)])  # evaluator -> [units, sum of (m*v - S) / (m - 1)]
    for g in sums.evaluators:
        m, units, s, q, s2, v, v2, sv = (g.m, g.units, g.total, g.squares, g.total_squared, g.own, g.own_squares,
                                         g.cross)
        change = changes[g.evaluator]
        change.add_many(m, units, s, q, m * q - s2, sign=-1)
        # without v: m - 1 values, sum S - v, squares Q - v^2; (m-1)(Q - v^2) - (S - v)^2 summed over the units
        change.add_many(m - 1, units, s - v, q - v2, (m - 1) * (q - v2) - (s2 - 2 * sv + v2))
        if m >= 2:
            deviations[g.evaluator][0] += units
            deviations[g.evaluator][1] += Fraction(m * v - s, m - 1)
    by_evaluator = {}
    for evaluator in sorted(changes):
        alpha_without = whole.plus(changes[evaluator]).alpha()
        change = None if alpha_without is None or overall is None else alpha_without - overall
        units, deviation = deviations[evaluator] if evaluator in deviations else (0, Fraction(0))
        mean = _decimal(deviation / (units * scale)) if units else None
        by_evaluator[evaluator] = EvaluatorAgreement(evaluator, alpha_without, change, mean)
    return AgreementReport(overall=overall, by_criterion=by_criterion, by_evaluator=by_evaluator)


def point_multipliers(model: EvaluationModel) -> dict[str, Fraction]:
    """question -> the number a raw score is multiplied by to give its integer point (numeric questions).

    The integer point of score v on question q is v * point_multipliers(model)[q]:
    v as a fraction of the scale's maximum, times the common denominator.
    """
    _, common = _integer_points(model)
    return {q.id: Fraction(common) / Fraction(q.scale.maximum) for q in model.questions()
            if not q.pass_fail and q.scale is not None and q.scale.maximum}


def _integer_points(model: EvaluationModel) -> tuple[dict[str, dict[Decimal, int]], int]:
    """question -> {scale point: integer}, and the integer that stands for a whole scale.

    Each point is its fraction of the scale's maximum times one common denominator.
    """
    fractions = {q.id: {v: Fraction(v) / Fraction(q.scale.maximum) for v in q.scale.values}
                 for q in model.questions() if not q.pass_fail and q.scale is not None and q.scale.maximum}
    common = 1
    for points in fractions.values():
        for f in points.values():
            common = lcm(common, f.denominator)
    return {q: {v: int(f * common) for v, f in points.items()} for q, points in fractions.items()}, common


class _Sums:
    """The sufficient statistics of alpha over a set of units, as exact integers.

    ``n``, ``total``, ``squares``: count, sum and sum of squares of the pairable
    values (units with two or more); ``within[m]``: the sum over pairable units
    of m values of m * sum(v^2) - sum(v)^2.
    """

    def __init__(self) -> None:
        self.n = self.total = self.squares = 0
        self.within: dict[int, int] = defaultdict(int)

    def add(self, m: int, total: int, squares: int, sign: int = 1) -> None:
        if m < 2:
            return
        self.n += sign * m
        self.total += sign * total
        self.squares += sign * squares
        self.within[m] += sign * (m * squares - total * total)

    def add_many(self, m: int, units: int, total: int, squares: int, within: int, sign: int = 1) -> None:
        """Add ``units`` units of ``m`` values each, given their summed statistics."""
        if m < 2:
            return
        self.n += sign * m * units
        self.total += sign * total
        self.squares += sign * squares
        self.within[m] += sign * within

    def plus(self, other: "_Sums") -> "_Sums":
        result = _Sums()
        result.n, result.total, result.squares = self.n + other.n, self.total + other.total, self.squares + other.squares
        for m in set(self.within) | set(other.within):
            result.within[m] = self.within.get(m, 0) + other.within.get(m, 0)
        return result

    def alpha(self) -> Decimal | None:
        """1 - (n - 1) * D_o / D_e, exactly, or None where alpha is undefined."""
        expected = 2 * (self.n * self.squares - self.total * self.total)
        if self.n < 2 or expected == 0:
            return None
        observed = sum((Fraction(2 * w, m - 1) for m, w in self.within.items()), Fraction(0))
        return _decimal(1 - (self.n - 1) * observed / expected)


def _decimal(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)
