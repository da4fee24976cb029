"""Today's date, overridable for demonstrations and tests with ``TENDER_TODAY``.

Guards take ``today`` as data; this is where the web app gets it.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import current_app

from tender.domain.periods import UK_TIME


def today() -> date:
    """``TENDER_TODAY`` (YYYY-MM-DD) from the config if set, else the real date."""
    fixed = current_app.config.get("TENDER_TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return date.today()


def now() -> datetime:
    """The present moment, timezone-aware; on ``TENDER_TODAY``'s day (at the present UK time) if that is set."""
    moment = datetime.now(timezone.utc)
    fixed = current_app.config.get("TENDER_TODAY")
    if not fixed:
        return moment
    uk = moment.astimezone(UK_TIME)
    return datetime.combine(today(), uk.time().replace(microsecond=0), tzinfo=UK_TIME).astimezone(timezone.utc)
