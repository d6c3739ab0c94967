"""The per-day sums of respondents' index shares ("@+" rows) fed the weekly decline check,
which the sequential alerts replaced: nothing reads them, and each stored answer no longer
writes them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 01:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM daily_count WHERE item_code = '@+'")
    op.execute("DELETE FROM monthly_count WHERE item_code = '@+'")


def downgrade():
    # The rows can be recomputed with `flask counts rebuild` on the older code.
    pass
