"""Publishing: organisations with identifiers and addresses, CPV codes, submission details, stored notices.

Chained after 0005_award (already on main when this branch started) so that
the branch has one head; re-chain as needed when merging.

Revision ID: 0005_publishing
Revises: 0005_award
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_publishing"
down_revision = "0005_award"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("procurement_id", sa.Integer(), sa.ForeignKey("procurement.id"), nullable=True, unique=True),
        sa.Column("funder_id", sa.Integer(), sa.ForeignKey("funder.id"), nullable=True, unique=True),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("supplier.id"), nullable=True, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scheme", sa.String(20), nullable=False),
        sa.Column("identifier", sa.String(40), nullable=False),
        sa.Column("ppon", sa.String(40), nullable=True),
        sa.Column("street_address", sa.String(300), nullable=False),
        sa.Column("locality", sa.String(100), nullable=False),
        sa.Column("postal_code", sa.String(10), nullable=False),
        sa.Column("region", sa.String(5), nullable=True),
        sa.Column("country_name", sa.String(60), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=True),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("contact_telephone", sa.String(40), nullable=True),
        sa.Column("url", sa.String(300), nullable=True),
        sa.Column("authority_type", sa.String(40), nullable=True),
        sa.Column("vcse", sa.Boolean(), nullable=True),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.CheckConstraint("(CASE WHEN procurement_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN funder_id IS NULL THEN 0 ELSE 1 END)"
                        " + (CASE WHEN supplier_id IS NULL THEN 0 ELSE 1 END) = 1",
                           name="one_owner"),
    )
    op.create_table(
        "procurement_publishing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("procurement_id", sa.Integer(), sa.ForeignKey("procurement.id"), nullable=False, unique=True),
        sa.Column("cpv_code", sa.String(10), nullable=True),
        sa.Column("submission_method", sa.String(30), nullable=True),
        sa.Column("submission_url", sa.String(300), nullable=True),
        sa.Column("enquiry_deadline", sa.Date(), nullable=True),
    )
    op.create_table(
        "lot_classification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lot_id", sa.Integer(), sa.ForeignKey("lot.id"), nullable=False, unique=True),
        sa.Column("cpv_code", sa.String(10), nullable=False),
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("procurement_id", sa.Integer(), sa.ForeignKey("procurement.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("notice_type", sa.String(10), nullable=False),
        sa.Column("ocid", sa.String(200), nullable=False),
        sa.Column("release_id", sa.String(220), nullable=False, unique=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("release_json", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("fts_ocid", sa.String(60), nullable=True),
        sa.Column("fts_notice_number", sa.String(20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.UniqueConstraint("procurement_id", "kind"),
    )
    op.create_index("ix_notice_procurement_id", "notice", ["procurement_id"])


def downgrade():
    op.drop_index("ix_notice_procurement_id", table_name="notice")
    op.drop_table("notice")
    op.drop_table("lot_classification")
    op.drop_table("procurement_publishing")
    op.drop_table("organisation")
