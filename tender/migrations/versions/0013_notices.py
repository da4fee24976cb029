"""Notices as Find a Tender publishes them: the VAT rate on values, and notices recorded as published elsewhere.

* ``procurement_publishing.vat_percent``: the record holds values net of VAT;
  notices give ``amountGross`` too, and the threshold test needs the gross
  value. Existing rows get the standard rate, 20%.
* ``notice.source``: "tender" (a release Tender stored) or "elsewhere" (a
  notice the officer records as published on Find a Tender directly: no
  release, so ``release_json`` and ``sha256`` become nullable). The database
  keeps refusing to change or delete a notice, now ``source`` included.

Revision ID: 0013_notices
Revises: 0012_jobs
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_notices"
down_revision = "0012_jobs"
branch_labels = None
depends_on = None

NOTICE_REFUSAL = "a published notice is stored once: it cannot be changed or deleted"
FTS_REFUSAL = "the Find a Tender numbers of a notice are recorded once"
FIXED = ("procurement_id", "kind", "notice_type", "ocid", "release_id", "published_at", "published_by_id",
         "release_json", "sha256")


def upgrade():
    op.add_column("procurement_publishing",
                  sa.Column("vat_percent", sa.Numeric(5, 2), nullable=False, server_default="20"))
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("notice", sa.Column("source", sa.String(20), nullable=False, server_default="tender"))
        op.alter_column("notice", "release_json", existing_type=sa.Text(), nullable=True)
        op.alter_column("notice", "sha256", existing_type=sa.String(64), nullable=True)
    else:  # SQLite rebuilds the table to relax NOT NULL, which drops its triggers: they are made again below
        with op.batch_alter_table("notice", recreate="always") as batch:
            batch.add_column(sa.Column("source", sa.String(20), nullable=False, server_default="tender"))
            batch.alter_column("release_json", existing_type=sa.Text(), nullable=True)
            batch.alter_column("sha256", existing_type=sa.String(64), nullable=True)
    _protect(FIXED + ("source",))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _protect(FIXED)  # before the rows go: the trigger would refuse the DELETE
        op.execute("ALTER TABLE notice DISABLE TRIGGER notice_no_change")
        op.execute("DELETE FROM notice WHERE source = 'elsewhere'")
        op.execute("ALTER TABLE notice ENABLE TRIGGER notice_no_change")
        op.drop_column("notice", "source")
        op.alter_column("notice", "release_json", existing_type=sa.Text(), nullable=False)
        op.alter_column("notice", "sha256", existing_type=sa.String(64), nullable=False)
    else:
        for name in ("notice_no_update", "notice_no_delete", "notice_fts_once"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DELETE FROM notice WHERE source = 'elsewhere'")  # no release to keep: 0009 cannot hold one
        with op.batch_alter_table("notice", recreate="always") as batch:
            batch.alter_column("release_json", existing_type=sa.Text(), nullable=False)
            batch.alter_column("sha256", existing_type=sa.String(64), nullable=False)
            batch.drop_column("source")
        _protect(FIXED)
    with op.batch_alter_table("procurement_publishing") as batch:
        batch.drop_column("vat_percent")


def _protect(fixed: tuple[str, ...]):
    """The database refuses to rewrite or delete a notice, or to re-record its Find a Tender numbers (as 0009)."""
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in fixed)
        op.execute(f"""
            CREATE OR REPLACE FUNCTION notice_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
    else:
        for name in ("notice_no_update", "notice_no_delete", "notice_fts_once"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER notice_no_update BEFORE UPDATE OF {', '.join(fixed)} ON notice "
                   f"BEGIN SELECT RAISE(ABORT, '{NOTICE_REFUSAL}'); END")
        op.execute(f"CREATE TRIGGER notice_no_delete BEFORE DELETE ON notice "
                   f"BEGIN SELECT RAISE(ABORT, '{NOTICE_REFUSAL}'); END")
        op.execute("CREATE TRIGGER notice_fts_once BEFORE UPDATE OF fts_notice_number, fts_ocid ON notice "
                   "WHEN OLD.fts_notice_number IS NOT NULL OR OLD.fts_ocid IS NOT NULL "
                   f"BEGIN SELECT RAISE(ABORT, '{FTS_REFUSAL}'); END")
