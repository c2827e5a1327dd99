"""kpi_rollups: the manager's figures summed per day × technician × work-order type × branch × area;
indexes to read cases and return-visit calls by time

Revision ID: 0010_kpi_rollups
Revises: 0009_visit_revisit_window
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_kpi_rollups"
down_revision = "0009_visit_revisit_window"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kpi_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("work_order_type", sa.String(length=32), nullable=False),
        sa.Column("branch", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["technician_id"], ["users.id"], name=op.f("fk_kpi_rollups_technician_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_rollups")),
        sa.UniqueConstraint("day", "technician_id", "work_order_type", "branch", "area", name="uq_kpi_rollups_cell"),
    )
    op.create_index("ix_kpi_rollups_day_branch", "kpi_rollups", ["day", "branch"])
    # The figures read cases and return-visit calls by range of time.
    op.create_index("ix_return_visit_calls_called_at", "return_visit_calls", ["called_at"])
    op.create_index("ix_complaints_opened_at", "complaints", ["opened_at"])


def downgrade():
    op.drop_index("ix_complaints_opened_at", table_name="complaints")
    op.drop_index("ix_return_visit_calls_called_at", table_name="return_visit_calls")
    op.drop_index("ix_kpi_rollups_day_branch", table_name="kpi_rollups")
    op.drop_table("kpi_rollups")
