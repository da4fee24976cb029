"""The guards a procedure's transitions name, and what each checks.

A workflow file names guards (``deadline_passed``, ``shortlist_minimum``...);
this module is the one registry of their implementations. Each guard is a pure
function of the procedure definition, a ``GuardContext`` (a snapshot of the
procurement's facts built by the service layer) and the arguments the file
gave. It returns a ``GuardOutcome`` whose message an officer can act on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, Mapping

from tender.domain import periods

BLOCK, WARN = "block", "warn"
LIGHT_TOUCH_REGIMES = frozenset({"pcr2015_light_touch", "pa2023_light_touch"})
PA_LIGHT_TOUCH = "pa2023_light_touch"
#: The rule a voluntary standstill is counted by: the Act's own, though s.51 does not require it.
VOLUNTARY_RULE = "voluntary standstill, counted as Procurement Act 2023 s.51 counts it"


@dataclass(frozen=True)
class MilestoneFacts:
    """What the guard needs to know about one milestone."""

    key: str
    title: str
    planned: date | None
    actual: date | None = None


@dataclass(frozen=True)
class LotFacts:
    """What the guards need to know about one lot."""

    number: int
    title: str
    bids: Mapping[str, int] = field(default_factory=dict)  # round -> number of bids
    evaluation_final: Mapping[str, bool] = field(default_factory=dict)  # round -> ranking final
    evaluation_note: Mapping[str, str] = field(default_factory=dict)  # round -> why not final
    annual_budget: Decimal | None = None  # as recorded; the procurement page lists it (no guard reads it)


@dataclass(frozen=True)
class ConflictsFacts:
    """What the guards need to know about the procurement's conflicts assessment (PA 2023 s.83)."""

    prepared_on: date
    reviewed_on: date | None = None
    reviewed_by: str | None = None
    award_reviewed_on: date | None = None
    undeclared: tuple[str, ...] = ()  # people acting for the authority who have not declared
    unmitigated: tuple[str, ...] = ()  # people who declared a conflict with no mitigation recorded


@dataclass(frozen=True)
class GuardContext:
    """A snapshot of one procurement's facts on ``today``; guards read nothing else."""

    today: date
    regime: str
    conditions: frozenset[str] = frozenset()
    extra_holidays: tuple[date, ...] = ()
    milestones: Mapping[str, MilestoneFacts] = field(default_factory=dict)
    candidates: int = 0
    candidates_undecided: tuple[str, ...] = ()
    candidates_without_reason: tuple[str, ...] = ()
    shortlisted: int = 0
    shortlist_justification: str | None = None
    lots: tuple[LotFacts, ...] = ()
    award_on_initial_reserved: bool = False
    award_approved_by: str | None = None
    #: When the last award decision letter (PCR reg. 86) or assessment summary
    #: (PA s.50) was sent: timezone-aware; the UK day of it is what counts.
    award_notices_sent_at: datetime | None = None
    award_notices_electronic: bool = True  # PCR reg. 87(2)(a); False: 87(2)(b)
    award_notices_last_received_on: date | None = None  # reg. 87(2)(b)(ii)
    #: When the contract award notice (UK6) was published: PA standstill starts then (s.51).
    award_notice_published_at: datetime | None = None
    #: References of recorded legal challenges whose suspension is not lifted.
    challenges_suspending: tuple[str, ...] = ()
    #: The kinds of notice on record (tender, award, contract, termination): published in Tender or elsewhere.
    notices: frozenset[str] = frozenset()
    #: A light touch contract under the Act observes a standstill by choice, recorded before the summaries.
    voluntary_standstill: bool = False
    #: The conflicts assessment, or None if none is recorded.
    conflicts: ConflictsFacts | None = None

    def standstill(self) -> periods.Standstill | None:
        """The standstill this procurement is in, per its regime (None if not started or not applicable)."""
        return binding_standstill(
            self.regime, notices_sent_at=self.award_notices_sent_at,
            award_notice_published_at=self.award_notice_published_at, electronic=self.award_notices_electronic,
            last_received=self.award_notices_last_received_on, voluntary=self.voluntary_standstill,
            extra_holidays=self.extra_holidays)


