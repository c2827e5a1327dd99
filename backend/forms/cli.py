"""`flask --app backend forms seal-pending`: seal what a failed job left unsealed."""

import click
from flask.cli import AppGroup

from backend.extensions import db
from backend.forms.services import orders_awaiting_forms, seal_visit_forms

forms_cli = AppGroup("forms", help="Sealed forms.")


@forms_cli.command("seal-pending")
def seal_pending_command():
    """Seal the forms of every finished visit that has none (after a failed sealing job)."""
    pending = orders_awaiting_forms()
    failed = 0
    for order_id in pending:
        try:
            seal_visit_forms(order_id)
        except Exception as error:  # one bad order must not stop the others; report it
            db.session.rollback()
            failed += 1
            click.echo(f"work order {order_id}: not sealed: {error}", err=True)
    click.echo(f"{len(pending) - failed} of {len(pending)} work orders sealed.")
    if failed:
        raise SystemExit(1)
