"""aftercare: filled in by the aftercare area (see its models).

Revision ID: 0004_aftercare
Revises: 0003_forms
"""

revision = "0004_aftercare"
down_revision = "0003_forms"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
