"""The conflicts assessment: recorded, declared on by everyone, reviewed and dated, revisited at award.

Procurement Act 2023 s.83: before publishing a tender notice the authority
prepares a conflicts assessment, covering every person acting for it on the
procurement, and keeps it under review; s.81-82: conflicts are identified
and mitigated. PCR 2015 reg. 24 asks the same in substance (prevent, identify
and remedy). The people it covers are worked out from the record, not typed
in: the lead officer, the owners of milestones, whoever prepared or reviewed
the assessment or recorded a recommendation, the evaluators and moderators on
a panel, the approvers who declared or approved, and anyone the officer adds
(an approver to come, a finance lead). Each declares here; a panel member's or
approver's declaration on a lot counts too. The guards ``conflicts_assessed``
(on the transition that publishes the tender notice) and
``conflicts_revisited_at_award`` read :func:`facts`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from tender.domain.guards import ConflictsFacts
from tender.domain.roles import Permission, Role, may
from tender.extensions import db
from tender.models import (AwardApproval, AwardRecommendation, ConflictDeclaration, ConflictsAssessment,
                           ConflictsAssessmentPerson, EvaluatorAssignment, Lot, Milestone, Procurement, User)
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tender.services.procurement.definitions import definition_of
from tender.services.use_case import check_version, get_procurement, use_case

MAX_TEXT = 20_000
CHANGED = ("Someone else changed the conflicts assessment while you were looking at it. "
           "The page now shows it as it is: check it before you try again.")
#: Roles that may review an assessment: someone answerable for the procurement, not a panel member.
REVIEWERS = frozenset({Role.OFFICER.value, Role.APPROVER.value, Role.LEGAL.value})


@dataclass
class Person:
    """Someone acting for the authority on the procurement, why they are listed, and their declaration."""

    user: User
    roles: list[str] = field(default_factory=list)
    entry: ConflictsAssessmentPerson | None = None
    lot_declarations: list[tuple[int, ConflictDeclaration]] = field(default_factory=list)  # (lot number, row)

    @property
    def declared(self) -> bool:
        """Declared on the assessment, or on a lot (as a panel member or approver)."""
        return bool(self.entry is not None and self.entry.declared_at) or bool(self.lot_declarations)

    @property
    def has_conflict(self) -> bool:
        return bool(self.entry is not None and self.entry.declared_at and self.entry.has_conflict)

    @property
    def unmitigated(self) -> bool:
        """Declared a conflict on the assessment and no mitigation is recorded yet."""
        return self.has_conflict and not (self.entry.mitigation or "").strip()


@dataclass
class AssessmentView:
    """The conflicts assessment page: the assessment, the people it covers, and what is still missing."""

    procurement: Procurement
    assessment: ConflictsAssessment | None
    people: list[Person]
    act: bool

    @property
    def undeclared(self) -> list[Person]:
        return [p for p in self.people if not p.declared]

    @property
    def unmitigated(self) -> list[Person]:
        return [p for p in self.people if p.unmitigated]

    @property
    def complete(self) -> bool:
        """Everyone listed has declared, and every conflict declared has its mitigation."""
        return not self.undeclared and not self.unmitigated

    @property
    def rule(self) -> str:
        return "Procurement Act 2023 s.83" if self.act else "PCR 2015 reg. 24"

    def person(self, user_id: int) -> Person | None:
        return next((p for p in self.people if p.user.id == user_id), None)


def assessment_of(procurement_id: int) -> ConflictsAssessment | None:
    """The procurement's assessment, or None if none is recorded."""
    return db.session.scalar(select(ConflictsAssessment).where(ConflictsAssessment.procurement_id == procurement_id))


