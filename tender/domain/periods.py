"""Counting procurement time limits: minimum periods, deadlines and standstill.

Two regimes count days differently, and every function here takes
``counting`` to say which one applies:

``"calendar"`` -- Public Contracts Regulations 2015, reg 2(3)-(4) (which
    follow Council Regulation (EEC, Euratom) No 1182/71, art 3):

    * periods are in calendar days;
    * the day of the event (e.g. sending the contract notice) is not counted,
      so an N-day period ends at the end of the day N days after the event;
    * a period whose last day is not a working day ends at the end of the next
      working day;
    * a period of two days or more must include at least two working days;
    * a working day is any day except Saturday, Sunday, Christmas Day, Good
      Friday and a bank holiday in England and Wales.

``"days"`` -- Procurement Act 2023, periods the Act gives in (calendar) days
    (s.54 participation and tendering periods):

    * the day of the event is not counted (s.54(5): the period starts the
      day after), so an N-day period ends at the end of event + N;
    * there is no roll-forward off a weekend or bank holiday and no
      two-working-day rule: those come from PCR reg 2 (Regulation 1182/71),
      which the Act does not carry over.

``"working"`` -- Procurement Act 2023:

    * periods are counted in working days;
    * a working day (s.123) is any day except Saturday, Sunday and a bank
      holiday in *any* part of the UK, so St Andrew's Day, 2 January
      (Scotland) and 12 July (Northern Ireland) are not working days;
    * a period starts the day after the event (s.54(5)), so the event day is
      not counted.

Caution: the statutory minimum tendering and participation periods in PA
s.54(3)-(4) are written as "days", not "working days": count them with
``counting="days"``, not ``"working"``.

Standstill is not a minimum period between two events but a bar: the
contract may not be entered into *before the period ends*, so the contract
day must be after the period's last day (see :func:`standstill_for`).

All functions are pure: they take dates and return dates. ``datetime``
arguments are accepted and their time of day is ignored. Every function takes
``extra_holidays``, a local table of one-off non-working days (for example a
date a council adds that the ``holidays`` package lacks).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from tender.domain import calendars
from tender.domain.calendars import holiday_name, is_bank_holiday

__all__ = [
    "Counting",
    "PeriodCheck",
    "Standstill",
    "add_working_days",
    "check_period",
    "contract_details_notice_due",
    "earliest_contract_day",
    "earliest_period_end",
    "format_uk_date",
    "is_working_day",
    "next_working_day",
    "non_working_reason",
    "pa_standstill_end",
    "pa_standstill_last_day",
    "pcr_standstill_end",
    "pcr_standstill_last_day",
    "standstill_ends_at",
    "standstill_for",
    "standstill_last_day",
    "uk_date",
    "working_days_between",
]

Counting = Literal["calendar", "days", "working"]

#: The bank-holiday calendar each regime uses (see module docstring). ``"days"``
#: never rolls forward, but "is this a working day?" still means s.123's.
_CALENDAR_FOR = {"calendar": "england-and-wales", "days": "united-kingdom", "working": "united-kingdom"}

#: UK clock time: the law's "midnight" and "day" are the day in London.
UK_TIME = ZoneInfo("Europe/London")

_ONE_DAY = timedelta(days=1)

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)


# --- small helpers -----------------------------------------------------------

def _as_date(value: date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"Expected a date, got {type(value).__name__}: {value!r}")
    return value


def _extras(extra_holidays: Iterable[date]) -> frozenset[date]:
    if isinstance(extra_holidays, frozenset):
        return extra_holidays
    return frozenset(_as_date(d) for d in extra_holidays)


def _calendar(counting: str) -> str:
    try:
        return _CALENDAR_FOR[counting]
    except KeyError:
        raise ValueError(
            f"Unknown counting {counting!r}: use 'calendar' (PCR 2015), 'days' or 'working' (Procurement Act 2023)."
        ) from None


def _working(day: date, calendar: str, extras: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in extras and not is_bank_holiday(day, calendar)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if abs(n) == 1 else f"{n} {word}s"


def format_uk_date(day: date) -> str:
    """A date as people in the UK write it: "4 April 2022" (no leading zero).

    Independent of the server's locale, unlike ``strftime("%B")``.
    """
    day = _as_date(day)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# --- working days --------------------------------------------------------------

def is_working_day(day: date, counting: Counting, extra_holidays: Iterable[date] = ()) -> bool:
    """Whether ``day`` is a working day under the regime ``counting`` names.

    PCR 2015 reg 2: not Saturday, Sunday, Christmas Day, Good Friday or an
    England and Wales bank holiday. PA 2023 s.123: not Saturday, Sunday or a
    bank holiday anywhere in the UK. Dates in ``extra_holidays`` are never
    working days.
    """
    return _working(_as_date(day), _calendar(counting), _extras(extra_holidays))


def non_working_reason(day: date, counting: Counting, extra_holidays: Iterable[date] = ()) -> str | None:
    """Why ``day`` is not a working day ("a Saturday", "Good Friday", ...), or None if it is one."""
    day, calendar, extras = _as_date(day), _calendar(counting), _extras(extra_holidays)
    if day.weekday() == 5:
        return "a Saturday"
    if day.weekday() == 6:
        return "a Sunday"
    name = holiday_name(day, calendar)
    if name:
        return name
    if day in extras:
        return "a local holiday"
    return None


def next_working_day(day: date, counting: Counting, extra_holidays: Iterable[date] = ()) -> date:
    """``day`` itself if it is a working day, otherwise the next working day after it.

    This is the PCR 2015 reg 2(4) rule for a period whose last day is not a
    working day: the period ends at the end of the next working day.
    """
    day, calendar, extras = _as_date(day), _calendar(counting), _extras(extra_holidays)
    while not _working(day, calendar, extras):
        day += _ONE_DAY
    return day


def add_working_days(start: date, days: int, counting: Counting, extra_holidays: Iterable[date] = ()) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted).

    ``add_working_days(Friday, 1, ...)`` is the following Monday if that is a
    working day. ``days == 0`` returns ``start`` unchanged, even if it is not a
    working day. Negative ``days`` counts backwards: -1 is the last working day
    before ``start`` (useful for "5 working days before the deadline").
    """
    return calendars.add_working_days(_as_date(start), days, _calendar(counting), _extras(extra_holidays))


