"""Standstill: when the award notices went, legal challenges that suspend the contract, and the end.

Branch-independent interface: whatever sends the award decision letters (PCR
reg. 86) or assessment summaries (PA s.50) calls :func:`record_notices_sent`
with the moment the last one went; the standstill guard reads exactly that.

Under the Procurement Act standstill starts with the contract award notice
(s.51), not with the summaries: whatever makes a notice published (Tender's
own publishing, or recording one published on Find a Tender) calls
:func:`notice_published` before it stores the notice, in the same
transaction. That refuses a notice the law does not allow yet (a UK4 before
the conflicts assessment, a UK6 whose standstill would already be over, a
late UK7 with no reason recorded), records the UK6's moment, and fires the
transition the notice evidences (``on_notice`` in the workflow file).
A light touch contract has no standstill unless the authority records a
voluntary one (:func:`record_voluntary_standstill`) before the summaries go.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from tender.domain import letters as letter_rules
from tender.domain import periods
from tender.domain.guards import PA_LIGHT_TOUCH, binding_standstill, conflicts_assessed
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import (AwardApproval, AwardLetter, LateNoticeReason, LegalChallenge, Milestone, Notice,
                           Procurement, VoluntaryStandstill)
from tender.models.letter import DRAFT
from tender.models.milestone import CLOSED
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.use_case import check_version, use_case
from tender.services.procurement.guard_context import aware_utc
from tender.services.procurement.definitions import definition_of
from tender.services.use_case import get_procurement

#: Guards that read the recorded sending; notices may be recorded in the stages they leave.
_SENDING_GUARDS = frozenset({"award_notices_sent", "assessment_summaries_sent"})


def notice_words(procurement: Procurement) -> str:
    """What the notices are called under the procurement's regime."""
    if procurement.regime.startswith("pa2023"):
        return "assessment summaries"
    return "award decision letters"


def sending_stages(procurement: Procurement) -> frozenset[str]:
    """The stages in which the sending may be recorded: before the transitions that need it."""
    definition = definition_of(procurement)
    return frozenset(stage for t in definition.transitions
                     if any(ref.name in _SENDING_GUARDS for ref in t.guards) for stage in t.sources)


def _as_procurement(procurement) -> Procurement:
    return procurement if isinstance(procurement, Procurement) else get_procurement(int(procurement))


@use_case
def record_notices_sent(procurement, sent_at: datetime, user, ip: str | None = None, *, now: datetime | None = None,
                        electronic: bool = True, last_received_on: date | None = None,
                        through_tender: bool = False) -> Procurement:
    """Record the moment the last award decision letter or assessment summary was sent (audited).

    ``sent_at`` must be timezone-aware and not in the future: PCR standstill
    is counted from its UK day (reg. 87), and under the Act the contract
    award notice may follow it (s.50). The award must be approved first. May
    be recorded again (a later last letter) until standstill starts.
    ``electronic=False`` with ``last_received_on`` gives reg. 87(2)(b).
    Typed in by the officer (``through_tender=False``), it records only
    letters sent outside Tender: once letters are sent through Tender, Tender
    records the moment the last one went (:func:`manual_refusal`).
    """
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = _as_procurement(procurement)
    words = notice_words(procurement)
    refusal = _stage_refusal(procurement) if through_tender else manual_refusal(procurement)
    if refusal:
        raise InvalidRequest(refusal)
    if sent_at is None or sent_at.tzinfo is None:
        raise InvalidRequest(f"Enter the date and time the last of the {words} was sent.")
    if sent_at > (now or clock.now()):
        raise InvalidRequest(f"The time the {words} were sent cannot be in the future.")
    if not db.session.scalar(select(AwardApproval.id).where(AwardApproval.procurement_id == procurement.id)):
        raise InvalidRequest(f"The award decision must be approved before the {words} are sent.")
    sent_day = periods.uk_date(sent_at)
    if last_received_on is not None and (electronic or last_received_on < sent_day):
        raise InvalidRequest("Enter a date of receipt only for letters not sent electronically, on or after the "
                             "day they were sent.")
    before = _notice_facts(procurement)
    procurement.award_notices_sent_at = sent_at.astimezone(timezone.utc)
    procurement.award_notices_electronic = bool(electronic)
    procurement.award_notices_last_received_on = last_received_on
    audit.record(audit.Actor.of(user, ip), "award.notices_sent", "procurement", procurement.id,
                 procurement_ref=procurement.reference, before=before, after=_notice_facts(procurement))
    return procurement


