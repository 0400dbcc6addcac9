"""Fixture writes that go around the services, with what the services would derive from them."""
from server import last_contact
from server.extensions import db


def add_visits(*visits):
    """Add visits straight to the database and move their accounts' last contact, as the visit
    service does after writing them."""
    db.session.add_all(visits)
    db.session.flush()
    last_contact.follow(db.session, [(visit, None) for visit in visits])
