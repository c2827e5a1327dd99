"""`flask --app backend user create`: accounts without the UI."""

import os

import click
from flask.cli import AppGroup

from backend.auth.models import ROLES
from backend.auth.services import create_user
from backend.errors import DomainError
from backend.extensions import db

user_cli = AppGroup("user", help="Manage accounts.")


def _non_empty(value: str) -> str:
    if not value.strip():
        raise click.BadParameter("A technician needs a branch.")
    return value.strip()


@user_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="")
@click.option("--employee-no", default=None)
@click.option("--branch", default=None, help="分公司; a technician's is said in every call script.")
def create_user_command(username, role, name, employee_no, branch):
    """Create an account; the password comes from DOORSTEP_PASSWORD or a prompt.

    A technician introduces themself by branch on every call (我是福建广电网络××分公司的维护员), so
    without ``--branch`` it is asked for, and an empty answer is not accepted.
    """
    branch = (branch or "").strip() or None
    if role == "technician" and branch is None:
        branch = click.prompt("Branch (分公司) named in the call scripts", value_proc=_non_empty)
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
