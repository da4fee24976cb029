"""Standstill: the moments award notices were sent and the award notice published; legal challenges.

The sending of award decision letters (PCR reg. 86) or assessment summaries
(PA s.50) becomes a timezone-aware moment (``award_notices_sent_at``), with
how they were sent (reg. 87(2)(a) or (b)) and when the last was received;
the contract award notice's publication (PA s.51) gets its own moment.
Existing dates are carried over as midday UTC, which is the same UK day.

Revision ID: 0007_standstill
Revises: 0006_pages
"""
from datetime import datetime, time, timezone

from alembic import op
import sqlalchemy as sa

revision = "0007_standstill"
down_revision = "0006_pages"
branch_labels = None
depends_on = None

_MIDDAY = time(12, 0, tzinfo=timezone.utc)


def _rows(conn, columns: str):
    return conn.execute(sa.text(f"SELECT id, regime, {columns} FROM procurement")).fetchall()


def upgrade():
    with op.batch_alter_table("procurement") as batch:
        batch.add_column(sa.Column("award_notices_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("award_notices_electronic", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("award_notices_last_received_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("award_notice_published_at", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    for pid, regime, notices_on, summaries_on in _rows(conn, "award_notices_sent_on, assessment_summaries_sent_on"):
        pa = str(regime).startswith("pa2023")
        sent = summaries_on if pa else notices_on
        published = notices_on if pa else None
        conn.execute(sa.text("UPDATE procurement SET award_notices_sent_at = :sent, "
                             "award_notice_published_at = :published WHERE id = :id"),
                     {"id": pid, "sent": _moment(sent), "published": _moment(published)})
    with op.batch_alter_table("procurement") as batch:
        batch.drop_column("award_notices_sent_on")
        batch.drop_column("assessment_summaries_sent_on")
    op.create_table(
        "legal_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("aware_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("lifted_reason", sa.Text(), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_legal_challenge_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_legal_challenge_recorded_by_id_user")),
        sa.ForeignKeyConstraint(["lifted_by_id"], ["user.id"], name=op.f("fk_legal_challenge_lifted_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_challenge")),
    )
    with op.batch_alter_table("legal_challenge") as batch:
        batch.create_index(batch.f("ix_legal_challenge_procurement_id"), ["procurement_id"], unique=False)


def downgrade():
    with op.batch_alter_table("legal_challenge") as batch:
        batch.drop_index(batch.f("ix_legal_challenge_procurement_id"))
    op.drop_table("legal_challenge")
    with op.batch_alter_table("procurement") as batch:
        batch.add_column(sa.Column("award_notices_sent_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("assessment_summaries_sent_on", sa.Date(), nullable=True))
    conn = op.get_bind()
    for pid, regime, sent, published in _rows(conn, "award_notices_sent_at, award_notice_published_at"):
        pa = str(regime).startswith("pa2023")
        conn.execute(sa.text("UPDATE procurement SET award_notices_sent_on = :notices, "
                             "assessment_summaries_sent_on = :summaries WHERE id = :id"),
                     {"id": pid, "notices": _day(published if pa else sent), "summaries": _day(sent) if pa else None})
    with op.batch_alter_table("procurement") as batch:
        batch.drop_column("award_notice_published_at")
        batch.drop_column("award_notices_last_received_on")
        batch.drop_column("award_notices_electronic")
        batch.drop_column("award_notices_sent_at")


def _moment(day):
    if day is None:
        return None
    if isinstance(day, str):  # SQLite hands dates back as text
        day = datetime.strptime(day[:10], "%Y-%m-%d").date()
    return datetime.combine(day, _MIDDAY)


def _day(moment):
    if moment is None:
        return None
    if isinstance(moment, str):
        return moment[:10]
    return moment.astimezone(timezone.utc).date()
