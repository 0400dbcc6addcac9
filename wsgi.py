"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""

import os

from server import create_app, pwa
from server.fastpaths import freeze_startup_heap

app = create_app()
# A serving worker compresses the field app's files once, before the first phone asks (a second or two);
# a `flask` command (migrations, seeding, `flask run`) does not wait for that: files compress on first request.
if not os.environ.get("FLASK_RUN_FROM_CLI"):
    pwa.warm()
freeze_startup_heap()
