"""The 2025 reorganisation: cities, provinces, communes and special zones as unit kinds, and
the predecessors of a unit with the share of each that passed to it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('district', 'office', 'ward')"
NEW_KINDS = ("kind IN ('province', 'city', 'district', 'office', 'ward', 'commune', "
             "'special_zone')")


def _kinds(check: str) -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_unit_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_unit_kind_known'), check)


def upgrade():
    op.create_table('unit_lineage',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('predecessor_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.CheckConstraint('predecessor_id <> unit_id', name=op.f('ck_unit_lineage_not_own_predecessor')),
    sa.CheckConstraint('share > 0 AND share <= 1', name=op.f('ck_unit_lineage_share_fraction')),
    sa.ForeignKeyConstraint(['predecessor_id'], ['unit.id'], name=op.f('fk_unit_lineage_predecessor_id_unit')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_lineage_unit_id_unit')),
    sa.PrimaryKeyConstraint('unit_id', 'predecessor_id', name=op.f('pk_unit_lineage'))
    )
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_lineage_predecessor_id'), ['predecessor_id'], unique=False)
    _kinds(NEW_KINDS)


def downgrade():
    _kinds(OLD_KINDS)
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_lineage_predecessor_id'))
    op.drop_table('unit_lineage')
