"""The contract as signed: date, reference, value, term and extension options (issue 19).

One row per lot awarded (``contract``), with CHECKs holding the bounds of
``tender.domain.contract`` (money as ``tender.domain.bounds``). A new table,
so no other table is rebuilt.

Revision ID: 0018_contract
Revises: 0017_accounts
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_contract"
down_revision = "0017_accounts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("extension_years", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("value >= 0.01 AND value <= 10000000000", name=op.f("ck_contract_value")),
        sa.CheckConstraint("length(reference) >= 1 AND length(reference) <= 100", name=op.f("ck_contract_reference")),
        sa.CheckConstraint("ends_on > starts_on", name=op.f("ck_contract_term")),
        sa.CheckConstraint("signed_on >= '1990-01-01' AND signed_on <= '2100-12-31' AND starts_on >= '1990-01-01' "
                           "AND ends_on <= '2100-12-31'", name=op.f("ck_contract_dates")),
        sa.CheckConstraint("extension_years >= 0 AND extension_years <= 25", name=op.f("ck_contract_extension_years")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"], name=op.f("fk_contract_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_contract_lot_id_lot")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_contract_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_contract_recorded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("lot_id", name="uq_contract_lot_id"),
    )
    op.create_index(op.f("ix_contract_procurement_id"), "contract", ["procurement_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_contract_procurement_id"), table_name="contract")
    op.drop_table("contract")
