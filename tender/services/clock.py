"""Today's date, overridable for demonstrations and tests with ``TENDER_TODAY``.

Guards take ``today`` as data; this is where the web app gets it.
"""
from __future__ import annotations

from datetime import date

from flask import current_app


def today() -> date:
    """``TENDER_TODAY`` (YYYY-MM-DD) from the config if set, else the real date."""
    fixed = current_app.config.get("TENDER_TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return date.today()
