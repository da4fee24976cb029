"""Documents stored in the database in chunks, behind one storage interface (issue 18).

Placeholder in the chain until its owner fills it in.

Revision ID: 0019_documents
Revises: 0018_contract
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0019_documents"
down_revision = "0018_contract"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
