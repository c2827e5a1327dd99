"""visit events: give back their visit id to the audit events a sync batch wrote without it

Revision ID: 0014_link_orphan_visit_events
Revises: 0013_customer_search_bigrams

From 06fdc27 until this revision, the audit events of a visit that started in the same sync batch
(the usual case: a phone sends a whole visit at once) were stored with visit_id NULL, all but the
batch's last. Every event of one order in one batch has the same server time and belongs to the
one visit the batch wrote, whose id its last event carries: each orphan takes that id. An event
with no sibling that has an id is left as it is. The audit trail's append-only trigger is set
aside for this one statement, which fills in a missing link and changes nothing recorded.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_link_orphan_visit_events"
down_revision = "0013_customer_search_bigrams"
branch_labels = None
depends_on = None

LINK_ORPHANS = sa.text(
    """
    UPDATE visit_events SET visit_id = (
        SELECT max(sibling.visit_id) FROM visit_events AS sibling
        WHERE sibling.work_order_id = visit_events.work_order_id
          AND sibling.server_at = visit_events.server_at
          AND sibling.visit_id IS NOT NULL
    )
    WHERE visit_id IS NULL
    """
)


# As 0002_visits created it.
_SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER visit_events_no_update BEFORE UPDATE ON visit_events "
    "BEGIN SELECT RAISE(ABORT, 'visit_events is append-only'); END"
)


def link_orphans(connection):
    """Give each orphaned event its batch's visit id, the append-only trigger set aside meanwhile."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ALTER TABLE visit_events DISABLE TRIGGER visit_events_no_update")
        connection.execute(LINK_ORPHANS)
        connection.exec_driver_sql("ALTER TABLE visit_events ENABLE TRIGGER visit_events_no_update")
    else:
        connection.exec_driver_sql("DROP TRIGGER visit_events_no_update")
        connection.execute(LINK_ORPHANS)
        connection.exec_driver_sql(_SQLITE_APPEND_ONLY)


def upgrade():
    link_orphans(op.get_bind())


def downgrade():
    pass  # the ids given back are right; nothing to undo
