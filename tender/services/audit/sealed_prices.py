"""Checking sealed prices: every opened price against the commitment made when its tender arrived.

Two checks, both part of ``tender audit verify``:
- in the trail: each price and salt revealed by a ``evaluation.prices_opened``
  event must open the commitment in that bid's ``bid.received`` event;
- in the database: each bid's stored price must still open its commitment
  (a price edited behind the application's back after receipt is caught,
  opened or not).
"""
from __future__ import annotations

import json

from sqlalchemy import select

from tender.domain import sealed_price
from tender.extensions import db
from tender.models import AuditEvent, Bid
from tender.services.audit.report import Problem, TrailReport

ACTIONS = ("bid.received", "evaluation.prices_opened")


def _events():
    rows = db.session.execute(select(AuditEvent.seq, AuditEvent.action, AuditEvent.object_id, AuditEvent.after)
                              .where(AuditEvent.action.in_(ACTIONS)).order_by(AuditEvent.seq)
                              .execution_options(yield_per=2000))
    for seq, action, object_id, after in rows:
        try:
            yield seq, action, object_id, json.loads(after) if after else None
        except ValueError:
            yield seq, action, object_id, None


def check() -> list[tuple[int | None, str]]:
    """(event seq or None, problem) pairs, naming the event or the bid; empty when every price holds."""
    problems = list(sealed_price.check_trail(_events()))
    for bid_id, price, salt, committed in db.session.execute(
            select(Bid.id, Bid.price, Bid.price_salt, Bid.price_commitment)
            .where(Bid.price_commitment.is_not(None)).order_by(Bid.id)):
        if price is None or not sealed_price.matches(price, salt or "", committed):
            problems.append((None, f"bid {bid_id}: the stored price no longer matches the commitment made at "
                                   "receipt"))
    return problems


def as_problems(report: TrailReport) -> list[Problem]:
    """The check as ``tender audit verify`` runs it (registered in ``tender.services.audit.verify``)."""
    return [Problem("opened prices", seq, text) for seq, text in check()]
