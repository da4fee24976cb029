"""The award on record: sealed prices, frozen scores, recommendations, versions on evaluation records.

Bids already in the database get a salt and a commitment of their price, so
that from now on any change to a stored price is detectable; their receipt
events (written before sealing) are not rewritten: the trail is append-only.

Revision ID: 0005_award
Revises: 0004
"""
import hashlib
import secrets
from decimal import Decimal

from alembic import op
import sqlalchemy as sa

revision = "0005_award"
down_revision = "0004"
branch_labels = None
depends_on = None

VERSIONED = ("evaluator_assignment", "score", "moderated_score", "price_opening")


def upgrade():
    with op.batch_alter_table("bid") as batch:
        batch.add_column(sa.Column("price_salt", sa.String(64), nullable=True))
        batch.add_column(sa.Column("price_commitment", sa.String(64), nullable=True))
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("price_opening") as batch:
        batch.add_column(sa.Column("frozen", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reopened_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reopen_reason", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_price_opening_reopened_by_id_user", "user", ["reopened_by_id"], ["id"])
    with op.batch_alter_table("award_approval") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
    op.create_table(
        "award_recommendation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("procurement_id", sa.Integer(), sa.ForeignKey("procurement.id"), nullable=False),
        sa.Column("lot_id", sa.Integer(), sa.ForeignKey("lot.id"), nullable=False),
        sa.Column("round", sa.String(20), nullable=False),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("supplier.id"), nullable=True),
        sa.Column("bid_id", sa.Integer(), sa.ForeignKey("bid.id"), nullable=True),
        sa.Column("no_award_reason", sa.Text(), nullable=True),
        sa.Column("annual_price", sa.Numeric(16, 2), nullable=True),
        sa.Column("contract_value", sa.Numeric(16, 2), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.create_index("ix_award_recommendation_procurement_id", "award_recommendation", ["procurement_id"])
    op.create_index("ix_award_recommendation_lot_id", "award_recommendation", ["lot_id"])
    op.create_index("uq_award_recommendation_current", "award_recommendation", ["lot_id"], unique=True,
                    sqlite_where=sa.text("voided_at IS NULL"), postgresql_where=sa.text("voided_at IS NULL"))
    _commit_existing_prices()


def _commit_existing_prices():
    """Seal the prices already stored, in the same form as tender.domain.sealed_price.commit."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, price FROM bid WHERE price IS NOT NULL AND price_commitment IS NULL"))
    for bid_id, price in rows.fetchall():
        salt = secrets.token_hex(16)
        canonical = str(Decimal(str(price)).quantize(Decimal("0.01")))
        digest = hashlib.sha256(f"{salt}:{canonical}".encode()).hexdigest()
        bind.execute(sa.text("UPDATE bid SET price_salt = :s, price_commitment = :c WHERE id = :i"),
                     {"s": salt, "c": digest, "i": bid_id})


def downgrade():
    op.drop_index("uq_award_recommendation_current", table_name="award_recommendation")
    op.drop_index("ix_award_recommendation_lot_id", table_name="award_recommendation")
    op.drop_index("ix_award_recommendation_procurement_id", table_name="award_recommendation")
    op.drop_table("award_recommendation")
    with op.batch_alter_table("award_approval") as batch:
        batch.drop_column("digest")
    with op.batch_alter_table("price_opening") as batch:
        batch.drop_constraint("fk_price_opening_reopened_by_id_user", type_="foreignkey")
        batch.drop_column("reopen_reason")
        batch.drop_column("reopened_by_id")
        batch.drop_column("reopened_at")
        batch.drop_column("frozen")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
    with op.batch_alter_table("bid") as batch:
        batch.drop_column("price_commitment")
        batch.drop_column("price_salt")
