"""Clarification questions and answers, and evaluators' document openings (issue 18).

``clarification_question`` keeps what a supplier asked, as asked;
``clarification`` what the officer published to every invited supplier (the
question possibly reworded so the asker is not named), with the deadline it
fell before and the extension it called for (PCR 2015 reg. 47(3); Procurement
Act 2023 ss.31 and 54(1)); ``clarification_message`` each e-mail to each
supplier's people, the equal-treatment record. ``document_opening`` records
each opening of a bid's document by a member of its evaluation panel.

New tables only: nothing earlier is rebuilt, so every earlier CHECK stays.

Revision ID: 0022_clarifications
Revises: 0021_submissions
"""
import sqlalchemy as sa
from alembic import op

revision = "0022_clarifications"
down_revision = "0021_submissions"
branch_labels = None
depends_on = None


def _clarification_tables():
    op.create_table(
        "clarification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("deadline_key", sa.String(length=80), nullable=True),
        sa.Column("deadline_date", sa.Date(), nullable=True),
        sa.Column("warning", sa.Text(), nullable=True),
        sa.Column("proposed_deadline", sa.Date(), nullable=True),
        sa.Column("extension", sa.String(length=10), nullable=True),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extension_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("extension_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("kind IN ('answer', 'document_change')", name=op.f("ck_clarification_kind")),
        sa.CheckConstraint("extension IS NULL OR extension IN ('proposed', 'accepted', 'declined')",
                           name=op.f("ck_clarification_extension")),
        sa.CheckConstraint("number >= 1", name=op.f("ck_clarification_number_positive")),
        sa.CheckConstraint("length(answer) >= 1 AND length(answer) <= 10000",
                           name=op.f("ck_clarification_answer_length")),
        sa.CheckConstraint("length(question) <= 10000", name=op.f("ck_clarification_question_length")),
        sa.CheckConstraint("proposed_deadline IS NULL OR (proposed_deadline >= '1990-01-01' "
                           "AND proposed_deadline <= '2100-12-31')",
                           name=op.f("ck_clarification_proposed_deadline_bounds")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_clarification_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["published_by_id"], ["user.id"], name=op.f("fk_clarification_published_by_id_user")),
        sa.ForeignKeyConstraint(["extension_decided_by_id"], ["user.id"],
                                name=op.f("fk_clarification_extension_decided_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarification")),
        sa.UniqueConstraint("procurement_id", "number", name=op.f("uq_clarification_procurement_id")),
    )
    op.create_index(op.f("ix_clarification_procurement_id"), "clarification", ["procurement_id"], unique=False)
    op.create_table(
        "clarification_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("clarification_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("status IN ('open', 'answered')", name=op.f("ck_clarification_question_status")),
        sa.CheckConstraint("length(text) >= 1 AND length(text) <= 10000",
                           name=op.f("ck_clarification_question_text_length")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_clarification_question_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"],
                                name=op.f("fk_clarification_question_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["asked_by_id"], ["user.id"], name=op.f("fk_clarification_question_asked_by_id_user")),
        sa.ForeignKeyConstraint(["clarification_id"], ["clarification.id"],
                                name=op.f("fk_clarification_question_clarification_id_clarification")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarification_question")),
    )
    op.create_index(op.f("ix_clarification_question_procurement_id"), "clarification_question", ["procurement_id"],
                    unique=False)
    op.create_index(op.f("ix_clarification_question_supplier_id"), "clarification_question", ["supplier_id"],
                    unique=False)
    op.create_table(
        "clarification_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("clarification_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery_status", sa.String(length=10), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.CheckConstraint("purpose IN ('clarification', 'extension')", name=op.f("ck_clarification_message_purpose")),
        sa.CheckConstraint("delivery_status IN ('pending', 'claimed', 'sent', 'failed')",
                           name=op.f("ck_clarification_message_delivery_status")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_clarification_message_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["clarification_id"], ["clarification.id"],
                                name=op.f("fk_clarification_message_clarification_id_clarification")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"],
                                name=op.f("fk_clarification_message_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_clarification_message_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarification_message")),
        sa.UniqueConstraint("clarification_id", "purpose", "email",
                            name=op.f("uq_clarification_message_clarification_id")),
    )
    for column in ("procurement_id", "clarification_id", "supplier_id", "delivery_status"):
        op.create_index(op.f(f"ix_clarification_message_{column}"), "clarification_message", [column], unique=False)


def _document_openings():
    op.create_table(
        "document_opening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('evaluator', 'moderator')", name=op.f("ck_document_opening_role")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_document_opening_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_document_opening_lot_id_lot")),
        sa.ForeignKeyConstraint(["bid_id"], ["bid.id"], name=op.f("fk_document_opening_bid_id_bid")),
        sa.ForeignKeyConstraint(["attachment_id"], ["submission_attachment.id"],
                                name=op.f("fk_document_opening_attachment_id_submission_attachment")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_document_opening_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_opening")),
    )
    op.create_index(op.f("ix_document_opening_procurement_id"), "document_opening", ["procurement_id"], unique=False)
    op.create_index(op.f("ix_document_opening_lot_id"), "document_opening", ["lot_id"], unique=False)
    op.create_index("ix_document_opening_bid_user", "document_opening", ["bid_id", "user_id"], unique=False)


def upgrade():
    _clarification_tables()
    _document_openings()


def downgrade():
    for table in ("document_opening", "clarification_message", "clarification_question", "clarification"):
        op.drop_table(table)
