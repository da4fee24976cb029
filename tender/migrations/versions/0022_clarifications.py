"""Clarification questions and answers, and evaluators' document openings (issue 18).

Placeholder in the chain until its owner fills it in.

Revision ID: 0022_clarifications
Revises: 0021_submissions
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0022_clarifications"
down_revision = "0021_submissions"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
