"""The migration builds exactly the rollup model."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.extensions import db


def test_migration_matches_the_model():
    diffs = compare_metadata(MigrationContext.configure(db.session.connection()), db.metadata)
    assert [diff for diff in diffs if "'kpi_rollups'" in repr(diff)] == []
