"""Suppliers' submissions, receipts, the tender box register and its opening (issue 18).

Placeholder in the chain until its owner fills it in.

Revision ID: 0021_submissions
Revises: 0020_supplier_accounts
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0021_submissions"
down_revision = "0020_supplier_accounts"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
