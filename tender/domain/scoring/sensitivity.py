"""How robust is a lot's winner to the published weights?

For each top-level part (quality, social value, price...), find how far its
weight would have to move, with the other top-level weights rescaled in
proportion so they still add up to 100, before another bid draws level with
the winner. A winner that survives any plausible weighting is a safer award;
one that changes with a 2-point move deserves a second look at the scoring.

Each bid's total is linear in the moved weight x:
    total(x) = x * s + (100 - x) / (100 - w) * R
where w is the current weight, s the bid's marks on that part divided by w
(its score as a fraction), and R the bid's marks on every other part. So the
point where a challenger draws level is the root of a straight line.
Exclusions do not depend on weights, so only ranked bids take part. At the
exact level point the tie-break rule decides; beyond it the challenger wins.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from tender.domain.scoring.model import HUNDRED, EvaluationModel
from tender.domain.scoring.ranking import BidResult, LotRanking

ZERO = Decimal(0)


@dataclass(frozen=True)
class WeightChange:
    """The weight at which ``new_winner`` draws level with the current winner."""

    weight: Decimal
    change: Decimal
    new_winner: str


@dataclass(frozen=True)
class WeightSensitivity:
    """For one top-level part: the nearest winner-changing weight above and below the current one.

    None means no weight in that direction (down to 0 or up to 100) changes the winner.
    """

    part: str
    weight: Decimal
    increase: WeightChange | None
    decrease: WeightChange | None


def weight_sensitivity(model: EvaluationModel, ranking: LotRanking) -> tuple[WeightSensitivity, ...]:
    """Sensitivity of the winner of ``ranking`` to each top-level weight of ``model``, in model order."""
    ranked = ranking.ranked
    results = []
    for part, weight in model.top_level_weights.items():
        if len(ranked) < 2 or weight == HUNDRED:
            results.append(WeightSensitivity(part, weight, None, None))
            continue
        winner, challengers = ranked[0], ranked[1:]
        with localcontext() as ctx:
            ctx.prec = 40
            crossings = [c for c in (_crossing(part, weight, winner, ch) for ch in challengers) if c]
            up = _nearest([c for c in crossings if c[1] > 0], weight)
            down = _nearest([c for c in crossings if c[1] < 0], weight)
        results.append(WeightSensitivity(part, weight, up, down))
    return tuple(results)


def _crossing(part: str, weight: Decimal, winner: BidResult, challenger: BidResult):
    """(level weight, slope, challenger) if the challenger can draw level within 0..100."""
    gap_part = (challenger.parts.get(part, ZERO) - winner.parts.get(part, ZERO)) / weight
    gap_rest = (challenger.total - challenger.parts.get(part, ZERO)) - (winner.total - winner.parts.get(part, ZERO))
    slope = gap_part - gap_rest / (HUNDRED - weight)
    if slope == 0:
        return None
    level = -(HUNDRED * gap_rest / (HUNDRED - weight)) / slope
    if not ZERO <= level <= HUNDRED:
        return None
    return level, slope, challenger.bidder


def _nearest(crossings: list, weight: Decimal) -> WeightChange | None:
    if not crossings:
        return None
    level, _, bidder = min(crossings, key=lambda c: (abs(c[0] - weight), -abs(c[1]), c[2]))
    return WeightChange(weight=level, change=level - weight, new_winner=bidder)
