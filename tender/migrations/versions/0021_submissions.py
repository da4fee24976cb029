"""Suppliers' submissions, receipts, the tender box register and its opening (issue 18).

New tables ``submission`` (one supplier's response to one lot in one round),
``submission_answer``, ``submission_attachment`` (a stored file attached to
it), ``submission_receipt`` (what a submission committed to, kept for ever)
and ``tender_box`` (a round's register and opening). ``bid`` gains
``received_via`` as a plain ``ADD COLUMN`` (no batch rebuild, so its
constraints stay in place on SQLite).

Revision ID: 0021_submissions
Revises: 0020_supplier_accounts
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_submissions"
down_revision = "0020_supplier_accounts"
branch_labels = None
depends_on = None

ROUND_CHECK = "round IN ('sq', 'initial', 'revised', 'final')"


def _moment(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.add_column("bid", sa.Column("received_via", sa.String(length=20), nullable=True))
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("lot_number", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("price", sa.Numeric(16, 2), nullable=True),
        _moment("updated_at", nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=True),
        sa.Column("sq_response_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f("ck_submission_status")),
        sa.CheckConstraint(ROUND_CHECK, name=op.f("ck_submission_round")),
        sa.CheckConstraint("lot_number >= 0 AND lot_number <= 999", name=op.f("ck_submission_lot_number")),
        sa.CheckConstraint("price IS NULL OR (price >= 0.01 AND price <= 10000000000)",
                           name=op.f("ck_submission_price")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_submission_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_submission_lot_id_lot")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_submission_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["bid_id"], ["bid.id"], name=op.f("fk_submission_bid_id_bid")),
        sa.ForeignKeyConstraint(["sq_response_id"], ["sq_response.id"],
                                name=op.f("fk_submission_sq_response_id_sq_response")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint("procurement_id", "supplier_id", "round", "lot_number",
                            name=op.f("uq_submission_procurement_id")),
    )
    for column in ("procurement_id", "lot_id", "supplier_id"):
        op.create_index(op.f(f"ix_submission_{column}"), "submission", [column])
    op.create_table(
        "submission_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("length(text) <= 150000", name=op.f("ck_submission_answer_text_length")),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"],
                                name=op.f("fk_submission_answer_submission_id_submission")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_answer")),
        sa.UniqueConstraint("submission_id", "question_id", name=op.f("uq_submission_answer_submission_id")),
    )
    op.create_index(op.f("ix_submission_answer_submission_id"), "submission_answer", ["submission_id"])
    op.create_table(
        "submission_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("stored_file_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("question_id", sa.String(length=80), nullable=False),
        _moment("added_at", nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"],
                                name=op.f("fk_submission_attachment_submission_id_submission")),
        sa.ForeignKeyConstraint(["stored_file_id"], ["stored_file.id"],
                                name=op.f("fk_submission_attachment_stored_file_id_stored_file")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_attachment")),
        sa.UniqueConstraint("submission_id", "stored_file_id", "question_id",
                            name=op.f("uq_submission_attachment_submission_id")),
    )
    op.create_index(op.f("ix_submission_attachment_submission_id"), "submission_attachment", ["submission_id"])
    op.create_index(op.f("ix_submission_attachment_stored_file_id"), "submission_attachment", ["stored_file_id"])
    op.create_table(
        "submission_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        _moment("submitted_at", nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("price_salt", sa.String(length=64), nullable=True),
        sa.Column("price_commitment", sa.String(length=64), nullable=True),
        _moment("withdrawn_at"),
        sa.CheckConstraint("length(manifest_hash) = 64", name=op.f("ck_submission_receipt_manifest_hash")),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"],
                                name=op.f("fk_submission_receipt_submission_id_submission")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_submission_receipt_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["user.id"],
                                name=op.f("fk_submission_receipt_submitted_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_receipt")),
    )
    for column in ("submission_id", "procurement_id", "manifest_hash"):
        op.create_index(op.f(f"ix_submission_receipt_{column}"), "submission_receipt", [column])
    op.create_table(
        "tender_box",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        sa.Column("activity", sa.Integer(), server_default="0", nullable=False),
        _moment("register_published_at"),
        _moment("register_deadline"),
        sa.Column("register", sa.Text(), nullable=True),
        sa.Column("register_digest", sa.String(length=64), nullable=True),
        _moment("opened_at"),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(ROUND_CHECK, name=op.f("ck_tender_box_round")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_tender_box_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["user.id"], name=op.f("fk_tender_box_opened_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_box")),
        sa.UniqueConstraint("procurement_id", "round", name=op.f("uq_tender_box_procurement_id")),
    )
    op.create_index(op.f("ix_tender_box_procurement_id"), "tender_box", ["procurement_id"])


def downgrade():
    op.drop_table("tender_box")
    op.drop_table("submission_receipt")
    op.drop_table("submission_attachment")
    op.drop_table("submission_answer")
    op.drop_table("submission")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("bid", "received_via")
    else:  # SQLite 3.35+ drops a column in place (no rebuild): it is in no index or constraint
        op.execute("ALTER TABLE bid DROP COLUMN received_via")
