"""QR rotation, kiosks, dossiers, integrity checks (issue 5)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 13:03:56.623780

"""
from alembic import op
import sqlalchemy as sa

import satisfaction.types


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('procedure_field_id', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('imported_at', satisfaction.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('returned_on IS NULL OR returned_on >= received_on', name=op.f('ck_dossier_returned_after_received')),
    sa.ForeignKeyConstraint(['procedure_field_id'], ['procedure_field.id'], name=op.f('fk_dossier_procedure_field_id_procedure_field')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_dossier_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_dossier_code_hash'))
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_unit_id_returned_on', ['unit_id', 'returned_on'], unique=False)

    op.create_table('dossier_claim',
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('dossier_hash', sa.String(length=64), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_dossier_claim_questionnaire_id_questionnaire')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_dossier_claim_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('questionnaire_id', 'dossier_hash', name=op.f('pk_dossier_claim'))
    )
    with op.batch_alter_table('dossier_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_claim_response_id'), ['response_id'], unique=False)

    with op.batch_alter_table('counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dossier_mode', sa.String(length=16), server_default='optional', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_counter_dossier_mode_known'),
            "dossier_mode IN ('off', 'optional', 'required', 'verified')",
        )

    with op.batch_alter_table('qr_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_code', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_qr_token_short_code'), ['short_code'])
        batch_op.add_column(sa.Column('procedure_field_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), server_default='qr', nullable=False))
        batch_op.add_column(sa.Column('expires_at', satisfaction.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_qr_token_procedure_field_id_procedure_field'), 'procedure_field', ['procedure_field_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_qr_token_replaced_by_id_qr_token'), 'qr_token', ['replaced_by_id'], ['id'])
        batch_op.create_check_constraint(
            op.f('ck_qr_token_channel_known'), "channel IN ('qr', 'kiosk', 'paper', 'web')"
        )
        batch_op.create_check_constraint(
            op.f('ck_qr_token_not_own_successor'), 'replaced_by_id IS NULL OR replaced_by_id <> id'
        )

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('elapsed_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('client_hash', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('network_hash', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('dossier_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('verified', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('reviewed_at', satisfaction.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('review_reason', sa.Text(), nullable=True))
        batch_op.create_index('ix_response_client_hash', ['client_hash', 'submitted_at'], unique=False)
        batch_op.create_index('ix_response_dossier_hash', ['dossier_hash'], unique=False)
        batch_op.create_index('ix_response_network_hash', ['network_hash', 'submitted_at'], unique=False)
        batch_op.create_index('ix_response_quarantined', ['unit_id', 'submitted_at'], unique=False, sqlite_where=sa.text("status = 'quarantined'"), postgresql_where=sa.text("status = 'quarantined'"))
        batch_op.create_foreign_key(batch_op.f('fk_response_reviewed_by_id_user_account'), 'user_account', ['reviewed_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_response_reviewed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_index('ix_response_quarantined', sqlite_where=sa.text("status = 'quarantined'"), postgresql_where=sa.text("status = 'quarantined'"))
        batch_op.drop_index('ix_response_network_hash')
        batch_op.drop_index('ix_response_dossier_hash')
        batch_op.drop_index('ix_response_client_hash')
        batch_op.drop_column('review_reason')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('verified')
        batch_op.drop_column('dossier_hash')
        batch_op.drop_column('network_hash')
        batch_op.drop_column('client_hash')
        batch_op.drop_column('elapsed_seconds')
        batch_op.drop_column('flags')

    with op.batch_alter_table('qr_token', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_qr_token_not_own_successor'), type_='check')
        batch_op.drop_constraint(op.f('ck_qr_token_channel_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_qr_token_replaced_by_id_qr_token'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_qr_token_procedure_field_id_procedure_field'), type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('channel')
        batch_op.drop_column('procedure_field_id')
        batch_op.drop_constraint(batch_op.f('uq_qr_token_short_code'), type_='unique')
        batch_op.drop_column('short_code')

    with op.batch_alter_table('counter', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_counter_dossier_mode_known'), type_='check')
        batch_op.drop_column('dossier_mode')

    with op.batch_alter_table('dossier_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_claim_response_id'))

    op.drop_table('dossier_claim')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_unit_id_returned_on')

    op.drop_table('dossier')