def working_days_between(start: date, end: date, counting: Counting, extra_holidays: Iterable[date] = ()) -> int:
    """The number of working days after ``start`` up to and including ``end``.

    Used for reminders such as "due within 5 working days": from Friday to the
    following Monday is 1 working day; ``start == end`` gives 0.

    If ``end`` is before ``start`` (the due date has passed) the answer is
    negative: minus the working days on or after ``end`` and before
    ``start``. That makes it the inverse of :func:`add_working_days`, so
    ``add_working_days(start, working_days_between(start, end))`` is ``end``
    whenever ``end`` is a working day. A Friday deadline seen on the Saturday
    or the Monday is -1: one working day overdue. When both dates are working
    days, swapping them only changes the sign.
    """
    start, end = _as_date(start), _as_date(end)
    calendar, extras = _calendar(counting), _extras(extra_holidays)
    if end < start:  # minus the working days in [end, start)
        return -calendars.working_days_in(end, start - _ONE_DAY, calendar, extras)
    return calendars.count_working_days(start, end, calendar, extras)  # (start, end]


# --- minimum periods -----------------------------------------------------------

def _period_end(event: date, days: int, counting: str, extras: frozenset[date]) -> tuple[date, str | None]:
    """The earliest end of a period, and (calendar counting) why it is later than event + days."""
    _calendar(counting)  # reject an unknown regime before anything else
    if days < 0:
        raise ValueError(f"A period cannot be {days} days long.")
    if days == 0:
        return event, None
    if counting == "working":
        return add_working_days(event, days, counting, extras), None
    if counting == "days":  # PA s.54(5): from the day after, no roll-forward
        return event + timedelta(days=days), None
    # PCR reg 2(3): the event day is not counted, so day N is event + N.
    nominal = event + timedelta(days=days)
    end = next_working_day(nominal, counting, extras)  # reg 2(4)
    reason = None
    if end != nominal:
        reason = (
            f"{format_uk_date(nominal)} is not a working day "
            f"({non_working_reason(nominal, counting, extras)})"
        )
    # PCR reg 2 (following Reg 1182/71 art 3(5)): a period of two days or more must
    # include at least two working days.
    if days >= 2:
        second = add_working_days(event, 2, counting, extras)
        if second > end:
            end, reason = second, "a period must include at least 2 working days"
    return end, reason


