"""`flask --app backend user create`: accounts without the UI."""

import os

import click
from flask.cli import AppGroup

from backend.auth.models import ROLES
from backend.auth.services import create_user
from backend.errors import DomainError
from backend.extensions import db

user_cli = AppGroup("user", help="Manage accounts.")


@user_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="")
@click.option("--employee-no", default=None)
@click.option("--branch", default=None)
def create_user_command(username, role, name, employee_no, branch):
    """Create an account; the password comes from DOORSTEP_PASSWORD or a prompt."""
    password = os.environ.get("DOORSTEP_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = create_user(username, password, role, name=name, employee_no=employee_no, branch=branch)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.username} (id {user.id}).")
