"""Evaluation: panels, conflict declarations, scores, moderated scores and price openings.

The unique constraints are the concurrency rules: one score per (bid, evaluator,
criterion), one moderated score per (bid, criterion), one price opening per
(lot, round).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:07:06.358164

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conflict_declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('has_conflict', sa.Boolean(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_conflict_declaration_lot_id_lot')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_conflict_declaration_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflict_declaration')),
    sa.UniqueConstraint('lot_id', 'user_id', name=op.f('uq_conflict_declaration_lot_id'))
    )
    with op.batch_alter_table('conflict_declaration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflict_declaration_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conflict_declaration_user_id'), ['user_id'], unique=False)

    op.create_table('evaluator_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('sections', sa.String(length=400), nullable=True),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('evaluator', 'moderator')", name=op.f('ck_evaluator_assignment_role')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_evaluator_assignment_assigned_by_id_user')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_evaluator_assignment_lot_id_lot')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_evaluator_assignment_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluator_assignment')),
    sa.UniqueConstraint('lot_id', 'user_id', name=op.f('uq_evaluator_assignment_lot_id'))
    )
    with op.batch_alter_table('evaluator_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluator_assignment_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluator_assignment_user_id'), ['user_id'], unique=False)

    op.create_table('price_opening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.String(length=20), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_price_opening_lot_id_lot')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_price_opening_opened_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_opening')),
    sa.UniqueConstraint('lot_id', 'round', name=op.f('uq_price_opening_lot_id'))
    )
    with op.batch_alter_table('price_opening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_opening_lot_id'), ['lot_id'], unique=False)

    op.create_table('moderated_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('pass_fail', sa.String(length=4), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("pass_fail IS NULL OR pass_fail IN ('pass', 'fail')", name=op.f('ck_moderated_score_pass_fail')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_moderated_score_bid_id_bid')),
    sa.ForeignKeyConstraint(['moderator_id'], ['user.id'], name=op.f('fk_moderated_score_moderator_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderated_score')),
    sa.UniqueConstraint('bid_id', 'criterion_id', name=op.f('uq_moderated_score_bid_id'))
    )
    with op.batch_alter_table('moderated_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderated_score_bid_id'), ['bid_id'], unique=False)

    op.create_table('score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('evaluator_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('pass_fail', sa.String(length=4), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("pass_fail IS NULL OR pass_fail IN ('pass', 'fail')", name=op.f('ck_score_pass_fail')),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_score_status')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_score_bid_id_bid')),
    sa.ForeignKeyConstraint(['evaluator_id'], ['user.id'], name=op.f('fk_score_evaluator_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score')),
    sa.UniqueConstraint('bid_id', 'evaluator_id', 'criterion_id', name=op.f('uq_score_bid_id'))
    )
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_evaluator_id'), ['evaluator_id'], unique=False)



def downgrade():
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_evaluator_id'))
        batch_op.drop_index(batch_op.f('ix_score_bid_id'))

    op.drop_table('score')
    with op.batch_alter_table('moderated_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderated_score_bid_id'))

    op.drop_table('moderated_score')
    with op.batch_alter_table('price_opening', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_opening_lot_id'))

    op.drop_table('price_opening')
    with op.batch_alter_table('evaluator_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluator_assignment_user_id'))
        batch_op.drop_index(batch_op.f('ix_evaluator_assignment_lot_id'))

    op.drop_table('evaluator_assignment')
    with op.batch_alter_table('conflict_declaration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflict_declaration_user_id'))
        batch_op.drop_index(batch_op.f('ix_conflict_declaration_lot_id'))

    op.drop_table('conflict_declaration')
