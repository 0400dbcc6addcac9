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
