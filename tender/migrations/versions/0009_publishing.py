"""Publishing: organisations with identifiers and addresses, CPV codes, submission details, stored notices.

Chained after 0005_award (already on main when this branch started) so that
the branch has one head; re-chain as needed when merging.

Revision ID: 0009_publishing
Revises: 0008_letters
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_publishing"
down_revision = "0008_letters"
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
    _protect_notices()


NOTICE_REFUSAL = "a published notice is stored once: it cannot be changed or deleted"
FTS_REFUSAL = "the Find a Tender numbers of a notice are recorded once"
FIXED = ("procurement_id", "kind", "notice_type", "ocid", "release_id", "published_at", "published_by_id",
         "release_json", "sha256")


def _protect_notices():
    """The database itself refuses to rewrite or delete a published notice, or re-record its FTS numbers."""
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FIXED)
        op.execute(f"""
            CREATE FUNCTION notice_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR {changed} THEN
                    RAISE EXCEPTION '{NOTICE_REFUSAL}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF (OLD.fts_notice_number IS NOT NULL AND NEW.fts_notice_number IS DISTINCT FROM OLD.fts_notice_number)
                   OR (OLD.fts_ocid IS NOT NULL AND NEW.fts_ocid IS DISTINCT FROM OLD.fts_ocid) THEN
                    RAISE EXCEPTION '{FTS_REFUSAL}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("CREATE TRIGGER notice_no_change BEFORE UPDATE OR DELETE ON notice "
                   "FOR EACH ROW EXECUTE FUNCTION notice_refuse_change()")
    else:
        op.execute(f"CREATE TRIGGER notice_no_update BEFORE UPDATE OF {', '.join(FIXED)} ON notice "
                   f"BEGIN SELECT RAISE(ABORT, '{NOTICE_REFUSAL}'); END")
        op.execute(f"CREATE TRIGGER notice_no_delete BEFORE DELETE ON notice "
                   f"BEGIN SELECT RAISE(ABORT, '{NOTICE_REFUSAL}'); END")
        op.execute("CREATE TRIGGER notice_fts_once BEFORE UPDATE OF fts_notice_number, fts_ocid ON notice "
                   "WHEN OLD.fts_notice_number IS NOT NULL OR OLD.fts_ocid IS NOT NULL "
                   f"BEGIN SELECT RAISE(ABORT, '{FTS_REFUSAL}'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS notice_no_change ON notice")
        op.execute("DROP FUNCTION IF EXISTS notice_refuse_change()")
    op.drop_index("ix_notice_procurement_id", table_name="notice")
    op.drop_table("notice")
    op.drop_table("lot_classification")
    op.drop_table("procurement_publishing")
    op.drop_table("organisation")
