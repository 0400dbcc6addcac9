"""Entry point for Celery workers and beat: `celery -A server.worker:celery worker|beat` (needs CELERY_BROKER_URL)."""

from . import create_app
from .background import celery_for
from .fastpaths import freeze_startup_heap

app = create_app()
celery = celery_for(app)
freeze_startup_heap()
