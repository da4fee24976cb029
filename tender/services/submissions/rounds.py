"""Which rounds take responses, their deadlines by the server's clock, and a supplier's own submissions.

A round is ``sq`` (selection questionnaire or conditions of participation: the
whole procurement, lot 0, answered against the selection questionnaire model)
or a round of tenders named by the procedure (``initial``, ``final``...), per
lot, answered against the lot's evaluation model. Its deadline is the end of
the deadline milestone's planned day, UK time (as the officer's own
recording of tenders has always counted it), and "now" is the server's
(``tender.services.clock``): a supplier's computer has no say.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from tender.domain import bounds, setup_rules
from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission
from tender.domain.scoring.model import Criterion, EvaluationModel
from tender.extensions import db
from tender.models import Lot, Milestone, Procurement, SQResponse, Submission, TenderBox
from tender.models.submission import SQ_ROUND
from tender.models.supplier import SHORTLISTED
from tender.services import clock, suppliers
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tender.services.evaluation.panel import evaluation_models
from tender.services.procurement.definitions import definition_of
from tender.services.use_case import get_procurement

#: The evaluation model a selection questionnaire is answered against (``TENDER_SQ_MODEL`` overrides it).
SQ_MODEL = "selection_questionnaire"


class DeadlinePassed(InvalidRequest):
    """Submitting or changing a submission after the round's deadline (by the server's clock)."""


@dataclass(frozen=True)
class Round:
    """A round that takes responses: its name, label, the stages it is open in and its deadline milestone."""

    name: str
    label: str
    window: setup_rules.Window

    @property
    def per_lot(self) -> bool:
        return self.name != SQ_ROUND


def rounds_of(procurement: Procurement) -> dict[str, Round]:
    """The rounds this procurement's procedure takes responses in, in order."""
    definition = definition_of(procurement)
    found: dict[str, Round] = {}
    sq = setup_rules.sq_window(definition)
    if sq is not None:
        found[SQ_ROUND] = Round(SQ_ROUND, "Selection questionnaire", sq)
    for name, window in setup_rules.tender_rounds(definition).items():
        found[name] = Round(name, f"{name.capitalize()} tenders", window)
    return found


def get_round(procurement: Procurement, name: str) -> Round:
    """The named round of this procurement, or NotFound (a round from a URL)."""
    found = rounds_of(procurement).get(name) if isinstance(name, str) else None
    if found is None:
        raise NotFound("This procurement takes no responses in that round.")
    return found


def deadline_milestone(procurement: Procurement, round_: Round) -> Milestone | None:
    """The milestone whose planned day ends the round (None if the procedure names none)."""
    if round_.window.deadline is None:
        return None
    return db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement.id,
                                                     Milestone.key == round_.window.deadline))


def deadline_moment(day: date) -> datetime:
    """The end of ``day``, UK time, as a UTC moment: a response at that instant or later is late."""
    return clock.start_of_uk_day(day + timedelta(days=1))


def deadline_of(procurement: Procurement, round_: Round) -> datetime | None:
    """When the round closes, or None if its deadline is not planned yet."""
    milestone = deadline_milestone(procurement, round_)
    if milestone is None or milestone.planned_date is None:
        return None
    return deadline_moment(milestone.planned_date)


def aware(moment: datetime | None) -> datetime | None:
    """A stored moment as UTC-aware (SQLite returns naive UTC)."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def describe_deadline(moment: datetime) -> str:
    """``"11:59pm on 11 July 2022"`` for pages and messages (the last UK moment before ``moment``)."""
    last_day = clock.uk_date(moment - timedelta(seconds=1))
    return f"11:59pm on {format_uk_date(last_day)}"


def importing(procurement: Procurement, import_mode: bool) -> bool:
    """Whether a submission is being imported into a procurement still in draft (the demo loader, never a page).

    Like the officer's ``import_mode`` (``tender.services.procurement.responses``): tenders that were
    submitted before the procurement was entered in Tender come in while it is a draft, without the stage
    and shortlist checks; the deadline still applies, by the clock (``clock.moment`` for a past one).
    """
    return import_mode and procurement.state == definition_of(procurement).initial


def refuse_if_closed(procurement: Procurement, round_: Round, box: TenderBox | None, *,
                     import_mode: bool = False) -> datetime:
    """The deadline, if the round is still open by the server's clock; else DeadlinePassed (or a refusal)."""
    deadline = deadline_of(procurement, round_)
    if deadline is None:
        raise InvalidRequest("The deadline for this round is not set yet, so nothing can be submitted.")
    if procurement.state not in round_.window.stages and not importing(procurement, import_mode):
        raise InvalidRequest(f"{round_.label} are not being taken at this stage of the procurement.")
    if box is not None and (box.opened_at is not None or register_stands(box, deadline)):
        raise DeadlinePassed(f"The deadline ({describe_deadline(deadline)}) has passed and the tender box is closed. "
                             "Nothing can be submitted or changed.")
    if clock.now() >= deadline:
        raise DeadlinePassed(f"The deadline was {describe_deadline(deadline)}, by Tender's clock. A late response "
                             "cannot be accepted, and nothing can be submitted or changed.")
    return deadline


