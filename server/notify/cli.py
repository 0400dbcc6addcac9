"""`flask --app wsgi notify run`: write the day's summaries, late first visits and follow-ups that are due and send
the due notices once (for a cron line where no Celery beat runs; the web process's own runner also sends as
notices come)."""

import click
from flask.cli import with_appcontext


@click.group("notify")
def notify_group():
    """Notices: send what is due."""


@notify_group.command("run")
@with_appcontext
def run_command():
    """Queue the day's summaries, late first visits, follow-ups and unresolved conflicts that
    are due, then send every due notice."""
    from .queue import drain
    from .runner import write_timed

    queued, late, follow_ups, conflicts, reminders = write_timed()
    counts = drain()
    click.echo(
        f"summaries queued: {queued}; late first visits: {late}; follow-ups due: {follow_ups}; "
        f"unresolved conflicts: {conflicts}; reminders: {reminders}; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    )
