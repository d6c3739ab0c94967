"""Fewer pages written per stored answer: count tables without rowid, a partial dossier index

On SQLite the count tables are stored in their primary key; on both databases only the
responses that carry a dossier code are in the dossier index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COUNT_TABLES = (
    'daily_count', 'daily_response_count', 'verified_day_count', 'dossier_day_count',
    'monthly_count', 'monthly_response_count',
)
DOSSIER_WHERE = sa.text('dossier_hash IS NOT NULL')


def _rebuild_count_tables(with_rowid: bool):
    """SQLite only: a table's rowid cannot be altered, so each count table is copied into
    a new one (rows, keys and constraints kept). PostgreSQL has no such storage option."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in COUNT_TABLES:
        with op.batch_alter_table(table, recreate='always',
                                  table_kwargs={'sqlite_with_rowid': with_rowid}):
            pass


def upgrade():
    _rebuild_count_tables(with_rowid=False)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_dossier_hash')
        batch_op.create_index('ix_response_dossier_hash', ['dossier_hash'], unique=False,
                              sqlite_where=DOSSIER_WHERE, postgresql_where=DOSSIER_WHERE)


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_dossier_hash', sqlite_where=DOSSIER_WHERE,
                            postgresql_where=DOSSIER_WHERE)
        batch_op.create_index('ix_response_dossier_hash', ['dossier_hash'], unique=False)
    _rebuild_count_tables(with_rowid=True)
