"""console: the fault kind the call centre classed a work order under

Revision ID: 0005_console_fault_kind
Revises: 0004_aftercare
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_console_fault_kind"
down_revision = "0004_aftercare"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("fault_kind", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("fault_kind")