def _stage_refusal(procurement: Procurement) -> str | None:
    if procurement.state not in sending_stages(procurement):
        return (f"The {notice_words(procurement)} can only be recorded as sent once the award decision is made and "
                "before standstill starts.")
    return None


def _sent_through_tender(procurement: Procurement) -> bool:
    """True once any letter or summary of the procurement has been queued to go through Tender ("Send")."""
    return db.session.scalar(select(AwardLetter.id).where(
        AwardLetter.procurement_id == procurement.id,
        (AwardLetter.status != DRAFT) | AwardLetter.queued_at.is_not(None)).limit(1)) is not None


def manual_refusal(procurement: Procurement) -> str | None:
    """Why the officer may not type in when the letters were sent (None: they may), for the form and the service.

    The form records letters sent outside Tender. Letters sent through
    Tender's "Send" record their own moment (the last to go) and move the
    procurement on, so the form is neither offered nor accepted then.
    """
    refusal = _stage_refusal(procurement)
    if refusal is None and _sent_through_tender(procurement):
        return (f"The {notice_words(procurement)} are being sent through Tender, which records when the last one "
                "goes: see the award letters page.")
    return refusal


def _notice_facts(procurement: Procurement) -> dict:
    sent = procurement.award_notices_sent_at
    return {"sent_at": sent.isoformat() if sent else None, "electronic": procurement.award_notices_electronic,
            "last_received_on": procurement.award_notices_last_received_on}


def is_act(procurement: Procurement) -> bool:
    """True under the Procurement Act 2023 (either regime)."""
    return procurement.regime.startswith("pa2023")


def starts_with_notices(procurement: Procurement) -> bool:
    """Whether sending the last award letter starts standstill: under PCR (reg. 87) yes; under the Act no (s.51)."""
    return not is_act(procurement)


def voluntary(procurement: Procurement) -> VoluntaryStandstill | None:
    """The voluntary standstill a light touch contract under the Act observes, if one is recorded."""
    if procurement.regime != PA_LIGHT_TOUCH:
        return None
    return db.session.scalar(select(VoluntaryStandstill).where(VoluntaryStandstill.procurement_id == procurement.id))


def standstill_of(procurement: Procurement) -> periods.Standstill | None:
    """The procurement's standstill as recorded (None before it starts, or where none applies)."""
    return binding_standstill(
        procurement.regime, notices_sent_at=aware_utc(procurement.award_notices_sent_at),
        award_notice_published_at=aware_utc(procurement.award_notice_published_at),
        electronic=procurement.award_notices_electronic,
        last_received=procurement.award_notices_last_received_on, voluntary=voluntary(procurement) is not None)


def summary_standstill(procurement: Procurement, sent_on: date, method: str = letter_rules.EMAIL,
                       received_on: date | None = None) -> letter_rules.Standstill:
    """What a letter or summary sent on ``sent_on`` says about standstill: exactly what the contract stage enforces."""
    return letter_rules.standstill(procurement.regime, sent_on, method, received_on,
                                   voluntary=voluntary(procurement) is not None)


def _summaries_gone(procurement: Procurement) -> bool:
    """True once any assessment summary has left its draft (or their sending is recorded)."""
    return procurement.award_notices_sent_at is not None or db.session.scalar(
        select(AwardLetter.id).where(AwardLetter.procurement_id == procurement.id, AwardLetter.status != DRAFT)
        .limit(1)) is not None


@use_case
def record_voluntary_standstill(procurement_id: int, user, reason: str, ip: str | None = None) -> VoluntaryStandstill:
    """Commit a light touch contract under the Act to an 8 working day standstill it is not obliged to observe.

    Recorded before any assessment summary goes, so the summaries promise it;
    from then on it binds the contract stage exactly like a mandatory one and
    cannot be withdrawn (the suppliers were told they have it).
    """
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    if procurement.regime != PA_LIGHT_TOUCH:
        raise InvalidRequest("A voluntary standstill is recorded only for a light touch contract under the "
                             "Procurement Act 2023: other contracts have a standstill by law (s.51).")
    if voluntary(procurement) is not None:
        raise InvalidRequest("A voluntary standstill is already recorded.")
    if _summaries_gone(procurement):
        raise InvalidRequest("The assessment summaries have gone saying that no standstill applies, so a voluntary "
                             "standstill can no longer be promised in them.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter why the authority will observe a standstill, like giving suppliers time to "
                             "challenge the decision before the contract is entered into.")
    if len(reason) > 4000:
        raise InvalidRequest("Enter the reason in 4,000 characters or fewer.")
    row = VoluntaryStandstill(procurement_id=procurement.id, reason=reason, recorded_by_id=user.id,
                              recorded_at=clock.now())
    db.session.add(row)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "standstill.voluntary_recorded", "procurement", procurement.id,
                 procurement_ref=procurement.reference, after={"reason": reason, "days": 8, "counting": "working"})
    return row