def earliest_period_end(event: date, days: int, counting: Counting, extra_holidays: Iterable[date] = ()) -> date:
    """The earliest date on which a period of ``days`` starting with ``event`` may end.

    ``"calendar"`` (PCR 2015 reg 2): event + ``days`` calendar days, moved to
    the next working day if that is not one, and later still if needed so the
    period contains at least 2 working days (periods of 2 days or more).

    ``"working"`` (PA 2023 ss.54(5), 123): the ``days``-th working day after
    the event.

    The period runs to the end of the returned day. ``days == 0`` returns
    ``event``. A deadline set at a time of day (say 12:00) on the returned date
    ends before the period's last day is over; warn about that separately.
    """
    return _period_end(_as_date(event), days, counting, _extras(extra_holidays))[0]


@dataclass(frozen=True)
class PeriodCheck:
    """The result of checking a period against its statutory minimum.

    ``days_given`` is in the regime's units: calendar days after ``start`` up
    to ``end`` for ``"calendar"``, working days for ``"working"``.
    ``extended_because`` says why ``earliest_end`` is later than ``start``
    plus the minimum under calendar counting (None if it is not).
    """

    start: date
    end: date
    minimum_days: int
    counting: str
    earliest_end: date
    days_given: int
    ok: bool
    extended_because: str | None = None

    @property
    def unit(self) -> str:
        return "working day" if self.counting == "working" else "day"

    @property
    def explanation(self) -> str:
        """One plain-English sentence for the screen or a report."""
        start, end = format_uk_date(self.start), format_uk_date(self.end)
        kind = _plural(self.minimum_days, "working day" if self.counting == "working" else "calendar day")
        if self.end < self.start:
            given = f"The period from {start} to {end} ends before it starts"
        else:
            given = f"The period from {start} to {end} is {_plural(self.days_given, self.unit)}"
        if self.minimum_days == 0:
            return f"{given}; there is no minimum period."
        minimum = f"the minimum is {kind}"
        if self.ok:
            return f"{given}, which meets the minimum of {kind}."
        sentence = f"{given}; {minimum}, so it must end on or after {format_uk_date(self.earliest_end)}"
        if self.extended_because:
            sentence += f", because {self.extended_because}"
        return sentence + "."


def check_period(
    start: date, end: date, minimum_days: int, counting: Counting, extra_holidays: Iterable[date] = ()
) -> PeriodCheck:
    """Check that a period from ``start`` (the event, not counted) to ``end`` meets a minimum.

    ``ok`` is true when ``end`` is on or after :func:`earliest_period_end`.
    Under calendar counting, an end date that is ``minimum_days`` or more
    after ``start`` can still fail: if the minimum period's last day is a
    Saturday, the law extends that period to the end of Monday (PCR reg 2(4)),
    so a Sunday deadline gives less than the minimum.
    """
    start, end, extras = _as_date(start), _as_date(end), _extras(extra_holidays)
    earliest, reason = _period_end(start, minimum_days, counting, extras)
    if counting == "working":
        given = working_days_between(start, end, counting, extras)
    else:
        given = (end - start).days
    return PeriodCheck(
        start=start,
        end=end,
        minimum_days=minimum_days,
        counting=counting,
        earliest_end=earliest,
        days_given=given,
        ok=end >= earliest,
        extended_because=reason,
    )


