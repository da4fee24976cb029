"""The panel's agreement as it stood when a lot's scores were frozen.

Once prices are open the scores cannot move, so the agreement statistics
(Krippendorff's alpha for the panel, per question and per evaluator) are
worked out once, when the scores freeze, and kept with the price opening;
the ranking page reads them instead of summing every submitted score again.
Reopening the scores clears them.

Revision ID: 0011_agreement
Revises: 0010_input
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_agreement"
down_revision = "0010_input"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch rebuild), so 0010's CHECK constraints stay as they are on SQLite.
    op.add_column("price_opening", sa.Column("agreement", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("price_opening") as batch:
        batch.drop_column("agreement")
