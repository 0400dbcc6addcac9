"""SQLAlchemy models; names follow the sales method's vocabulary (vocab.py)."""

from .accounts import Account, AccountClassChange, AccountReassignment, Contact, Device, Opportunity, StageChange
from .base import utcnow
from .calendar import CalendarEvent, CalendarFeed
from .field import Activity, Appointment, Photo, RepDay, RoutePlan, RouteStop, Visit
from .geocache import GeocodeCache
from .jobs import ImportJob
from .notify import ImLink, Notification, NotifyPrefs, PushSubscription, TeamChannel
from .settings import TeamSettings, TeamSettingsChange
from .sync import Change, SyncClient, SyncMutation, SyncState
from .targets import DailyReview, SalesTarget, WeeklyReview
from .users import LoginFailure, RevokedToken, Team, TokenFamily, User, UserChange

__all__ = [
    "Account",
    "AccountClassChange",
    "AccountReassignment",
    "Activity",
    "Appointment",
    "CalendarEvent",
    "CalendarFeed",
    "Change",
    "Contact",
    "DailyReview",
    "Device",
    "GeocodeCache",
    "ImLink",
    "ImportJob",
    "LoginFailure",
    "Notification",
    "NotifyPrefs",
    "Opportunity",
    "Photo",
    "PushSubscription",
    "RepDay",
    "RevokedToken",
    "RoutePlan",
    "RouteStop",
    "SalesTarget",
    "StageChange",
    "SyncClient",
    "SyncMutation",
    "SyncState",
    "Team",
    "TeamChannel",
    "TeamSettings",
    "TeamSettingsChange",
    "TokenFamily",
    "User",
    "UserChange",
    "Visit",
    "WeeklyReview",
    "utcnow",
]
