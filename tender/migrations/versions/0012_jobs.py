"""Background jobs, and award letters queued for a worker to issue.

The ``job`` table is the queue every app host and ``tender worker`` shares
(no other server). Letters gain ``queued_at``/``queued_by_id``: the moment
the officer pressed "Send", which fixes the letter's date and content before
a worker renders and e-mails it.

Revision ID: 0012_jobs
Revises: 0011_agreement
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_jobs"
down_revision = "0011_agreement"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_job_status")),
        sa.CheckConstraint("attempts >= 0 AND attempts <= 1000", name=op.f("ck_job_attempts")),
        sa.CheckConstraint("progress_done >= 0 AND progress_total >= 0", name=op.f("ck_job_progress")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"], name=op.f("fk_job_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_job_created_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_job_dedupe_key")),
    )
    op.create_index(op.f("ix_job_procurement_id"), "job", ["procurement_id"], unique=False)
    op.create_index(op.f("ix_job_status"), "job", ["status"], unique=False)
    # Plain ADD COLUMNs (no batch rebuild), so earlier CHECK constraints stay as they are on SQLite.
    op.add_column("award_letter", sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("award_letter", sa.Column("queued_by_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("award_letter") as batch:
        batch.drop_column("queued_by_id")
        batch.drop_column("queued_at")
    op.drop_index(op.f("ix_job_status"), table_name="job")
    op.drop_index(op.f("ix_job_procurement_id"), table_name="job")
    op.drop_table("job")
