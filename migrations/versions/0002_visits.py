"""visits: visits, sync ops, the append-only audit trail, attachments and leads

Revision ID: 0002_visits
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_visits"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

# The audit trail is append-only: the database itself refuses to change an event (deleting
# old rows is left to data retention, and to the test harness that empties tables).
_PG_APPEND_ONLY = """
CREATE FUNCTION visit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'visit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER visit_events_no_update BEFORE UPDATE ON visit_events
    FOR EACH ROW EXECUTE FUNCTION visit_events_append_only();
"""
_SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER visit_events_no_update BEFORE UPDATE ON visit_events "
    "BEGIN SELECT RAISE(ABORT, 'visit_events is append-only'); END",
)


def upgrade():
    op.create_table('sync_ops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('op_id', sa.String(length=64), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('client_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_ops_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_ops')),
    sa.UniqueConstraint('op_id', name=op.f('uq_sync_ops_op_id'))
    )
    op.create_index(op.f('ix_sync_ops_work_order_id'), 'sync_ops', ['work_order_id'], unique=False)
    op.create_table('attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_attachments_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index(op.f('ix_attachments_work_order_id'), 'attachments', ['work_order_id'], unique=False)
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('flow_type', sa.String(length=32), nullable=False),
    sa.Column('flow_version', sa.Integer(), nullable=False),
    sa.Column('window_starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkin_lat', sa.Float(), nullable=True),
    sa.Column('checkin_lng', sa.Float(), nullable=True),
    sa.Column('checkin_accuracy_m', sa.Float(), nullable=True),
    sa.Column('arrival_class', sa.String(length=8), nullable=True),
    sa.Column('arrival_lead_seconds', sa.Integer(), nullable=True),
    sa.Column('late_notice_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_notice', sa.JSON(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('call_attempts', sa.JSON(), nullable=False),
    sa.Column('knocks', sa.JSON(), nullable=False),
    sa.Column('no_access_notice_id', sa.String(length=36), nullable=True),
    sa.Column('customer_description', sa.Text(), nullable=True),
    sa.Column('customer_style', sa.String(length=8), nullable=True),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('work_kinds', sa.JSON(), nullable=False),
    sa.Column('equipment_swaps', sa.JSON(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('fees', sa.JSON(), nullable=False),
    sa.Column('fees_total_cents', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('operate_notes', sa.Text(), nullable=True),
    sa.Column('ratings', sa.JSON(), nullable=True),
    sa.Column('mot', sa.JSON(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.Column('signature_attachment_id', sa.String(length=36), nullable=True),
    sa.Column('signature_declined_reason', sa.Text(), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('help_checks', sa.JSON(), nullable=False),
    sa.Column('leaflet_given', sa.Boolean(), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('completed_steps', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('compliance', sa.JSON(), nullable=False),
    sa.Column('compliance_score', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("arrival_class IN ('early', 'on_time', 'late')", name=op.f('ck_visits_arrival_class')),
    sa.CheckConstraint("outcome IN ('completed', 'needs_revisit', 'no_access')", name=op.f('ck_visits_outcome')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_visits_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_visits_technician_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_visits_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    op.create_index(op.f('ix_visits_technician_id'), 'visits', ['technician_id'], unique=False)
    op.create_index(op.f('ix_visits_work_order_id'), 'visits', ['work_order_id'], unique=False)
    op.create_index('uq_visits_open_order', 'visits', ['work_order_id'], unique=True, postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=64), nullable=False),
    sa.Column('interest', sa.String(length=8), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_leads_customer_id_customers')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_leads_technician_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_leads_visit_id_visits')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_leads_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    op.create_index(op.f('ix_leads_created_at'), 'leads', ['created_at'], unique=False)
    op.create_index(op.f('ix_leads_customer_id'), 'leads', ['customer_id'], unique=False)
    op.create_index(op.f('ix_leads_visit_id'), 'leads', ['visit_id'], unique=False)
    op.create_index(op.f('ix_leads_work_order_id'), 'leads', ['work_order_id'], unique=False)
    op.create_table('visit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('op_id', sa.String(length=64), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.String(length=128), nullable=True),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('client_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('server_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_visit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_events_visit_id_visits')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_visit_events_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_events'))
    )
    op.create_index(op.f('ix_visit_events_work_order_id'), 'visit_events', ['work_order_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER visit_events_no_update ON visit_events")
        op.execute("DROP FUNCTION visit_events_append_only()")
    else:
        op.execute("DROP TRIGGER visit_events_no_update")
    op.drop_index(op.f('ix_visit_events_work_order_id'), table_name='visit_events')
    op.drop_table('visit_events')
    op.drop_index(op.f('ix_leads_work_order_id'), table_name='leads')
    op.drop_index(op.f('ix_leads_visit_id'), table_name='leads')
    op.drop_index(op.f('ix_leads_customer_id'), table_name='leads')
    op.drop_index(op.f('ix_leads_created_at'), table_name='leads')
    op.drop_table('leads')
    op.drop_index('uq_visits_open_order', table_name='visits', postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
    op.drop_index(op.f('ix_visits_work_order_id'), table_name='visits')
    op.drop_index(op.f('ix_visits_technician_id'), table_name='visits')
    op.drop_table('visits')
    op.drop_index(op.f('ix_attachments_work_order_id'), table_name='attachments')
    op.drop_table('attachments')
    op.drop_index(op.f('ix_sync_ops_work_order_id'), table_name='sync_ops')
    op.drop_table('sync_ops')
