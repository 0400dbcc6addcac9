"""Command-line tasks: `flask --app wsgi create-user | set-password | seed-demo | ...` (`db upgrade`: Flask-Migrate)."""

import secrets
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .extensions import db
from .models import User
from .models.vocab import ROLES
from .users.schemas import LOCALES, PASSWORD_MIN_LENGTH


def init_app(app):
    app.cli.add_command(create_user_command)
    app.cli.add_command(set_password_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(prune_changes_command)
    app.cli.add_command(plan_day_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from .notify.cli import notify_group

    app.cli.add_command(notify_group)
    for kind in ("accounts", "devices", "contacts"):
        app.cli.add_command(_import_command(kind))
    app.cli.add_command(import_users_command)


def _position(text, option):
    """ "lat,lng" as two floats in range (WGS-84), or a usage error naming the option."""
    try:
        lat, lng = (float(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter("give it as LAT,LNG, e.g. 31.2304,121.4737", param_hint=option) from None
    _check_position(lat, lng, option)
    return lat, lng


def _check_position(lat, lng, option):
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise click.BadParameter("latitude within -90..90 and longitude within -180..180", param_hint=option)


def _read_password(from_stdin):
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise click.ClickException(f"the password needs at least {PASSWORD_MIN_LENGTH} characters")
    return password


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--team", "team_name", default=None, help="Team name; created if missing.")
@click.option("--display-name", default="")
@click.option("--start", "start", default=None, metavar="LAT,LNG", help="Where the rep's day starts (WGS-84).")
@click.option("--start-lat", type=float, default=None, help="With --start-lng: where the day starts.")
@click.option("--start-lng", type=float, default=None)
@click.option("--start-label", default="", help="The start in words (home, office).")
@click.option("--end", "end", default=None, metavar="LAT,LNG", help="Where the day ends, when not at the start.")
@click.option(
    "--first-appointment",
    type=click.DateTime(formats=["%H:%M"]),
    default=None,
    help="HH:MM of the first visit (the team's default, 08:45 by the method).",
)
@click.option("--locale", type=click.Choice(LOCALES), default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    username, role, team_name, display_name, start, start_lat, start_lng, start_label, end, first_appointment, locale,
    password_stdin,
):  # fmt: skip
    """Create a user; the password is prompted for, or read from stdin."""
    from .auth.services import create_user, holder_of

    if (existing := holder_of(username)) is not None:
        raise click.ClickException(f"user {existing.username!r} already exists")
    fields = {"start_label": start_label} if start_label else {}
    if start is not None and (start_lat is not None or start_lng is not None):
        raise click.BadParameter("give --start or --start-lat/--start-lng, not both", param_hint="--start")
    if start is not None:
        fields["start_lat"], fields["start_lng"] = _position(start, "--start")
    elif start_lat is not None or start_lng is not None:
        if start_lat is None or start_lng is None:
            raise click.BadParameter("give --start-lat and --start-lng together", param_hint="--start-lat")
        _check_position(start_lat, start_lng, "--start-lat/--start-lng")
        fields["start_lat"], fields["start_lng"] = start_lat, start_lng
    if end is not None:
        fields["end_lat"], fields["end_lng"] = _position(end, "--end")
    if first_appointment is not None:
        fields["first_appointment_time"] = first_appointment.time()
    if locale:
        fields["locale"] = locale
    password = _read_password(password_stdin)
    user = create_user(username, password, role, team_name=team_name, display_name=display_name, **fields)
    where = f", starts at {user.start_lat},{user.start_lng}" if user.start_lat is not None else ", no start position"
    click.echo(f"created {user.role} {user.username} ({user.id}){where}")


@click.command("set-password")
@with_appcontext
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--temporary",
    is_flag=True,
    help="The user must change it at their next login (as after a reset through the API).",
)
def set_password_command(username, password_stdin, temporary):
    """Set an existing user's password (prompted for, or read from stdin); their logins end."""
    from .auth.services import hash_password
    from .users.services import end_sessions

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    user.password_hash = hash_password(_read_password(password_stdin))
    user.must_change_password = temporary
    end_sessions(user.id)
    db.session.commit()
    click.echo(f"password set for {user.username}" + (" (to be changed at the next login)" if temporary else ""))


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
    click.echo(
        f"users: admin, manager, rep1..rep{reps}; password: {password}"
        + (" (generated)" if generated else "")
        + " -- demo only"
    )


@click.command("prune-changes")
@with_appcontext
@click.option(
    "--days",
    default=180,
    show_default=True,
    type=click.IntRange(180, 100000),
    help="Keep changes and tombstones at least this long (never under 180 days).",
)
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
        dispatch = lambda reps, day, limit: fan_out(app, reps, day, limit, app.config["CELERY_BATCH_TIMEOUT_S"])
    for username, outcome in plan_team(day.date(), team_name, time_limit, workers, dispatch=dispatch).items():
        click.echo(f"{username}: {outcome if isinstance(outcome, str) else f'{outcome} stops'}")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path):
    """Write the whole database to PATH (SQLite: a database file; PostgreSQL: pg_dump's custom format).

    Consistent while the app runs."""
    from . import backup

    try:
        kind = backup.backup(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up the {kind} database to {path}")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(path, yes):
    """Replace the whole database with the backup at PATH; every phone then takes its snapshot again."""
    from . import backup

    if not yes:
        click.confirm("Replace every record in the database with the backup?", abort=True)
    try:
        backup.restore(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"restored {path}; the sync epoch is new, so every phone takes its snapshot again at its next sync "
        "(records a phone still holds unsent are kept and sent)"
    )


def _echo_problems(report):
    """An import report's errors and warnings, one line each on stderr."""
    for problem in report.errors + report.warnings:
        click.echo(f"row {problem['row']}: {problem['field']}: {problem['message']}", err=True)


def _echo_outcome(report, dry_run):
    """An import report's counts; exit 1 when rows failed and nothing was written (not a dry run)."""
    click.echo(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.skipped} skipped, {report.geocoded} geocoded; "
        + ("written" if report.written else "nothing written")
    )
    if report.error_count > len(report.errors):
        click.echo(f"... and {report.error_count - len(report.errors)} more problems", err=True)
    if report.errors and not report.written and not dry_run:
        sys.exit(1)


def _import_command(kind):
    @click.command(f"import-{kind}")
    @with_appcontext
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--owner", default=None, help="Username that owns imported accounts without an owner column.")
    @click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
    @click.option("--skip-invalid", is_flag=True, help="Write the valid rows and list the others.")
    @click.option(
        "--datum",
        type=click.Choice(["wgs84", "gcj02", "bd09"]),
        default="wgs84",
        show_default=True,
        help="Datum of the file's latitude/longitude (a datum column overrides it per row); stored as WGS-84.",
    )
    def command(path, owner, dry_run, skip_invalid, datum):

        from .security import Principal
        from .transfer.geocoding import from_config
        from .transfer.importing import import_file

        system = Principal(id=None, role="admin", team_id=None)
        with open(path, "rb") as stream:
            report = import_file(
                system,
                kind,
                stream,
                owner=owner,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                geocoder=from_config(current_app.config),
                datum=datum,
            )
        _echo_problems(report)
        _echo_outcome(report, dry_run)

    command.__doc__ = f"Import {kind} from a CSV file (UTF-8 or GB18030, comma or semicolon)."
    return command


@click.command("import-users")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--datum",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default="wgs84",
    show_default=True,
    help="Datum of the file's positions (a datum column overrides it per row); stored as WGS-84.",
)
def import_users_command(path, dry_run, datum):
    """Create or update users from a CSV file, as POST /api/users/import does (same rows, same report).

    Created users' temporary passwords are printed once, when written; they change them at first login."""
    from .security import Principal
    from .transfer.geocoding import from_config
    from .users.importing import import_users

    system = Principal(id=None, role="admin", team_id=None)
    with open(path, "rb") as stream:
        report = import_users(system, stream, dry_run=dry_run, geocoder=from_config(current_app.config), datum=datum)
    _echo_problems(report)
    for item in report.users:
        line = f"row {item['row']}: {item['username']}: {item['outcome']}"
        if item.get("plannable") is False:
            line += " (no start position: cannot be planned)"
        if item.get("temporary_password"):
            line += f"; temporary password {item['temporary_password']}"
        click.echo(line)
    _echo_outcome(report, dry_run)
