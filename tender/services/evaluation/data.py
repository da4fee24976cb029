"""Everything the evaluation of some lots' rounds needs, read in five queries, and when it is complete.

Ranking, the evaluation guard, moderation and the export all start from
``load_rounds``: one query each for bids, submitted scores, moderated scores,
panels and price openings, whatever the number of lots, bids, questions or
evaluators. The rule for a final evaluation lives here too (``completeness``),
so the guard and the ranking page can never disagree about it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select, type_coerce
from sqlalchemy.types import NullType

from tender.domain.scoring import EvaluationModel
from tender.domain.scoring.model import METHOD_MEAN, Criterion
from tender.extensions import db
from tender.models import Bid, EvaluatorAssignment, ModeratedScore, PriceOpening, Score, Supplier, User
from tender.models.evaluation import EVALUATOR, SUBMITTED


@dataclass(frozen=True)
class BidRow:
    """A bid as evaluation sees it: ``bidder`` is the supplier's name (unique)."""

    id: int
    lot_id: int
    round: str
    bidder: str
    price: Decimal | None


class ScoreRow(NamedTuple):
    """A submitted (or moderated) score: ``value`` is a Decimal, or True/False for pass/fail.

    A named tuple: a large lot has tens of thousands, and a tuple is built three times faster.
    """

    bid_id: int
    person_id: int
    person: str
    criterion_id: str
    value: Decimal | bool | None
    rationale: str
    version: int = 0  # moderated scores: the row version a moderator's form sends back


@dataclass(frozen=True)
class PanelRow:
    """A panel member of a lot; ``sections`` empty means the whole model."""

    lot_id: int
    user_id: int
    name: str
    role: str
    sections: tuple[str, ...]
    active: bool


@dataclass
class RoundData:
    """One lot's round: bids, submitted and moderated scores, its panel, and whether prices are open."""

    lot_id: int
    round: str
    bids: list[BidRow] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)
    moderated: list[ScoreRow] = field(default_factory=list)
    panel: list[PanelRow] = field(default_factory=list)
    prices_opened: bool = False
    scores_frozen: bool = False
    frozen_agreement: str | None = None  # the agreement JSON recorded when the scores froze

    @property
    def moderated_map(self) -> dict[tuple[int, str], ScoreRow]:
        return {(m.bid_id, m.criterion_id): m for m in self.moderated}


@dataclass(frozen=True)
class Completeness:
    """Whether a round's evaluation is final, why not, and bids out on a failed pass/fail question."""

    final: bool
    note: str
    missing: int = 0
    total: int = 0
    excluded_early: dict = field(default_factory=dict)  # bid id -> reason


def stored_value(value: Decimal | None, pass_fail: str | None) -> Decimal | bool | None:
    """A score column pair as the scoring functions take it."""
    return (pass_fail == "pass") if pass_fail else value


def load_rounds(lot_ids: list[int], rounds: tuple[str, ...], *,
                scores: bool = True, rationales: bool = True) -> dict[tuple[int, str], RoundData]:
    """(lot id, round) -> RoundData for every pair asked for, in five queries (four without ``scores``).

    ``scores=False`` leaves the submitted scores out (``RoundData.scores`` stays
    empty): under moderation the ranking needs only their sums
    (``agreement_sums``), and a large lot has tens of thousands.
    ``rationales=False`` reads the moderated scores without their rationales
    and moderators' names (left empty): the ranking needs only the values.
    """
    data = {(lot_id, r): RoundData(lot_id, r) for lot_id in lot_ids for r in rounds}
    if not lot_ids:
        return data
    in_scope = (Bid.lot_id.in_(lot_ids), Bid.round.in_(rounds))
    bid_rows = db.session.execute(
        select(Bid.id, Bid.lot_id, Bid.round, Supplier.name, Bid.price).join(Supplier, Supplier.id == Bid.supplier_id)
        .where(*in_scope).order_by(Supplier.name)).all()
    # Prices stay sealed in what evaluation reads, too: a bid's price is loaded only once its round is opened.
    opened = {(row.lot_id, row.round): row for row in db.session.execute(
        select(PriceOpening.lot_id, PriceOpening.round, PriceOpening.frozen, PriceOpening.agreement)
        .where(PriceOpening.lot_id.in_(lot_ids)))}
    where_bid = {}
    for row in bid_rows:
        price = row.price if (row.lot_id, row.round) in opened else None
        data[(row.lot_id, row.round)].bids.append(BidRow(row.id, row.lot_id, row.round, row.name, price))
        where_bid[row.id] = (row.lot_id, row.round)
    # Core rows straight from the connection: thousands of scores skip the ORM's row processing.
    connection = db.session.connection()
    if scores:
        scores_of = {bid_id: data[key].scores for bid_id, key in where_bid.items()}
        for bid_id, person_id, name, criterion_id, value, pass_fail, rationale in connection.execute(
                select(Score.bid_id, Score.evaluator_id, User.name, Score.criterion_id, Score.value, Score.pass_fail,
                       Score.rationale).join(Bid, Bid.id == Score.bid_id).join(User, User.id == Score.evaluator_id)
                .where(*in_scope, Score.status == SUBMITTED)).all():
            scores_of[bid_id].append(ScoreRow(bid_id, person_id, name, criterion_id,
                                              (pass_fail == "pass") if pass_fail else value, rationale))
    moderated_of = {bid_id: data[key].moderated for bid_id, key in where_bid.items()}
    if rationales:
        for bid_id, person_id, name, criterion_id, value, pass_fail, rationale, version in connection.execute(
                select(ModeratedScore.bid_id, ModeratedScore.moderator_id, User.name, ModeratedScore.criterion_id,
                       ModeratedScore.value, ModeratedScore.pass_fail, ModeratedScore.rationale,
                       ModeratedScore.version)
                .join(Bid, Bid.id == ModeratedScore.bid_id).join(User, User.id == ModeratedScore.moderator_id)
                .where(*in_scope)).all():
            moderated_of[bid_id].append(ScoreRow(bid_id, person_id, name, criterion_id,
                                                 (pass_fail == "pass") if pass_fail else value, rationale, version))
    else:
        for bid_id, person_id, criterion_id, value, pass_fail, version in connection.execute(
                select(ModeratedScore.bid_id, ModeratedScore.moderator_id, ModeratedScore.criterion_id,
                       type_coerce(ModeratedScore.value, NullType()), ModeratedScore.pass_fail,
                       ModeratedScore.version)
                .join(Bid, Bid.id == ModeratedScore.bid_id).where(*in_scope)).all():
            moderated_of[bid_id].append(ScoreRow(bid_id, person_id, "", criterion_id,
                                                 (pass_fail == "pass") if pass_fail else _score(value), "", version))
    panels = defaultdict(list)
    for row in db.session.execute(
            select(EvaluatorAssignment.lot_id, EvaluatorAssignment.user_id, User.name, EvaluatorAssignment.role,
                   EvaluatorAssignment.sections, EvaluatorAssignment.withdrawn_at)
            .join(User, User.id == EvaluatorAssignment.user_id)
            .where(EvaluatorAssignment.lot_id.in_(lot_ids)).order_by(User.name)):
        sections = tuple(s for s in (row.sections or "").split(",") if s)
        panels[row.lot_id].append(PanelRow(row.lot_id, row.user_id, row.name, row.role, sections,
                                           row.withdrawn_at is None))
    for (lot_id, r), round_data in data.items():
        round_data.panel = panels.get(lot_id, [])
        round_data.prices_opened = (lot_id, r) in opened
        opening = opened.get((lot_id, r))
        round_data.scores_frozen = bool(opening and opening.frozen)
        round_data.frozen_agreement = opening.agreement if round_data.scores_frozen else None
    return data


