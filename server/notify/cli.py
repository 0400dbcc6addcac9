"""`flask --app wsgi notify run`: write the day's summaries that are due and send the due notices once
(for a cron line where no Celery beat runs; the web process's own runner also sends as notices come)."""

import click
from flask.cli import with_appcontext


@click.group("notify")
def notify_group():
    """Notices: send what is due."""


@notify_group.command("run")
@with_appcontext
def run_command():
    """Queue the day's summaries that are due, then send every due notice."""
    from .queue import drain
    from .summaries import write_due

    queued = write_due()
    counts = drain()
    click.echo(f"summaries queued: {queued}; " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
