"""CHECK constraints for Tender's input bounds (dates, money, terms, lot numbers).

The bounds live in ``tender.domain.bounds`` with the forms and services that
enforce them first; the database refuses anything that slips past them, on
SQLite and PostgreSQL alike.

Revision ID: 0010_input
Revises: 0009_publishing
"""
from alembic import op

from tender.domain.bounds import CHECKS

revision = "0010_input"
down_revision = "0009_publishing"
branch_labels = None
depends_on = None


def _tables() -> list[str]:
    return list(dict.fromkeys(check.table for check in CHECKS))


def upgrade():
    for table in _tables():
        with op.batch_alter_table(table) as batch:
            for check in CHECKS:
                if check.table == table:
                    batch.create_check_constraint(check.name, check.sql)


def downgrade():
    for table in reversed(_tables()):
        with op.batch_alter_table(table) as batch:
            for check in CHECKS:
                if check.table == table:
                    batch.drop_constraint(check.name, type_="check")
