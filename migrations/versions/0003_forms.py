"""forms: filled in by the forms area (see its models).

Revision ID: 0003_forms
Revises: 0002_visits
"""

revision = "0003_forms"
down_revision = "0002_visits"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
