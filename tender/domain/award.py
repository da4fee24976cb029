"""The award decision as a record: what was recommended, on which ranking, and its digest.

A recommendation is the frozen ranking of a lot written down once, in a form
that can be re-read years later without the code that produced it: the
criteria and weights, every bid's scores by criterion and totals, exclusions
with their reasons, abnormally low flags, whether a tie-break decided first
place, the recommended supplier (or no award and why) and the contract value.
Its SHA-256 over canonical JSON is what the approver approves, what the audit
trail holds, and what letters and notices quote.

Shape of ``decision_record`` (all money and marks as decimal strings)::

    {"procurement": ref, "lot": {"number": 1, "title": ...}, "round": "final",
     "model": {"name", "title", "version", "final_score_method",
               "criteria": [{"id", "title", "weight", "marks", "parent", "question", "pass_fail"}],
               "price": {"weight", "formula"} | null, "tie_break": [kind or kind:criterion]},
     "ranking": [{"rank", "supplier", "supplier_id", "bid_id", "price", "scores": {qid: score},
                  "rationales": {qid: text}, "question_marks": {qid: marks}, "parts": {cid: marks},
                  "quality", "social_value", "price_score", "total", "excluded", "reasons",
                  "abnormally_low", "notes"}],
     "tie_break_applied": bool, "recommended": {"supplier", "supplier_id", "bid_id"} | null,
     "no_award_reason": text | null, "annual_price": str | null, "total_years": int,
     "contract_value": str | null}
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from tender.domain.scoring.model import Criterion, EvaluationModel
from tender.domain.scoring.ranking import LotRanking

PENNY = Decimal("0.01")
MARKS = Decimal("0.0001")


class AwardDecisionError(ValueError):
    """A recommendation that cannot be recorded as asked (plain-English message)."""


@dataclass(frozen=True)
class BidFacts:
    """What the record needs to know of a bid beyond its ranking."""

    supplier_id: int
    bid_id: int
    price: Decimal | None
    scores: Mapping[str, "Decimal | bool | None"]
    rationales: Mapping[str, str]


def _dec(value, exp=MARKS) -> str | None:
    return None if value is None else str(Decimal(value).quantize(exp))


def _score(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "pass" if value else "fail"
    return str(value)


def _criteria(model: EvaluationModel) -> list[dict]:
    out = []

    def walk(criterion: Criterion, parent: str | None):
        out.append({"id": criterion.id, "title": criterion.title, "weight": _dec(criterion.weight, PENNY),
                    "marks": _dec(criterion.marks), "parent": parent, "question": criterion.is_question,
                    "pass_fail": criterion.pass_fail})
        for child in criterion.children:
            walk(child, criterion.id)

    for top in model.criteria:
        walk(top, None)
    return out


def _model(model: EvaluationModel | None) -> dict | None:
    if model is None:  # a lot with no tenders and no model chosen: no award, nothing was evaluated
        return None
    price = None if model.price is None else {"weight": _dec(model.price.weight, PENNY),
                                              "formula": model.price.formula}
    return {"name": model.name, "title": model.title, "version": str(model.version),
            "final_score_method": model.final_score_method, "criteria": _criteria(model), "price": price,
            "tie_break": [t.kind + (f":{t.criterion}" if t.criterion else "") for t in model.tie_break]}


def tie_break_applied(ranking: LotRanking) -> bool:
    """Whether first place was decided by the published tie-break, not by the total."""
    ranked = ranking.ranked
    return len(ranked) > 1 and ranked[0].total == ranked[1].total and ranked[0].rank != ranked[1].rank


def decision_record(*, procurement: str, lot_number: int, lot_title: str, round_: str, model: EvaluationModel | None,
                    ranking: LotRanking, bids: Mapping[str, BidFacts], total_years: int,
                    no_award_reason: str | None = None) -> dict:
    """The recorded decision for one lot: the first-ranked bid, or no award with a reason.

    Refuses (AwardDecisionError) a recommendation the ranking cannot support:
    no bid ranked, or a tie the published tie-break does not separate, unless
    the officer records no award with a reason.
    """
    reason = (no_award_reason or "").strip() or None
    winners = ranking.winners
    if reason is None and not winners:
        raise AwardDecisionError("No bid is ranked for this lot. Record no award, and give the reason.")
    if reason is None and len(winners) > 1:
        raise AwardDecisionError(f"{' and '.join(winners)} are tied and the published tie-break does not separate "
                                 "them. Record no award with the reason, or resolve the tie first.")
    rows = [_row(result, bids[result.bidder]) for result in ranking.results]
    recommended = None
    annual = value = None
    if reason is None:
        facts = bids[winners[0]]
        recommended = {"supplier": winners[0], "supplier_id": facts.supplier_id, "bid_id": facts.bid_id}
        if facts.price is not None:
            annual = facts.price
            value = facts.price * total_years
    return {"procurement": procurement, "lot": {"number": lot_number, "title": lot_title}, "round": round_,
            "model": _model(model), "ranking": rows, "tie_break_applied": tie_break_applied(ranking),
            "recommended": recommended, "no_award_reason": reason, "annual_price": _dec(annual, PENNY),
            "total_years": total_years, "contract_value": _dec(value, PENNY)}


def _row(result, facts: BidFacts) -> dict:
    return {"rank": result.rank, "supplier": result.bidder, "supplier_id": facts.supplier_id,
            "bid_id": facts.bid_id, "price": _dec(facts.price, PENNY),
            "scores": {q: _score(v) for q, v in sorted(facts.scores.items())},
            "rationales": dict(sorted(facts.rationales.items())),
            "question_marks": {q: _dec(v) for q, v in sorted(result.question_marks.items())},
            "parts": {c: _dec(v) for c, v in sorted(result.parts.items())},
            "quality": _dec(result.quality), "social_value": _dec(result.social_value),
            "price_score": _dec(result.price_score), "total": _dec(result.total),
            "excluded": result.excluded, "reasons": list(result.reasons),
            "abnormally_low": result.abnormally_low, "notes": list(result.notes)}


def canonical_json(record: Mapping) -> str:
    """The one text form of a record: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(record: Mapping) -> str:
    """SHA-256 of the record's canonical JSON, in hex."""
    return hashlib.sha256(canonical_json(record).encode()).hexdigest()


