"""Today's date, overridable for demonstrations and tests with ``TENDER_TODAY``.

Guards take ``today`` as data; this is where the web app gets it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from flask import current_app

from tender.domain.periods import UK_TIME


def today() -> date:
    """``TENDER_TODAY`` (YYYY-MM-DD) from the config if set, else the real date."""
    fixed = current_app.config.get("TENDER_TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return date.today()


def now() -> datetime:
    """The present moment, timezone-aware (UTC); midday UK time on ``TENDER_TODAY``'s day if that is set.

    A fixed day has no time of its own; midday keeps the moment on that UK day
    whatever the season, and keeps pages and tests repeatable.
    """
    if current_app.config.get("TENDER_TODAY"):
        return datetime.combine(today(), time(12, 0), tzinfo=UK_TIME).astimezone(timezone.utc)
    return datetime.now(timezone.utc)
