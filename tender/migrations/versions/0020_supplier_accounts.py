"""Supplier users belong to an organisation; invitations to procurements (issue 18).

``user.supplier_id`` names the supplier organisation a supplier user acts for,
with a CHECK that supplier users have one and the authority's staff do not.
``invitation`` records which supplier organisations are invited to respond to
which procurements (one row per procurement and supplier). ``organisation``
gains an optimistic-locking ``version`` (a plain ``ADD COLUMN``), since its
supplier's own users now correct it too.

On SQLite the column, its foreign key and its CHECK are one plain
``ALTER TABLE ... ADD COLUMN`` (SQLite accepts column constraints there), so
the ``user`` table is not rebuilt and keeps every constraint it has. Going
down, SQLite cannot drop a column that carries constraints, so the table is
rebuilt by batch mode there.

Revision ID: 0020_supplier_accounts
Revises: 0019_documents
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_supplier_accounts"
down_revision = "0019_documents"
branch_labels = None
depends_on = None

SUPPLIER_ROLE_CHECK = ("(role = 'supplier' AND supplier_id IS NOT NULL) OR (role <> 'supplier' AND supplier_id IS NULL)")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute('ALTER TABLE "user" ADD COLUMN supplier_id INTEGER'
                    ' CONSTRAINT fk_user_supplier_id_supplier REFERENCES supplier (id)'
                    f' CONSTRAINT ck_user_supplier_role CHECK ({SUPPLIER_ROLE_CHECK})')
    else:
        op.add_column("user", sa.Column("supplier_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_user_supplier_id_supplier"), "user", "supplier", ["supplier_id"], ["id"])
        op.create_check_constraint(op.f("ck_user_supplier_role"), "user", SUPPLIER_ROLE_CHECK)
    op.create_index(op.f("ix_user_supplier_id"), "user", ["supplier_id"], unique=False)
    op.add_column("organisation", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=10), server_default="officer", nullable=False),
        sa.CheckConstraint("how IN ('officer', 'interest')", name=op.f("ck_invitation_how")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_invitation_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_invitation_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["invited_by_id"], ["user.id"], name=op.f("fk_invitation_invited_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("procurement_id", "supplier_id", name=op.f("uq_invitation_procurement_id")),
    )
    op.create_index(op.f("ix_invitation_procurement_id"), "invitation", ["procurement_id"], unique=False)
    op.create_index(op.f("ix_invitation_supplier_id"), "invitation", ["supplier_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_invitation_supplier_id"), table_name="invitation")
    op.drop_index(op.f("ix_invitation_procurement_id"), table_name="invitation")
    op.drop_table("invitation")
    op.drop_column("organisation", "version")
    op.drop_index(op.f("ix_user_supplier_id"), table_name="user")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("user", recreate="always") as batch:
            batch.drop_constraint(op.f("ck_user_supplier_role"), type_="check")
            batch.drop_column("supplier_id")
    else:
        op.drop_constraint(op.f("ck_user_supplier_role"), "user", type_="check")
        op.drop_constraint(op.f("fk_user_supplier_id_supplier"), "user", type_="foreignkey")
        op.drop_column("user", "supplier_id")
