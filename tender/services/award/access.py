"""Who may see what of which lot at the award stage: conflicts of interest close the award's doors too.

The evaluation pages already refuse a lot to whoever declared a conflict on it
(``tender.services.evaluation.panel.refuse_if_conflicted``). The award
pages, the letters and the procurement report show the same lot's prices,
scores and rationales again, so they read the same declarations here:

1. Whoever declared a conflict of interest on a lot (as evaluator, moderator
   or approver) sees none of that lot: its recommendation, ranking, scores,
   prices, letters or its part of the report (PCR 2015 reg. 24; Procurement
   Act 2023 ss.81-83).
2. An approver declares before seeing the decision: until they have declared
   no conflict on a lot, they see only the lot and the names of the suppliers
   that bid for it (what they need to declare), none of its ranking, scores
   or prices.
3. Everyone else who may view rankings sees every lot. The ``tender report``
   command acts as the system, not as a person, and is not limited.

Every check reads the person's declarations for the whole procurement in one
query, with its lots.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, select

from tender.domain.roles import Role
from tender.extensions import db
from tender.models import AwardLetter, ConflictDeclaration, Lot, Procurement
from tender.services.errors import NotAuthorised
from tender.services.use_case import get_owned


def _numbers(numbers: Iterable[int]) -> str:
    """1 -> "lot 1"; (1, 3) -> "lots 1 and 3"; (1, 2, 3) -> "lots 1, 2 and 3"."""
    numbers = [str(n) for n in sorted(numbers)]
    if len(numbers) == 1:
        return f"lot {numbers[0]}"
    return f"lots {', '.join(numbers[:-1])} and {numbers[-1]}"


@dataclass(frozen=True)
class LotAccess:
    """What one person may see of each lot of one procurement, and why a lot is hidden."""

    lots: tuple[Lot, ...]
    declarations: dict[int, ConflictDeclaration]  # lot id -> this person's declaration
    must_declare_first: bool  # an approver: a lot stays hidden until they declare no conflict on it

    @property
    def conflicted(self) -> list[Lot]:
        """The lots this person declared a conflict of interest on."""
        return [lot for lot in self.lots if (d := self.declarations.get(lot.id)) is not None and d.has_conflict]

    @property
    def undeclared(self) -> list[Lot]:
        """The lots an approver has not declared on yet (none for anyone else)."""
        if not self.must_declare_first:
            return []
        return [lot for lot in self.lots if lot.id not in self.declarations]

    @property
    def hidden_ids(self) -> frozenset[int]:
        """The ids of the lots this person sees none of."""
        return frozenset(lot.id for lot in self.conflicted + self.undeclared)

    @property
    def visible_ids(self) -> frozenset[int]:
        """The ids of the lots this person may see whole."""
        return frozenset(lot.id for lot in self.lots) - self.hidden_ids

    def visible(self, lot_id: int) -> bool:
        """True if this person may see the lot's decision, ranking, prices, scores and letters."""
        return lot_id not in self.hidden_ids

    def refusal(self, lot_id: int) -> str | None:
        """Why this person may not see the lot, as a sentence for them (None if they may)."""
        lot = next((lot for lot in self.lots if lot.id == lot_id), None)
        if lot is None or lot_id not in self.hidden_ids:
            return None
        if lot in self.conflicted:
            return (f"You declared a conflict of interest on lot {lot.number}, so you cannot see its award "
                    "decision, prices, scores or letters.")
        return (f"Declare whether you have a conflict of interest on lot {lot.number} on the award decision page "
                "before you see its ranking, prices, scores or letters.")

    @property
    def notes(self) -> list[str]:
        """One sentence per reason some lots are left out, for the top of a page or a report."""
        out = []
        if self.conflicted:
            numbers = [lot.number for lot in self.conflicted]
            out.append(f"You declared a conflict of interest on {_numbers(numbers)}, so "
                       f"{'it is' if len(numbers) == 1 else 'they are'} not shown.")
        if self.undeclared:
            numbers = [lot.number for lot in self.undeclared]
            out.append(f"{_numbers(numbers).capitalize()} {'is' if len(numbers) == 1 else 'are'} not shown until "
                       "you have declared whether you have a conflict of interest on "
                       f"{'it' if len(numbers) == 1 else 'them'}.")
        return out

    def number_of(self, lot_id: int) -> int | None:
        """The lot's number (None for a lot of another procurement)."""
        return next((lot.number for lot in self.lots if lot.id == lot_id), None)


def lot_access(user, procurement: Procurement | int) -> LotAccess:
    """The person's view of the procurement's lots: its lots and their declarations, in one query."""
    procurement_id = procurement if isinstance(procurement, int) else procurement.id
    rows = db.session.execute(
        select(Lot, ConflictDeclaration)
        .outerjoin(ConflictDeclaration, and_(ConflictDeclaration.lot_id == Lot.id,
                                             ConflictDeclaration.user_id == user.id))
        .where(Lot.procurement_id == procurement_id).order_by(Lot.number)).all()
    return LotAccess(lots=tuple(lot for lot, _ in rows),
                     declarations={lot.id: d for lot, d in rows if d is not None},
                     must_declare_first=getattr(user, "role", None) == Role.APPROVER.value)


def visible_lot_ids(user, procurement: Procurement | int) -> frozenset[int]:
    """The ids of the procurement's lots this person may see whole at the award stage."""
    return lot_access(user, procurement).visible_ids


def require_lot_visible(user, procurement: Procurement | int, lot_id: int) -> None:
    """Refuse (403, saying why and what to do) a lot this person may not see at the award stage."""
    refusal = lot_access(user, procurement).refusal(lot_id)
    if refusal is not None:
        raise NotAuthorised(refusal)


def require_letter_visible(user, procurement_id: int, letter_id: int) -> None:
    """Refuse (403) a letter about a lot this person may not see; a letter of another procurement is not found."""
    letter = get_owned(AwardLetter, letter_id, procurement_id, "letter")
    require_lot_visible(user, procurement_id, letter.lot_id)


__all__ = ["LotAccess", "lot_access", "require_letter_visible", "require_lot_visible", "visible_lot_ids"]
