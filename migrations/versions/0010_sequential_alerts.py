"""Sequential alerts: a rule carries the drop it is built to catch, its false-alert budget in
years per unit, and the days within which a re-opening continues the same episode

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift', sa.Float(), nullable=False, server_default='7'))
        batch_op.add_column(sa.Column('years_per_false_alert', sa.Float(), nullable=False,
                                      server_default='5'))
        batch_op.add_column(sa.Column('rejoin_days', sa.Integer(), nullable=False,
                                      server_default='30'))
        batch_op.create_check_constraint(op.f('ck_alert_rule_shift_below_target'),
                                         'shift > 0 AND shift < target')
        batch_op.create_check_constraint(op.f('ck_alert_rule_years_positive'),
                                         'years_per_false_alert > 0')
        batch_op.create_check_constraint(op.f('ck_alert_rule_rejoin_not_negative'),
                                         'rejoin_days >= 0')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Float(), nullable=True)


def downgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Float(), nullable=False)
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_rule_rejoin_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_alert_rule_years_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_alert_rule_shift_below_target'), type_='check')
        batch_op.drop_column('rejoin_days')
        batch_op.drop_column('years_per_false_alert')
        batch_op.drop_column('shift')
