"""`flask reports rebuild [--from DAY] [--to DAY]`: recompute the KPI rollups from the visits."""

import click

from backend.extensions import db
from backend.reports import rollups

reports_cli = click.Group("reports", help="The manager's figures (KPI rollups).")


@reports_cli.command("rebuild")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First local day (default: the first visit's)")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last local day (default: the last visit's)")
def rebuild_command(first, last):
    """Replace the rollups of the days by sums recomputed from the ended visits (safe to run any time)."""
    span = rollups.days_with_visits()
    if span is None and (first is None or last is None):
        click.echo("No ended visits: nothing to rebuild.")
        return
    first_day = first.date() if first else span[0]
    last_day = last.date() if last else span[1]
    if last_day < first_day:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    written = rollups.rebuild(first_day, last_day)
    db.session.commit()
    click.echo(f"KPI rollups rebuilt for {first_day} to {last_day}: {written} rows.")
