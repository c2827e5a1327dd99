"""visits: the technician's signature of the work record (issue 10: the technician signs too)

Revision ID: 0011_technician_signature
Revises: 0010_kpi_rollups
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_technician_signature"
down_revision = "0010_kpi_rollups"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("technician_signature_attachment_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("technician_signed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("technician_signed_at")
        batch.drop_column("technician_signature_attachment_id")
