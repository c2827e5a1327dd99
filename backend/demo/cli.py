"""`flask --app backend seed-demo [--orders N] [--if-empty]`: realistic Fujian demo data."""

import random

import click
from sqlalchemy import select

from backend.auth.models import User
from backend.demo import month, seed
from backend.extensions import db
from backend.timeutil import utcnow

PROGRESS_BAR_FROM = 200


@click.command("seed-demo")
@click.option(
    "--orders",
    default=80,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Work orders the demo should have in all.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing (but list the demo accounts) if the database has accounts.")
@click.option(
    "--past-month",
    is_flag=True,
    help="Also record last month's finished visits, cases and return visits (the manager's figures), once.",
)
def seed_demo_command(orders, if_empty, past_month):
    """Seed demo accounts, customers and a week of work orders around today; safe to run twice."""
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("The database already has data; demo seeding skipped.")
    else:
        rng = random.Random(2026)
        accounts = seed.seed_accounts()
        customers = seed.seed_customers(rng, per_branch=max(20, orders // 10))
        if orders >= PROGRESS_BAR_FROM:
            with click.progressbar(length=orders, label="Work orders") as bar:
                added = seed.seed_orders(rng, accounts, customers, orders, progress=bar)
        else:
            added = seed.seed_orders(rng, accounts, customers, orders)
        db.session.commit()
        cases = seed.seed_cases(accounts, utcnow())
        click.echo(f"Demo data ready: {added} work orders and {cases} cases added.")
        if past_month:
            visits = month.seed_past_month(accounts)
            click.echo(f"Past month: {visits} finished visits added, KPI rollups rebuilt.")
    _print_accounts()


def _print_accounts():
    usernames = [row[0] for row in seed.STAFF]
    found = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))}
    if not found:
        return
    click.echo(f"\nDemo accounts (password {seed.DEMO_PASSWORD}):")
    click.echo(f"  {'username':<15}{'role':<12}{'name':<8} branch")
    for username in usernames:
        if username in found:
            user = found[username]
            click.echo(f"  {username:<15}{user.role:<12}{user.name:<8} {user.branch or ''}")
