"""Supplier users belong to an organisation; invitations and registration (issue 18).

Placeholder in the chain until its owner fills it in.

Revision ID: 0020_supplier_accounts
Revises: 0019_documents
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0020_supplier_accounts"
down_revision = "0019_documents"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
