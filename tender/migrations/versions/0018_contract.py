"""The contract as signed: date, reference, value, term and extension options (issue 19).

Placeholder in the chain until its owner fills it in.

Revision ID: 0018_contract
Revises: 0017_accounts
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0018_contract"
down_revision = "0017_accounts"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
