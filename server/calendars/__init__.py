"""The rep's day in the phone's calendar: a private ICS feed per user and one appointment as a `.ics` file."""

from ..request_json import Blueprint

blp = Blueprint(
    "calendars",
    __name__,
    url_prefix="/api/calendar",
    description="The rep's planned stops and appointments as an iCalendar (RFC 5545) feed.",
)

from . import views  # noqa: F401