# --- standstill ----------------------------------------------------------------

def uk_date(moment: datetime) -> date:
    """The day in the UK (Europe/London) at ``moment``, which must be timezone-aware.

    Letters sent at 00:30 BST on 1 June were sent on 1 June, although it was
    still 31 May in UTC: periods count UK days.
    """
    if moment.tzinfo is None:
        raise ValueError("Give a timezone-aware moment: a naive time does not say which day it was in the UK.")
    return moment.astimezone(UK_TIME).date()


def pcr_standstill_last_day(notices_sent: date, extra_holidays: Iterable[date] = (), *, electronic: bool = True,
                            last_received: date | None = None) -> date:
    """The last day of the PCR 2015 standstill period (reg. 87(2)).

    ``notices_sent`` is the "relevant sending date": the day (UK time) the last
    award-decision notice was sent.

    * Sent electronically (reg. 87(2)(a)): midnight at the end of the 10th day
      after the sending date.
    * Sent by other means (reg. 87(2)(b)): the earlier of midnight at the end
      of the 15th day after the sending date and midnight at the end of the
      10th day after the last notice was received (``last_received``). Until
      the receipt is known only the 15-day end is certain, so it is used.

    Reg. 2(4) (Regulation 1182/71 art. 3(4)): a period whose last day is not a
    working day ends at the end of the next working day. The contract may be
    entered into from the start of the following day
    (:func:`earliest_contract_day`).
    """
    sent = _as_date(notices_sent)
    if electronic:
        return earliest_period_end(sent, 10, "calendar", extra_holidays)
    ends = [earliest_period_end(sent, 15, "calendar", extra_holidays)]
    if last_received is not None:
        ends.append(earliest_period_end(last_received, 10, "calendar", extra_holidays))
    return min(ends)


def pcr_standstill_end(notices_sent: date, extra_holidays: Iterable[date] = ()) -> datetime:
    """The moment PCR 2015 standstill ends, as a naive datetime in UK local time.

    It is 23:59:59 on :func:`pcr_standstill_last_day` ("midnight at the end
    of" that day, reg 87(2)(a)). Prefer :func:`standstill_ends_at`, which is
    timezone-aware.
    """
    return datetime.combine(pcr_standstill_last_day(notices_sent, extra_holidays), time(23, 59, 59))


def pa_standstill_last_day(award_notice_published: date, extra_holidays: Iterable[date] = ()) -> date:
    """The last day of the Procurement Act 2023 standstill period.

    s.51(2): 8 working days *beginning with* the day the contract award notice
    is published, so the publication day is day 1 if it is a working day. If
    it is not (a notice published on a Saturday), the period still begins
    with it, but its first working day is the next working day: Saturday's
    notice gives the same last day as Monday's. Working days as s.123 (no bank
    holiday anywhere in the UK). The contract may be entered into after the
    end of the returned day (:func:`earliest_contract_day`).
    """
    published = _as_date(award_notice_published)
    return add_working_days(published - _ONE_DAY, 8, "working", extra_holidays)


#: The name the first version used; it returns the last day, not a moment.
pa_standstill_end = pa_standstill_last_day


def standstill_last_day(start: date, days: int, counting: Counting, extra_holidays: Iterable[date] = ()) -> date:
    """The last day of a standstill period of ``days`` from ``start``, as a workflow file declares it.

    ``"calendar"`` (PCR reg. 87 with reg. 2): ``days`` days *after* ``start``,
    rolled forward off a non-working day. ``"working"`` (PA s.51): ``days``
    working days *beginning with* ``start``. The planning checks and the
    binding guard both come here, so they agree on the day.
    """
    if counting == "working":
        return add_working_days(_as_date(start) - _ONE_DAY, days, "working", extra_holidays)
    return earliest_period_end(start, days, counting, extra_holidays)


