"""Planning the whole timetable at once: every milestone given a date and owner in one submit, all or nothing.

Each row is checked as ``setup.plan_milestone`` checks one (an active owner,
the statutory minimum periods the regime enforces, in timetable order so a
deadline is checked against the publication date planned in the same
submit). Any problem anywhere and nothing is saved: ``TimetableErrors``
carries every problem by milestone and field, so the page can show each one
beside its field.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tender.domain.periods import format_uk_date
from tender.extensions import db
from tender.models import Milestone, User
from tender.models.milestone import SCHEDULED
from tender.services import audit, clock
from tender.services.errors import InvalidRequest
from tender.services.procurement.milestones import check_statutory_periods
from tender.services.procurement.setup import CONCURRENT_MESSAGE, acting
from tender.services.use_case import get_procurement, use_case

DATE, OWNER = "date", "owner"


class TimetableErrors(InvalidRequest):
    """Problems with a submitted timetable: milestone id -> field ("date" or "owner") -> instruction."""

    def __init__(self, errors: dict[int, dict[str, str]], message: str | None = None):
        super().__init__(message or next(iter(next(iter(errors.values())).values())))
        self.errors = errors


@dataclass(frozen=True)
class TimetablePlan:
    """What ``plan_timetable`` saved: how many milestones, and light touch warnings to show."""

    planned: int
    warnings: tuple[str, ...]


def open_to_plan(milestone: Milestone) -> bool:
    """True for a milestone with no date yet that is still to happen."""
    return milestone.planned_date is None and milestone.status == SCHEDULED


def _check(procurement, milestone: Milestone, day: date, owner_id, today: date) -> tuple[dict, tuple, User | None]:
    problems: dict[str, str] = {}
    owner = db.session.get(User, owner_id) if isinstance(owner_id, int) else None
    if owner is None or not owner.active:
        problems[OWNER] = f"Choose who owns “{milestone.title}”: an active user"
    try:
        warnings = check_statutory_periods(procurement, milestone, day, today, skip_unplanned=True)
    except InvalidRequest as exc:
        problems[DATE] = f"“{milestone.title}”: {exc}"
        warnings = ()
    return problems, warnings, owner


@use_case(CONCURRENT_MESSAGE)
def plan_timetable(user, procurement_id: int, entries: dict[int, tuple[date | None, int | None]], *,
                   today: date | None = None, ip: str | None = None) -> TimetablePlan:
    """Give the milestones in ``entries`` (id -> (date or None, owner id)) their first date and owner, together.

    A row without a date is left for later. Raises TimetableErrors (nothing saved) if any row has a problem.
    """
    actor = acting(user, False, ip)
    procurement = get_procurement(procurement_id)
    today = today or clock.today()
    errors: dict[int, dict[str, str]] = {}
    warnings: list[str] = []
    planned = 0
    milestones = db.session.scalars(select(Milestone).where(Milestone.procurement_id == procurement.id)
                                    .order_by(Milestone.position)).all()
    for milestone in milestones:
        day, owner_id = entries.get(milestone.id, (None, None))
        if day is None:
            continue
        if not open_to_plan(milestone):
            when = (f"is already planned for {format_uk_date(milestone.planned_date)} or has happened"
                    if milestone.planned_date else "has happened or is not applicable")
            errors[milestone.id] = {DATE: f"“{milestone.title}” {when}. "
                                          "To move it, re-plan it from the procurement page with a reason"}
            continue
        problems, found, owner = _check(procurement, milestone, day, owner_id, today)
        if problems:
            errors[milestone.id] = problems
            continue
        milestone.planned_date, milestone.owner_id = day, owner.id
        db.session.flush()  # the next row's period checks read this date
        warnings += found
        planned += 1
        audit.record(actor, "milestone.planned", "milestone", milestone.id,
                     procurement_ref=procurement.reference, before={"planned_date": None},
                     after={"key": milestone.key, "planned_date": day, "owner": owner.email,
                            "warnings": list(found)})
    if errors:
        raise TimetableErrors(errors)  # nothing saved: the use case rolls every row back
    if not planned:
        raise InvalidRequest("Enter a planned date for at least one milestone.")
    return TimetablePlan(planned, tuple(dict.fromkeys(warnings)))
