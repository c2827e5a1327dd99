"""console: complaints become cases (个案) - kind, severity, place, person, phone, owner, escalation

Revision ID: 0006_console_cases
Revises: 0005_console_fault_kind
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_console_cases"
down_revision = "0005_console_fault_kind"
branch_labels = None
depends_on = None

OLD_CHANNELS = "channel IN ('phone', 'visit', 'sms', 'wechat', 'web', 'letter', 'other')"
NEW_CHANNELS = "channel IN ('phone', 'visit', 'sms', 'wechat', 'web', 'letter', 'other', 'return_visit')"


def upgrade():
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("work_order_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="complaint"))
        batch.add_column(sa.Column("severity", sa.String(length=8), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("place", sa.Text(), nullable=True))
        batch.add_column(sa.Column("person", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("contact_phone", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_to_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_complaints_owner_id_users"), "users", ["owner_id"], ["id"])
        batch.create_foreign_key(op.f("fk_complaints_escalated_to_id_users"), "users", ["escalated_to_id"], ["id"])
        batch.drop_constraint(op.f("ck_complaints_channel"), type_="check")
        batch.create_check_constraint(op.f("ck_complaints_channel"), sa.text(NEW_CHANNELS))
        batch.create_check_constraint(op.f("ck_complaints_kind"), sa.text("kind IN ('complaint', 'query', 'follow_up')"))
        batch.create_check_constraint(op.f("ck_complaints_severity"), sa.text("severity IN ('low', 'normal', 'high')"))


def downgrade():
    with op.batch_alter_table("complaints") as batch:
        batch.drop_constraint(op.f("ck_complaints_severity"), type_="check")
        batch.drop_constraint(op.f("ck_complaints_kind"), type_="check")
        batch.drop_constraint(op.f("ck_complaints_channel"), type_="check")
        batch.create_check_constraint(op.f("ck_complaints_channel"), sa.text(OLD_CHANNELS))
        batch.drop_constraint(op.f("fk_complaints_escalated_to_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_complaints_owner_id_users"), type_="foreignkey")
        for column in ("escalated_to_id", "escalated_at", "owner_id", "contact_phone", "person", "place", "severity", "kind"):
            batch.drop_column(column)
        batch.alter_column("work_order_id", existing_type=sa.Integer(), nullable=False)
