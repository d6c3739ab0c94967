"""The index owner's rule for commendation candidates: the lower bound at the target (the
default), or the value at the target with enough answers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('index_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commendation_rule', sa.String(length=16), nullable=False,
                                      server_default='lower_bound'))
        batch_op.create_check_constraint(op.f('ck_index_definition_commendation_rule_known'),
                                         "commendation_rule IN ('lower_bound', 'value')")


def downgrade():
    with op.batch_alter_table('index_definition', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_index_definition_commendation_rule_known'),
                                 type_='check')
        batch_op.drop_column('commendation_rule')
