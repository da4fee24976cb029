"""The one clock: "today" and "now" for every service, page, job and command.

``TENDER_TODAY`` (YYYY-MM-DD, from the app's config or, outside an app, the
environment) fixes the day for demonstrations and tests; the whole demo can
then be walked from draft to live without a restart. The domain never reads
a clock: it takes ``today``/``now`` as arguments, and callers get them here.
This is the only module in ``tender/`` that reads the wall clock.

``moment(at)`` sets the present for one block of code (a context manager):
the demo loader uses it to run a supplier's submission through the same
services at the moment the tender was received, so the deadline checks run
as they did then. It overrides ``TENDER_TODAY``; ``wall_now`` ignores it.
"""
from __future__ import annotations

import os
import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timezone

from flask import current_app, has_app_context

from tender.domain.periods import UK_TIME


#: The present set by :func:`moment` for the block running now (None: the real clock or ``TENDER_TODAY``).
_MOMENT: ContextVar[datetime | None] = ContextVar("tender_clock_moment", default=None)


@contextmanager
def moment(at: datetime) -> Iterator[datetime]:
    """Within the block, ``now()`` is ``at`` and ``today()`` its UK date (blocks nest; each restores the last)."""
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValueError("clock.moment needs a timezone-aware datetime")
    token = _MOMENT.set(at.astimezone(timezone.utc))
    try:
        yield at
    finally:
        _MOMENT.reset(token)


def _fixed_day() -> date | None:
    fixed = current_app.config.get("TENDER_TODAY") if has_app_context() else os.environ.get("TENDER_TODAY")
    if not fixed:
        return None
    return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed).strip())


def today() -> date:
    """The day of :func:`moment` if one is set, else ``TENDER_TODAY`` if set, else today's date in the UK."""
    if _MOMENT.get() is not None:
        return uk_date(_MOMENT.get())
    fixed = _fixed_day()
    if fixed is not None:
        return fixed
    return datetime.now(timezone.utc).astimezone(UK_TIME).date()


def now() -> datetime:
    """The present moment, timezone-aware (UTC); midday UK time on ``TENDER_TODAY``'s day if that is set.

    A fixed day has no time of its own; midday keeps the moment on that UK day
    whatever the season, and keeps pages and tests repeatable. A :func:`moment` block's ``at`` comes first.
    """
    if _MOMENT.get() is not None:
        return _MOMENT.get()
    fixed = _fixed_day()
    if fixed is None:
        return datetime.now(timezone.utc)
    return datetime.combine(fixed, time(12, 0), tzinfo=UK_TIME).astimezone(timezone.utc)


def uk_date(moment: datetime) -> date:
    """The UK calendar date of an instant (periods count UK days); naive moments are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(UK_TIME).date()


def monotonic() -> float:
    """Seconds from an arbitrary start, for measuring durations (never a date)."""
    return _time.monotonic()


def start_of_uk_day(day: date) -> datetime:
    """Midnight UK time at the start of ``day``, as a UTC moment."""
    return datetime.combine(day, time(0, 0), tzinfo=UK_TIME).astimezone(timezone.utc)


def wall_now() -> datetime:
    """The real present moment (UTC), whatever ``TENDER_TODAY`` says: for leases, heartbeats and timings.

    A background job's claim must go stale by real time, or a demo pinned to
    one day would never hand a dead worker's job to the next worker.
    """
    return datetime.now(timezone.utc)