def binding_standstill(regime: str, *, notices_sent_at: datetime | None = None,
                       award_notice_published_at: datetime | None = None, electronic: bool = True,
                       last_received: date | None = None, voluntary: bool = False,
                       extra_holidays=()) -> periods.Standstill | None:
    """The standstill that binds the contract stage: the statutory one, or a voluntary one where recorded.

    ``periods.standstill_for`` gives the statutory periods (none for a light
    touch contract under the Act, s.51). A light touch contract whose
    authority recorded a voluntary standstill is held to it exactly as the
    Act counts a mandatory one: 8 working days beginning with the day the
    contract award notice is published, so what the assessment summaries
    promised is what the contract stage enforces.
    """
    if regime == PA_LIGHT_TOUCH and voluntary and award_notice_published_at is not None:
        started = periods.uk_date(award_notice_published_at)
        return periods.Standstill(started, periods.pa_standstill_last_day(started, extra_holidays), VOLUNTARY_RULE)
    return periods.standstill_for(regime, notices_sent_at=notices_sent_at,
                                  award_notice_published_at=award_notice_published_at, electronic=electronic,
                                  last_received=last_received, extra_holidays=extra_holidays)


@dataclass(frozen=True)
class GuardOutcome:
    """The result of one guard: passed, or blocked/warned with a reason."""

    guard: str
    passed: bool
    message: str = ""
    severity: str = BLOCK  # for a failure: BLOCK stops the transition, WARN only informs

    @property
    def blocks(self) -> bool:
        """True if this outcome stops the transition."""
        return not self.passed and self.severity == BLOCK


def _ok(name: str, message: str = "") -> GuardOutcome:
    return GuardOutcome(name, True, message)


def _no(name: str, message: str, severity: str = BLOCK) -> GuardOutcome:
    return GuardOutcome(name, False, message, severity)


def _fmt(day: date) -> str:
    return periods.format_uk_date(day)


def timetable_complete(defn, ctx: GuardContext) -> GuardOutcome:
    """Every milestone the procedure declares has a planned date, and they run in order."""
    missing = [m.title for m in defn.milestones if not (ctx.milestones.get(m.key) and ctx.milestones[m.key].planned)]
    if missing:
        return _no("timetable_complete", "Add a planned date for: " + ", ".join(missing) + ".")
    previous = None
    for m in defn.milestones:
        facts = ctx.milestones[m.key]
        if previous and facts.planned < previous.planned:
            return _no("timetable_complete", f"'{facts.title}' is planned for {_fmt(facts.planned)}, before "
                       f"'{previous.title}' ({_fmt(previous.planned)}). Put the timetable in order.")
        previous = facts
    return _ok("timetable_complete")


def period_enforcement(defn, period, regime: str) -> str:
    """How a short period acts: the definition decides (a period's own setting, else light touch warns)."""
    return defn.enforcement_for(period.name, regime)


def period_meets_minimum(defn, ctx: GuardContext, period: str) -> GuardOutcome:
    """The planned period between two milestones is at least the statutory minimum."""
    name = "period_meets_minimum"
    rule = defn.period(period)
    start, end = ctx.milestones.get(rule.start), ctx.milestones.get(rule.end)
    if not (start and start.planned and end and end.planned):
        return _no(name, f"Plan both '{defn.milestone(rule.start).title}' and '{defn.milestone(rule.end).title}' "
                         f"so the {rule.label.lower()} can be checked.")
    start_day = start.actual or start.planned
    if end.planned <= start_day:
        return _no(name, f"'{end.title}' ({_fmt(end.planned)}) must be after '{start.title}' ({_fmt(start_day)}).")
    days, source = rule.minimum_for(ctx.conditions)
    if rule.kind == "standstill":
        return _standstill_planned(defn, ctx, rule, start_day, end, days, source)
    check = periods.check_period(start_day, end.planned, days, rule.counting, ctx.extra_holidays)
    if check.ok:
        return _ok(name, f"{rule.label}: {check.days_given} days, minimum {days} ({source}).")
    severity = period_enforcement(defn, rule, ctx.regime)
    advice = "" if severity == BLOCK else " Under the light touch regime this is a warning: record why the period is reasonable and proportionate."
    return _no(name, f"{rule.label} is too short ({source}). {check.explanation}{advice}", severity)