# --- notices --------------------------------------------------------------------------------------------------

def _stored_kinds(procurement: Procurement) -> set[str]:
    return set(db.session.scalars(select(Notice.kind).where(Notice.procurement_id == procurement.id)))


def notice_published(procurement: Procurement, kind: str, moment: datetime, actor: audit.Actor, *,
                     now: datetime | None = None, elsewhere: bool = False) -> None:
    """Check and apply what publishing notice ``kind`` at ``moment`` means; call before storing the notice.

    Raises InvalidRequest (nothing changed) if the law does not allow the
    notice now (``now``: the present, by default the clock's). Otherwise, in
    the caller's transaction (it commits): the UK6's moment is recorded and
    the transition the notice evidences fires (the audit events say so). PCR
    notices change nothing here.
    """
    if moment is None or moment.tzinfo is None:
        raise InvalidRequest("Enter the date and time the notice was published.")
    if not is_act(procurement):
        return
    now = now or clock.now()
    if moment > now + PUBLISHED_SLACK:
        raise InvalidRequest("A notice cannot be recorded as published in the future.")
    if kind == "tender":
        on_tender_notice(procurement, moment, actor)
    elif kind == "award":
        # A UK6 published on Find a Tender long ago and only now recorded here ran its standstill in public:
        # recording it is a fact, not a choice, so it is not refused as stale (that would be a dead end).
        on_contract_award_notice(procurement, moment, actor, today=periods.uk_date(now), refuse_stale=not elsewhere)
    elif kind == "contract":
        on_contract_details_notice(procurement, moment, actor)


def _fire(procurement: Procurement, kind: str, moment: datetime, actor: audit.Actor, **overrides) -> None:
    from tender.services.procurement import workflow

    workflow.fire_on_notice(procurement, kind, actor, today=periods.uk_date(moment), now=moment, **overrides)


def on_tender_notice(procurement: Procurement, moment: datetime, actor: audit.Actor) -> None:
    """The UK4 goes only once the conflicts assessment is reviewed and covers everyone (s.83)."""
    from tender.services.procurement.guard_context import CONFLICTS, build_context

    outcome = conflicts_assessed(None, build_context(procurement, periods.uk_date(moment), frozenset({CONFLICTS})))
    if outcome.blocks:
        raise InvalidRequest(f"The tender notice cannot be published yet. {outcome.message}")
    _fire(procurement, "tender", moment, actor)


def on_contract_award_notice(procurement: Procurement, moment: datetime, actor: audit.Actor, *,
                             today: date | None = None, refuse_stale: bool = True) -> None:
    """Standstill runs from the UK6 (s.51): record its moment, move into standstill, refuse a stale one."""
    moment = moment.astimezone(timezone.utc)
    sent = aware_utc(procurement.award_notices_sent_at)
    if sent is None:
        raise InvalidRequest("Record when the assessment summaries were sent first: they go to every assessed "
                             "supplier before the contract award notice (Procurement Act 2023 s.50).")
    if moment < sent:
        raise InvalidRequest("The contract award notice comes after the assessment summaries (Procurement Act 2023 "
                             f"s.50); they were sent on {periods.format_uk_date(periods.uk_date(sent))}.")
    standstill = binding_standstill(procurement.regime, award_notice_published_at=moment,
                                    voluntary=voluntary(procurement) is not None)
    today = today or clock.today()
    if refuse_stale and standstill is not None and standstill.over(today):
        raise InvalidRequest(
            f"A contract award notice published on {periods.format_uk_date(standstill.started_on)} would give a "
            f"standstill period that ended on {periods.format_uk_date(standstill.last_day)} ({standstill.rule}), "
            "before today: suppliers would have had no standstill at all. Publish it with today's date.")
    _fire(procurement, "award", moment, actor, award_notice_published_at=moment)  # raises before writing anything
    procurement.award_notice_published_at = moment
    if standstill is not None:
        replanned = _contract_not_before(procurement, standstill.contract_from)
        audit.record(actor, "award.standstill_started", "procurement", procurement.id,
                     procurement_ref=procurement.reference,
                     after={"award_notice_published_at": moment, "last_day": standstill.last_day,
                            "contract_from": standstill.contract_from, "rule": standstill.rule,
                            **({"contract_replanned_to": replanned} if replanned else {})})


