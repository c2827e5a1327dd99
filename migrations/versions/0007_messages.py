"""messages: texts to customers (booked, rescheduled, running late, signing link) with delivery status

Revision ID: 0007_messages
Revises: 0006_console_cases
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_messages"
down_revision = "0006_console_cases"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("to_phone", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("gateway_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('booked', 'rescheduled', 'running_late', 'signing_link')", name=op.f("ck_messages_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'recorded', 'sent', 'failed')", name=op.f("ck_messages_status")
        ),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"], name=op.f("fk_messages_work_order_id_work_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(op.f("ix_messages_work_order_id"), "messages", ["work_order_id"])
    op.create_index("ix_messages_status_created_at", "messages", ["status", "created_at"])


def downgrade():
    op.drop_index("ix_messages_status_created_at", table_name="messages")
    op.drop_index(op.f("ix_messages_work_order_id"), table_name="messages")
    op.drop_table("messages")
