"""The Procurement Act path: conflicts assessment, abnormally low tenders, voluntary standstill, late notices.

* ``conflicts_assessment`` and ``conflicts_assessment_person``: the
  assessment (s.83) recorded, reviewed and dated before the tender notice and
  revisited at award, with each person's declaration and any mitigation.
* ``abnormally_low_review``: per flagged bid, the request for an explanation,
  the reply and the decision with reasons (PCR 2015 reg. 69; PA 2023 s.19).
* ``voluntary_standstill``: a standstill a light touch contract observes by choice.
* ``late_notice_reason``: why a notice (the UK7, s.53) goes after its due date.

Standstill under the Act runs from the contract award notice (s.51): where a
UK6 is stored, its publication moment becomes the procurement's
``award_notice_published_at`` (before, a stage click could set it alone).

Revision ID: 0014_act_path
Revises: 0013_notices
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_act_path"
down_revision = "0013_notices"
branch_labels = None
depends_on = None


def _user_fk(table: str, column: str):
    return sa.ForeignKeyConstraint([column], ["user.id"], name=op.f(f"fk_{table}_{column}_user"))


def upgrade():
    op.create_table(
        "conflicts_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("award_reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("award_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("award_review_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_conflicts_assessment_procurement_id_procurement")),
        _user_fk("conflicts_assessment", "prepared_by_id"),
        _user_fk("conflicts_assessment", "reviewed_by_id"),
        _user_fk("conflicts_assessment", "award_reviewed_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts_assessment")),
        sa.UniqueConstraint("procurement_id", name=op.f("uq_conflicts_assessment_procurement_id")),
    )
    op.create_table(
        "conflicts_assessment_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("has_conflict", sa.Boolean(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mitigation", sa.Text(), nullable=True),
        sa.Column("mitigated_by_id", sa.Integer(), nullable=True),
        sa.Column("mitigated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["conflicts_assessment.id"],
                                name=op.f("fk_conflicts_assessment_person_assessment_id_conflicts_assessment")),
        _user_fk("conflicts_assessment_person", "user_id"),
        _user_fk("conflicts_assessment_person", "added_by_id"),
        _user_fk("conflicts_assessment_person", "mitigated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts_assessment_person")),
        sa.UniqueConstraint("assessment_id", "user_id", name=op.f("uq_conflicts_assessment_person_assessment_id")),
    )
    op.create_index(op.f("ix_conflicts_assessment_person_assessment_id"), "conflicts_assessment_person",
                    ["assessment_id"], unique=False)
    op.create_index(op.f("ix_conflicts_assessment_person_user_id"), "conflicts_assessment_person", ["user_id"],
                    unique=False)
    op.create_table(
        "abnormally_low_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("received_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("decision IS NULL OR decision IN ('accepted', 'rejected')",
                           name=op.f("ck_abnormally_low_review_decision")),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_abnormally_low_review_procurement_id_procurement")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_abnormally_low_review_lot_id_lot")),
        sa.ForeignKeyConstraint(["bid_id"], ["bid.id"], name=op.f("fk_abnormally_low_review_bid_id_bid")),
        _user_fk("abnormally_low_review", "requested_by_id"),
        _user_fk("abnormally_low_review", "received_recorded_by_id"),
        _user_fk("abnormally_low_review", "decided_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abnormally_low_review")),
        sa.UniqueConstraint("bid_id", name=op.f("uq_abnormally_low_review_bid_id")),
    )
    op.create_index(op.f("ix_abnormally_low_review_procurement_id"), "abnormally_low_review", ["procurement_id"],
                    unique=False)
    op.create_index(op.f("ix_abnormally_low_review_lot_id"), "abnormally_low_review", ["lot_id"], unique=False)
    op.create_table(
        "voluntary_standstill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_voluntary_standstill_procurement_id_procurement")),
        _user_fk("voluntary_standstill", "recorded_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voluntary_standstill")),
        sa.UniqueConstraint("procurement_id", name=op.f("uq_voluntary_standstill_procurement_id")),
    )
    op.create_table(
        "late_notice_reason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurement.id"],
                                name=op.f("fk_late_notice_reason_procurement_id_procurement")),
        _user_fk("late_notice_reason", "recorded_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_notice_reason")),
        sa.UniqueConstraint("procurement_id", "kind", name=op.f("uq_late_notice_reason_procurement_id")),
    )
    op.create_index(op.f("ix_late_notice_reason_procurement_id"), "late_notice_reason", ["procurement_id"],
                    unique=False)
    # Under the Act standstill counts from the UK6's publication: where one is stored, its moment is the start.
    op.execute(sa.text(
        "UPDATE procurement SET award_notice_published_at = (SELECT notice.published_at FROM notice "
        "WHERE notice.procurement_id = procurement.id AND notice.kind = 'award') "
        "WHERE regime IN ('pa2023', 'pa2023_light_touch') AND EXISTS (SELECT 1 FROM notice "
        "WHERE notice.procurement_id = procurement.id AND notice.kind = 'award')"))


def downgrade():
    op.drop_index(op.f("ix_late_notice_reason_procurement_id"), table_name="late_notice_reason")
    op.drop_table("late_notice_reason")
    op.drop_table("voluntary_standstill")
    op.drop_index(op.f("ix_abnormally_low_review_lot_id"), table_name="abnormally_low_review")
    op.drop_index(op.f("ix_abnormally_low_review_procurement_id"), table_name="abnormally_low_review")
    op.drop_table("abnormally_low_review")
    op.drop_index(op.f("ix_conflicts_assessment_person_user_id"), table_name="conflicts_assessment_person")
    op.drop_index(op.f("ix_conflicts_assessment_person_assessment_id"), table_name="conflicts_assessment_person")
    op.drop_table("conflicts_assessment_person")
    op.drop_table("conflicts_assessment")
