"""customer search: trigram GIN indexes on PostgreSQL for part of a name, a phone number or an address

Revision ID: 0012_customer_search_trgm
Revises: 0011_technician_signature

The intake finds a caller by any part of a phone number, name or address (LIKE '%…%'); a B-tree
cannot serve a pattern that starts with a wildcard, so at a million customers each keystroke was a
sequential scan. pg_trgm's GIN indexes serve exactly those LIKE patterns (three characters or more,
CJK included under a UTF-8 ctype) with the query unchanged, so SQLite keeps the same code path and
simply has no such index. A normalised search column with prefix indexes was the alternative; it
finds only beginnings ("1234" would not find 138 0000 1234), which is not what the dispatcher types.
"""

from alembic import op

revision = "0012_customer_search_trgm"
down_revision = "0011_technician_signature"
branch_labels = None
depends_on = None

# The expressions must be those services.search_query filters on, or the planner will not use them:
# phones is a JSON list searched through its text form (CAST(phones AS VARCHAR)).
INDEXES = {
    "ix_customers_name_trgm": "name",
    "ix_customers_address_trgm": "address",
    "ix_customers_phones_trgm": "(CAST(phones AS VARCHAR))",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers USING gin ({expression} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