def people(procurement: Procurement, assessment: ConflictsAssessment | None) -> list[Person]:
    """Everyone acting for the authority on the procurement, as the record stands (officers first)."""
    found: dict[int, Person] = {}

    def add(user_id: int | None, role: str) -> None:
        if user_id is None:
            return
        person = found.setdefault(user_id, Person(db.session.get(User, user_id)))
        if role not in person.roles:
            person.roles.append(role)

    add(procurement.lead_officer_id, "Lead officer")
    for owner_id in db.session.scalars(select(Milestone.owner_id).where(
            Milestone.procurement_id == procurement.id, Milestone.owner_id.is_not(None)).distinct()):
        add(owner_id, "Owns milestones")
    if assessment is not None:
        add(assessment.prepared_by_id, "Prepared this assessment")
        add(assessment.reviewed_by_id, "Reviewed this assessment")
        add(assessment.award_reviewed_by_id, "Revisited this assessment at award")
    for recorder in db.session.scalars(select(AwardRecommendation.recorded_by_id).where(
            AwardRecommendation.procurement_id == procurement.id).distinct()):
        add(recorder, "Recorded an award recommendation")
    lots = {lot.id: lot.number for lot in db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id))}
    for assignment in db.session.scalars(select(EvaluatorAssignment).where(
            EvaluatorAssignment.lot_id.in_(list(lots)), EvaluatorAssignment.withdrawn_at.is_(None))
            .order_by(EvaluatorAssignment.id)):
        add(assignment.user_id, f"{assignment.role.title()} (lot {lots[assignment.lot_id]})")
    approval = db.session.scalar(select(AwardApproval).where(AwardApproval.procurement_id == procurement.id))
    if approval is not None:
        add(approval.approved_by_id, "Approved the award decision")
    declarations = list(db.session.scalars(select(ConflictDeclaration).where(
        ConflictDeclaration.lot_id.in_(list(lots))).order_by(ConflictDeclaration.declared_at)))
    for d in declarations:
        user = db.session.get(User, d.user_id)
        if user.role == Role.APPROVER.value:
            add(d.user_id, "Approver")
    if assessment is not None:
        for entry in db.session.scalars(select(ConflictsAssessmentPerson).where(
                ConflictsAssessmentPerson.assessment_id == assessment.id).order_by(ConflictsAssessmentPerson.id)):
            if entry.added_by_id is not None:
                add(entry.user_id, "Added by the officer")
            if entry.user_id in found:
                found[entry.user_id].entry = entry
    for d in declarations:
        if d.user_id in found:
            found[d.user_id].lot_declarations.append((lots[d.lot_id], d))
    return sorted(found.values(), key=lambda p: (p.user.role != Role.OFFICER.value, p.user.name, p.user.id))


def facts(procurement: Procurement) -> ConflictsFacts | None:
    """What the guards read: the assessment's dates and who is not yet covered (None if none is recorded)."""
    assessment = assessment_of(procurement.id)
    if assessment is None:
        return None
    listed = people(procurement, assessment)
    return ConflictsFacts(
        prepared_on=clock.uk_date(assessment.prepared_at),
        reviewed_on=clock.uk_date(assessment.reviewed_at) if assessment.reviewed_at else None,
        reviewed_by=assessment.reviewed_by.name if assessment.reviewed_by else None,
        award_reviewed_on=clock.uk_date(assessment.award_reviewed_at) if assessment.award_reviewed_at else None,
        undeclared=tuple(p.user.name for p in listed if not p.declared),
        unmitigated=tuple(p.user.name for p in listed if p.unmitigated))


def is_act(procurement: Procurement) -> bool:
    return procurement.regime.startswith("pa2023")


def view(procurement_id: int, user) -> AssessmentView:
    """The page: officers and other viewers of the procurement, and anyone the assessment lists."""
    procurement = get_procurement(procurement_id)
    assessment = assessment_of(procurement.id)
    listed = people(procurement, assessment)
    if not may(user.role, Permission.VIEW_PROCUREMENTS) and not any(p.user.id == user.id for p in listed):
        raise NotAuthorised("You do not have permission to see this page.")
    return AssessmentView(procurement, assessment, listed, is_act(procurement))


def _text(value: str | None, what: str) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise InvalidRequest(f"Enter {what}.")
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"Enter {what} in {MAX_TEXT:,} characters or fewer.")
    return value