def approval_digest(lot_digests: Mapping[int, str]) -> str:
    """What an approval approves: the lots' recommendation digests, in lot order, hashed together."""
    text = "\n".join(f"lot {number}: {lot_digests[number]}" for number in sorted(lot_digests))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RankedBid:
    """One row of a recorded ranking, typed (the values as recorded: decimals as text, to keep them exact)."""

    rank: int | None
    supplier: str
    supplier_id: int
    bid_id: int
    price: str | None
    total: str | None
    excluded: bool
    abnormally_low: bool
    row: Mapping = field(repr=False, compare=False)

    @classmethod
    def from_record(cls, row: Mapping) -> "RankedBid":
        return cls(rank=row.get("rank"), supplier=row["supplier"], supplier_id=row["supplier_id"],
                   bid_id=row["bid_id"], price=row.get("price"), total=row.get("total"),
                   excluded=bool(row.get("excluded")), abnormally_low=bool(row.get("abnormally_low")), row=row)


@dataclass(frozen=True)
class AwardDecision:
    """A lot's recorded award decision, typed: what :func:`decision_record` builds and a recommendation stores.

    ``from_json``/``to_json`` round-trip the stored canonical JSON byte for
    byte, so the digest an approval binds to never changes by being read.
    ``record`` is the plain mapping, for templates and the letter rules.
    """

    procurement: str
    lot_number: int
    lot_title: str
    round: str
    ranking: tuple[RankedBid, ...]
    recommended_supplier_id: int | None
    recommended_supplier: str | None
    no_award_reason: str | None
    annual_price: str | None
    total_years: int
    contract_value: str | None
    record: Mapping = field(repr=False, compare=False)

    @classmethod
    def from_record(cls, record: Mapping) -> "AwardDecision":
        recommended = record.get("recommended") or {}
        return cls(procurement=record["procurement"], lot_number=record["lot"]["number"],
                   lot_title=record["lot"]["title"], round=record["round"],
                   ranking=tuple(RankedBid.from_record(r) for r in record["ranking"]),
                   recommended_supplier_id=recommended.get("supplier_id"),
                   recommended_supplier=recommended.get("supplier"), no_award_reason=record.get("no_award_reason"),
                   annual_price=record.get("annual_price"), total_years=record["total_years"],
                   contract_value=record.get("contract_value"), record=record)

    @classmethod
    def from_json(cls, text: str) -> "AwardDecision":
        return cls.from_record(json.loads(text))

    def to_json(self) -> str:
        return canonical_json(self.record)

    @property
    def digest(self) -> str:
        return digest(self.record)

    @property
    def recipients(self) -> tuple[tuple[int, str], ...]:
        """(supplier id, name) of every tenderer ranked, in ranking order: who gets a letter."""
        return tuple((bid.supplier_id, bid.supplier) for bid in self.ranking)
