"""The evaluation panel: who evaluates or moderates a lot, their conflict declarations, and access.

Access is decided here, on the server, for every read and write of scores:
a panel member sees a lot's bids only once assigned to it *and* having declared
no conflict of interest (PCR 2015 reg. 24; Procurement Act 2023 s.81). A
declared conflict withdraws the person from the lot; the row stays as the
record, and the officer sees it on the lot's evaluation page. Scoring and
moderation live in ``evaluation_scoring``, ranking in ``evaluation_ranking``.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tender.domain.roles import Permission, Role
from tender.domain.scoring import EvaluationModel, load_models
from tender.extensions import db
from tender.models import (Bid, ConflictDeclaration, EvaluatorAssignment, Lot, ModeratedScore, Procurement, Score,
                           User)
from tender.models.evaluation import EVALUATOR, MODERATOR, SUBMITTED
from tender.models.supplier import ROUNDS
from tender.resources import data_dir
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import ConcurrentChange, InvalidRequest, NotAuthorised, NotFound
from tender.services import clock
from tender.services.use_case import use_case

NOT_ON_PANEL = "You are not on the evaluation panel for this lot, so you cannot see or score its bids."
DECLARE_FIRST = "Declare whether you have a conflict of interest for this lot before you see its bids."
CONFLICTED = "You declared a conflict of interest for this lot, so you no longer have access to its bids."
PANEL_ROLE_OF = {Role.EVALUATOR.value: EVALUATOR, Role.MODERATOR.value: MODERATOR}


def now() -> datetime:
    """The moment recorded on scores, declarations and openings (UTC): the one clock's."""
    return clock.now()


@lru_cache(maxsize=4)
def _models_in(directory: str) -> dict[str, EvaluationModel]:
    return load_models(Path(directory))


def evaluation_models() -> dict[str, EvaluationModel]:
    """Every evaluation model, by file name; ``TENDER_SCORING_RULES_DIR`` overrides the shipped folder."""
    directory = current_app.config.get("TENDER_SCORING_RULES_DIR") or data_dir("scoring_rules")
    return _models_in(str(directory))


def model_for(lot: Lot) -> EvaluationModel:
    """The lot's evaluation model, or a plain refusal if none is chosen or the file is gone."""
    if not lot.evaluation_model:
        raise InvalidRequest(f"Lot {lot.number} has no evaluation model yet, so its bids cannot be scored.")
    try:
        return evaluation_models()[lot.evaluation_model]
    except KeyError:
        raise InvalidRequest(f"Lot {lot.number} uses the evaluation model '{lot.evaluation_model}', "
                             "which is not in scoring_rules/. Ask an administrator to restore it.") from None


def get_lot(procurement_id: int, lot_number: int) -> Lot:
    """The lot with its procurement (every evaluation page shows both: one query), or NotFound."""
    lot = db.session.scalar(select(Lot).options(joinedload(Lot.procurement))
                            .where(Lot.procurement_id == procurement_id, Lot.number == lot_number))
    if lot is None:
        raise NotFound("There is no such lot in this procurement.")
    return lot


def check_round(round_: str) -> str:
    """A round name from a URL, or NotFound."""
    if round_ not in ROUNDS:
        raise NotFound("There is no such tender round.")
    return round_


def current_round(lot: Lot) -> str:
    """The latest round with bids for this lot ("initial" if none yet): the one being evaluated."""
    rounds = set(db.session.scalars(select(Bid.round).where(Bid.lot_id == lot.id).distinct()))
    return next((r for r in reversed(ROUNDS) if r in rounds), ROUNDS[0])


def get_bid(lot: Lot, round_: str, bid_id: int) -> Bid:
    """A bid of this lot and round, or NotFound."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or bid.lot_id != lot.id or bid.round != round_:
        raise NotFound("There is no such bid for this lot and round.")
    return bid


def assignment_of(lot: Lot, user) -> EvaluatorAssignment | None:
    """The user's place on the lot's panel (active or withdrawn), if any."""
    return db.session.scalar(select(EvaluatorAssignment).where(
        EvaluatorAssignment.lot_id == lot.id, EvaluatorAssignment.user_id == user.id))


def declaration_of(lot: Lot, user) -> ConflictDeclaration | None:
    """The user's conflict declaration for the lot, if made."""
    return db.session.scalar(select(ConflictDeclaration).where(
        ConflictDeclaration.lot_id == lot.id, ConflictDeclaration.user_id == user.id))


def conflicted_lot_ids(user, procurement_id: int | None = None) -> set[int]:
    """The lots this person declared a conflict of interest on (of one procurement, or all)."""
    query = select(ConflictDeclaration.lot_id).where(ConflictDeclaration.user_id == user.id,
                                                     ConflictDeclaration.has_conflict.is_(True))
    if procurement_id is not None:
        query = query.join(Lot, Lot.id == ConflictDeclaration.lot_id).where(Lot.procurement_id == procurement_id)
    return set(db.session.scalars(query))


