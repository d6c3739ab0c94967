"""A rule watches one questionnaire of its index (the QĐ 2640 counter form and the QĐ 1001
service part are separate series); existing rules keep the index's first questionnaire

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 23:50:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questionnaire_code', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT alert_rule.id, index_definition.questionnaire_codes FROM alert_rule "
        "JOIN index_definition ON index_definition.id = alert_rule.index_id")).all()
    for rule_id, codes in rows:
        if isinstance(codes, str):
            codes = json.loads(codes)
        connection.execute(sa.text("UPDATE alert_rule SET questionnaire_code = :code "
                                   "WHERE id = :id"),
                           {"code": (codes or [""])[0], "id": rule_id})
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.alter_column('questionnaire_code', existing_type=sa.String(length=64),
                              nullable=False)


def downgrade():
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.drop_column('questionnaire_code')
