"""Migration 0005_standstill carries the recorded dates over to the new moments, and back."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tender.extensions import db

INSERT = text(
    "INSERT INTO procurement (reference, title, description, procedure, procedure_version, regime, state, "
    "estimated_value, initial_term_years, extension_years, electronic_submission, qualifying_pin, urgency, "
    "award_on_initial_reserved, award_notices_sent_on, assessment_summaries_sent_on, created_at, version) "
    "VALUES (:ref, 'T', '', :procedure, 1, :regime, 'standstill', 1000, 3, '', :yes, :no, :no, :no, "
    ":notices, :summaries, :created, 1)")


def _moment(value):
    if isinstance(value, str):  # SQLite
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def test_recorded_dates_become_moments_on_the_same_uk_day_and_come_back(ctx):
    downgrade(revision="0006_pages")
    with db.engine.begin() as conn:
        common = {"yes": True, "no": False, "created": datetime(2025, 1, 1, tzinfo=timezone.utc)}
        conn.execute(INSERT, {**common, "ref": "PCR-1", "procedure": "open_procedure", "regime": "pcr2015",
                              "notices": date(2024, 12, 16), "summaries": None})
        conn.execute(INSERT, {**common, "ref": "PA-1", "procedure": "competitive_flexible_procedure",
                              "regime": "pa2023", "notices": date(2025, 12, 22), "summaries": date(2025, 12, 1)})
    upgrade()
    with db.engine.connect() as conn:
        rows = {ref: (sent, published) for ref, sent, published in conn.execute(text(
            "SELECT reference, award_notices_sent_at, award_notice_published_at FROM procurement"))}
    # The PCR letters' date becomes the sending moment; the PA award notice's date (the old column the
    # standstill guard read) becomes the publication moment and the summaries' date the sending moment.
    assert _moment(rows["PCR-1"][0]) == datetime(2024, 12, 16, 12, tzinfo=timezone.utc)
    assert rows["PCR-1"][1] is None
    assert _moment(rows["PA-1"][0]) == datetime(2025, 12, 1, 12, tzinfo=timezone.utc)
    assert _moment(rows["PA-1"][1]) == datetime(2025, 12, 22, 12, tzinfo=timezone.utc)
    downgrade(revision="0006_pages")
    with db.engine.connect() as conn:
        back = {ref: (str(notices)[:10], summaries and str(summaries)[:10]) for ref, notices, summaries in
                conn.execute(text("SELECT reference, award_notices_sent_on, assessment_summaries_sent_on "
                                  "FROM procurement"))}
    assert back == {"PCR-1": ("2024-12-16", None), "PA-1": ("2025-12-22", "2025-12-01")}
    upgrade()
