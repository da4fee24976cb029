"""Who may read a lot's bids (answers and documents): the one rule, for every page and download that shows them.

1. Whoever declared a conflict of interest on the lot reads none of its bids,
   in any role (PCR 2015 reg. 24; Procurement Act 2023 ss.81-83): 403 on
   every answer and document of the lot. The declarations are read the way
   the award pages read them (``tender.services.award.access``), so an
   approver who has not declared on the lot is refused too.
2. A panel member (evaluator or moderator) reads them only once assigned to
   the lot, still on its panel, and having declared no conflict
   (``panel.require_panel_access``): what "You can now see the bids" promises.
3. Everyone else at the authority who may view procurements reads them (the
   tender box must still have been opened: ``submissions.reading``).
"""
from __future__ import annotations

from tender.domain.roles import Permission
from tender.models import Lot
from tender.models.evaluation import EVALUATOR, MODERATOR
from tender.services.accounts import authorise
from tender.services.award.access import lot_access
from tender.services.errors import NotAuthorised
from tender.services.evaluation.panel import CONFLICTED, PANEL_ROLE_OF, require_panel_access


def panel_role(user) -> str | None:
    """``evaluator`` or ``moderator`` for a panel member's account, else None."""
    return PANEL_ROLE_OF.get(getattr(user, "role", None))


def require_lot_readable(user, lot: Lot) -> None:
    """Refuse (403, saying why) a person who may not read this lot's bids; see the module's rules."""
    access = lot_access(user, lot.procurement_id)
    if lot.id in {conflicted.id for conflicted in access.conflicted}:
        raise NotAuthorised(CONFLICTED)
    role = panel_role(user)
    if role in (EVALUATOR, MODERATOR):
        require_panel_access(lot, user, role)
        return
    authorise(user, Permission.VIEW_PROCUREMENTS)
    refusal = access.refusal(lot.id)
    if refusal is not None:
        raise NotAuthorised(refusal)


__all__ = ["panel_role", "require_lot_readable"]