def _standstill_planned(defn, ctx: GuardContext, rule, start_day: date, end: MilestoneFacts, days: int,
                        source: str) -> GuardOutcome:
    """The contract is planned after the last day of standstill, counted as the binding guard counts it."""
    name = "period_meets_minimum"
    if ctx.regime == PA_LIGHT_TOUCH and not ctx.voluntary_standstill:
        return _ok(name, "No standstill applies to a light touch contract (Procurement Act 2023 s.51(3)).")
    last_day = periods.standstill_last_day(start_day, days, rule.counting, ctx.extra_holidays)
    earliest = periods.earliest_contract_day(last_day)
    if end.planned >= earliest:
        return _ok(name, f"{rule.label}: ends at midnight at the end of {_fmt(last_day)} ({source}).")
    severity = period_enforcement(defn, rule, ctx.regime)
    advice = "" if severity == BLOCK else " Under the light touch regime this is a warning: record why."
    return _no(name, f"{rule.label} is too short ({source}). Standstill runs until midnight at the end of "
                     f"{_fmt(last_day)}, so '{end.title}' must be planned on or after {_fmt(earliest)}, "
                     f"not {_fmt(end.planned)}.{advice}", severity)


def deadline_passed(defn, ctx: GuardContext, milestone: str) -> GuardOutcome:
    """The milestone's planned date (a deadline) has passed: responses cannot close early."""
    title = defn.milestone(milestone).title
    facts = ctx.milestones.get(milestone)
    if not facts or not facts.planned:
        return _no("deadline_passed", f"'{title}' has no planned date yet.")
    if ctx.today <= facts.planned:
        return _no("deadline_passed", f"'{title}' is not yet reached: it is {_fmt(facts.planned)}, "
                                      f"and today is {_fmt(ctx.today)}.")
    return _ok("deadline_passed")


def shortlist_decided(defn, ctx: GuardContext) -> GuardOutcome:
    """Every candidate has a recorded shortlisting decision with reasons (reg. 84 record)."""
    if ctx.candidates == 0:
        return _no("shortlist_decided", "No selection questionnaire responses are recorded yet.")
    if ctx.candidates_undecided:
        return _no("shortlist_decided", "Record a shortlisting decision for: " + ", ".join(ctx.candidates_undecided) + ".")
    if ctx.candidates_without_reason:
        return _no("shortlist_decided", "Give reasons for the decision on: " + ", ".join(ctx.candidates_without_reason) + ".")
    return _ok("shortlist_decided")


def shortlist_minimum(defn, ctx: GuardContext) -> GuardOutcome:
    """Enough candidates are shortlisted (reg. 65), or the shortfall is justified on record."""
    minimum = defn.min_shortlist
    if not minimum or ctx.shortlisted >= minimum:
        return _ok("shortlist_minimum")
    if ctx.shortlist_justification and ctx.shortlist_justification.strip():
        return _ok("shortlist_minimum", f"Fewer than {minimum} shortlisted; justification recorded.")
    return _no("shortlist_minimum", f"Only {ctx.shortlisted} candidate{'s' if ctx.shortlisted != 1 else ''} "
               f"shortlisted; the minimum is {minimum} ({defn.min_shortlist_source}). Shortlist more, or record "
               f"why fewer candidates meet the selection criteria.")


def bids_received(defn, ctx: GuardContext, round: str) -> GuardOutcome:  # noqa: A002 - the file's word
    """Every lot has at least one bid in this round."""
    empty = [f"lot {lot.number}" for lot in ctx.lots if not lot.bids.get(round)]
    if not ctx.lots:
        return _no("bids_received", "The procurement has no lots.")
    if empty:
        return _no("bids_received", f"No {round} tenders are recorded for " + ", ".join(empty) + ".")
    return _ok("bids_received")


def evaluation_complete(defn, ctx: GuardContext, round: str) -> GuardOutcome:  # noqa: A002
    """Every lot's ranking for this round is final, meaning every score is moderated."""
    if not ctx.lots:
        return _no("evaluation_complete", "The procurement has no lots.")
    pending = []
    for lot in ctx.lots:
        if not lot.evaluation_final.get(round):
            note = lot.evaluation_note.get(round) or "no moderated scores are recorded yet"
            pending.append(f"lot {lot.number}: {note}")
    if pending:
        return _no("evaluation_complete", f"The {round} tender evaluation is not complete. " + "; ".join(pending) + ".")
    return _ok("evaluation_complete")