def refuse_if_conflicted(lot: Lot, user) -> None:
    """Whoever declared a conflict on a lot sees none of its bids, scores, prices or ranking, in any role."""
    if lot.id in conflicted_lot_ids(user, lot.procurement_id):
        raise NotAuthorised(CONFLICTED)


def require_panel_access(lot: Lot, user, role: str) -> EvaluatorAssignment:
    """The active assignment of a panel member cleared to see bids, or NotAuthorised saying why."""
    authorise(user, Permission.SCORE if role == EVALUATOR else Permission.MODERATE)
    assignment = assignment_of(lot, user)
    if assignment is None or assignment.role != role:
        raise NotAuthorised(NOT_ON_PANEL)
    if not assignment.active:
        raise NotAuthorised(CONFLICTED)
    declaration = declaration_of(lot, user)
    if declaration is None:
        raise NotAuthorised(DECLARE_FIRST)
    if declaration.has_conflict:
        raise NotAuthorised(CONFLICTED)
    return assignment


def panel(lot: Lot) -> list[tuple[EvaluatorAssignment, ConflictDeclaration | None]]:
    """Everyone assigned to the lot, with their declaration, evaluators first (two queries)."""
    assignments = db.session.scalars(
        select(EvaluatorAssignment).join(User, User.id == EvaluatorAssignment.user_id)
        .where(EvaluatorAssignment.lot_id == lot.id).order_by(EvaluatorAssignment.role, User.name)).all()
    declarations = {d.user_id: d for d in db.session.scalars(
        select(ConflictDeclaration).where(ConflictDeclaration.lot_id == lot.id))}
    return [(a, declarations.get(a.user_id)) for a in assignments]


def assignable_people() -> list[User]:
    """Active evaluators and moderators, by name: the people an officer may put on a panel."""
    return list(db.session.scalars(select(User).where(
        User.role.in_(tuple(PANEL_ROLE_OF)), User.active.is_(True)).order_by(User.role, User.name)))


def _check_sections(model: EvaluationModel, sections: list[str]) -> list[str]:
    unknown = [s for s in sections if not model.has_criterion(s)]
    if unknown:
        raise InvalidRequest(f"Choose sections of this lot's evaluation model ({', '.join(unknown)} is not one).")
    return sections


@use_case
def assign(procurement_id: int, lot_number: int, user_id: int, sections: list[str] | None, officer,
           ip: str | None = None) -> EvaluatorAssignment:
    """Put an evaluator (of some sections, or all) or a moderator on a lot's panel; audited."""
    authorise(officer, Permission.ASSIGN_EVALUATORS)
    lot = get_lot(procurement_id, lot_number)
    model = model_for(lot)
    person = db.session.get(User, user_id)
    if person is None or not person.active or person.role not in PANEL_ROLE_OF:
        raise InvalidRequest("Choose an evaluator or a moderator with an active account.")
    role = PANEL_ROLE_OF[person.role]
    sections = _check_sections(model, list(sections or [])) if role == EVALUATOR else []
    existing = assignment_of(lot, person)
    if existing is not None:
        if existing.active:
            why = "is already on the panel of"
        elif (declaration := declaration_of(lot, person)) is not None and declaration.has_conflict:
            why = "declared a conflict of interest for"
        else:
            why = "was withdrawn from the panel of"
        raise InvalidRequest(f"{person.name} {why} lot {lot.number}.")
    assignment = EvaluatorAssignment(lot_id=lot.id, user_id=person.id, role=role,
                                     sections=",".join(sections) or None, assigned_by_id=officer.id,
                                     assigned_at=now())
    db.session.add(assignment)
    try:
        audit.record(audit.Actor.of(officer, ip), "evaluation.panel_assigned", "evaluator_assignment", None,
                     procurement_ref=lot.procurement.reference, lot=lot.number,
                     after={"person": person.email, "role": role, "sections": sections or "all"})
    except IntegrityError:
        raise ConcurrentChange(f"{person.name} was put on the panel by someone else at the same time.") from None
    return assignment