_SCORES: dict = {}


def _score(raw) -> Decimal | None:
    """A stored score as its ``Numeric(10, 2)`` column reads it (SQLite's 3 -> Decimal("3.00")), remembered.

    A lot's thousands of moderated scores take a handful of values; converting
    each through the column type cost the ranking page about 1 ms.
    PostgreSQL's driver already gives a Decimal.
    """
    if raw is None or isinstance(raw, Decimal):
        return raw
    value = _SCORES.get(raw)
    if value is None:
        if len(_SCORES) >= 4096:
            _SCORES.clear()
        value = _SCORES[raw] = Decimal("%.2f" % raw)
    return value


def questions_for(model: EvaluationModel, sections: tuple[str, ...] | list[str]) -> tuple[Criterion, ...]:
    """The questions under ``sections`` (all questions if none), in the model's order."""
    if not sections:
        return model.questions()
    wanted = {q.id for s in sections if model.has_criterion(s) for q in model.criterion(s).questions()}
    return tuple(q for q in model.questions() if q.id in wanted)


def evaluators_of(model: EvaluationModel, panel: list[PanelRow], question_id: str) -> list[PanelRow]:
    """Active evaluators whose sections include the question."""
    return [p for p in panel if p.role == EVALUATOR and p.active
            and any(q.id == question_id for q in questions_for(model, p.sections))]


def completeness(model: EvaluationModel, data: RoundData) -> Completeness:
    """Final when every bid still in has a final score for every question.

    Under moderation that is a moderated score; under the mean method, every
    active evaluator covering the question has submitted (and pass/fail
    disagreements are moderated). A bid with a moderated fail on a pass/fail
    question is out, so its other answers need no more work.
    """
    if not data.bids:
        return Completeness(False, f"no {data.round} tenders are recorded")
    moderated = data.moderated_map
    submitted = defaultdict(dict)
    for s in data.scores:
        submitted[(s.bid_id, s.criterion_id)][s.person_id] = s.value
    covering = defaultdict(set)  # question -> active evaluators covering it (only the mean method asks)
    if model.final_score_method == METHOD_MEAN:
        for p in data.panel:
            if p.role == EVALUATOR and p.active:
                for q in questions_for(model, p.sections):
                    covering[q.id].add(p.user_id)
    pass_fail = [q.id for q in model.questions() if q.pass_fail]
    excluded, missing, total = {}, 0, 0
    for bid in data.bids:
        failed = [q for q in pass_fail if (m := moderated.get((bid.id, q))) is not None and m.value is False]
        if failed:
            excluded[bid.id] = f"failed pass/fail question {failed[0]} at moderation"
            continue
        for question in model.questions():
            total += 1
            if not _answer_final(model, question, moderated.get((bid.id, question.id)),
                                 submitted.get((bid.id, question.id), {}), covering[question.id]):
                missing += 1
    if missing:
        what = ("every assigned evaluator's submitted score" if model.final_score_method == METHOD_MEAN
                else "a moderated score")
        return Completeness(False, f"{missing} of {total} answers still need {what}", missing, total, excluded)
    return Completeness(True, "", 0, total, excluded)


def _answer_final(model, question, moderated, submitted: dict, covering: set) -> bool:
    if model.final_score_method != METHOD_MEAN:
        return moderated is not None
    if moderated is not None:
        return True
    if not covering or not covering <= set(submitted):
        return False
    return not question.pass_fail or len(set(submitted.values())) == 1
