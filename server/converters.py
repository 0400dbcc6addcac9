"""URL converters: `<date:day>` takes an ISO date (YYYY-MM-DD) and hands the view a `date`; anything
else in its place is no such path (404), as an unknown id is."""

from datetime import date

from werkzeug.routing import BaseConverter, PathConverter, ValidationError


class DateConverter(BaseConverter):
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError() from None

    def to_url(self, value):
        return value.isoformat() if isinstance(value, date) else str(value)


class ShellPathConverter(PathConverter):
    """A path of the field app's shell: any path but /api and what lies under it, so the shell's catch-all
    GET never answers for (nor adds GET to the methods of) an API path."""

    regex = r"(?!api(?:/|$))[^/].*?"


class FeedTokenConverter(BaseConverter):
    """A calendar feed's token as server/calendars/services.py makes it (43 URL-safe characters); any
    other string in its place is no such feed (404), as an unknown token is."""

    regex = r"[A-Za-z0-9_-]{43}"


def _date_parameter(_converter):
    return {"type": "string", "format": "date"}


def _feed_token_parameter(_converter):
    return {"type": "string", "pattern": r"^[A-Za-z0-9_-]{43}(?!\n)$"}


def init_app(app, api):
    app.url_map.converters["date"] = DateConverter
    app.url_map.converters["shell_path"] = ShellPathConverter
    app.url_map.converters["feed_token"] = FeedTokenConverter
    api.register_converter(DateConverter, _date_parameter)
    api.register_converter(FeedTokenConverter, _feed_token_parameter)