def register_stands(box: TenderBox | None, deadline: datetime | None) -> bool:
    """Whether the box's published register is for the round's current deadline.

    A deadline extended after the register was published (here, or by a clarification's accepted
    extension) leaves the old register in the audit trail and reopens the round; a new register is
    published at the new deadline.
    """
    return (box is not None and box.register_published_at is not None and deadline is not None
            and aware(box.register_deadline) >= deadline)


def model_for_lot(lot: Lot | None) -> EvaluationModel:
    """The evaluation model a submission answers: the lot's, or the selection questionnaire's (no lot)."""
    name = (current_app.config.get("TENDER_SQ_MODEL") or SQ_MODEL) if lot is None else lot.evaluation_model
    if not name:
        raise InvalidRequest(f"Lot {lot.number} has no evaluation model yet, so there are no questions to answer.")
    model = evaluation_models().get(name)
    if model is None:
        raise InvalidRequest(f"The evaluation model '{name}' is not in scoring_rules/. Ask the procurement officer.")
    return model


def questions(model: EvaluationModel) -> tuple[Criterion, ...]:
    """Every question of the model, in file order."""
    return tuple(q for top in model.criteria for q in top.questions())


def acting_supplier(user):
    """The supplier organisation the user acts for, if the user may submit; else NotAuthorised."""
    authorise(user, Permission.SUBMIT_TENDERS)
    supplier = suppliers.supplier_of(user)
    if supplier is None:
        raise NotAuthorised("Only a supplier's own users can submit its responses.")
    return supplier


def check_eligible(procurement: Procurement, round_: Round, supplier, *, import_mode: bool = False) -> None:
    """Refuse (404, so nothing leaks) a supplier not invited; refuse a tender from a candidate not shortlisted."""
    if not suppliers.is_invited(procurement.id, supplier.id):
        raise NotFound("There is no procurement with that number.")
    if not round_.per_lot or importing(procurement, import_mode):
        return
    if setup_rules.has_shortlist(definition_of(procurement)) and not db.session.scalar(
            select(SQResponse.id).where(SQResponse.procurement_id == procurement.id,
                                        SQResponse.supplier_id == supplier.id, SQResponse.decision == SHORTLISTED)):
        raise InvalidRequest("Your organisation is not shortlisted for this procurement, so it cannot tender.")


def lot_of(procurement: Procurement, round_: Round, lot_number) -> Lot | None:
    """The lot a submission is for (None for a selection questionnaire), or NotFound."""
    if not round_.per_lot:
        if lot_number not in (0, None):
            raise NotFound("A selection questionnaire is answered once for the whole procurement.")
        return None
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == procurement.id, Lot.number == lot_number)) \
        if isinstance(lot_number, int) and 1 <= lot_number <= bounds.MAX_LOT_NUMBER else None
    if lot is None:
        raise NotFound("There is no such lot in this procurement.")
    return lot


def own_submission(user, submission_id: int) -> tuple[Submission, object]:
    """The user's organisation's own submission and the organisation; anything else is a 404."""
    supplier = acting_supplier(user)
    row = db.session.get(Submission, submission_id) \
        if isinstance(submission_id, int) and bounds.id_in_range(submission_id) else None
    if row is None or row.supplier_id != supplier.id:
        raise NotFound("There is no such submission.")
    return row, supplier


def ensure_box(procurement_id: int, round_name: str) -> None:
    """Create the round's tender box row if it is not there (both databases: INSERT ... ON CONFLICT DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(TenderBox).values(procurement_id=procurement_id, round=round_name, activity=0,
                                                version=1)
                       .on_conflict_do_nothing(index_elements=["procurement_id", "round"]))


def lock_box(procurement_id: int, round_name: str) -> TenderBox:
    """Touch the round's box row before reading anything, and return it fresh.

    Every submission, withdrawal, publication and opening does this first: on
    PostgreSQL the UPDATE holds the row lock until commit, and on SQLite it
    takes the one write lock, so they happen one after another and each reads
    what the one before it committed.
    """
    ensure_box(procurement_id, round_name)
    db.session.execute(update(TenderBox).where(TenderBox.procurement_id == procurement_id,
                                               TenderBox.round == round_name)
                       .values(activity=TenderBox.activity + 1).execution_options(synchronize_session=False))
    box = db.session.scalar(select(TenderBox).where(TenderBox.procurement_id == procurement_id,
                                                    TenderBox.round == round_name)
                            .execution_options(populate_existing=True))
    return box


def box_of(procurement_id: int, round_name: str) -> TenderBox | None:
    """The round's tender box, if anything has happened in it yet (read only)."""
    return db.session.scalar(select(TenderBox).where(TenderBox.procurement_id == procurement_id,
                                                     TenderBox.round == round_name))


def load_procurement_for_supplier(user, procurement_id: int):
    """(procurement, supplier) for a supplier invited to it; a 404 for anyone else's."""
    supplier = acting_supplier(user)
    procurement = get_procurement(procurement_id)
    if not suppliers.is_invited(procurement.id, supplier.id):
        raise NotFound("There is no procurement with that number.")
    return procurement, supplier