def award_on_initial_reserved(defn, ctx: GuardContext) -> GuardOutcome:
    """Award on initial tenders is lawful only if the ITT reserved that right (reg. 29(15))."""
    if ctx.award_on_initial_reserved:
        return _ok("award_on_initial_reserved")
    return _no("award_on_initial_reserved", "The invitation to tender did not reserve the right to award on "
               "initial tenders without negotiation (PCR 2015 reg. 29(15)), so negotiation must take place.")


def award_approved(defn, ctx: GuardContext) -> GuardOutcome:
    """The officer with delegated authority has approved the award decision."""
    if ctx.award_approved_by:
        return _ok("award_approved", f"Approved by {ctx.award_approved_by}.")
    return _no("award_approved", "No approval of the award decision is recorded. The approver with "
               "delegated authority must approve it first.")


def standstill_over(defn, ctx: GuardContext) -> GuardOutcome:
    """The standstill period has ended (PCR reg. 87; PA s.51): see ``periods.standstill_for``."""
    name = "standstill_over"
    if ctx.regime == PA_LIGHT_TOUCH and not ctx.voluntary_standstill:
        return _ok(name, "No standstill applies to a light touch contract (Procurement Act 2023 s.51(3)).")
    standstill = ctx.standstill()
    if standstill is None:
        if ctx.regime.startswith("pa2023"):
            return _no(name, "The contract award notice has not been published, so standstill has not started.")
        return _no(name, "The award decision letters have not been recorded as sent, so standstill has not started.")
    if not standstill.over(ctx.today):
        return _no(name, f"{standstill.explanation} The contract cannot be entered into before then.")
    return _ok(name, standstill.explanation)


def no_challenge_suspension(defn, ctx: GuardContext) -> GuardOutcome:
    """No recorded legal challenge suspends entering into the contract (PCR reg. 95; PA s.101)."""
    if not ctx.challenges_suspending:
        return _ok("no_challenge_suspension")
    rule = "Procurement Act 2023 s.101" if ctx.regime.startswith("pa2023") else "PCR 2015 reg. 95"
    return _no("no_challenge_suspension", "A legal challenge (" + ", ".join(ctx.challenges_suspending) + ") "
               f"suspends entering into the contract ({rule}). Record when the court lifts the suspension or "
               "the proceedings end before you continue.")


def award_notices_sent(defn, ctx: GuardContext) -> GuardOutcome:
    """The award decision letters (PCR reg. 86) have been recorded as sent, with the moment."""
    if ctx.award_notices_sent_at:
        return _ok("award_notices_sent")
    return _no("award_notices_sent", "Record when the award decision letters were sent to every candidate and "
               "tenderer first (PCR 2015 reg. 86): standstill is counted from then.")


def assessment_summaries_sent(defn, ctx: GuardContext) -> GuardOutcome:
    """Assessment summaries go to every assessed supplier before the award notice (PA s.50)."""
    if ctx.award_notices_sent_at:
        return _ok("assessment_summaries_sent")
    return _no("assessment_summaries_sent", "Record when the assessment summaries were sent to every assessed "
               "supplier first (Procurement Act 2023 s.50).")


def tender_notice_published(defn, ctx: GuardContext) -> GuardOutcome:
    """The tender notice (UK4) is on record: its publication is what opens the participation period (s.21)."""
    if "tender" in ctx.notices:
        return _ok("tender_notice_published")
    return _no("tender_notice_published", "Publish the tender notice (UK4) on the Notices page first: publishing "
               "it moves the procurement to this stage (Procurement Act 2023 s.21).")


def contract_award_notice_published(defn, ctx: GuardContext) -> GuardOutcome:
    """The contract award notice (UK6) is on record with its moment: standstill runs from it (PA s.50, s.51)."""
    if "award" in ctx.notices and ctx.award_notice_published_at is not None:
        return _ok("contract_award_notice_published")
    return _no("contract_award_notice_published", "Publish the contract award notice (UK6) on the Notices page "
               "first: the contract cannot be entered into before it is published, and standstill starts the "
               "day it is (Procurement Act 2023 s.50 and s.51).")


def contract_details_notice_published(defn, ctx: GuardContext) -> GuardOutcome:
    """The contract details notice (UK7, s.53) is on record."""
    if "contract" in ctx.notices:
        return _ok("contract_details_notice_published")
    return _no("contract_details_notice_published", "Publish the contract details notice (UK7) on the Notices page "
               "first: publishing it moves the procurement to this stage (Procurement Act 2023 s.53).")


