"""Award decision letters and assessment summaries as sent, their e-mail deliveries, and the reg. 26 ground.

Revision ID: 0008_letters
Revises: 0007_standstill
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_letters"
down_revision = "0007_standstill"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("procurement") as batch:
        batch.add_column(sa.Column("negotiation_ground", sa.Text(), nullable=True))
    op.create_table(
        "award_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("successful", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("recipient_email", sa.String(254), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filename", sa.String(200), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("kind IN ('award_letter', 'assessment_summary')", name=op.f("ck_award_letter_kind")),
        sa.CheckConstraint("status IN ('draft', 'issued')", name=op.f("ck_award_letter_status")),
        sa.CheckConstraint("method IN ('email', 'post')", name=op.f("ck_award_letter_method")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_award_letter_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["recommendation_id"], ["award_recommendation.id"],
                                name=op.f("fk_award_letter_recommendation_id_award_recommendation")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_award_letter_lot_id_lot")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_award_letter_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["drafted_by_id"], ["user.id"], name=op.f("fk_award_letter_drafted_by_id_user")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["user.id"], name=op.f("fk_award_letter_issued_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_letter")),
        sa.UniqueConstraint("recommendation_id", "supplier_id",
                            name=op.f("uq_award_letter_recommendation_id")),
    )
    with op.batch_alter_table("award_letter") as batch:
        batch.create_index(batch.f("ix_award_letter_procurement_id"), ["procurement_id"], unique=False)
        batch.create_index(batch.f("ix_award_letter_recommendation_id"), ["recommendation_id"], unique=False)
    op.create_table(
        "letter_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'claimed', 'sent', 'failed')",
                           name=op.f("ck_letter_delivery_status")),
        sa.ForeignKeyConstraint(["letter_id"], ["award_letter.id"], name=op.f("fk_letter_delivery_letter_id_award_letter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_delivery")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_letter_delivery_letter_id")),
    )
    with op.batch_alter_table("letter_delivery") as batch:
        batch.create_index(batch.f("ix_letter_delivery_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("letter_delivery") as batch:
        batch.drop_index(batch.f("ix_letter_delivery_status"))
    op.drop_table("letter_delivery")
    with op.batch_alter_table("award_letter") as batch:
        batch.drop_index(batch.f("ix_award_letter_recommendation_id"))
        batch.drop_index(batch.f("ix_award_letter_procurement_id"))
    op.drop_table("award_letter")
    with op.batch_alter_table("procurement") as batch:
        batch.drop_column("negotiation_ground")
