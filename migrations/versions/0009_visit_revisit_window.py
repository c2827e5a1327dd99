"""visits: the new time agreed with the customer when the work is left unfixed (另约时间)

Revision ID: 0009_visit_revisit_window
Revises: 0008_visit_phone_fix
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_visit_revisit_window"
down_revision = "0008_visit_phone_fix"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("revisit_window", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("revisit_window")