def _conflicts_rule(ctx: GuardContext) -> tuple[str, str]:
    """The law the assessment answers to, and how a gap acts: a block under the Act, a warning under PCR."""
    if ctx.regime.startswith("pa2023"):
        return "Procurement Act 2023 s.83", BLOCK
    return "PCR 2015 reg. 24", WARN


def _conflicts_gaps(ctx: GuardContext) -> list[str]:
    facts = ctx.conflicts
    gaps = []
    if facts.undeclared:
        gaps.append("these people acting for the authority have not declared: " + ", ".join(facts.undeclared))
    if facts.unmitigated:
        gaps.append("record how each declared conflict is mitigated: " + ", ".join(facts.unmitigated))
    return gaps


def conflicts_assessed(defn, ctx: GuardContext) -> GuardOutcome:
    """A conflicts assessment is recorded, reviewed and dated, covering everyone, before the tender notice."""
    name = "conflicts_assessed"
    rule, severity = _conflicts_rule(ctx)
    facts = ctx.conflicts
    if facts is None:
        return _no(name, f"Record the conflicts assessment before the tender notice is published ({rule}).", severity)
    if facts.reviewed_on is None:
        return _no(name, f"The conflicts assessment must be reviewed and dated before the tender notice ({rule}).",
                   severity)
    gaps = _conflicts_gaps(ctx)
    if gaps:
        return _no(name, f"The conflicts assessment does not yet cover everyone ({rule}): " + "; ".join(gaps) + ".",
                   severity)
    return _ok(name, f"Conflicts assessment reviewed by {facts.reviewed_by} on {_fmt(facts.reviewed_on)}.")


def conflicts_revisited_at_award(defn, ctx: GuardContext) -> GuardOutcome:
    """The conflicts assessment was revisited at award, and still covers everyone acting for the authority."""
    name = "conflicts_revisited_at_award"
    rule, severity = _conflicts_rule(ctx)
    facts = ctx.conflicts
    if facts is None or facts.award_reviewed_on is None:
        return _no(name, f"Revisit the conflicts assessment at award, before the award decision is approved "
                         f"({rule}).", severity)
    gaps = _conflicts_gaps(ctx)
    if gaps:
        return _no(name, f"The conflicts assessment does not cover everyone now ({rule}): " + "; ".join(gaps) + ".",
                   severity)
    return _ok(name, f"Conflicts assessment revisited at award on {_fmt(facts.award_reviewed_on)}.")


@dataclass(frozen=True)
class Guard:
    """A guard implementation and the arguments a workflow file must give it."""

    check: Callable[..., GuardOutcome]
    args: frozenset[str] = frozenset()


GUARDS: dict[str, Guard] = {
    "timetable_complete": Guard(timetable_complete),
    "period_meets_minimum": Guard(period_meets_minimum, frozenset({"period"})),
    "deadline_passed": Guard(deadline_passed, frozenset({"milestone"})),
    "shortlist_decided": Guard(shortlist_decided),
    "shortlist_minimum": Guard(shortlist_minimum),
    "bids_received": Guard(bids_received, frozenset({"round"})),
    "evaluation_complete": Guard(evaluation_complete, frozenset({"round"})),
    "award_on_initial_reserved": Guard(award_on_initial_reserved),
    "award_approved": Guard(award_approved),
    "standstill_over": Guard(standstill_over),
    "assessment_summaries_sent": Guard(assessment_summaries_sent),
    "award_notices_sent": Guard(award_notices_sent),
    "no_challenge_suspension": Guard(no_challenge_suspension),
    "tender_notice_published": Guard(tender_notice_published),
    "contract_award_notice_published": Guard(contract_award_notice_published),
    "contract_details_notice_published": Guard(contract_details_notice_published),
    "conflicts_assessed": Guard(conflicts_assessed),
    "conflicts_revisited_at_award": Guard(conflicts_revisited_at_award),
}

KNOWN_GUARDS: dict[str, frozenset[str]] = {name: guard.args for name, guard in GUARDS.items()}


def run_guard(defn, ref, ctx: GuardContext) -> GuardOutcome:
    """Evaluate one guard reference from a workflow file against the context."""
    return GUARDS[ref.name].check(defn, ctx, **dict(ref.args))
