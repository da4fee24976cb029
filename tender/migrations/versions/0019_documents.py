"""Documents stored in the database in chunks, behind one storage interface (issue 18).

``stored_file`` is one file's content by SHA-256 (unique: the same bytes are
one file); ``stored_file_chunk`` its bytes in pieces of at most 1 MiB. See
``tender.models.stored_file``. On PostgreSQL the chunk column is stored
EXTERNAL (out of line, uncompressed): the documents people upload are
compressed already, and trying again on every megabyte only costs time.

Revision ID: 0019_documents
Revises: 0018_contract
"""
import sqlalchemy as sa
from alembic import op

revision = "0019_documents"
down_revision = "0018_contract"
branch_labels = None
depends_on = None

CHUNK_SIZE = 1024 * 1024
MAX_STORED_BYTES = 4 * 1024 ** 3


def upgrade():
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"size >= 1 AND size <= {MAX_STORED_BYTES}", name=op.f("ck_stored_file_size")),
        sa.CheckConstraint("chunk_count >= 1 AND chunk_count <= size", name=op.f("ck_stored_file_chunk_count")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_stored_file_sha256")),
        sa.CheckConstraint("backend IN ('database')", name=op.f("ck_stored_file_backend")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_file_sha256")),
    )
    op.create_table(
        "stored_file_chunk",
        sa.Column("stored_file_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(f"sequence >= 0 AND sequence < {MAX_STORED_BYTES // CHUNK_SIZE}",
                           name=op.f("ck_stored_file_chunk_sequence")),
        sa.CheckConstraint(f"length(data) >= 1 AND length(data) <= {CHUNK_SIZE}",
                           name=op.f("ck_stored_file_chunk_data_size")),
        sa.ForeignKeyConstraint(["stored_file_id"], ["stored_file.id"],
                                name=op.f("fk_stored_file_chunk_stored_file_id_stored_file")),
        sa.PrimaryKeyConstraint("stored_file_id", "sequence", name=op.f("pk_stored_file_chunk")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stored_file_chunk ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table("stored_file_chunk")
    op.drop_table("stored_file")
