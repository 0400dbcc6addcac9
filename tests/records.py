"""Fixture writes that go around the services, with what the services would derive from them."""

from contextlib import contextmanager

from server import last_contact
from server.changelog import recorded
from server.extensions import db


def add_visits(*visits):
    """Add visits straight to the database and move their accounts' last contact, as the visit
    service does after writing them."""
    db.session.add_all(visits)
    db.session.flush()
    last_contact.follow(db.session, [(visit, None) for visit in visits])


@contextmanager
def writing(app):
    """An app context whose direct writes of synced records are recorded in the change log, as the
    services' writes are (outside one, such a write fails: see changelog.recorded)."""
    with app.app_context(), recorded(db.session):
        yield


@contextmanager
def statements_run(app):
    """The list of statements the app's engine runs inside the block, each as its first word (SELECT, INSERT…)."""
    from sqlalchemy import event

    seen = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
