"""The panel's agreement statistics summed by the database, so a lot's scores never reach Python.

Krippendorff's alpha for the panel, per question and per evaluator, needs
only sums (``tender.domain.scoring.agreement.AgreementSums``). Reading a large
lot's 16,000 submitted scores into Python to sum them cost many times the
aggregate query itself, so one query computes them:

* the inner GROUP BY (bid, question) gives each unit's count m, sum S and sum
  of squares Q, and each panel member's point in it (one column per member:
  a pivot over the lot's panel, which is a handful of people; ``FILTER``
  rather than ``CASE``, so each row feeds one member's sum, not all of them);
* the outer GROUP BY (question, m) sums those per question, and per member
  over the units they scored: S, Q, S^2, v, v^2 and S*v.

Points are integers (a score as a fraction of its scale's maximum, times a
common denominator: ``point_multipliers``), so the sums are exact on both
databases. If the database finds a score by someone not on the panel, or on
a question the model does not have, ``lot_sums`` returns None and the caller
reads the rows and uses the general path, which explains what is wrong.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import Integer, case, cast, func, literal, select

from tender.domain.scoring import EvaluationModel
from tender.domain.scoring.agreement import AgreementSums, EvaluatorGroup, UnitGroup, point_multipliers
from tender.extensions import db
from tender.models import Bid, Score
from tender.models.evaluation import SUBMITTED


def lot_sums(lot_id: int, round_: str, model: EvaluationModel, panel_ids: list[int]) -> AgreementSums | None:
    """The agreement sums of one lot's round in one query, or None if the rows need the general path."""
    multipliers = point_multipliers(model)
    if not panel_ids or not multipliers:
        return None
    point = _point(multipliers)
    scored = (select(Score.bid_id, Score.criterion_id, Score.evaluator_id, point.label("v"))
              .join(Bid, Bid.id == Score.bid_id)
              .where(Bid.lot_id == lot_id, Bid.round == round_, Score.status == SUBMITTED,
                     Score.pass_fail.is_(None), Score.value.is_not(None))
              .subquery("scored"))
    members = sorted(set(panel_ids))
    units = (select(scored.c.criterion_id, func.count().label("m"), func.sum(scored.c.v).label("s"),
                    func.sum(scored.c.v * scored.c.v).label("q"),
                    *(func.sum(scored.c.v).filter(scored.c.evaluator_id == member).label(f"v{i}")
                      for i, member in enumerate(members)))
             .group_by(scored.c.bid_id, scored.c.criterion_id)
             .subquery("units"))
    s, q = units.c.s, units.c.q
    columns = [units.c.criterion_id, units.c.m, func.count(), func.sum(s), func.sum(q), func.sum(s * s)]
    for i in range(len(members)):
        v = units.c[f"v{i}"]
        scored_it = v.is_not(None)
        columns += [func.count(v), func.sum(s).filter(scored_it), func.sum(q).filter(scored_it),
                    func.sum(s * s).filter(scored_it), func.sum(v), func.sum(v * v), func.sum(s * v)]
    rows = db.session.connection().execute(
        select(*columns).group_by(units.c.criterion_id, units.c.m)).all()
    return _sums(rows, members, set(multipliers))


def _point(multipliers: dict[str, Fraction]):
    """A score's integer point as SQL: the value itself when every multiplier is 1, else value * k, rounded."""
    by_multiplier: dict[Fraction, list[str]] = defaultdict(list)
    for question, k in multipliers.items():
        by_multiplier[k].append(question)
    if set(by_multiplier) == {Fraction(1)}:
        return Score.value

    def scaled(k: Fraction):
        return cast(func.round(Score.value * literal(k.numerator) / literal(k.denominator)), Integer)

    if len(by_multiplier) == 1:
        return scaled(next(iter(by_multiplier)))
    return case(*((Score.criterion_id.in_(questions), scaled(k)) for k, questions in by_multiplier.items()))


def _sums(rows, members: list[int], questions: set[str]) -> AgreementSums | None:
    units, evaluators = [], defaultdict(lambda: [0] * 7)
    for row in rows:
        criterion, m, count = row[0], int(row[1]), int(row[2])
        if criterion not in questions:
            return None
        try:
            figures = [_integer(x) for x in row[3:]]
        except ValueError:  # a score off its scale: the general path names it
            return None
        if None in figures[:3]:
            return None
        units.append(UnitGroup(criterion, m, count, *figures[:3]))
        by_members = 0
        for i, member in enumerate(members):
            base = 3 + 7 * i
            scored = figures[base]
            if not scored:
                continue
            by_members += scored
            sums = evaluators[(str(member), m)]
            sums[0] += scored
            for j in range(1, 7):
                sums[j] += figures[base + j]
        if by_members != count * m:  # a score by someone not on the panel
            return None
    return AgreementSums(tuple(units), tuple(EvaluatorGroup(e, m, *sums) for (e, m), sums in evaluators.items()))


def _integer(value) -> int | None:
    """A database sum as an exact integer (SQLite may hand back a float holding a whole number)."""
    if value is None:
        return None
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"agreement sum {value!r} is not a whole number of points")
        return int(value)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"agreement sum {value!r} is not a whole number of points")
    return int(value)