@use_case
def withdraw(procurement_id: int, lot_number: int, user_id: int, reason: str, officer,
             ip: str | None = None, expected_version: int | None = None) -> EvaluatorAssignment:
    """Take someone off a lot's panel (illness, leaving) before they have scored; audited with the reason.

    Once a person has submitted or moderated scores on the lot, those scores
    are part of the evaluation record, so withdrawal is refused rather than
    silently changing what the panel decided.
    """
    authorise(officer, Permission.ASSIGN_EVALUATORS)
    lot = get_lot(procurement_id, lot_number)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter the reason for taking this person off the panel. It is kept in the audit trail.")
    person = db.session.get(User, user_id)
    assignment = assignment_of(lot, person) if person is not None else None
    if assignment is None or not assignment.active:
        raise InvalidRequest("That person is not an active member of this lot's panel.")
    lot_bids = select(Bid.id).where(Bid.lot_id == lot.id)
    scored = db.session.scalar(select(func.count()).select_from(Score).where(
        Score.evaluator_id == person.id, Score.status == SUBMITTED, Score.bid_id.in_(lot_bids)))
    moderated = db.session.scalar(select(func.count()).select_from(ModeratedScore).where(
        ModeratedScore.moderator_id == person.id, ModeratedScore.bid_id.in_(lot_bids)))
    if scored or moderated:
        raise InvalidRequest(f"{person.name} has already submitted or moderated scores for lot {lot.number}, "
                             "so they stay on the record and cannot be taken off the panel.")
    if expected_version is not None and assignment.version != expected_version:
        raise ConcurrentChange(f"Someone else changed {person.name}'s place on the panel since you opened the page. "
                               "Reload it and check.")
    changed = db.session.execute(update(EvaluatorAssignment).where(
        EvaluatorAssignment.id == assignment.id, EvaluatorAssignment.withdrawn_at.is_(None),
        EvaluatorAssignment.version == assignment.version)
        .values(withdrawn_at=now(), version=EvaluatorAssignment.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ConcurrentChange(f"{person.name} was taken off the panel by someone else at the same time.")
    audit.record(audit.Actor.of(officer, ip), "evaluation.panel_withdrawn", "evaluator_assignment", assignment.id,
                 procurement_ref=lot.procurement.reference, lot=lot.number,
                 before={"person": person.email, "role": assignment.role, "active": True},
                 after={"active": False}, reason=reason)
    return assignment


@use_case
def declare(procurement_id: int, lot_number: int, user, has_conflict: bool, details: str,
            ip: str | None = None) -> ConflictDeclaration:
    """Record a panel member's conflict declaration; a conflict withdraws them from the lot. Audited."""
    lot = get_lot(procurement_id, lot_number)
    assignment = assignment_of(lot, user)
    if assignment is None or not assignment.active:
        raise NotAuthorised(NOT_ON_PANEL)
    authorise(user, Permission.SCORE if assignment.role == EVALUATOR else Permission.MODERATE)
    details = (details or "").strip()
    if has_conflict and not details:
        raise InvalidRequest("Describe the conflict of interest: who or what it involves and how.")
    if declaration_of(lot, user) is not None:
        raise InvalidRequest("You have already made your declaration for this lot.")
    declaration = ConflictDeclaration(lot_id=lot.id, user_id=user.id, has_conflict=has_conflict,
                                      details=details, declared_at=now())
    db.session.add(declaration)
    if has_conflict:
        assignment.withdrawn_at = declaration.declared_at
    action = "evaluation.conflict_declared" if has_conflict else "evaluation.no_conflict_declared"
    try:
        audit.record(audit.Actor.of(user, ip), action, "conflict_declaration", None,
                     procurement_ref=lot.procurement.reference, lot=lot.number,
                     after={"has_conflict": has_conflict, "details": details, "role": assignment.role,
                            "withdrawn_from_lot": has_conflict})
    except IntegrityError:
        raise ConcurrentChange("Your declaration for this lot was already recorded.") from None
    return declaration


def bidder_names(lot: Lot, round_: str) -> list[str]:
    """Who bid for the lot in the round (names only), so a panel member can declare a conflict."""
    from tender.models import Supplier

    return list(db.session.scalars(select(Supplier.name).join(Bid, Bid.supplier_id == Supplier.id)
                                   .where(Bid.lot_id == lot.id, Bid.round == round_).order_by(Supplier.name)))


def lots_for(user) -> list[dict]:
    """The lots a panel member is assigned to, for their dashboard (one query)."""
    rows = db.session.execute(
        select(EvaluatorAssignment, Lot, Procurement, ConflictDeclaration)
        .join(Lot, Lot.id == EvaluatorAssignment.lot_id).join(Procurement, Procurement.id == Lot.procurement_id)
        .outerjoin(ConflictDeclaration, (ConflictDeclaration.lot_id == Lot.id)
                   & (ConflictDeclaration.user_id == EvaluatorAssignment.user_id))
        .where(EvaluatorAssignment.user_id == user.id).order_by(Procurement.reference, Lot.number)).all()
    return [{"procurement": p, "lot": lot, "role": a.role, "active": a.active,
             "status": _status_label(a, d)} for a, lot, p, d in rows]


def _status_label(assignment: EvaluatorAssignment, declaration: ConflictDeclaration | None) -> str:
    if declaration is None:
        return "Declare any conflict of interest"
    if declaration.has_conflict or not assignment.active:
        return "Withdrawn: conflict of interest declared"
    return "Open for evaluation"
