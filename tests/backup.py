"""A database backup and its restore, as a restore tool does it: every row out, every row back."""

from sqlalchemy import text

from server.extensions import db


def dump(app):
    """Every row of every table: what a backup holds."""
    with app.app_context():
        backup = {t.name: [dict(r._mapping) for r in db.session.execute(t.select())] for t in db.metadata.sorted_tables}
        db.session.remove()
        return backup


def restore(app, backup):
    """Put the database back as the backup had it (as pg_restore into an emptied database does)."""
    with app.app_context():
        db.session.remove()
        tables = db.metadata.sorted_tables
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.connect() as conn:
            # Rows go back as they were, so the references between them (teams and users point at each
            # other) are checked by nothing while they load, as a restore tool loads them.
            conn.execute(text("SET session_replication_role = replica" if postgres else "PRAGMA foreign_keys = OFF"))
            conn.commit()
            with conn.begin():
                if postgres:
                    conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)))
                else:
                    for table in reversed(tables):
                        conn.execute(table.delete())
                for table in tables:
                    if backup[table.name]:
                        conn.execute(table.insert(), backup[table.name])
            conn.execute(text("SET session_replication_role = DEFAULT" if postgres else "PRAGMA foreign_keys = ON"))
            conn.commit()
        db.engine.dispose()
