"""The migration builds exactly the aftercare models, and a broken script file is refused when loaded."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.aftercare.script import load_script
from backend.extensions import db

AFTERCARE_TABLES = {"return_visit_calls", "complaints"}


def _touches_aftercare(diff) -> bool:
    # Diffs are nested tuples naming tables by object or by string; their text names the table either way.
    return any(f"'{table}'" in repr(diff) for table in AFTERCARE_TABLES)


def test_migration_matches_the_models():
    # The test's own connection: SQLite admits one writer, and the test already holds it.
    diffs = compare_metadata(MigrationContext.configure(db.session.connection()), db.metadata)
    assert [diff for diff in diffs if _touches_aftercare(diff)] == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "script.yaml"
    path.write_text(text, encoding="utf-8")
    return path


STEP = "  - {{id: {id}, title: {{zh: t, en: t}}, text: {{zh: '{zh}', en: e}}}}\n"
STANDARD = ("confirm_identity", "introduce", "ask_convenient", "report_follow_up", "ask_satisfaction")


def test_the_shipped_script_loads():
    assert [step["id"] for step in load_script()["steps"]][:5] == list(STANDARD)


def test_a_script_missing_a_standard_step_is_refused(tmp_path):
    body = "version: 1\nsteps:\n" + "".join(STEP.format(id=i, zh="x") for i in STANDARD if i != "ask_convenient")
    with pytest.raises(ValueError, match="ask_convenient"):
        load_script(_write(tmp_path, body))


def test_a_script_out_of_order_is_refused(tmp_path):
    body = "version: 1\nsteps:\n" + "".join(STEP.format(id=i, zh="x") for i in reversed(STANDARD))
    with pytest.raises(ValueError, match="order"):
        load_script(_write(tmp_path, body))


def test_a_script_with_an_unknown_placeholder_is_refused(tmp_path):
    body = "version: 1\nsteps:\n" + "".join(STEP.format(id=i, zh="{nickname}") for i in STANDARD)
    with pytest.raises(ValueError, match="nickname"):
        load_script(_write(tmp_path, body))


RESULTS = "results: {fixed: {zh: a, en: a}, not_fixed: {zh: b, en: b}, needs_revisit: {zh: c, en: c}}\n"


def test_a_script_with_the_records_placeholders_loads(tmp_path):
    body = "version: 1\nsteps:\n" + "".join(STEP.format(id=i, zh="{called_on}[{reported}][{result}]") for i in STANDARD)
    assert load_script(_write(tmp_path, body + RESULTS))["results"]["fixed"] == {"zh": "a", "en": "a"}


def test_what_the_customer_reported_may_be_unknown_so_it_must_be_in_brackets(tmp_path):
    body = "version: 1\nsteps:\n" + "".join(STEP.format(id=i, zh="{reported}") for i in STANDARD)
    with pytest.raises(ValueError, match="reported"):
        load_script(_write(tmp_path, body + RESULTS))


def test_a_script_without_wording_for_every_visit_result_is_refused(tmp_path):
    body = "version: 1\nsteps:\n" + "".join(STEP.format(id=i, zh="x") for i in STANDARD)
    with pytest.raises(ValueError, match="needs_revisit"):
        load_script(_write(tmp_path, body + "results: {fixed: {zh: a, en: a}, not_fixed: {zh: b, en: b}}\n"))
