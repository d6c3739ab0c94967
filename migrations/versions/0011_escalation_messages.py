"""An escalation is told to the owner office by its own message: notifications have a kind
(opened, escalated), unique per alert, kind, channel and recipient

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='opened'))
        batch_op.drop_constraint(op.f('uq_notification_alert_id_channel_recipient'),
                                 type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_notification_alert_id_kind_channel_recipient'),
            ['alert_id', 'kind', 'channel', 'recipient'])
        batch_op.create_check_constraint(op.f('ck_notification_kind_known'),
                                         "kind IN ('opened', 'escalated')")


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_kind_known'), type_='check')
        batch_op.drop_constraint(op.f('uq_notification_alert_id_kind_channel_recipient'),
                                 type_='unique')
        batch_op.execute("DELETE FROM notification WHERE kind = 'escalated'")
        batch_op.create_unique_constraint(op.f('uq_notification_alert_id_channel_recipient'),
                                          ['alert_id', 'channel', 'recipient'])
        batch_op.drop_column('kind')