@use_case(CHANGED)
def record(procurement_id: int, user, text: str, ip: str | None = None, *,
           expected_version: int | None = None) -> ConflictsAssessment:
    """Record the assessment, or revise it (which needs a new review: a revised assessment is not the one reviewed)."""
    authorise(user, Permission.SET_UP_PROCUREMENT)
    procurement = get_procurement(procurement_id)
    text = _text(text, "the conflicts assessment: the risks of a conflict of interest you identified and how each "
                       "is prevented or mitigated")
    assessment = assessment_of(procurement.id)
    now = clock.now()
    if assessment is None:
        assessment = ConflictsAssessment(procurement_id=procurement.id, assessment=text, prepared_by_id=user.id,
                                         prepared_at=now)
        db.session.add(assessment)
        db.session.flush()
        audit.record(audit.Actor.of(user, ip), "conflicts.assessment_recorded", "conflicts_assessment",
                     assessment.id, procurement_ref=procurement.reference, after={"assessment": text})
        return assessment
    check_version(assessment, expected_version, CHANGED)
    before = {"assessment": assessment.assessment, "reviewed_at": assessment.reviewed_at,
              "award_reviewed_at": assessment.award_reviewed_at}
    assessment.assessment = text
    assessment.reviewed_at = assessment.reviewed_by_id = assessment.review_note = None
    assessment.award_reviewed_at = assessment.award_reviewed_by_id = assessment.award_review_note = None
    audit.record(audit.Actor.of(user, ip), "conflicts.assessment_revised", "conflicts_assessment", assessment.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"assessment": text, "reviewed_at": None, "award_reviewed_at": None})
    return assessment


def _require_assessment(procurement: Procurement) -> ConflictsAssessment:
    assessment = assessment_of(procurement.id)
    if assessment is None:
        raise InvalidRequest("Record the conflicts assessment first.")
    return assessment


def _entry(assessment: ConflictsAssessment, user_id: int) -> ConflictsAssessmentPerson | None:
    return db.session.scalar(select(ConflictsAssessmentPerson).where(
        ConflictsAssessmentPerson.assessment_id == assessment.id, ConflictsAssessmentPerson.user_id == user_id))


@use_case(CHANGED)
def add_person(procurement_id: int, user, person_id: int, ip: str | None = None) -> ConflictsAssessmentPerson:
    """Add someone who acts for the authority but the record does not show yet (an approver to come, say)."""
    authorise(user, Permission.SET_UP_PROCUREMENT)
    procurement = get_procurement(procurement_id)
    assessment = _require_assessment(procurement)
    person = db.session.get(User, person_id) if isinstance(person_id, int) else None
    if person is None or not person.active:
        raise InvalidRequest("Choose a person with an active account.")
    entry = _entry(assessment, person.id)
    if entry is not None and entry.added_by_id is not None:
        raise InvalidRequest(f"{person.name} is already on the assessment.")
    if entry is None:
        entry = ConflictsAssessmentPerson(assessment_id=assessment.id, user_id=person.id, details="")
        db.session.add(entry)
    entry.added_by_id = user.id
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "conflicts.person_added", "conflicts_assessment", assessment.id,
                 procurement_ref=procurement.reference, after={"person": person.email, "name": person.name})
    return entry


@use_case(CHANGED)
def declare(procurement_id: int, user, has_conflict: bool, details: str, ip: str | None = None) -> ConflictsAssessmentPerson:
    """The signed-in person's own declaration; a new one replaces theirs (a changed conflict needs new mitigation)."""
    procurement = get_procurement(procurement_id)
    assessment = _require_assessment(procurement)
    if not any(p.user.id == user.id for p in people(procurement, assessment)):
        raise NotAuthorised("Only the people the conflicts assessment lists declare on it. Ask the procurement "
                            "officer to add you.")
    details = (details or "").replace("\r\n", "\n").strip()
    if has_conflict and not details:
        raise InvalidRequest("Describe your conflict of interest: who or what it involves, and how.")
    if len(details) > MAX_TEXT:
        raise InvalidRequest(f"Describe it in {MAX_TEXT:,} characters or fewer.")
    entry = _entry(assessment, user.id)
    before = None
    if entry is None:
        entry = ConflictsAssessmentPerson(assessment_id=assessment.id, user_id=user.id, details="")
        db.session.add(entry)
    elif entry.declared_at is not None:
        before = {"has_conflict": entry.has_conflict, "details": entry.details, "mitigation": entry.mitigation}
    entry.has_conflict, entry.details, entry.declared_at = bool(has_conflict), details, clock.now()
    if before is not None and (has_conflict, details) != (before["has_conflict"], before["details"]):
        entry.mitigation = entry.mitigated_by_id = entry.mitigated_at = None
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "conflicts.declared", "conflicts_assessment", assessment.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"has_conflict": bool(has_conflict), "details": details})
    return entry


