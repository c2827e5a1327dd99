"""visits: a visit may end resolved_by_phone (电话指导 on the technician's pre-visit call)

Revision ID: 0008_visit_phone_fix
Revises: 0007_messages
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_visit_phone_fix"
down_revision = "0007_messages"
branch_labels = None
depends_on = None

OLD = "outcome IN ('completed', 'needs_revisit', 'no_access')"
NEW = "outcome IN ('completed', 'needs_revisit', 'no_access', 'resolved_by_phone')"


def _outcomes(check, length):
    with op.batch_alter_table("visits") as batch:
        batch.drop_constraint(op.f("ck_visits_outcome"), type_="check")
        batch.alter_column("outcome", type_=sa.String(length=length), existing_nullable=True)
        batch.create_check_constraint(op.f("ck_visits_outcome"), check)


def upgrade():
    _outcomes(NEW, 20)


def downgrade():
    _outcomes(OLD, 16)
