"""`flask --app backend seed-demo`: realistic Fujian demo data."""
import click


@click.command("seed-demo")
def seed_demo_command():
    """Seed demo data (placeholder while the seeder is written)."""