def record_award_notice_published(procurement: Procurement, published_at: datetime,
                                  actor: audit.Actor | None = None, *, now: datetime | None = None) -> None:
    """The UK6 is published at ``published_at``: the same as ``notice_published(procurement, "award", ...)``.

    Kept for callers written before :func:`notice_published`; prefer that, for every kind of notice.
    """
    notice_published(procurement, "award", published_at, actor or audit.Actor.system("contract award notice"),
                     now=now)


#: A notice generated a moment ago on another clock is not "in the future".
PUBLISHED_SLACK = timedelta(minutes=5)
#: Milestones the contract stage meets (the planned contract date follows standstill's end).
CONTRACT_MILESTONES = ("contract_entered", "contract_awarded")


def _contract_not_before(procurement: Procurement, earliest: date) -> date | None:
    """Move the planned contract date to the first lawful day if it was planned earlier; the new date or None."""
    contract = db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement.id,
                                                         Milestone.key.in_(CONTRACT_MILESTONES)))
    if contract is None or contract.status in CLOSED or (contract.planned_date and contract.planned_date >= earliest):
        return None
    contract.planned_date = earliest
    contract.replan_reason = ("Standstill runs from the contract award notice (Procurement Act 2023 s.51): the "
                              "contract may be entered into from this day.")
    return earliest


def contract_entered_on(procurement: Procurement) -> date | None:
    """The day the contract was entered into: as signed if the contract is recorded, else its milestone's day."""
    from sqlalchemy import func

    from tender.models import Contract

    signed = db.session.scalar(select(func.min(Contract.signed_on)).where(Contract.procurement_id == procurement.id))
    if signed is not None:
        return signed
    return db.session.scalar(select(Milestone.actual_date).where(
        Milestone.procurement_id == procurement.id, Milestone.key.in_(CONTRACT_MILESTONES),
        Milestone.actual_date.is_not(None)))


def contract_details_due(procurement: Procurement) -> date | None:
    """The last day for the contract details notice (UK7): 30 days from the contract, 120 light touch (s.53)."""
    entered = contract_entered_on(procurement)
    if entered is None:
        return None
    return periods.contract_details_notice_due(entered, procurement.regime == PA_LIGHT_TOUCH)


def late_reason(procurement: Procurement, kind: str = "contract") -> LateNoticeReason | None:
    return db.session.scalar(select(LateNoticeReason).where(LateNoticeReason.procurement_id == procurement.id,
                                                            LateNoticeReason.kind == kind))


def on_contract_details_notice(procurement: Procurement, moment: datetime, actor: audit.Actor) -> None:
    """The UK7 is due within 30 days of the contract (s.53); after that only with the reason for the delay."""
    due = contract_details_due(procurement)
    day = periods.uk_date(moment)
    if due is not None and day > due and late_reason(procurement) is None:
        days = 120 if procurement.regime == PA_LIGHT_TOUCH else 30
        raise InvalidRequest(
            f"The contract details notice was due by {periods.format_uk_date(due)} (Procurement Act 2023 s.53: "
            f"{days} days beginning with the day the contract was entered into). Record why it is late on the "
            "standstill and notices page, then publish it.")
    _fire(procurement, "contract", moment, actor)


