"""visits: filled in by the visits area (see its models).

Revision ID: 0002_visits
Revises: 0001_foundation
"""

revision = "0002_visits"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
