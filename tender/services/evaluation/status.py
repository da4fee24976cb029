"""Whether each lot's evaluation is final, per round: the input of the evaluation guard.

A round's ranking is final when every bid still in has a final score for
every question: a moderated score under moderation, or every assigned
evaluator's submitted score under the mean method (see
``evaluation_data.completeness``, which the ranking page uses too). Six
queries, whatever the number of lots and bids.
"""
from __future__ import annotations

from sqlalchemy import select

from tender.extensions import db
from tender.models import Lot
from tender.models.supplier import ROUNDS
from tender.services.evaluation.panel import evaluation_models
from tender.services.evaluation.data import completeness, load_rounds

NO_MODEL = "no evaluation model is chosen for it"


def for_procurement(procurement_id: int) -> dict[tuple[int, str], tuple[bool, str]]:
    """Map (lot id, round) to (final?, why not) for every lot of the procurement."""
    lots = db.session.execute(select(Lot.id, Lot.evaluation_model).where(Lot.procurement_id == procurement_id)).all()
    data = load_rounds([lot.id for lot in lots], ROUNDS)
    models = evaluation_models()
    status = {}
    for lot in lots:
        model = models.get(lot.evaluation_model or "")
        for round_ in ROUNDS:
            if model is None:
                status[(lot.id, round_)] = (False, NO_MODEL)
                continue
            result = completeness(model, data[(lot.id, round_)])
            status[(lot.id, round_)] = (result.final, result.note)
    return status
