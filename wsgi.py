"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""
from server import create_app
from server.fastpaths import freeze_startup_heap

app = create_app()
freeze_startup_heap()
