"""Command-line tasks: `flask --app wsgi create-user | seed-demo` (and `db upgrade` from Flask-Migrate)."""
import secrets
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .extensions import db
from .models import User
from .models.vocab import ROLES


def init_app(app):
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(prune_changes_command)
    app.cli.add_command(plan_day_command)
    for kind in ("accounts", "devices", "contacts"):
        app.cli.add_command(_import_command(kind))


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--team", "team_name", default=None, help="Team name; created if missing.")
@click.option("--display-name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username, role, team_name, display_name, password_stdin):
    """Create a user; the password is prompted for, or read from stdin."""
    from .auth.services import create_user

    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username!r} already exists")
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    user = create_user(username, password, role, team_name=team_name, display_name=display_name)
    click.echo(f"created {user.role} {user.username} ({user.id})")


@click.command("seed-demo")
@with_appcontext
@click.option("--password", default=None, help="Password for every demo user (demo only!).")
@click.option("--reps", default=4, show_default=True, type=click.IntRange(3, 50))
@click.option("--accounts-per-rep", default=160, show_default=True, type=click.IntRange(1, 10000))
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(0, 104))
@click.option("--seed", "rng_seed", default=845, show_default=True, help="Random seed: same seed, same data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
def seed_demo_command(password, reps, accounts_per_rep, weeks, rng_seed, if_empty):
    """Load the deterministic Shanghai demo data set (admin, manager, rep1..repN)."""
    from .demo import seed

    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            click.echo("demo data: users already exist, nothing to do")
            return
        raise click.ClickException("the database already has users; seed-demo needs an empty database")
    generated = password is None
    password = password or secrets.token_urlsafe(9)
    counts = seed(password, reps=reps, accounts_per_rep=accounts_per_rep, weeks=weeks, rng_seed=rng_seed)
    click.echo("demo data loaded: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    click.echo(f"users: admin, manager, rep1..rep{reps}; password: {password}"
               + (" (generated)" if generated else "") + " -- demo only")


@click.command("prune-changes")
@with_appcontext
@click.option("--days", default=180, show_default=True, type=click.IntRange(180, 100000),
              help="Keep changes and tombstones at least this long (never under 180 days).")
def prune_changes_command(days):
    """Drop sync change-log rows older than --days; phones with older cursors re-pull."""
    from .sync_api.services import prune

    click.echo(f"pruned {prune(days)} change rows older than {days} days")


@click.command("plan-day")
@with_appcontext
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--team", "team_name", default=None, help="Only this team's reps.")
@click.option("--time-limit", default=2.0, show_default=True, help="Seconds of search per rep (larger days).")
@click.option("--workers", default=0, type=click.IntRange(0, 64), help="Solver processes (0: one per CPU).")
def plan_day_command(day, team_name, time_limit, workers):
    """Plan the day for every rep (the evening batch) and store the plans."""
    from .route_plans.planner import plan_team

    dispatch = None
    if current_app.config.get("CELERY_BROKER_URL"):  # one Celery task per rep, on the workers
        from .route_plans.tasks import fan_out

        app = current_app._get_current_object()
        dispatch = lambda reps, day, limit: fan_out(app, reps, day, limit, app.config["CELERY_BATCH_TIMEOUT_S"])  # noqa: E731
    for username, outcome in plan_team(day.date(), team_name, time_limit, workers, dispatch=dispatch).items():
        click.echo(f"{username}: {outcome if isinstance(outcome, str) else f'{outcome} stops'}")


def _import_command(kind):
    @click.command(f"import-{kind}")
    @with_appcontext
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--owner", default=None, help="Username that owns imported accounts without an owner column.")
    @click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
    @click.option("--skip-invalid", is_flag=True, help="Write the valid rows and list the others.")
    def command(path, owner, dry_run, skip_invalid):

        from .security import Principal
        from .transfer.geocoding import from_config
        from .transfer.importing import import_file

        system = Principal(id=None, role="admin", team_id=None)
        with open(path, "rb") as stream:
            report = import_file(system, kind, stream, owner=owner, dry_run=dry_run, skip_invalid=skip_invalid,
                                 geocoder=from_config(current_app.config))
        for problem in report.errors + report.warnings:
            click.echo(f"row {problem['row']}: {problem['field']}: {problem['message']}", err=True)
        click.echo(f"{report.rows} rows: {report.created} created, {report.updated} updated, "
                   f"{report.unchanged} unchanged, {report.skipped} skipped, {report.geocoded} geocoded; "
                   + ("written" if report.written else "nothing written"))
        if report.error_count > len(report.errors):
            click.echo(f"... and {report.error_count - len(report.errors)} more problems", err=True)
        if report.errors and not report.written and not dry_run:
            sys.exit(1)

    command.__doc__ = f"Import {kind} from a CSV file (UTF-8 or GB18030, comma or semicolon)."
    return command
