"""aftercare: return-visit calls (回访) and complaint cases (投诉)

Revision ID: 0004_aftercare
Revises: 0003_forms
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_aftercare"
down_revision = "0003_forms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "return_visit_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("unreached_reason", sa.String(length=16), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("order_status_after", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "unreached_reason IS NULL OR unreached_reason IN "
            "('no_answer', 'busy', 'switched_off', 'wrong_number', 'not_convenient')",
            name=op.f("ck_return_visit_calls_unreached_reason")),
        sa.CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                           name=op.f("ck_return_visit_calls_satisfaction")),
        sa.CheckConstraint(
            "(reached AND satisfaction IS NOT NULL AND resolved IS NOT NULL AND unreached_reason IS NULL)"
            " OR (NOT reached AND satisfaction IS NULL AND resolved IS NULL AND unreached_reason IS NOT NULL)",
            name=op.f("ck_return_visit_calls_outcome_consistent")),
        sa.ForeignKeyConstraint(["caller_id"], ["users.id"], name=op.f("fk_return_visit_calls_caller_id_users")),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"],
                                name=op.f("fk_return_visit_calls_work_order_id_work_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_visit_calls")),
    )
    op.create_index(op.f("ix_return_visit_calls_work_order_id"), "return_visit_calls", ["work_order_id"],
                    unique=False)
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_notes", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_notes", sa.Text(), nullable=True),
        sa.CheckConstraint("channel IN ('phone', 'visit', 'sms', 'wechat', 'web', 'letter', 'other')",
                           name=op.f("ck_complaints_channel")),
        sa.CheckConstraint("status IN ('open', 'answered', 'resolved')", name=op.f("ck_complaints_status")),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"], name=op.f("fk_complaints_answered_by_id_users")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], name=op.f("fk_complaints_opened_by_id_users")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_complaints_resolved_by_id_users")),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"],
                                name=op.f("fk_complaints_work_order_id_work_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    op.create_index(op.f("ix_complaints_work_order_id"), "complaints", ["work_order_id"], unique=False)
    op.create_index("ix_complaints_status_due_at", "complaints", ["status", "due_at"], unique=False)


def downgrade():
    op.drop_index("ix_complaints_status_due_at", table_name="complaints")
    op.drop_index(op.f("ix_complaints_work_order_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_index(op.f("ix_return_visit_calls_work_order_id"), table_name="return_visit_calls")
    op.drop_table("return_visit_calls")
