"""Whether each lot's evaluation is final, per round: the input of the evaluation guard.

A ranking is final only when every bid in the round has a moderated score for
every criterion. Until the evaluation module records moderated scores, no lot
is final, and the guard says so honestly rather than passing.
"""
from __future__ import annotations

from sqlalchemy import select

from tender.extensions import db
from tender.models import Lot

NOT_STARTED = "no moderated scores are recorded yet"


def for_procurement(procurement_id: int) -> dict[tuple[int, str], tuple[bool, str]]:
    """Map (lot id, round) to (final?, why not) for every lot of the procurement."""
    lot_ids = db.session.scalars(select(Lot.id).where(Lot.procurement_id == procurement_id)).all()
    return {(lot_id, rnd): (False, NOT_STARTED) for lot_id in lot_ids for rnd in ("initial", "final")}
