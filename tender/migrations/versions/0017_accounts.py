"""Accounts: one-time links, throttling by address (issue 19).

``account_link`` holds the one-time links e-mailed to people (an invitation
to set a first password, a password reset, an e-mail check): only the
SHA-256 of each token, its purpose, whose it is, when it expires and when it
was used. ``login_attempt`` gains ``checked`` (False when the throttle
refused the attempt before its password was looked at) and an index on the
address, since delays are now counted by account, by address and by both.

Plain ``ADD COLUMN`` and ``CREATE INDEX`` (no batch rebuild).

Revision ID: 0017_accounts
Revises: 0016_letter_contents
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_accounts"
down_revision = "0016_letter_contents"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('invite', 'reset', 'verify')", name=op.f("ck_account_link_purpose")),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_account_link_expiry")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_account_link_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_link")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_account_link_token_sha256")),
    )
    op.create_index(op.f("ix_account_link_user_id"), "account_link", ["user_id"], unique=False)
    op.add_column("login_attempt", sa.Column("checked", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_index(op.f("ix_login_attempt_ip"), "login_attempt", ["ip"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_login_attempt_ip"), table_name="login_attempt")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("login_attempt", "checked")
    else:  # SQLite 3.35+ drops a column in place (no rebuild): it is in no index or constraint
        op.execute("ALTER TABLE login_attempt DROP COLUMN checked")
    op.drop_index(op.f("ix_account_link_user_id"), table_name="account_link")
    op.drop_table("account_link")
