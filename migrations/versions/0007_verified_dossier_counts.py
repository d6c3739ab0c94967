"""Per-day counts of verified answers and of dossiers, filled from the rows already stored

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 14:46:57.901868

"""
from collections import Counter
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import satisfaction.types

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dossier_day_count',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('returned', 'open')", name=op.f('ck_dossier_day_count_state_known')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_dossier_day_count_unit_id_unit')),
    sa.PrimaryKeyConstraint('unit_id', 'day', 'state', name=op.f('pk_dossier_day_count'))
    )
    op.create_table('verified_day_count',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_verified_day_count_questionnaire_version_id_questionnaire_version')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_verified_day_count_unit_id_unit')),
    sa.PrimaryKeyConstraint('day', 'unit_id', 'questionnaire_version_id', name=op.f('pk_verified_day_count'))
    )
    _fill_counts()


def _fill_counts():
    """The counts of what migration 0006 may already have stored."""
    bind = op.get_bind()
    dossier = sa.table("dossier", sa.column("unit_id"), sa.column("received_on", sa.Date),
                       sa.column("returned_on", sa.Date))
    dossiers = Counter()
    for unit_id, received_on, returned_on in bind.execute(
            sa.select(dossier.c.unit_id, dossier.c.received_on, dossier.c.returned_on)):
        if returned_on is None:
            dossiers[(unit_id, received_on, "open")] += 1
        else:
            dossiers[(unit_id, returned_on, "returned")] += 1
    if dossiers:
        op.bulk_insert(sa.table("dossier_day_count", sa.column("unit_id"),
                                sa.column("day", sa.Date), sa.column("state"),
                                sa.column("count")),
                       [{"unit_id": u, "day": d, "state": s, "count": n}
                        for (u, d, s), n in dossiers.items()])
    response = sa.table("response", sa.column("submitted_at", satisfaction.types.UTCDateTime()),
                        sa.column("unit_id"), sa.column("questionnaire_version_id"),
                        sa.column("status"), sa.column("verified", sa.Boolean))
    verified = Counter()
    for submitted_at, unit_id, version_id in bind.execute(
            sa.select(response.c.submitted_at, response.c.unit_id,
                      response.c.questionnaire_version_id)
            .where(response.c.status == "accepted", response.c.verified.is_(True))):
        verified[(submitted_at.astimezone(LOCAL_TZ).date(), unit_id, version_id)] += 1
    if verified:
        op.bulk_insert(sa.table("verified_day_count", sa.column("day", sa.Date),
                                sa.column("unit_id"), sa.column("questionnaire_version_id"),
                                sa.column("count")),
                       [{"day": d, "unit_id": u, "questionnaire_version_id": v, "count": n}
                        for (d, u, v), n in verified.items()])


def downgrade():
    op.drop_table('verified_day_count')
    op.drop_table('dossier_day_count')
