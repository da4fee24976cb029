"""A supplier's next tasks (issue 19: every role's dashboard lists that person's next tasks).

Read-only, and only the supplier's own organisation's things. For each
procurement it is invited to, each round open for responses now (by the
server's clock, the same check a submission meets: ``rounds.refuse_if_closed``)
asks for one of two things before its deadline: a draft saved but not
submitted (or withdrawn) is to be submitted, and a round with nothing from
the organisation yet is to be responded to. A round that is closed, or a
tender round the organisation is not shortlisted for, asks nothing.
"""
from __future__ import annotations

from sqlalchemy import select

from tender.extensions import db
from tender.models import Invitation, Procurement, Submission
from tender.models.submission import DRAFT
from tender.services import suppliers
from tender.services.errors import ServiceError
from tender.services.submissions import rounds
from tender.services.tasks import Task


def _open_rounds(procurement: Procurement, supplier) -> list[tuple[rounds.Round, str]]:
    """(round, its deadline as people read it) for each round the supplier can respond to now."""
    found = []
    for round_ in rounds.rounds_of(procurement).values():
        try:
            deadline = rounds.refuse_if_closed(procurement, round_, rounds.box_of(procurement.id, round_.name))
            rounds.check_eligible(procurement, round_, supplier)
        except ServiceError:
            continue  # not open, or not for this organisation: nothing to do in it
        found.append((round_, rounds.describe_deadline(deadline)))
    return found


def for_supplier(user) -> list[Task]:
    """The supplier user's tasks: drafts to submit, then rounds to respond to, each before its deadline."""
    supplier = suppliers.supplier_of(user)
    if supplier is None:
        return []
    drafts, to_respond = [], []
    for procurement in db.session.scalars(
            select(Procurement).join(Invitation, Invitation.procurement_id == Procurement.id)
            .where(Invitation.supplier_id == supplier.id).order_by(Procurement.reference)):
        ref = procurement.reference
        for round_, deadline in _open_rounds(procurement, supplier):
            mine = db.session.scalars(select(Submission).where(
                Submission.procurement_id == procurement.id, Submission.supplier_id == supplier.id,
                Submission.round == round_.name).order_by(Submission.lot_number)).all()
            for submission in mine:
                if submission.status == DRAFT:
                    what = f"lot {submission.lot_number}" if round_.per_lot else "the selection questionnaire"
                    drafts.append(Task(ref, f"Submit your draft for {ref} {what} ({round_.label.lower()}) "
                                       f"before {deadline}", "submissions_supplier.submission",
                                       (("submission_id", submission.id),)))
            if not mine:
                to_respond.append(Task(ref, f"Respond to {ref}: {procurement.title} ({round_.label.lower()}) "
                                       f"before {deadline}", "submissions_supplier.index",
                                       (("procurement_id", procurement.id),)))
    return drafts + to_respond
