"""Sealed prices: a commitment at receipt, checked when the envelope is opened.

When a tender arrives its price is committed, not recorded: the receipt's
audit event carries ``SHA-256(salt ":" price)`` and nothing that reveals the
price. Opening the envelope publishes the price and the salt in the opening
event, so anyone holding the trail can recompute the commitment and prove the
price opened is the price received (a hash commitment: hiding, because the
128-bit random salt makes guessing the price useless; binding, because
SHA-256 is collision resistant).
"""
from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation

PENNY = Decimal("0.01")


def canonical(price: Decimal) -> str:
    """The one text form of a price that is hashed: pounds and pence, e.g. ``1395000.00``."""
    return str(Decimal(price).quantize(PENNY))


def commitment(price: Decimal, salt: str) -> str:
    """The hex SHA-256 commitment to ``price`` under ``salt``."""
    return hashlib.sha256(f"{salt}:{canonical(price)}".encode()).hexdigest()


def matches(price: str | Decimal, salt: str, committed: str) -> bool:
    """Whether a revealed price and salt open ``committed``; a malformed price never matches."""
    try:
        return commitment(Decimal(price), salt) == committed
    except (InvalidOperation, TypeError, ValueError):
        return False


def check_trail(events) -> list[tuple[int, str]]:
    """Check every opened price in an audit trail against the commitment made at its receipt.

    ``events`` yields ``(seq, action, object_id, after)`` in chain order. Returns
    ``(seq, problem)`` pairs: an opened price or salt that does not open the
    receipt's commitment, or an opening that quotes a different commitment.
    Bids received before prices were sealed (no commitment) are skipped:
    nothing was committed for them.
    """
    committed: dict[str, str] = {}
    problems = []
    for seq, action, object_id, after in events:
        if action == "bid.received" and isinstance(after, dict) and after.get("price_commitment"):
            committed[str(object_id)] = after["price_commitment"]
        elif action == "evaluation.prices_opened" and isinstance(after, dict):
            for bidder, entry in sorted((after.get("prices") or {}).items()):
                if not isinstance(entry, dict):
                    continue
                receipt = committed.get(str(entry.get("bid_id")))
                if receipt is None:
                    continue
                if entry.get("commitment") not in (None, receipt):
                    problems.append((seq, f"{bidder}: the opening quotes a commitment that differs from the receipt"))
                elif not matches(entry.get("price"), entry.get("salt") or "", receipt):
                    problems.append((seq, f"{bidder}: the opened price does not match the commitment made "
                                          "when the tender was received"))
    return problems