def earliest_contract_day(last_day: date) -> date:
    """The first day on which the contract may be entered into: the day after standstill's last day.

    PCR reg. 87(1) and PA s.51(1) forbid entering into the contract *before
    the end of* the standstill period, which ends at midnight at the end of
    its last day; neither says the contract must then wait for a working day.
    The last day of a PCR standstill is always a working day (reg. 2(4)), a
    PA one always is (it is the 8th working day), so the contract may be
    entered into on the next calendar day, even a Saturday. A timetable that
    plans the contract on the last day of standstill is refused.
    """
    return _as_date(last_day) + _ONE_DAY


def standstill_ends_at(last_day: date) -> datetime:
    """The moment standstill ends: 23:59:59 Europe/London on its last day ("midnight at the end of")."""
    return datetime.combine(_as_date(last_day), time(23, 59, 59), tzinfo=UK_TIME)


@dataclass(frozen=True)
class Standstill:
    """When one procurement's standstill period ends, and under which rule."""

    started_on: date
    last_day: date
    rule: str

    @property
    def ends_at(self) -> datetime:
        """23:59:59 UK time on the last day."""
        return standstill_ends_at(self.last_day)

    @property
    def contract_from(self) -> date:
        """The first day the contract may be entered into."""
        return earliest_contract_day(self.last_day)

    def over(self, today: date) -> bool:
        """True once the last day has passed (``today`` is a UK date)."""
        return _as_date(today) > self.last_day

    @property
    def explanation(self) -> str:
        """One sentence for the procurement page and the guard."""
        return (f"Standstill ends at midnight at the end of {format_uk_date(self.last_day)} ({self.rule}); "
                f"the contract can be entered into from {format_uk_date(self.contract_from)}.")


def standstill_for(regime: str, *, notices_sent_at: datetime | None = None,
                   award_notice_published_at: datetime | None = None, electronic: bool = True,
                   last_received: date | None = None, extra_holidays: Iterable[date] = ()) -> Standstill | None:
    """The standstill a procurement under ``regime`` is in, or None if it has not started or does not apply.

    PCR 2015 (``pcr2015``, ``pcr2015_light_touch``; regs 84-87 apply to light
    touch contracts too): it starts when the award decision notices are sent
    (``notices_sent_at``). Procurement Act 2023 (``pa2023``): it starts with
    the publication of the contract award notice (``award_notice_published_at``,
    s.51), which follows the assessment summaries (s.50); a light touch
    contract has no mandatory standstill (s.51(3)), so ``pa2023_light_touch``
    gives None. Moments are timezone-aware; the UK day of each is what counts.
    """
    if regime.startswith("pa2023"):
        if regime == "pa2023_light_touch" or award_notice_published_at is None:
            return None
        started = uk_date(award_notice_published_at)
        return Standstill(started, pa_standstill_last_day(started, extra_holidays),
                          "Procurement Act 2023 s.51")
    if notices_sent_at is None:
        return None
    started = uk_date(notices_sent_at)
    rule = "PCR 2015 reg. 87(2)(a)" if electronic else "PCR 2015 reg. 87(2)(b)"
    return Standstill(started, pcr_standstill_last_day(started, extra_holidays, electronic=electronic,
                                                       last_received=last_received), rule)


def contract_details_notice_due(entered: date, light_touch: bool = False) -> date:
    """The last day to publish the contract details notice (UK7), Procurement Act 2023 s.53.

    s.53(1): before the end of the period of 30 days beginning with the day
    the contract is entered into (120 days for a light touch contract,
    s.53(2)). "Beginning with" counts the day of entry as day 1, so the last
    day is entry + 29 (or + 119): the earlier, safe reading of "30 days after".
    Calendar days, no roll-forward (the Act has none).
    """
    return _as_date(entered) + timedelta(days=(120 if light_touch else 30) - 1)
