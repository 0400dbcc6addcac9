"""SQLAlchemy models; names follow the sales method's vocabulary (vocab.py)."""
from .accounts import Account, AccountReassignment, Contact, Device, Opportunity, StageChange
from .base import utcnow
from .sync import Change, SyncClient, SyncMutation, SyncState
from .jobs import ImportJob
from .field import Activity, Appointment, RoutePlan, RouteStop, Visit
from .targets import DailyReview, SalesTarget, WeeklyReview
from .users import LoginFailure, RevokedToken, Team, TokenFamily, User

__all__ = [
    "Account", "AccountReassignment", "Activity", "Appointment", "Contact", "DailyReview", "Device", "ImportJob", "LoginFailure", "Opportunity",
    "RevokedToken", "TokenFamily", "RoutePlan", "RouteStop", "SalesTarget", "StageChange", "SyncClient", "SyncMutation", "SyncState", "Change", "Team", "User", "Visit", "WeeklyReview", "utcnow",
]
