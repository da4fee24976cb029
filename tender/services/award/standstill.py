"""Standstill: when the award notices went, legal challenges that suspend the contract, and the end.

Branch-independent interface: whatever sends the award decision letters (PCR
reg. 86) or assessment summaries (PA s.50) calls :func:`record_notices_sent`
with the moment the last one went; the standstill guard reads exactly that.
Under the Procurement Act standstill itself starts with the contract award
notice (s.51), whose moment ``workflow.advance`` records through
:func:`record_award_notice_published`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select

from tender.domain import periods
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import AwardApproval, LegalChallenge, Procurement
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.locking import check_version, guarded
from tender.services.procurement.guard_context import aware_utc
from tender.services.procurement.definitions import definition_of
from tender.services.procurement.workflow import get_procurement

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


def record_notices_sent(procurement, sent_at: datetime, user, ip: str | None = None, *, now: datetime | None = None,
                        electronic: bool = True, last_received_on: date | None = None,
                        commit: bool = True) -> Procurement:
    """Record the moment the last award decision letter or assessment summary was sent (audited).

    ``sent_at`` must be timezone-aware and not in the future: PCR standstill
    is counted from its UK day (reg. 87), and under the Act the contract
    award notice may follow it (s.50). The award must be approved first. May
    be recorded again (a later last letter) until standstill starts.
    ``electronic=False`` with ``last_received_on`` gives reg. 87(2)(b).
    """
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = _as_procurement(procurement)
    words = notice_words(procurement)
    if procurement.state not in sending_stages(procurement):
        raise InvalidRequest(f"The {words} can only be recorded as sent once the award decision is made and "
                             "before standstill starts.")
    if sent_at is None or sent_at.tzinfo is None:
        raise InvalidRequest(f"Enter the date and time the last of the {words} was sent.")
    if sent_at > (now or datetime.now(timezone.utc)):
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
    if commit:
        db.session.commit()
    return procurement


def _notice_facts(procurement: Procurement) -> dict:
    sent = procurement.award_notices_sent_at
    return {"sent_at": sent.isoformat() if sent else None, "electronic": procurement.award_notices_electronic,
            "last_received_on": procurement.award_notices_last_received_on}


def record_award_notice_published(procurement: Procurement, published_at: datetime) -> None:
    """Set the contract award notice's publication moment (PA s.51); the caller audits and commits."""
    if procurement.award_notice_published_at is None:
        procurement.award_notice_published_at = published_at.astimezone(timezone.utc)


def standstill_of(procurement: Procurement) -> periods.Standstill | None:
    """The procurement's standstill as recorded (None before it starts, or where none applies)."""
    return periods.standstill_for(
        procurement.regime, notices_sent_at=aware_utc(procurement.award_notices_sent_at),
        award_notice_published_at=aware_utc(procurement.award_notice_published_at),
        electronic=procurement.award_notices_electronic,
        last_received=procurement.award_notices_last_received_on)


def challenges(procurement_id: int) -> list[LegalChallenge]:
    """Every recorded challenge of a procurement, oldest first."""
    return list(db.session.scalars(select(LegalChallenge).where(LegalChallenge.procurement_id == procurement_id)
                                   .order_by(LegalChallenge.id)))


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
                               recorded_at=datetime.now(timezone.utc))
    db.session.add(challenge)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "challenge.recorded", "legal_challenge", challenge.id,
                 procurement_ref=procurement.reference,
                 after={"reference": reference, "issued_on": issued_on, "aware_on": aware_on, "note": challenge.note})
    db.session.commit()
    return challenge


LIFTED_MEANWHILE = ("Someone else changed this challenge while you were looking at it. "
                    "The page now shows it as it is: check it before you try again.")


@guarded(LIFTED_MEANWHILE)
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
    challenge.lifted_by_id, challenge.lifted_at = user.id, datetime.now(timezone.utc)
    audit.record(audit.Actor.of(user, ip), "challenge.suspension_lifted", "legal_challenge", challenge.id,
                 procurement_ref=procurement.reference, before={"lifted_on": None},
                 after={"reference": challenge.reference, "lifted_on": lifted_on}, reason=reason)
    db.session.commit()
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
    return PageFacts(
        words=notice_words(procurement),
        can_record=procurement.state in sending_stages(procurement),
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
