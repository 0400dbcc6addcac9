"""`flask backup PATH` and `flask restore PATH`: the whole database to one file and back.

SQLite goes through the sqlite3 backup API (a consistent copy while the app keeps writing; a restore
copies the file's pages into the live database under its write lock). PostgreSQL goes through
`pg_dump -Fc` and `pg_restore --clean --if-exists --single-transaction` (the client tools must be
installed, of the server's major version or newer).

A restore sends the server's change log back in time, so every phone must take its snapshot again
(sync/PROTOCOL.md, "Reset"): the restore gives the database a new `sync_state.epoch`, and every cursor
the phones hold, from before or after the backup, then answers `reset_required`."""

import os
import shutil
import sqlite3
import subprocess
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url

from .extensions import db


class BackupError(Exception):
    """The backup or restore could not be done; the message says why and what to do."""


def _url():
    return make_url(db.engine.url.render_as_string(hide_password=False))


def _sqlite_path(url):
    path = url.database
    if not path or path == ":memory:":
        raise BackupError("the database is an in-memory SQLite database: nothing to back up")
    return path


def _pg_tool(name):
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools of the server's major version "
            "or newer (Debian/Ubuntu: apt-get install postgresql-client) and run the command again"
        )
    return tool


def _pg_target(url):
    """A libpq connection string for the tools (no driver name) and their environment (the password)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return target, env


def _run(args, env, path):
    done = subprocess.run(args, check=False, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{path}: {os.path.basename(args[0])} failed ({done.returncode}): {done.stderr.strip()}")


def backup(path):
    """Write the whole database to `path`; return the backend's name."""
    url = _url()
    path = os.path.abspath(path)
    db.session.remove()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        tool = _pg_tool("pg_dump")
        target, env = _pg_target(url)
        _run([tool, "--format=custom", "--file", path, "--dbname", target], env, path)
        return "postgresql"
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def restore(path):
    """Replace the whole database with the backup at `path`, then give it a new epoch; return the epoch."""
    if not os.path.isfile(path):
        raise BackupError(f"{path}: no such backup file")
    url = _url()
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True)
        try:
            if source.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_state'").fetchone() is None:
                raise BackupError(f"{path}: not a Fieldday SQLite backup (no sync_state table)")
            target = sqlite3.connect(_sqlite_path(url))
            try:
                source.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: not a SQLite backup ({exc})") from exc
        finally:
            source.close()
    elif url.get_backend_name() == "postgresql":
        tool = _pg_tool("pg_restore")
        target, env = _pg_target(url)
        _run(
            [tool, "--clean", "--if-exists", "--single-transaction", "--no-owner", "--dbname", target, path], env, path
        )
    else:
        raise BackupError(f"restores of {url.get_backend_name()} databases are not supported")
    return new_epoch()


def new_epoch():
    """Give the database a new sync epoch: every phone's cursor then resets (sync/PROTOCOL.md)."""
    epoch = uuid.uuid4().hex
    with db.engine.begin() as conn:
        changed = conn.execute(text("UPDATE sync_state SET epoch = :epoch WHERE id = 1"), {"epoch": epoch}).rowcount
    if changed != 1:
        raise BackupError("the restored database has no sync_state row: was it a Fieldday database?")
    db.engine.dispose()
    return epoch
