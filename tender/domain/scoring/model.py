"""An evaluation model: what is scored, on which scale, and how it adds up.

The model is data (one YAML file in ``scoring_rules/``, read by ``loader``), so
these classes are frozen: a procurement records which model and version it ran,
and nothing may change the model halfway through an evaluation.

Weights in a file are percentages of the parent; ``Criterion.marks`` is the
same weight expressed as marks out of 100 for the whole bid, worked out once at
load time so the arithmetic never has to walk up the tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

HUNDRED = Decimal(100)

GROUP_QUALITY = "quality"
GROUP_SOCIAL_VALUE = "social_value"
GROUPS = (GROUP_QUALITY, GROUP_SOCIAL_VALUE)

METHOD_MODERATION = "moderation"
METHOD_MEAN = "mean"
FINAL_SCORE_METHODS = (METHOD_MODERATION, METHOD_MEAN)

PRICE_PART = "price"
"""Key of the price part in ``BidResult.parts`` and in sensitivity results."""


class EvaluationInputError(ValueError):
    """Scores or prices that do not fit the model (unknown criterion, missing price...).

    Raised by the pure functions so that the CLI and the web layer can turn it
    into a message for the person who supplied the data.
    """


@dataclass(frozen=True)
class Scale:
    """A scoring scale: the allowed points and what each one means.

    ``spread`` is how far apart (in points) evaluators may score the same
    answer before the difference is flagged for discussion at moderation.
    """

    name: str
    points: tuple[tuple[Decimal, str], ...]
    spread: Decimal | None = None
    _values: tuple = field(default=(), init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "_values", tuple(value for value, _ in self.points))

    @property
    def minimum(self) -> Decimal:
        return self.points[0][0]

    @property
    def maximum(self) -> Decimal:
        return self.points[-1][0]

    @property
    def values(self) -> tuple[Decimal, ...]:
        return self._values

    def descriptor(self, score: Decimal) -> str | None:
        """The descriptor of ``score`` if it is one of the points."""
        return dict(self.points).get(Decimal(score))


@dataclass(frozen=True)
class Criterion:
    """A section (has ``children``) or a question (has a ``scale`` or is pass/fail).

    ``weight`` is the percentage of the parent as written in the file (None for
    pass/fail questions and sections made only of them); ``marks`` is the share
    of the whole bid's 100 marks. ``group`` is set on top-level criteria only.
    """

    id: str
    title: str
    weight: Decimal | None
    marks: Decimal
    children: tuple[Criterion, ...] = ()
    scale: Scale | None = None
    minimum: Decimal | None = None
    pass_fail: bool = False
    group: str | None = None
    # How long a supplier's answer to a question may be (issue 18): words, characters, or neither.
    word_limit: int | None = None
    character_limit: int | None = None

    @property
    def is_question(self) -> bool:
        return not self.children

    def questions(self) -> tuple[Criterion, ...]:
        """The questions under this criterion (itself if it is a question), in file order."""
        if self.is_question:
            return (self,)
        return tuple(q for child in self.children for q in child.questions())


@dataclass(frozen=True)
class AbnormallyLowRule:
    """When to flag a price as possibly abnormally low (PCR 2015 reg. 69).

    A flag, never an exclusion: the bidder must be asked to explain first.
    ``rule`` is ``below_mean_of_others`` or ``below_budget``; ``percent`` is how
    far below that reference a price must be.
    """

    rule: str
    percent: Decimal


@dataclass(frozen=True)
class PriceRule:
    """The price part: its weight (marks out of 100), formula and guards."""

    weight: Decimal
    formula: str
    full_marks_below_budget_percent: Decimal | None = None
    affordability_ceiling_percent: Decimal | None = None
    abnormally_low: AbnormallyLowRule | None = None
    # Two envelopes: prices stay sealed until quality is final ("after_quality"),
    # unless the model declares they may be opened at any time ("any_time").
    opening: str = "after_quality"

    @property
    def needs_budget(self) -> bool:
        return (
            self.formula == "budget_relative"
            or self.affordability_ceiling_percent is not None
            or (self.abnormally_low is not None and self.abnormally_low.rule == "below_budget")
        )


@dataclass(frozen=True)
class TieBreak:
    """One step of the published tie-break rule.

    ``kind`` is ``highest_quality``, ``highest_social_value``, ``lowest_price``
    or ``highest_score`` (then ``criterion`` names the criterion).
    """

    kind: str
    criterion: str | None = None


@dataclass(frozen=True)
class EvaluationModel:
    """A whole evaluation model as loaded from one file."""

    name: str
    title: str
    version: str
    source: str
    criteria: tuple[Criterion, ...]
    price: PriceRule | None = None
    final_score_method: str = METHOD_MODERATION
    tie_break: tuple[TieBreak, ...] = ()
    description: str = ""
    _index: dict = field(default=None, init=False, repr=False, compare=False, hash=False)
    _questions: tuple = field(default=(), init=False, repr=False, compare=False, hash=False)
    _part_questions: tuple = field(default=(), init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        index = {}
        stack = list(self.criteria)
        while stack:
            criterion = stack.pop()
            index[criterion.id] = criterion
            stack.extend(criterion.children)
        object.__setattr__(self, "_index", index)
        # Asked for per bid and per score by the scoring functions: worked out once.
        object.__setattr__(self, "_questions", tuple(q for c in self.criteria for q in c.questions()))
        object.__setattr__(self, "_part_questions", tuple(
            (c.id, tuple(q.id for q in c.questions())) for c in self.criteria if c.weight is not None))

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion (section or question) with this id; KeyError if none."""
        return self._index[criterion_id]

    def has_criterion(self, criterion_id: str) -> bool:
        return criterion_id in self._index

    def questions(self) -> tuple[Criterion, ...]:
        """Every question (the things that get a score), in file order."""
        return self._questions

    def part_questions(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(top-level part with a weight, the ids of its questions), in file order: the ranking sums by part."""
        return self._part_questions

    @property
    def top_level_weights(self) -> dict[str, Decimal]:
        """Marks of each top-level part, including ``price``: they add up to 100."""
        weights = {c.id: c.marks for c in self.criteria if c.weight is not None}
        if self.price is not None:
            weights[PRICE_PART] = self.price.weight
        return weights

    @property
    def needs_budget(self) -> bool:
        """True when ranking a lot needs that lot's budget."""
        return self.price is not None and self.price.needs_budget