@use_case
def record_late_reason(procurement_id: int, user, reason: str, kind: str = "contract",
                       ip: str | None = None) -> LateNoticeReason:
    """Record, once, why the contract details notice goes after its due date (kept with the notice's record)."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    if kind != "contract" or not is_act(procurement):
        raise InvalidRequest("A reason for lateness is recorded for the contract details notice (UK7) only.")
    if "contract" in _stored_kinds(procurement):
        raise InvalidRequest("The contract details notice is already published.")
    if late_reason(procurement, kind) is not None:
        raise InvalidRequest("A reason is already recorded.")
    due = contract_details_due(procurement)
    if due is None:
        raise InvalidRequest("The contract has not been entered into, so the contract details notice is not due.")
    if clock.today() <= due:
        raise InvalidRequest(f"The contract details notice is not late: it is due by {periods.format_uk_date(due)}.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter why the contract details notice is published late.")
    if len(reason) > 4000:
        raise InvalidRequest("Enter the reason in 4,000 characters or fewer.")
    row = LateNoticeReason(procurement_id=procurement.id, kind=kind, reason=reason, recorded_by_id=user.id,
                           recorded_at=clock.now())
    db.session.add(row)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "notice.late_reason_recorded", "procurement", procurement.id,
                 procurement_ref=procurement.reference, after={"kind": kind, "due": due, "reason": reason})
    return row


def contract_entry_blockers(procurement: Procurement, today: date) -> list[str]:
    """Why the contract cannot be entered into today (``workflow.contract_entry_blockers``; empty: it can)."""
    from tender.services.procurement import workflow

    return workflow.contract_entry_blockers(procurement, today)


def challenges(procurement_id: int) -> list[LegalChallenge]:
    """Every recorded challenge of a procurement, oldest first."""
    return list(db.session.scalars(select(LegalChallenge).where(LegalChallenge.procurement_id == procurement_id)
                                   .order_by(LegalChallenge.id)))


@use_case
def record_challenge(procurement_id: int, reference: str, issued_on: date | None, aware_on: date | None, note: str,
                     user, today: date, ip: str | None = None) -> LegalChallenge:
    """Record a claim form issued against the award decision: entering into the contract is suspended.

    PCR 2015 reg. 95(1): once the claim form is issued and the authority is
    aware of it (and has not yet entered into the contract), it must not do
    so. PA 2023 s.101: the same once the authority is aware of proceedings
    started during standstill.
    """
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    reference = (reference or "").strip()
    if not reference:
        raise InvalidRequest("Enter the claim number from the claim form, like HT-2022-000123.")
    if len(reference) > 100:
        raise InvalidRequest("Enter a claim number of 100 characters or fewer.")
    if issued_on is None or aware_on is None:
        raise InvalidRequest("Enter the date the claim form was issued and the date you became aware of it.")
    if issued_on > today or aware_on > today:
        raise InvalidRequest("The dates of the claim cannot be in the future.")
    if aware_on < issued_on:
        raise InvalidRequest("The date you became aware of the claim cannot be before it was issued.")
    definition = definition_of(procurement)
    if definition.is_final(procurement.state):
        raise InvalidRequest("This procurement has ended; a claim now cannot suspend the contract.")
    challenge = LegalChallenge(procurement_id=procurement.id, reference=reference, issued_on=issued_on,
                               aware_on=aware_on, note=(note or "").strip(), recorded_by_id=user.id,
                               recorded_at=clock.now())
    db.session.add(challenge)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "challenge.recorded", "legal_challenge", challenge.id,
                 procurement_ref=procurement.reference,
                 after={"reference": reference, "issued_on": issued_on, "aware_on": aware_on, "note": challenge.note})
    return challenge


LIFTED_MEANWHILE = ("Someone else changed this challenge while you were looking at it. "
                    "The page now shows it as it is: check it before you try again.")


@use_case(LIFTED_MEANWHILE)
def lift_suspension(procurement_id: int, challenge_id: int, lifted_on: date | None, reason: str, user, today: date,
                    ip: str | None = None, *, expected_version: int | None = None) -> LegalChallenge:
    """Record that the suspension ended: a court order lifted it, or the proceedings ended."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    challenge = db.session.get(LegalChallenge, challenge_id)
    if challenge is None or challenge.procurement_id != procurement.id:
        raise NotFound("That challenge is not recorded for this procurement.")
    check_version(challenge, expected_version, LIFTED_MEANWHILE)
    if not challenge.suspending:
        raise InvalidRequest("This suspension has already been lifted.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter what lifted the suspension, like the court order and its date.")
    if lifted_on is None:
        raise InvalidRequest("Enter the date the suspension was lifted.")
    if lifted_on > today:
        raise InvalidRequest("The date the suspension was lifted cannot be in the future.")
    if lifted_on < challenge.issued_on:
        raise InvalidRequest("The suspension cannot be lifted before the claim was issued.")
    challenge.lifted_on, challenge.lifted_reason = lifted_on, reason
    challenge.lifted_by_id, challenge.lifted_at = user.id, clock.now()
    audit.record(audit.Actor.of(user, ip), "challenge.suspension_lifted", "legal_challenge", challenge.id,
                 procurement_ref=procurement.reference, before={"lifted_on": None},
                 after={"reference": challenge.reference, "lifted_on": lifted_on}, reason=reason)
    return challenge


