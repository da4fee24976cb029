"""Milestones a procurement will never reach: status "notApplicable" and the reason.

A stage the procurement skipped (award on initial tenders skips negotiation)
or an abandoned procurement leaves milestones that would otherwise stay
overdue for ever; the transition marks them not applicable and says why.

Revision ID: 0006_pages
Revises: 0005_award
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_pages"
down_revision = "0005_award"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("milestone") as batch:
        batch.add_column(sa.Column("not_applicable_reason", sa.Text(), nullable=True))


def downgrade():
    # Not applicable was a kind of "not met"; keep the rows valid for the older code.
    op.execute("UPDATE milestone SET status = 'notMet' WHERE status = 'notApplicable'")
    with op.batch_alter_table("milestone") as batch:
        batch.drop_column("not_applicable_reason")
