"""Accounts managed: a printed password must be changed at the next sign-in, API tokens
expire and carry a label, and the inspector role reads the answers that accuse staff

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 02:00:00.000000

"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa

import satisfaction.types


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ROLES = ('admin', 'reviewer', 'index_owner', 'unit_manager', 'observer')


def _role_check(roles):
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_account_role_known'),
                                         _role_check(ROLES + ('inspector',)))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', satisfaction.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('label', sa.String(length=100), nullable=False,
                                      server_default=''))
    # Tokens issued before expiry existed get the default lifetime from today.
    op.execute(sa.text("UPDATE api_token SET expires_at = :at WHERE expires_at IS NULL")
               .bindparams(sa.bindparam('at', type_=satisfaction.types.UTCDateTime(),
                                        value=datetime.now(UTC) + timedelta(days=90))))


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('label')
        batch_op.drop_column('expires_at')
    op.execute("DELETE FROM user_account WHERE role = 'inspector'")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_account_role_known'), _role_check(ROLES))
        batch_op.drop_column('must_change_password')