@dataclass(frozen=True)
class PageFacts:
    """What the procurement page shows about award notices, standstill and challenges."""

    words: str
    can_record: bool
    sent_at: datetime | None  # UK time
    electronic: bool
    last_received_on: date | None
    standstill: periods.Standstill | None
    over: bool
    challenges: tuple[LegalChallenge, ...]
    can_challenge: bool
    through_tender: bool = False  # letters were sent (or are going) through Tender's "Send"

    @property
    def suspending(self) -> tuple[LegalChallenge, ...]:
        """Challenges whose suspension is not lifted."""
        return tuple(c for c in self.challenges if c.suspending)

    @property
    def show(self) -> bool:
        """Whether the page needs the section at all."""
        return bool(self.can_record or self.sent_at or self.standstill or self.challenges)


def page_facts(procurement: Procurement, today: date) -> PageFacts:
    """The standstill section of the procurement page (two queries)."""
    sent = aware_utc(procurement.award_notices_sent_at)
    ended = definition_of(procurement).is_final(procurement.state)
    current = standstill_of(procurement)
    in_sending_stage = procurement.state in sending_stages(procurement)
    through = in_sending_stage and _sent_through_tender(procurement)  # asked only where the form could show
    return PageFacts(
        words=notice_words(procurement),
        can_record=in_sending_stage and not through,
        through_tender=through,
        sent_at=sent.astimezone(periods.UK_TIME) if sent else None,
        electronic=procurement.award_notices_electronic is not False,
        last_received_on=procurement.award_notices_last_received_on,
        standstill=current,
        over=bool(current and current.over(today)),
        challenges=tuple(challenges(procurement.id)),
        can_challenge=not ended and (sent is not None or current is not None),
    )


def standstill_ends_for(user_id: int) -> list:
    """Standstill ends of the procurements at their standstill stage that ``user_id`` leads or owns a milestone of."""
    from tender.domain.calendar_feed import StandstillEnd
    from tender.models import Milestone

    owned = select(Milestone.procurement_id).where(Milestone.owner_id == user_id)
    rows = db.session.scalars(select(Procurement).where(
        Procurement.state == "standstill",
        (Procurement.lead_officer_id == user_id) | Procurement.id.in_(owned)).order_by(Procurement.id))
    ends = []
    for procurement in rows:
        current = standstill_of(procurement)
        if current is not None:
            ends.append(StandstillEnd(procurement.id, procurement.reference, procurement.title, current.last_day,
                                      current.contract_from, current.rule))
    return ends


@dataclass(frozen=True)
class ActFacts:
    """The Procurement Act standstill and notices page: what applies, what is recorded, what is due."""

    procurement: Procurement
    light_touch: bool
    voluntary: VoluntaryStandstill | None
    may_volunteer: bool
    summaries_sent_at: datetime | None
    award_notice_at: datetime | None
    standstill: periods.Standstill | None
    contract_entered_on: date | None
    details_due: date | None
    details_published: bool
    late_reason: LateNoticeReason | None
    may_give_late_reason: bool


def act_facts(procurement_id: int, user, today: date) -> ActFacts:
    """What the Act's standstill and notices page shows (for anyone who may see the procurement)."""
    authorise(user, Permission.VIEW_PROCUREMENTS)
    procurement = get_procurement(procurement_id)
    kinds = _stored_kinds(procurement)
    light_touch = procurement.regime == PA_LIGHT_TOUCH
    chosen = voluntary(procurement)
    due = contract_details_due(procurement)
    reason = late_reason(procurement)
    sent = aware_utc(procurement.award_notices_sent_at)
    published = aware_utc(procurement.award_notice_published_at) if "award" in kinds else None
    return ActFacts(
        procurement=procurement, light_touch=light_touch, voluntary=chosen,
        may_volunteer=light_touch and chosen is None and not _summaries_gone(procurement),
        summaries_sent_at=sent.astimezone(periods.UK_TIME) if sent else None,
        award_notice_at=published.astimezone(periods.UK_TIME) if published else None,
        standstill=standstill_of(procurement) if published else None,
        contract_entered_on=contract_entered_on(procurement), details_due=due,
        details_published="contract" in kinds, late_reason=reason,
        may_give_late_reason=(is_act(procurement) and reason is None and due is not None and today > due
                              and "contract" not in kinds))