@use_case(CHANGED)
def mitigate(procurement_id: int, user, person_id: int, mitigation: str, ip: str | None = None,
             *, expected_version: int | None = None) -> ConflictsAssessmentPerson:
    """Record how a declared conflict is prevented or mitigated (s.82): kept off the panel, not deciding..."""
    authorise(user, Permission.SET_UP_PROCUREMENT)
    procurement = get_procurement(procurement_id)
    assessment = assessment_of(procurement.id)
    entry = _entry(assessment, person_id) if assessment is not None and isinstance(person_id, int) else None
    if entry is None or not entry.has_conflict or entry.declared_at is None:
        raise NotFound("That person has not declared a conflict of interest on this assessment.")
    check_version(entry, expected_version, CHANGED)
    mitigation = _text(mitigation, "how the conflict is prevented or mitigated, like who stands in for the person")
    before = {"mitigation": entry.mitigation}
    entry.mitigation, entry.mitigated_by_id, entry.mitigated_at = mitigation, user.id, clock.now()
    audit.record(audit.Actor.of(user, ip), "conflicts.mitigated", "conflicts_assessment", assessment.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"person": entry.user.email, "mitigation": mitigation})
    return entry


def _refuse_if_incomplete(procurement: Procurement, assessment: ConflictsAssessment, what: str) -> None:
    listed = AssessmentView(procurement, assessment, people(procurement, assessment), is_act(procurement))
    if listed.undeclared:
        raise InvalidRequest(f"Before the assessment can be {what}, everyone acting for the authority declares. "
                             "Still to declare: " + ", ".join(p.user.name for p in listed.undeclared) + ".")
    if listed.unmitigated:
        raise InvalidRequest(f"Before the assessment can be {what}, record how each declared conflict is "
                             "mitigated: " + ", ".join(p.user.name for p in listed.unmitigated) + ".")


@use_case(CHANGED)
def review(procurement_id: int, user, note: str, ip: str | None = None, *,
           expected_version: int | None = None) -> ConflictsAssessment:
    """Review and date the assessment: someone other than who prepared it, once everyone has declared."""
    authorise(user, Permission.VIEW_PROCUREMENTS)
    if user.role not in REVIEWERS:
        raise NotAuthorised("A procurement officer, an approver or a legal reviewer reviews the conflicts assessment.")
    procurement = get_procurement(procurement_id)
    assessment = _require_assessment(procurement)
    check_version(assessment, expected_version, CHANGED)
    if assessment.prepared_by_id == user.id:
        raise InvalidRequest("Someone other than the person who prepared the assessment reviews it.")
    if assessment.reviewed_at is not None:
        raise InvalidRequest("The assessment has already been reviewed. Revise it to have it reviewed again.")
    _refuse_if_incomplete(procurement, assessment, "reviewed")
    note = (note or "").strip()
    assessment.reviewed_by_id, assessment.reviewed_at, assessment.review_note = user.id, clock.now(), note or None
    audit.record(audit.Actor.of(user, ip), "conflicts.assessment_reviewed", "conflicts_assessment", assessment.id,
                 procurement_ref=procurement.reference,
                 after={"reviewed_at": assessment.reviewed_at, "note": note,
                        "people": [p.user.email for p in people(procurement, assessment)]})
    return assessment


def award_stages(procurement: Procurement) -> frozenset[str]:
    """The stages at which the award is decided (where the revisit belongs): before the approval's transitions."""
    return frozenset(source for t in definition_of(procurement).transitions
                     if any(g.name == "award_approved" for g in t.guards) for source in t.sources)


