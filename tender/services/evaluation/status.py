"""Whether each lot's evaluation is final, per round: the input of the evaluation guard.

A round's ranking is final when every bid still in has a final score for
every question: a moderated score under moderation, or every assigned
evaluator's submitted score under the mean method (see
``evaluation_data.completeness``, which the ranking page uses too).

Under moderation the answer comes from counts, not score rows: bids per
round, the few moderated fails on pass/fail questions (a bid failing one is
out), and the moderated answers to each lot's own questions of the bids
still in. At most three queries (the bid counts, which the guard context
passes in, and the fails, only if the models have pass/fail questions),
whatever the number of lots, bids, questions, evaluators or scores; a test
checks the counts give the same answer as ``completeness`` over the rows.
Lots under the mean method need each evaluator's scores, so they are read
and checked with ``completeness`` (five more queries, only when there are such lots).
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, event, false, func, or_, select
from sqlalchemy.orm import Session

from tender.domain.scoring.model import METHOD_MEAN
from tender.extensions import db
from tender.models import Bid, Lot, ModeratedScore
from tender.models.supplier import ROUNDS
from tender.services.evaluation.data import completeness, load_rounds
from tender.services.evaluation.panel import evaluation_models

NO_MODEL = "no evaluation model is chosen for it"
WHAT_MODERATED = "a moderated score"


_CACHE = "tender.evaluation_status"


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session, *_args) -> None:
    """Any write, commit or rollback makes a remembered status stale."""
    session.info.pop(_CACHE, None)


def for_procurement(procurement_id: int, lots: list[tuple[int, str | None]] | None = None,
                    bids: dict[tuple[int, str], int] | None = None) -> dict[tuple[int, str], tuple[bool, str]]:
    """Map (lot id, round) to (final?, why not) for every lot of the procurement.

    ``lots``, every (lot id, evaluation model name) of the procurement, and
    ``bids``, the number of bids per (lot id, round), save reading them again
    when the caller has them (the guard context does).
    Remembered in the session until it writes, commits or rolls back: the
    procurement page asks twice (the transitions' guards and the evaluation
    table), and the answer cannot change in between.
    """
    cache = db.session.info.setdefault(_CACHE, {})
    if procurement_id not in cache:
        cache[procurement_id] = _for_procurement(procurement_id, lots, bids)
    return dict(cache[procurement_id])


def _for_procurement(procurement_id: int, lots, bids) -> dict[tuple[int, str], tuple[bool, str]]:
    if lots is None:
        lots = db.session.execute(select(Lot.id, Lot.evaluation_model)
                                  .where(Lot.procurement_id == procurement_id)).all()
    models = evaluation_models()
    model_of = {lot_id: models.get(model_name or "") for lot_id, model_name in lots}
    status = {(lot_id, r): (False, NO_MODEL) for lot_id, model in model_of.items() if model is None for r in ROUNDS}
    mean_lots = [lot_id for lot_id, model in model_of.items() if model is not None
                 and model.final_score_method == METHOD_MEAN]
    if mean_lots:
        data = load_rounds(mean_lots, ROUNDS)
        for lot_id in mean_lots:
            for round_ in ROUNDS:
                result = completeness(model_of[lot_id], data[(lot_id, round_)])
                status[(lot_id, round_)] = (result.final, result.note)
    moderated_lots = {lot_id: model for lot_id, model in model_of.items()
                      if model is not None and model.final_score_method != METHOD_MEAN}
    status.update(_moderated_status(moderated_lots, bids))
    return status


def _moderated_status(models: dict, bids: dict[tuple[int, str], int] | None) -> dict[tuple[int, str], tuple[bool, str]]:
    """(final?, why not) for lots whose final scores are moderated, from counts."""
    if not models:
        return {}
    lot_ids = list(models)
    in_scope = (Bid.lot_id.in_(lot_ids), Bid.round.in_(ROUNDS))
    if bids is None:
        bids = {(lot_id, r): n for lot_id, r, n in db.session.execute(
            select(Bid.lot_id, Bid.round, func.count()).where(*in_scope).group_by(Bid.lot_id, Bid.round))}
    # Each lot's questions and pass/fail questions, grouped by model, as SQL conditions (``_asked``).
    questions_of: dict[frozenset[str], list[int]] = defaultdict(list)
    pass_fail_of: dict[frozenset[str], list[int]] = defaultdict(list)
    for lot_id, model in models.items():
        questions_of[frozenset(q.id for q in model.questions())].append(lot_id)
        pass_fail = frozenset(q.id for q in model.questions() if q.pass_fail)
        if pass_fail:
            pass_fail_of[pass_fail].append(lot_id)
    excluded: dict[tuple[int, str], set[int]] = defaultdict(set)
    if pass_fail_of:  # the index on (bid, question) finds the few pass/fail answers; no other row is read
        for lot_id, round_, bid_id in db.session.execute(
                select(Bid.lot_id, Bid.round, ModeratedScore.bid_id).join(Bid, Bid.id == ModeratedScore.bid_id)
                .where(*in_scope, _asked(pass_fail_of, len(models)), ModeratedScore.pass_fail == "fail").distinct()):
            excluded[(lot_id, round_)].add(bid_id)
    out = [bid_id for ids in excluded.values() for bid_id in ids]
    # Counted per question from the (bid, question) index alone, as the bare GROUP BY over the same
    # rows counts them (a question filter in SQL would seek each (bid, question) pair instead), then
    # each lot keeps its own model's questions.
    lot_questions = {lot_id: ids for ids, lots in questions_of.items() for lot_id in lots}
    moderated: dict[tuple[int, str], int] = defaultdict(int)
    for lot_id, round_, criterion_id, n in db.session.execute(
            select(Bid.lot_id, Bid.round, ModeratedScore.criterion_id, func.count()).select_from(ModeratedScore)
            .join(Bid, Bid.id == ModeratedScore.bid_id).where(*in_scope, ModeratedScore.bid_id.not_in(out))
            .group_by(Bid.lot_id, Bid.round, ModeratedScore.criterion_id)):
        if criterion_id in lot_questions[lot_id]:
            moderated[(lot_id, round_)] += n
    status = {}
    for lot_id, model in models.items():
        questions = model.questions()
        for round_ in ROUNDS:
            key = (lot_id, round_)
            if not bids.get(key):
                status[key] = (False, f"no {round_} tenders are recorded")
                continue
            total = (bids[key] - len(excluded.get(key, ()))) * len(questions)
            done = moderated.get(key, 0)
            missing = total - done
            status[key] = (True, "") if not missing else (
                False, f"{missing} of {total} answers still need {WHAT_MODERATED}")
    return status


def _asked(criteria_of: dict[frozenset[str], list[int]], lots: int):
    """A moderated score is on one of ``criteria_of``'s criteria for its bid's lot (SQL condition)."""
    if not criteria_of:
        return false()
    if len(criteria_of) == 1 and len(next(iter(criteria_of.values()))) == lots:  # every lot on one model
        return ModeratedScore.criterion_id.in_(sorted(next(iter(criteria_of))))
    return or_(*(and_(Bid.lot_id.in_(lot_ids), ModeratedScore.criterion_id.in_(sorted(ids)))
                 for ids, lot_ids in criteria_of.items()))
