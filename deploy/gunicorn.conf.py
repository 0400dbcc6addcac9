"""gunicorn for Fieldday behind nginx (deploy/nginx/fieldday.conf), started by deploy/systemd/fieldday-web.service:

    gunicorn --config deploy/gunicorn.conf.py wsgi:app

Sized for a 2-core host, as the load benchmarks run it (README, "Run it for a team"): 2 worker processes of
4 threads each. Most requests wait on PostgreSQL, so threads serve them; a route plan is CPU-bound and one
process solves PLAN_CONCURRENCY of them at once (others are refused at once with 503 and Retry-After), so a
burst of plans never takes every thread. More cores: one more worker per core.

A setting here can be changed without editing this file through gunicorn's own GUNICORN_CMD_ARGS in the
environment file (e.g. GUNICORN_CMD_ARGS="--workers 4"), which takes precedence over this file.
"""

bind = "127.0.0.1:8000"  # nginx's upstream; never reachable from outside the host
workers = 2
worker_class = "gthread"
threads = 4
# A request running longer than this is a stuck worker: it is killed and replaced. Large imports are
# background jobs (IMPORT_BACKGROUND_BYTES) and on-demand plans take seconds, so none comes near it.
timeout = 60
graceful_timeout = 30  # on stop or reload, running requests get this long to finish
keepalive = 60  # longer than nginx's upstream keepalive_timeout (50 s): nginx closes idle connections first
# Access and error logs to standard output and error: the journal keeps them (journalctl -u fieldday-web).
accesslog = "-"
errorlog = "-"
# A calendar feed's URL holds its owner's secret token: access lines carry "[token]" instead.
logger_class = "server.accesslog.RedactingLogger"
loglevel = "info"
# X-Forwarded-Proto from nginx on this host sets the request's scheme (the app's ProxyFix does the same,
# and more, with TRUSTED_PROXIES).
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "fieldday-web"