@use_case(CHANGED)
def revisit_at_award(procurement_id: int, user, note: str, ip: str | None = None, *,
                     expected_version: int | None = None) -> ConflictsAssessment:
    """Confirm at award, before the decision is approved, that the assessment still covers everyone acting."""
    authorise(user, Permission.RECORD_RECOMMENDATION)
    procurement = get_procurement(procurement_id)
    assessment = _require_assessment(procurement)
    check_version(assessment, expected_version, CHANGED)
    if assessment.reviewed_at is None:
        raise InvalidRequest("The assessment must be reviewed and dated before it can be revisited at award.")
    if procurement.state not in award_stages(procurement):
        raise InvalidRequest("The assessment is revisited at award: when the procurement is at its award decision "
                             "stage.")
    if db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == procurement.id)):
        raise InvalidRequest("The award decision has already been approved: the revisit comes before it.")
    _refuse_if_incomplete(procurement, assessment, "revisited at award")
    note = _text(note, "what you checked at award, like who joined the evaluation since the review")
    before = {"award_reviewed_at": assessment.award_reviewed_at}
    assessment.award_reviewed_by_id, assessment.award_reviewed_at = user.id, clock.now()
    assessment.award_review_note = note
    audit.record(audit.Actor.of(user, ip), "conflicts.assessment_revisited", "conflicts_assessment", assessment.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"award_reviewed_at": assessment.award_reviewed_at, "note": note,
                        "people": [p.user.email for p in people(procurement, assessment)]})
    return assessment


def require_award_revisit(procurement: Procurement) -> None:
    """Refuse an award step under the Act until the assessment is revisited at award and covers everyone now."""
    if not is_act(procurement):
        return
    current = facts(procurement)
    if current is None or current.award_reviewed_on is None:
        raise InvalidRequest("Revisit the conflicts assessment at award first (Procurement Act 2023 s.83): it must "
                             "cover everyone who has acted on the procurement since it was reviewed.")
    if current.undeclared or current.unmitigated:
        who = ", ".join(current.undeclared + current.unmitigated)
        raise InvalidRequest(f"The conflicts assessment no longer covers everyone (Procurement Act 2023 s.83): {who}. "
                             "Have them declare (and record any mitigation), then revisit it again.")


def report_facts(procurement: Procurement) -> dict | None:
    """The assessment as the procurement report states it (None if none is recorded)."""
    assessment = assessment_of(procurement.id)
    if assessment is None:
        return None
    listed = people(procurement, assessment)
    rows = []
    for p in listed:
        if p.entry is not None and p.entry.declared_at:
            declared = ("Declared a conflict: " + p.entry.details) if p.entry.has_conflict else "No conflict"
            when = p.entry.declared_at
        elif p.lot_declarations:
            lot, d = p.lot_declarations[0]
            declared = (f"Declared a conflict on lot {lot}: {d.details}" if d.has_conflict else
                        "No conflict (declared on " + ", ".join(f"lot {n}" for n, _ in p.lot_declarations) + ")")
            when = d.declared_at
        else:
            declared, when = "Not declared", None
        rows.append({"name": p.user.name, "roles": ", ".join(p.roles), "declared": declared,
                     "declared_on": clock.uk_date(when) if when else None,
                     "mitigation": p.entry.mitigation if p.entry is not None else None})
    return {"assessment": assessment, "people": rows,
            "prepared_on": clock.uk_date(assessment.prepared_at),
            "reviewed_on": clock.uk_date(assessment.reviewed_at) if assessment.reviewed_at else None,
            "award_reviewed_on": clock.uk_date(assessment.award_reviewed_at) if assessment.award_reviewed_at else None}


__all__ = ["AssessmentView", "Person", "add_person", "assessment_of", "declare", "facts", "mitigate", "people",
           "record", "report_facts", "require_award_revisit", "review", "revisit_at_award", "view"]


def addable(view_: AssessmentView) -> list[User]:
    """Active accounts not yet on the assessment, for the officer's "add a person" list."""
    listed = {p.user.id for p in view_.people}
    return [u for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
            if u.id not in listed and u.role != Role.ADMINISTRATOR.value]
