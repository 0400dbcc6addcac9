"""Access logs without the calendar feed's secret.

A calendar app subscribes to a URL, so a feed's token has to be in its path (`/api/calendar/<token>.ics`);
the logs keep the path with the token replaced by `[token]`. gunicorn's access log goes through
`RedactingLogger` (deploy/gunicorn.conf.py); nginx's site logs a path redacted the same way by a `map`
(deploy/nginx/fieldday.conf)."""

import re

from gunicorn.glogging import Logger

FEED_PATH = re.compile(r"(/api/calendar/)[^/?#\s]+(\.ics)")


def redact(text):
    """`text` with every calendar feed token in it replaced."""
    return FEED_PATH.sub(r"\1[token]\2", text)


class RedactingLogger(Logger):
    """gunicorn's logger, every text in an access line's atoms (request line, path, referrer, environ) redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
