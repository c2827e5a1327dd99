"""customer search: two-character searches of a name or an address indexed on PostgreSQL (bigram GIN)

Revision ID: 0013_customer_search_bigrams
Revises: 0012_customer_search_trgm

A Chinese given name is two characters (志强, 秀英) and the console searches from two; pg_trgm
extracts no trigram from a two-character pattern, so such a search was a sequential scan again
(~250 ms at 500k customers, twice per request). An immutable function listing a text's
two-character pieces, indexed with GIN, answers "contains these two characters" exactly;
services.search_query uses it for two-character searches on PostgreSQL.
"""

from alembic import op

revision = "0013_customer_search_bigrams"
down_revision = "0012_customer_search_trgm"
branch_labels = None
depends_on = None

INDEXES = {"ix_customers_name_bigrams": "name", "ix_customers_address_bigrams": "address"}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION doorstep_bigrams(value text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
            FROM generate_series(1, char_length(value) - 1) AS i
        $$
        """
    )
    for name, column in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers USING gin (doorstep_bigrams({column}))")
    # Statistics of the new expressions: without them the planner guesses 0.5% of the rows match
    # and may start parallel workers for a search that reads a few hundred.
    op.execute("ANALYZE customers")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP FUNCTION IF EXISTS doorstep_bigrams(text)")
