"""The Celery app, when CELERY_BROKER_URL names a broker: the evening route plans
(route_plans/tasks.py), large imports (transfer/jobs.py) and the notices (notify/runner.py) run on
its workers. Without a broker the batch plans in local processes, and imports and notices run on
threads of the web process."""

from celery import Celery, Task
from celery.schedules import crontab


def celery_for(app):
    """The Celery app bound to this Flask app (made once); tasks run inside its app context."""
    if "celery" in app.extensions:
        return app.extensions["celery"]
    from .notify import runner as notify_runner
    from .route_plans import tasks as plan_tasks
    from .transfer import jobs as import_jobs

    class AppTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["CELERY_BROKER_URL"]
    celery = Celery(
        "fieldday", broker=broker, backend=app.config.get("CELERY_RESULT_BACKEND") or broker, task_cls=AppTask
    )
    hour, minute = (int(part) for part in app.config["PLAN_EVENING_AT"].split(":"))
    celery.conf.update(
        timezone=app.config["DEFAULT_TIMEZONE"],
        task_acks_late=True,  # a worker that dies mid-plan leaves the task for another
        worker_prefetch_multiplier=1,  # solving is CPU-bound: one rep at a time per process
        result_expires=24 * 3600,
        beat_schedule={
            "plan-tomorrow": {"task": plan_tasks.PLAN_TOMORROW, "schedule": crontab(hour=hour, minute=minute)},
            # Notices held for the working hours or a provider's limit, retries, and the day's summaries.
            "notify-tick": {"task": notify_runner.TICK, "schedule": 60.0},
        },
    )
    if app.config.get("CELERY_QUEUE"):
        celery.conf.task_default_queue = app.config["CELERY_QUEUE"]
    celery.task(name=plan_tasks.PLAN_REP)(plan_tasks.plan_rep)
    celery.task(name=plan_tasks.PLAN_TOMORROW)(plan_tasks.plan_tomorrow)
    celery.task(name=import_jobs.RUN_IMPORT, bind=True)(import_jobs.run_task)
    celery.task(name=notify_runner.DRAIN)(notify_runner.drain_task)
    celery.task(name=notify_runner.TICK)(notify_runner.tick_task)
    app.extensions["celery"] = celery
    return celery
