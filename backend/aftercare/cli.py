"""`flask cases escalate`: escalate the cases still unanswered past their three hours (run it every minute)."""

import click
from flask.cli import AppGroup

from backend.aftercare.services import escalate_overdue

cases_cli = AppGroup("cases", help="Case (个案/投诉) housekeeping.")


@cases_cli.command("escalate")
def escalate_command():
    """Escalate overdue cases to a supervisor and print each one."""
    for case in escalate_overdue():
        to = case.escalated_to.name if case.escalated_to else "(no manager)"
        click.echo(f"case {case.id} due {case.due_at.isoformat()} escalated to {to}")
