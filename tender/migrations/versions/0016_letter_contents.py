"""What the letters state: the supplier's details as sent, a withheld contract price, and notices to candidates not selected.

``award_letter`` gains the supplier's postal address and unique identifier as
they stood when "Send" was pressed (``recipient_address``,
``recipient_identifier``) and the reason the lot's contract price is withheld
(``price_withheld_reason``). ``selection_letter`` is the notice to a
candidate not selected at the selection stage, issued and e-mailed by the
same worker as the award letters, its one delivery recorded on the row.

The new columns are plain ``ADD COLUMN``s (no batch rebuild), so the table's
earlier CHECK constraints stay in place on SQLite.

Revision ID: 0016_letter_contents
Revises: 0015_pinned_definitions
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_letter_contents"
down_revision = "0015_pinned_definitions"
branch_labels = None
depends_on = None

COLUMNS = (("recipient_address", sa.Text()), ("recipient_identifier", sa.String(length=200)),
           ("price_withheld_reason", sa.Text()))


def upgrade():
    for name, type_ in COLUMNS:
        op.add_column("award_letter", sa.Column(name, type_, nullable=True))
    op.create_table(
        "selection_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("recipient_email", sa.String(length=254), nullable=True),
        sa.Column("recipient_address", sa.Text(), nullable=True),
        sa.Column("recipient_identifier", sa.String(length=200), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("delivery_status", sa.String(length=20), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("status IN ('draft', 'issued')", name=op.f("ck_selection_letter_status")),
        sa.CheckConstraint("method IN ('email', 'post')", name=op.f("ck_selection_letter_method")),
        sa.CheckConstraint("delivery_status IS NULL OR delivery_status IN ('pending', 'claimed', 'sent', 'failed')",
                           name=op.f("ck_selection_letter_delivery_status")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_selection_letter_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["response_id"], ["sq_response.id"],
                                name=op.f("fk_selection_letter_response_id_sq_response")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"],
                                name=op.f("fk_selection_letter_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["drafted_by_id"], ["user.id"], name=op.f("fk_selection_letter_drafted_by_id_user")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["user.id"], name=op.f("fk_selection_letter_issued_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_letter")),
        sa.UniqueConstraint("response_id", name=op.f("uq_selection_letter_response_id")),
    )
    op.create_index(op.f("ix_selection_letter_procurement_id"), "selection_letter", ["procurement_id"], unique=False)
    op.create_index(op.f("ix_selection_letter_delivery_status"), "selection_letter", ["delivery_status"],
                    unique=False)


def downgrade():
    op.drop_index(op.f("ix_selection_letter_delivery_status"), table_name="selection_letter")
    op.drop_index(op.f("ix_selection_letter_procurement_id"), table_name="selection_letter")
    op.drop_table("selection_letter")
    for name, _ in reversed(COLUMNS):
        if op.get_bind().dialect.name == "postgresql":
            op.drop_column("award_letter", name)
        else:  # SQLite 3.35+ drops a column in place (no rebuild): it is in no index or constraint
            op.execute(f"ALTER TABLE award_letter DROP COLUMN {name}")
