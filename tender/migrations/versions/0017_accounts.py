"""Accounts: one-time links, throttling by address, roles changed (issue 19).

Placeholder in the chain until its owner fills it in.

Revision ID: 0017_accounts
Revises: 0016_letter_contents
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0017_accounts"
down_revision = "0016_letter_contents"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
