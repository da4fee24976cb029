"""When a clarification or a change to the procurement documents comes too late: the deadline must move.

PCR 2015 reg. 47(3): where additional information requested in good time is
not supplied at the latest six days before the time limit for the receipt of
tenders (four days under an accelerated procedure), or where the procurement
documents are significantly changed, the contracting authority must extend
the time limit so that every economic operator concerned can take the
information into account. The Procurement Act 2023 states no number of days:
s.54(1) asks that time limits be reasonable, taking account of the
complexity of what is procured, and s.31 that a modified tender notice or
associated tender document comes with a time limit revised where needed.
Tender applies the same six days under the Act and says which provision it
rests on, as a warning the officer decides on, never a block.

Pure Python: callers pass the day the answer is published and the deadline.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tender.domain.periods import format_uk_date

#: Clear days between publishing an answer and the deadline (PCR reg. 47(3); Tender's practice under the Act).
MINIMUM_DAYS = 6
#: Under an accelerated (urgent) PCR procedure.
ACCELERATED_DAYS = 4

ANSWER, DOCUMENT_CHANGE = "answer", "document_change"
KINDS = (ANSWER, DOCUMENT_CHANGE)
KIND_WORDS = {ANSWER: "An answer to a clarification question", DOCUMENT_CHANGE: "A change to the procurement documents"}

#: Longest question or answer a person may type (a long answer belongs in a changed document).
MAX_TEXT = 10_000
MAX_TITLE = 200


@dataclass(frozen=True)
class LateNotice:
    """A clarification published too close to a deadline, and the extension that would cure it."""

    kind: str
    deadline_title: str
    deadline: date
    published_on: date
    days_before: int
    minimum_days: int
    proposed_deadline: date
    rule: str

    @property
    def message(self) -> str:
        """The warning, in plain English, naming the rule and the proposed date."""
        days = f"{self.days_before} day{'s' if self.days_before != 1 else ''}"
        if self.days_before < 0:
            when = f"after the {self.deadline_title.lower()} ({format_uk_date(self.deadline)})"
        else:
            when = f"{days} before the {self.deadline_title.lower()} ({format_uk_date(self.deadline)})"
        return (f"{KIND_WORDS[self.kind]} published on {format_uk_date(self.published_on)} is {when}: fewer than "
                f"the {self.minimum_days} days {self.rule} asks for. Extend the deadline to "
                f"{format_uk_date(self.proposed_deadline)} or later, for every invited supplier.")


def minimum_days(regime: str, urgency: bool) -> int:
    """The clear days an answer needs before the deadline under the procurement's regime."""
    if regime.startswith("pcr2015") and urgency:
        return ACCELERATED_DAYS
    return MINIMUM_DAYS


def rule_for(regime: str) -> str:
    """The provision the warning rests on."""
    if regime.startswith("pa2023"):
        return "the Procurement Act 2023 (s.31 and s.54(1): time limits must reflect a change)"
    return "the Public Contracts Regulations 2015, regulation 47(3),"


def late_notice(kind: str, published_on: date, deadline: date | None, deadline_title: str, *, regime: str,
                urgency: bool = False) -> LateNotice | None:
    """The warning for a clarification published ``published_on``, or None if the deadline leaves enough time.

    ``deadline`` None (no deadline ahead) needs no extension. A deadline
    already passed needs none either: nothing can be submitted to it.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown clarification kind {kind!r}")
    if deadline is None or deadline < published_on:
        return None
    needed = minimum_days(regime, urgency)
    days_before = (deadline - published_on).days
    if days_before >= needed:
        return None
    return LateNotice(kind=kind, deadline_title=deadline_title, deadline=deadline, published_on=published_on,
                      days_before=days_before, minimum_days=needed,
                      proposed_deadline=published_on + timedelta(days=needed), rule=rule_for(regime))


def is_deadline_key(key: str) -> bool:
    """A milestone that is a deadline for responses (``sq_deadline``, ``final_tender_deadline``, …)."""
    return key.endswith("_deadline")


def next_deadline(deadlines: list[tuple[str, str, date | None]], today: date) -> tuple[str, str, date] | None:
    """The first deadline (key, title, date) on or after ``today`` among ``deadlines``; None if none is ahead."""
    ahead = [(day, key, title) for key, title, day in deadlines if day is not None and day >= today]
    if not ahead:
        return None
    day, key, title = min(ahead)
    return key, title, day


__all__ = ["ACCELERATED_DAYS", "ANSWER", "DOCUMENT_CHANGE", "KINDS", "KIND_WORDS", "LateNotice", "MAX_TEXT",
           "MAX_TITLE", "MINIMUM_DAYS", "is_deadline_key", "late_notice", "minimum_days", "next_deadline",
           "rule_for"]
