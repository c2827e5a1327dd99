"""forms: sealed form versions and customer signing links

Revision ID: 0003_forms
Revises: 0002_visits
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_forms"
down_revision = "0002_visits"
branch_labels = None
depends_on = None

# A sealed form's bytes and hash never change: only its superseded_* columns may be set later.
_PG_IMMUTABLE = """
CREATE FUNCTION forms_sealed_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.pdf IS DISTINCT FROM OLD.pdf OR NEW.sha256 IS DISTINCT FROM OLD.sha256
       OR NEW.sealed_at IS DISTINCT FROM OLD.sealed_at OR NEW.audit::text IS DISTINCT FROM OLD.audit::text THEN
        RAISE EXCEPTION 'a sealed form never changes: make a new version';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER forms_no_change BEFORE UPDATE ON forms
    FOR EACH ROW EXECUTE FUNCTION forms_sealed_immutable();
"""
_SQLITE_IMMUTABLE = (
    "CREATE TRIGGER forms_no_change BEFORE UPDATE OF pdf, sha256, sealed_at, audit ON forms "
    "BEGIN SELECT RAISE(ABORT, 'a sealed form never changes: make a new version'); END"
)


def upgrade():
    op.create_table(
        "forms",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=48), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.Column("superseded_by_id", sa.String(length=36), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sealed_by_id", sa.Integer(), nullable=True),
        sa.Column("signer_subject", sa.String(length=255), nullable=False),
        sa.Column("audit", sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('service', 'feedback', 'no_access')", name=op.f("ck_forms_kind")),
        sa.ForeignKeyConstraint(["sealed_by_id"], ["users.id"], name=op.f("fk_forms_sealed_by_id_users")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["forms.id"], name=op.f("fk_forms_supersedes_id_forms")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_forms_visit_id_visits")),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"],
                                name=op.f("fk_forms_work_order_id_work_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forms")),
        sa.UniqueConstraint("work_order_id", "kind", "version", name="uq_forms_order_kind_version"),
    )
    op.create_index(op.f("ix_forms_work_order_id"), "forms", ["work_order_id"], unique=False)
    op.create_index(op.f("ix_forms_sha256"), "forms", ["sha256"], unique=False)
    op.create_table(
        "signing_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_from", sa.JSON(), nullable=True),
        sa.Column("feedback", sa.JSON(), nullable=True),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_signing_links_created_by_id_users")),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"],
                                name=op.f("fk_signing_links_work_order_id_work_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_links")),
    )
    op.create_index(op.f("ix_signing_links_work_order_id"), "signing_links", ["work_order_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_IMMUTABLE)
    else:
        op.execute(_SQLITE_IMMUTABLE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS forms_no_change ON forms")
        op.execute("DROP FUNCTION IF EXISTS forms_sealed_immutable()")
    op.drop_index(op.f("ix_signing_links_work_order_id"), table_name="signing_links")
    op.drop_table("signing_links")
    op.drop_index(op.f("ix_forms_sha256"), table_name="forms")
    op.drop_index(op.f("ix_forms_work_order_id"), table_name="forms")
    op.drop_table("forms")
