"""URL converters: `<date:day>` takes an ISO date (YYYY-MM-DD) and hands the view a `date`; anything
else in its place is no such path (404), as an unknown id is."""
from datetime import date

from werkzeug.routing import BaseConverter, ValidationError


class DateConverter(BaseConverter):
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError() from None

    def to_url(self, value):
        return value.isoformat() if isinstance(value, date) else str(value)


def _date_parameter(_converter):
    return {"type": "string", "format": "date"}


def init_app(app, api):
    app.url_map.converters["date"] = DateConverter
    api.register_converter(DateConverter, _date_parameter)
